"""Schedules: weekly, daily and a list of dates, on the cohort's clock across DST changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cohorts import schedule
from cohorts.models import Cohort, ReminderLead, ScheduleKind, Week

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
JERUSALEM = ZoneInfo("Asia/Jerusalem")


def make_cohort(kind=ScheduleKind.DAILY, tz="Europe/Berlin", start=date(2027, 3, 25), **extra):
    cohort = Cohort(
        title="Workshop",
        slug=f"w-{kind}-{tz.replace('/', '-').lower()}-{start}",
        time_zone=tz,
        start_date=start,
        session_weekday=start.weekday(),
        session_time=extra.pop("session_time", time(10, 0)),
        session_minutes=extra.pop("session_minutes", 180),
        schedule_kind=kind,
        **extra,
    )
    cohort.apply_schedule_defaults()
    cohort.save()
    return cohort


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tz", "start", "change"),
    [
        # Europe/Berlin goes to summer time on Sunday 28 March 2027,
        # America/New_York on Sunday 14 March 2027.
        ("Europe/Berlin", date(2027, 3, 26), date(2027, 3, 28)),
        ("America/New_York", date(2027, 3, 12), date(2027, 3, 14)),
    ],
)
def test_daily_sessions_keep_the_local_time_across_a_dst_change(tz, start, change):
    cohort = make_cohort(tz=tz, start=start)
    weeks = cohort.create_weeks(4)
    zone = ZoneInfo(tz)
    local = [w.session_start.astimezone(zone) for w in weeks]
    assert [d.date() for d in local] == [start + timedelta(days=n) for n in range(4)]
    assert all(d.time() == time(10, 0) for d in local)
    # The same 10:00 is an hour earlier in UTC once the clocks went forward.
    offsets = {d.date(): d.utcoffset() for d in local}
    assert offsets[change + timedelta(days=1)] - offsets[start] == timedelta(hours=1)
    assert [w.label for w in weeks] == ["Day 1", "Day 2", "Day 3", "Day 4"]
    assert weeks[1].short_label == "D2"


@pytest.mark.django_db
def test_weekdays_only_skips_the_weekend():
    cohort = make_cohort(start=date(2027, 3, 26), weekdays_only=True)  # a Friday
    days = [w.session_start.astimezone(BERLIN).date() for w in cohort.create_weeks(3)]
    assert days == [date(2027, 3, 26), date(2027, 3, 29), date(2027, 3, 30)]
    saturday = make_cohort(start=date(2027, 3, 27), weekdays_only=True)
    assert saturday.first_session_date() == date(2027, 3, 29)


@pytest.mark.django_db
def test_sessions_in_a_dst_gap_or_fold_are_refused_by_date():
    gap = make_cohort(start=date(2027, 3, 27), session_time=time(2, 30))
    with pytest.raises(schedule.ScheduleError) as error:
        gap.planned_sessions(3)
    assert "02:30 does not exist on Sun 28 Mar 2027 in Europe/Berlin" in str(error.value)
    fold = make_cohort(start=date(2027, 10, 30), session_time=time(2, 30))
    with pytest.raises(schedule.ScheduleError) as error:
        fold.planned_sessions(3)
    assert "02:30 happens twice on Sun 31 Oct 2027 in Europe/Berlin" in str(error.value)
    assert len(make_cohort(start=date(2027, 3, 29), session_time=time(2, 30)).planned_sessions(3))


def test_a_list_of_dates_reads_each_line_with_an_optional_length():
    sessions, errors = schedule.parse_dates(
        "2027-03-13 10:00\n\n  2027-03-14 10:00 120\n2027-03-15 09:30\n", NEW_YORK, 180
    )
    assert errors == []
    assert [s.start.astimezone(NEW_YORK).strftime("%d %H:%M") for s in sessions] == [
        "13 10:00",
        "14 10:00",
        "15 09:30",
    ]
    assert [s.minutes for s in sessions] == [None, 120, None]
    assert sessions[1].start.utcoffset() == timedelta(hours=-4)  # summer time from the 14th
    assert sessions[0].start.utcoffset() == timedelta(hours=-5)


def test_bad_lines_are_listed_by_number_and_nothing_is_kept():
    text = "\n".join(
        [
            "2027-03-26 10:00",  # 1 fine
            "2027-03-26 10:00",  # 2 duplicate
            "2027-03-25 10:00",  # 3 out of order
            "2027-03-28 02:30",  # 4 DST gap in Berlin
            "2027-10-31 02:30",  # 5 DST fold in Berlin
            "2027-02-30 10:00",  # 6 no such day
            "tomorrow at ten",  # 7 not a date
            "2027-11-01 25:00",  # 8 no such time
            "2027-11-02 10:00 5",  # 9 too short
            "2027-11-03 10:00",  # 10 fine
            "2027-11-03 11:00",  # 11 overlaps line 10 (3 h sessions)
            "1999-01-01 10:00",  # 12 out of range
        ]
    )
    sessions, errors = schedule.parse_dates(text, BERLIN, 180)
    by_line = {int(e.split(":")[0].removeprefix("Line ")): e for e in errors}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert "already on line 1" in by_line[2]
    assert "comes before line 1" in by_line[3]
    assert "does not exist" in by_line[4] and "clocks go forward" in by_line[4]
    assert "happens twice" in by_line[5] and "clocks go back" in by_line[5]
    assert "not a day of the calendar" in by_line[6]
    assert "between 15 and 480 minutes" in by_line[9]
    assert "before the session on line 10 ends" in by_line[11]
    assert "between 2000 and 2100" in by_line[12]


def test_lists_are_bounded():
    start = datetime(2027, 1, 1, 10, 0, tzinfo=BERLIN)
    lines = [f"{start + timedelta(days=n):%Y-%m-%d %H:%M}" for n in range(201)]
    assert len(schedule.parse_dates("\n".join(lines[:200]), BERLIN, 60)[0]) == 200
    sessions, errors = schedule.parse_dates("\n".join(lines), BERLIN, 60)
    assert errors == ["More than 200 sessions: list at most 200."]
    assert schedule.parse_dates("x" * 30_000, BERLIN, 60)[1][0].startswith("The list is too long")
    assert schedule.parse_dates(" \n \n", BERLIN, 60)[1] == [
        "List at least one session: one date and time per line."
    ]
    # A long line of spaces is read in one pass (no backtracking).
    assert schedule.parse_dates("2027-01-01" + " " * 15_000 + "x", BERLIN, 60)[1]


@pytest.mark.django_db
@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("lead", ["hours", "evening"])
@pytest.mark.parametrize("hours", [1, 18, 48, 200])
def test_a_reminder_never_comes_before_the_previous_session_ends(tz, lead, hours):
    cohort = make_cohort(
        tz=tz,
        start=date(2027, 3, 10),
        session_time=time(9, 0),
        reminder_lead_hours=hours,
    )
    cohort.reminder_lead = lead
    weeks = cohort.create_weeks(8)
    for previous, week in zip(weeks, weeks[1:], strict=False):
        at = cohort.reminder_time(week, previous)
        assert previous.session_end <= at < week.session_start


@pytest.mark.django_db
def test_the_evening_before_is_on_the_local_clock_across_dst():
    cohort = make_cohort(start=date(2027, 3, 27), session_time=time(10, 0))
    assert cohort.reminder_lead == ReminderLead.EVENING
    weeks = cohort.create_weeks(3)
    times = [
        cohort.reminder_time(w, p).astimezone(BERLIN)
        for p, w in zip([None, *weeks], weeks, strict=False)
    ]
    assert [t.strftime("%d %H:%M") for t in times] == ["26 18:00", "27 18:00", "28 18:00"]
    # 48 hours before a daily 10:00–13:00 session: the previous one's end instead.
    cohort.reminder_lead, cohort.reminder_lead_hours = ReminderLead.HOURS, 48
    assert cohort.reminder_time(weeks[2], weeks[1]) == weeks[1].session_end
    assert cohort.reminder_time(weeks[0]) == datetime(2027, 3, 25, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_sessions_may_differ_in_length():
    cohort = make_cohort(kind=ScheduleKind.DATES, tz="Asia/Jerusalem", start=date(2027, 5, 2))
    sessions, errors = schedule.parse_dates(
        "2027-05-02 10:00\n2027-05-03 10:00 240", JERUSALEM, 180
    )
    assert errors == []
    first, second = cohort.create_weeks(2, sessions=sessions)
    assert first.session_end - first.session_start == timedelta(hours=3)
    assert second.session_end - second.session_start == timedelta(hours=4)
    assert first.label == "Session 1"


@pytest.mark.django_db
def test_the_current_session_is_the_next_not_ended():
    cohort = make_cohort(start=date(2027, 3, 25))
    weeks = cohort.create_weeks(4)
    assert cohort.current_week(now=weeks[0].session_start - timedelta(days=90)) is None
    assert cohort.current_week(now=weeks[0].session_start - timedelta(days=3)) == weeks[0]
    during = weeks[1].session_start + timedelta(hours=2)
    assert cohort.current_week(now=during) == weeks[1]
    assert cohort.current_week(now=weeks[1].session_end) == weeks[2]
    assert cohort.current_week(now=weeks[3].session_end) is None


@pytest.mark.django_db
def test_existing_cohorts_stay_weekly_with_todays_behaviour(cohort):
    fresh = Cohort.objects.get(pk=cohort.pk)
    assert fresh.schedule_kind == ScheduleKind.WEEKLY
    assert (fresh.unit_name, fresh.reminder_lead, fresh.digest_cadence) == (
        "Week",
        "hours",
        "weekly",
    )
    week = Week.objects.get(cohort=cohort, number=2)
    assert (week.label, week.short_label, week.heading) == ("Week 2", "W2", "Week 2")
    assert week.session_end - week.session_start == timedelta(minutes=90)
    assert fresh.reminder_time(week) == week.session_start - timedelta(hours=48)
    assert fresh.schedule_text == "Thursdays at 16:00"
