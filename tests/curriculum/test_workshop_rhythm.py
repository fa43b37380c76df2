"""Copies and course files keep a workshop's rhythm: four days stay four days (skipping the
weekend if the original did), a list of dates keeps its spacing, the unit keeps its name,
and a file from before schedules existed still imports as weekly."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.urls import reverse

from assignments.models import PreworkItem
from cohorts import schedule
from cohorts.models import Cohort, Membership, Role, ScheduleKind
from curriculum.course import Course, sign_run
from curriculum.course_file import parse_course

pytestmark = pytest.mark.django_db
JERUSALEM = ZoneInfo("Asia/Jerusalem")


def days_of(cohort):
    return [cohort.local(w.session_start).date() for w in cohort.weeks.all()]


@pytest.fixture
def workshop(db):
    """Thursday, Friday, Monday, Tuesday at 10:00 in Jerusalem; Day 3 runs four hours."""
    cohort = Cohort(
        title="Data science workshop",
        slug="dsw",
        time_zone="Asia/Jerusalem",
        start_date=date(2027, 5, 6),
        session_weekday=3,
        session_time=time(10, 0),
        session_minutes=180,
        schedule_kind=ScheduleKind.DAILY,
        weekdays_only=True,
    )
    cohort.apply_schedule_defaults()
    cohort.save()
    weeks = cohort.create_weeks(4, ["Framing", "Features", "Models", "Evaluation"])
    for week in weeks:
        # Pre-work out the evening before at 18:00.
        week.publish_at = datetime.combine(
            cohort.local(week.session_start).date() - timedelta(days=1), time(18), JERUSALEM
        )
        week.save()
        PreworkItem.objects.create(week=week, title=f"{week.title} notebook", minutes=30)
    weeks[2].session_minutes = 240
    weeks[2].save()
    return cohort


@pytest.fixture
def organizer(make_user):
    return make_user("olga@example.com", "Olga")


def test_a_copy_keeps_the_days_the_weekend_gap_and_the_unit(workshop, organizer):
    assert days_of(workshop) == [date(2027, 5, d) for d in (6, 7, 10, 11)]
    course = Course.from_cohort(workshop)
    run = course.new_run(title="Workshop, June", start_date=date(2027, 6, 2))  # a Wednesday
    again = course.create(run, organizer)
    assert days_of(again) == [date(2027, 6, d) for d in (2, 3, 4, 7)]
    assert (again.schedule_kind, again.weekdays_only, again.unit_name) == ("daily", True, "Day")
    weeks = list(again.weeks.all())
    assert [w.heading for w in weeks][:2] == ["Day 1: Framing", "Day 2: Features"]
    assert [w.session_end - w.session_start for w in weeks] == [
        timedelta(hours=3),
        timedelta(hours=3),
        timedelta(hours=4),
        timedelta(hours=3),
    ]
    # Pre-work still opens the evening before each day at 18:00.
    assert [again.local(w.publish_at).strftime("%d %H:%M") for w in weeks] == [
        "01 18:00",
        "02 18:00",
        "03 18:00",
        "06 18:00",
    ]


def test_export_then_import_keeps_the_rhythm_and_unit(workshop, organizer):
    text = Course.from_cohort(workshop).to_yaml()
    data = yaml.safe_load(text)
    assert data["schedule"]["kind"] == "daily"
    assert data["schedule"]["unit"] == "Day"
    assert data["schedule"]["weekdays_only"] is True
    assert data["weeks"][2]["minutes"] == 240
    assert "kind: dates" in text.split("homeroom_course")[0]  # the opening comment explains
    course, problems = parse_course(text)
    assert problems == []
    again = course.create(course.new_run(start_date=date(2027, 9, 2)), organizer)  # Thursday
    assert days_of(again) == [date(2027, 9, d) for d in (2, 3, 6, 7)]
    assert again.unit_name == "Day"
    assert Course.from_cohort(again).to_yaml() == text.replace(
        sign_run(workshop.pk), sign_run(again.pk)
    )


def test_a_list_of_dates_keeps_its_spacing_through_a_file(organizer):
    cohort = Cohort(
        title="Retreat",
        slug="retreat",
        time_zone="Asia/Jerusalem",
        start_date=date(2027, 5, 2),
        session_weekday=6,
        session_time=time(10, 0),
        session_minutes=180,
        schedule_kind=ScheduleKind.DATES,
    )
    cohort.apply_schedule_defaults()
    cohort.save()
    sessions, errors = schedule.parse_dates(
        "2027-05-02 10:00\n2027-05-03 10:00\n2027-05-06 14:00 120", JERUSALEM, 180
    )
    assert errors == []
    cohort.create_weeks(3, sessions=sessions)
    text = Course.from_cohort(cohort).to_yaml()
    assert yaml.safe_load(text)["schedule"]["sessions"] == [
        "day 0 10:00",
        "day 1 10:00",
        "day 4 14:00 120 min",
    ]
    course, problems = parse_course(text)
    assert problems == []
    # Into Berlin, across its change to summer time on 28 March 2027.
    run = course.new_run(time_zone="Europe/Berlin", start_date=date(2027, 3, 26))
    again = course.create(run, organizer)
    starts = [again.local(w.session_start) for w in again.weeks.all()]
    assert [s.strftime("%d %H:%M %z") for s in starts] == [
        "26 10:00 +0100",
        "27 10:00 +0100",
        "30 14:00 +0200",
    ]
    assert [w.label for w in again.weeks.all()] == ["Session 1", "Session 2", "Session 3"]
    last = again.weeks.last()
    assert last.session_end - last.session_start == timedelta(minutes=120)


def test_an_old_weekly_file_without_a_kind_still_imports_as_weekly(organizer):
    text = """\
homeroom_course: 1
title: Old course
schedule:
  time_zone: Europe/Berlin
  weekday: Monday
  time: "18:00"
  minutes: 90
weeks:
  - title: One
  - title: Two
"""
    course, problems = parse_course(text)
    assert problems == []
    again = course.create(course.new_run(start_date=date(2027, 1, 6)), organizer)
    assert (again.schedule_kind, again.unit_name) == ("weekly", "Week")
    assert days_of(again) == [date(2027, 1, 11), date(2027, 1, 18)]
    assert [w.heading for w in again.weeks.all()] == ["Week 1: One", "Week 2: Two"]


@pytest.mark.parametrize(
    ("sessions", "message"),
    [
        ('["day 0 10:00"]', "lists 1 sessions for 2 entries of weeks"),
        ('["day 1 10:00", "day 0 10:00"]', "comes before the session above it"),
        ('["day 0 10:00", "tomorrow"]', "is not a session of a list of dates"),
        ('["day 0 10:00", "day 1 25:00"]', "is not a time of day"),
        ('["day 0 10:00", "day 1 10:00 5 min"]', "a length is 15 to 480 min"),
    ],
)
def test_bad_session_offsets_are_listed(sessions, message):
    text = f"""\
homeroom_course: 1
title: Broken
schedule:
  kind: dates
  sessions: {sessions}
weeks:
  - title: One
  - title: Two
"""
    course, problems = parse_course(text)
    assert course is None
    assert any(message in str(problem) for problem in problems), problems


def test_copying_into_a_dst_gap_is_refused_on_the_page(workshop, make_user, client_for):
    organizer = make_user("org@example.com", "Olga")
    Membership.objects.create(user=organizer, cohort=workshop, role=Role.ORGANIZER)
    workshop.weekdays_only = False  # every day: Sunday 28 March is one of them
    workshop.save()
    response = client_for(organizer).post(
        reverse("curriculum:copy", args=[workshop.slug]),
        {
            "title": "Berlin run",
            "time_zone": "Europe/Berlin",
            "start_date": "2027-03-26",
            "session_weekday": "4",
            "session_time": "02:30",
            "location": "",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "02:30 does not exist on Sun 28 Mar 2027 in Europe/Berlin" in page
    assert "The new schedule" not in page
    assert Cohort.objects.count() == 1


def test_copying_a_list_of_dates_asks_only_for_the_first_day(make_user, client_for):
    cohort = Cohort(
        title="Retreat",
        slug="retreat",
        time_zone="Asia/Jerusalem",
        start_date=date(2027, 5, 2),
        session_weekday=6,
        session_time=time(10, 0),
        session_minutes=180,
        schedule_kind=ScheduleKind.DATES,
    )
    cohort.apply_schedule_defaults()
    cohort.save()
    sessions, _ = schedule.parse_dates("2027-05-02 10:00\n2027-05-05 14:00", JERUSALEM, 180)
    cohort.create_weeks(2, sessions=sessions)
    organizer = make_user("org@example.com", "Olga")
    Membership.objects.create(user=organizer, cohort=cohort, role=Role.ORGANIZER)
    client = client_for(organizer)
    url = reverse("curriculum:copy", args=[cohort.slug])
    page = client.get(url).content.decode()
    assert "First session on</label>" in page
    assert 'name="session_weekday"' not in page and 'name="session_time"' not in page
    data = {"title": "Retreat again", "time_zone": "Asia/Jerusalem", "location": ""}
    page = client.post(url, {**data, "start_date": "2027-06-06", "action": "preview"})
    text = page.content.decode()
    assert "2 sessions, on the dates listed" in text
    assert ">Sun 6 Jun 2027, 10:00</time>" in text and ">Wed 9 Jun 2027, 14:00</time>" in text
    assert '<span class="run-plan__number">Session 2</span></h3>' in text  # not named twice
