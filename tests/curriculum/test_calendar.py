"""Calendar feeds, read back with the icalendar library as a calendar app would."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment
from cohorts.models import Membership, Role
from tests.conftest import BERLIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(course_cohort, group_traces, make_user):
    facilitator = make_user("fay@example.com", "Fay Facilitator")
    Membership.objects.create(user=facilitator, cohort=course_cohort, role=Role.FACILITATOR)
    memberships = Membership.objects.filter(cohort=course_cohort).select_related("user")
    return {m.user.email.split("@")[0]: m for m in memberships}


def fetch(client, membership):
    url = reverse("cohorts:calendar", args=[membership.cohort.slug])
    response = client.get(url, {"token": membership.calendar_token})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    return icalendar.Calendar.from_ical(response.content)


def events(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_sessions_with_place_and_stable_ids(client, course_cohort, members):
    calendar = fetch(client, members["pat"])
    assert str(calendar["X-WR-CALNAME"]) == "Autumn ML"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=6)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT6H"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    by_uid = events(calendar)
    for week in course_cohort.weeks.all():
        event = by_uid[f"session-{week.pk}@localhost:8000"]
        assert event.decoded("DTSTART") == week.session_start
        assert event.decoded("DTEND") == week.session_start + timedelta(minutes=90)
        assert str(event["LOCATION"]) == "Room 4.12"
        # A participant learns a week's topic when its pre-work is published.
        topic = f": {week.title}" if week.is_published() else ""
        assert str(event["SUMMARY"]) == f"Autumn ML · Week {week.number}{topic}"
        assert str(event["URL"]).endswith(f"/c/autumn-ml/weeks/{week.number}/")
        assert "DTSTAMP" in event
    # Across the European clock change: 18:00 in Berlin is 16:00 UTC, then 17:00 UTC.
    starts = sorted(
        e.decoded("DTSTART").astimezone(UTC) for e in by_uid.values() if "session" in e["UID"]
    )
    assert [s.hour for s in starts] == [16, 17, 17, 17]
    assert {week.is_published() for week in course_cohort.weeks.all()} == {True, False}
    assert starts[0] == datetime(2026, 10, 19, 18, 0, tzinfo=BERLIN)


def test_a_moved_session_shows_moved_under_the_same_id(client, course_cohort, members):
    week = course_cohort.weeks.get(number=2)
    uid = f"session-{week.pk}@localhost:8000"
    before = events(fetch(client, members["pat"]))
    assert before[uid].decoded("DTSTART") == datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)
    week.session_start = datetime(2026, 10, 27, 19, 30, tzinfo=BERLIN)
    week.save()
    after = events(fetch(client, members["pat"]))
    assert after.keys() == before.keys()
    assert after[uid].decoded("DTSTART") == datetime(2026, 10, 27, 19, 30, tzinfo=BERLIN)
    assert after[uid].decoded("DTEND") == datetime(2026, 10, 27, 21, 0, tzinfo=BERLIN)


def test_a_call_link_is_in_the_event(client, course_cohort, members):
    course_cohort.location = "https://meet.example.com/ml"
    course_cohort.save()
    event = next(iter(events(fetch(client, members["pat"])).values()))
    assert str(event["LOCATION"]) == "https://meet.example.com/ml"
    assert "Join the call: https://meet.example.com/ml" in str(event["DESCRIPTION"])


def test_due_dates_of_published_weeks_for_participants_all_for_facilitators(
    client, course_cohort, members, time_machine
):
    time_machine.move_to(datetime(2026, 10, 13, 12, 0, tzinfo=BERLIN))  # week 1 published
    participant = events(fetch(client, members["pat"]))
    facilitator = events(fetch(client, members["fay"]))
    due = {uid: e for uid, e in participant.items() if uid.startswith("assignment-")}
    week_1 = course_cohort.weeks.get(number=1)
    assert {f"assignment-{a.pk}@localhost:8000" for a in week_1.assignments.all()} == due.keys()
    notebook = week_1.assignments.get(title="Notebook")
    event = due[f"assignment-{notebook.pk}@localhost:8000"]
    assert event.decoded("DTSTART") == datetime(2026, 10, 17, 18, 0, tzinfo=BERLIN)
    assert str(event["SUMMARY"]) == "Due: Notebook (Autumn ML, Week 1)"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert sum(uid.startswith("assignment-") for uid in facilitator) == Assignment.objects.count()


def test_due_dates_in_summer_and_winter_time(client, course_cohort, members):
    Membership.objects.filter(pk=members["pat"].pk).update(role=Role.FACILITATOR)
    due = [
        e.decoded("DTSTART")
        for e in events(fetch(client, members["pat"])).values()
        if str(e["SUMMARY"]).startswith("Due: Notebook")
    ]
    # Saturdays at 18:00 on Berlin's clock, before and after it went back on 25 October.
    assert sorted(d.astimezone(UTC).hour for d in due) == [16, 16, 17, 17]
    assert all(d.astimezone(BERLIN).strftime("%a %H:%M") == "Sat 18:00" for d in due)


def test_reset_link_revokes_the_old_one(client, course_cohort, members, client_for, settings):
    settings.SITE_URL = "https://homeroom.example.com"
    pat = members["pat"]
    old_token = pat.calendar_token
    signed_in = client_for(pat.user)
    page = signed_in.get(reverse("cohorts:preferences", args=[course_cohort.slug]))
    html = page.content.decode()
    assert f"/c/autumn-ml/calendar.ics?token={old_token}" in html
    # Links come from the site's one address, not from whatever host the page was asked on.
    assert (
        f'value="https://homeroom.example.com/c/autumn-ml/calendar.ics?token={old_token}"' in html
    )
    assert f"webcal://homeroom.example.com/c/autumn-ml/calendar.ics?token={old_token}" in html

    response = signed_in.post(reverse("cohorts:calendar_reset", args=[course_cohort.slug]))
    assert response.status_code == 302
    assert response["Location"].endswith("/preferences/#calendar")
    pat.refresh_from_db()
    assert pat.calendar_token != old_token
    feed = reverse("cohorts:calendar", args=[course_cohort.slug])
    assert client_for(None).get(feed, {"token": old_token}).status_code == 404
    assert client_for(None).get(feed, {"token": pat.calendar_token}).status_code == 200
    # Nobody else's link changed.
    assert (
        Membership.objects.get(pk=members["sam"].pk).calendar_token == members["sam"].calendar_token
    )


def test_members_who_leave_lose_the_feed(client, course_cohort, members):
    pat = members["pat"]
    Membership.objects.filter(pk=pat.pk).update(left_at=timezone.now())
    url = reverse("cohorts:calendar", args=[course_cohort.slug])
    assert client.get(url, {"token": pat.calendar_token}).status_code == 404


def test_tokens_are_per_membership(course_cohort, other_cohort, members):
    pat = members["pat"]
    elsewhere = Membership.objects.create(user=pat.user, cohort=other_cohort)
    assert elsewhere.calendar_token != pat.calendar_token
    assert len(Membership.objects.values_list("calendar_token_digest", flat=True).distinct()) == (
        Membership.objects.count()
    )
