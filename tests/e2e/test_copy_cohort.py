"""Run it again: an organizer copies a Berlin cohort for a New York group, checks the new
dates in the preview (across both clock changes), creates it and lands on its schedule."""

from datetime import date, datetime, time, timedelta

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from assignments.models import Assignment, PreworkItem
from cohorts.models import Cohort, Membership, Role, User
from discussions.models import PairPrompt
from tests.conftest import BERLIN
from tests.e2e.people import PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_organizer_copies_a_cohort_through_the_preview(page):
    source = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=date(2026, 10, 19),
        session_weekday=0,
        session_time=time(18, 0),
    )
    weeks = source.create_weeks(4, ["Framing", "Linear regression", "Loss", "Trees"])
    for week in weeks:
        PreworkItem.objects.create(
            week=week, title="Lecture", url="https://example.com/v", minutes=12
        )
        day = source.local(week.session_start).date() - timedelta(days=2)
        Assignment.objects.create(
            week=week, title="Notebook", due_at=datetime.combine(day, time(18, 0), BERLIN)
        )
        PairPrompt.objects.create(week=week, prompt="A, explain to B …", minutes=5)
    olga = User.objects.create_user(email="olga@example.com", password=PASSWORD, name="Olga")
    EmailAddress.objects.create(user=olga, email=olga.email, verified=True, primary=True)
    Membership.objects.create(user=olga, cohort=source, role=Role.ORGANIZER)
    pat = User.objects.create_user(email="pat@example.com", password=PASSWORD, name="Pat")
    Membership.objects.create(user=pat, cohort=source, role=Role.PARTICIPANT)

    sign_in(page, "olga@example.com")
    page.goto("/c/ml/")
    page.get_by_role("link", name="Copy this cohort for a new group").click()
    expect(page.get_by_role("heading", name="Copy this cohort for a new group")).to_be_visible()

    page.get_by_label("Title").fill("Machine Learning, New York")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("First session on or after").fill("2026-10-26")
    page.get_by_label("Session weekday").select_option(label="Monday")
    page.get_by_label("Session time").fill("12:00")
    page.get_by_role("button", name="Preview the new schedule").click()

    preview = page.locator(".run-preview")
    expect(preview).to_contain_text("4 weeks, Mondays at 12:00, times in America/New_York")
    week_2 = preview.locator(".run-plan__week").nth(1)
    expect(week_2).to_contain_text("Session Mon 2 Nov 2026, 12:00")
    expect(week_2).to_contain_text("(was Mon 26 Oct 2026, 18:00)")
    # Two days before at 18:00 on the new clock, though New York changed its clock between.
    expect(week_2).to_contain_text("Assignment “Notebook” due Sat 31 Oct 2026, 18:00")
    assert Cohort.objects.count() == 1  # the preview created nothing

    page.get_by_role("button", name="Create “Machine Learning, New York”").click()
    expect(page.get_by_text("“Machine Learning, New York” is ready with 4 weeks")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Machine Learning, New York")
    schedule = page.locator(".schedule")
    expect(schedule.locator(".schedule__when")).to_have_text(
        [
            "Mon 26 Oct 2026, 12:00",
            "Mon 2 Nov 2026, 12:00",
            "Mon 9 Nov 2026, 12:00",
            "Mon 16 Nov 2026, 12:00",
        ]
    )
    expect(page.get_by_text("America/New_York")).to_be_visible()

    copy = Cohort.objects.get(title="Machine Learning, New York")
    assert page.url.endswith(copy.get_absolute_url())
    assert list(copy.memberships.values_list("user__email", flat=True)) == ["olga@example.com"]
    assert PreworkItem.objects.filter(week__cohort=copy).count() == 4
    assert PairPrompt.objects.filter(week__cohort=copy).count() == 4
