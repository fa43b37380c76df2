"""Reminders and the digest follow a daily workshop's rhythm, across a DST change, in two
time zones: the evening before each day, never before the previous day is over, and one
digest before each session."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, ReminderLead, Role, ScheduleKind
from notifications.models import Delivery

pytestmark = pytest.mark.django_db

# Four days 10:00–13:00 across the change to summer time: Berlin on Sun 28 March 2027,
# New York on Sun 14 March 2027.
ZONES = {
    "Europe/Berlin": date(2027, 3, 26),
    "America/New_York": date(2027, 3, 12),
}


@pytest.fixture(params=sorted(ZONES))
def workshop(request, make_user, settings):
    tz = request.param
    start = ZONES[tz]
    cohort = Cohort(
        title="Data science workshop",
        slug="dsw",
        time_zone=tz,
        start_date=start,
        session_weekday=start.weekday(),
        session_time=time(10, 0),
        session_minutes=180,
        schedule_kind=ScheduleKind.DAILY,
    )
    cohort.apply_schedule_defaults()
    cohort.save()
    weeks = cohort.create_weeks(4, ["Framing", "Feature engineering", "Models", "Evaluation"])
    zone = ZoneInfo(tz)
    for week in weeks:
        week.publish_at = datetime.combine(start - timedelta(days=7), time(9), tzinfo=zone)
        week.save()
        PreworkItem.objects.create(week=week, title=f"{week.title} video", minutes=20)
    for n in range(2):
        Membership.objects.create(
            user=make_user(f"p{n}@example.com", f"P{n}"),
            cohort=cohort,
            role=Role.PARTICIPANT,
            joined_at=datetime.combine(start - timedelta(days=30), time(), tzinfo=zone),
        )
    return cohort


def local(cohort, text):
    return datetime.fromisoformat(text).replace(tzinfo=cohort.tz)


def reminders_for(number):
    return Delivery.objects.filter(kind="reminder", week__number=number)


def test_reminders_go_the_evening_before_each_day_and_never_during_the_previous_day(
    workshop, time_machine, run_dispatch
):
    weeks = list(workshop.weeks.all())
    assert workshop.reminder_lead == ReminderLead.EVENING
    for week in weeks:
        evening = datetime.combine(
            workshop.local(week.session_start).date() - timedelta(days=1), time(18), workshop.tz
        )
        time_machine.move_to(evening - timedelta(minutes=1))
        run_dispatch()
        assert not reminders_for(week.number).exists()
        time_machine.move_to(evening)
        run_dispatch()
        assert reminders_for(week.number).filter(status="sent").count() == 2
    reminders = [m for m in mail.outbox if m.subject.endswith("left before the session")]
    assert len(reminders) == 8
    subjects = sorted({m.subject for m in reminders})
    assert subjects[1] == "Day 2 of Data science workshop: 1 video, 20 min left before the session"
    assert "Day 2" in next(m.body for m in reminders if m.subject.startswith("Day 2"))
    # No email of the workshop (reminders, survey, pre-work open) speaks of weeks.
    weeks = [
        line
        for m in mail.outbox
        for line in (m.subject + "\n" + m.body).splitlines()
        if "week" in line.lower() and "/weeks/" not in line
    ]
    assert weeks == []


def test_with_a_long_lead_the_next_reminder_waits_for_the_previous_day_to_end(
    workshop, time_machine, run_dispatch
):
    workshop.reminder_lead, workshop.reminder_lead_hours = ReminderLead.HOURS, 48
    workshop.save()
    weeks = list(workshop.weeks.all())
    for previous, week in zip(weeks, weeks[1:], strict=False):
        time_machine.move_to(previous.session_end - timedelta(minutes=1))
        run_dispatch()
        assert not reminders_for(week.number).exists(), week.label
        time_machine.move_to(previous.session_end)
        run_dispatch()
        assert reminders_for(week.number).count() == 2
    for row in Delivery.objects.filter(kind="reminder").select_related("week"):
        before = weeks[row.week.number - 2] if row.week.number > 1 else None
        assert before is None or row.created_at >= before.session_end


def test_one_digest_before_each_session(workshop, time_machine, run_dispatch, slack_standin):
    workshop.slack_webhook_url = slack_standin.webhook_url
    workshop.save()
    for week in workshop.weeks.all():
        nine = workshop.local(week.session_start).replace(hour=9)
        for moment in (nine - timedelta(minutes=1), nine, nine + timedelta(minutes=30)):
            time_machine.move_to(moment)
            run_dispatch()
        assert len(slack_standin.requests) == week.number, week.label
        # The digest is about that day, posted on the day's own clock at 09:00.
        text = slack_standin.messages[-1]["text"]
        assert text.startswith(f"Data science workshop, {week.heading}.")
        assert "10:00" in text
    rows = Delivery.objects.filter(kind="digest").order_by("week__number")
    assert [row.subject for row in rows] == [
        "Digest: Day 1: Framing",
        "Digest: Day 2: Feature engineering",
        "Digest: Day 3: Models",
        "Digest: Day 4: Evaluation",
    ]


def test_the_dispatch_preview_shows_each_sessions_reminder_and_digest_time(
    workshop, make_user, client_for
):
    organizer = make_user("org@example.com", "Olga")
    Membership.objects.create(user=organizer, cohort=workshop, role=Role.ORGANIZER)
    start = ZONES[workshop.time_zone]
    url = reverse("notifications:manage_dispatch", args=[workshop.slug])
    page = client_for(organizer).get(url, {"at": f"{start - timedelta(days=2)}T12:00"})
    html = page.content.decode()
    assert "Sessions ahead" in html
    assert "the evening before each session at 18:00" in html
    row = html.split('<th scope="row">Day 3</th>')[1].split("</tr>")[0]
    day3 = start + timedelta(days=2)
    assert f"{day3:%a} {day3.day} {day3:%b} {day3.year}, 10:00–13:00" in row
    eve = day3 - timedelta(days=1)
    assert f"{eve:%a} {eve.day} {eve:%b} {eve.year}, 18:00" in row  # reminder
    assert f"{day3:%a} {day3.day} {day3:%b} {day3.year}, 09:00" in row  # digest


def test_organizers_choose_the_evening_before_and_a_digest_per_session(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_notifications", args=[cohort.slug])
    page = client.get(url).content.decode()
    assert "The evening before, at a set time" in page and "Before each session" in page
    response = client.post(
        url,
        {
            "reminder_lead": "evening",
            "reminder_lead_hours": "48",
            "reminder_evening_time": "19:30",
            "digest_cadence": "session",
            "digest_weekday": "0",
            "digest_time": "08:00",
        },
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    week = cohort.weeks.get(number=2)  # Thursday 10 September 2026, 16:00 in Berlin
    assert cohort.local(cohort.reminder_time(week)).strftime("%a %d %H:%M") == "Wed 09 19:30"
