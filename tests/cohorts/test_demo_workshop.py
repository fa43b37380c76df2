"""The demo's second cohort: a four-day data-science workshop, half of it behind us."""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from assignments.models import PreworkItem
from cohorts import demo
from cohorts.models import Cohort, Membership, Role, User
from discussions.models import Feedback

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("clock", [time(8, 0), time(11, 30), time(13, 0), time(23, 30)])
def test_the_workshop_has_four_days_two_of_them_rated(clock, time_machine):
    # Before, during and after the day's session on the workshop's clock.
    time_machine.move_to(datetime.combine(date(2027, 5, 12), clock, ZoneInfo(demo.WORKSHOP_ZONE)))
    call_command("seed_demo", stdout=io.StringIO())
    cohort = Cohort.objects.get(slug=demo.WORKSHOP_SLUG)
    weeks = list(cohort.weeks.all())
    assert [w.heading for w in weeks] == [
        "Day 1: Data wrangling",
        "Day 2: Feature engineering",
        "Day 3: Models and validation",
        "Day 4: Evaluation and storytelling",
    ]
    local = [cohort.local(w.session_start) for w in weeks]
    assert [d.time() for d in local] == [time(10, 0)] * 4
    assert [(b.date() - a.date()).days for a, b in zip(local, local[1:], strict=False)] == [1] * 3
    assert all(w.session_end - w.session_start == timedelta(hours=3) for w in weeks)
    assert (cohort.schedule_kind, cohort.reminder_lead, cohort.digest_cadence) == (
        "daily",
        "evening",
        "session",
    )
    members = Membership.objects.filter(cohort=cohort)
    participants = members.filter(role=Role.PARTICIPANT)
    assert participants.count() == 12
    emails = set(participants.values_list("user__email", flat=True))
    assert "participant01@example.com" in emails and "participant22@example.com" in emails
    assert members.get(role=Role.ORGANIZER).user.email == "organizer@example.com"
    assert all(PreworkItem.objects.filter(week=w).count() >= 3 for w in weeks)
    rated = sorted({f.week.number for f in Feedback.objects.filter(week__cohort=cohort)})
    assert rated == [1, 2]
    assert cohort.current_week().number == 3

    counts = (Cohort.objects.count(), User.objects.count(), PreworkItem.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Cohort.objects.count(), User.objects.count(), PreworkItem.objects.count()) == counts


def test_a_workshop_participant_sees_days(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(email="participant19@example.com"))
    page = client.get(reverse("cohorts:detail", args=[demo.WORKSHOP_SLUG])).content.decode()
    assert "Day 1" in page and "Every day at 10:00, 180 minutes" in page
    assert "Week" not in page
