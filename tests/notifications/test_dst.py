"""On each cohort's clock: Berlin and New York across both daylight saving changes.

Sessions are on Mondays, reminders 48 hours before (the Saturday, so the Sunday clock change
falls in between), digests on Monday mornings. Dispatch runs on a coarse grid plus just
before, at and just after every expected moment; each week must get exactly one reminder and
one digest, claimed at the expected local time and no earlier.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


# (first Monday, weeks): spring covers the US change (8 March) and the EU one (29 March);
# autumn the EU change (25 October) and the US one (1 November), all in 2026.
PERIODS = {"spring": (date(2026, 3, 2), 6), "autumn": (date(2026, 10, 19), 4)}
SETUPS = [
    # time zone, session, digest time
    ("Europe/Berlin", time(18, 0), time(9, 0)),
    ("America/New_York", time(12, 0), time(8, 30)),
]


def make_cohort(tz_name, session, digest_time, first_monday, weeks, make_user, webhook):
    slug = tz_name.split("/")[1].lower()
    cohort = Cohort.objects.create(
        title=f"Cohort {slug}",
        slug=slug,
        time_zone=tz_name,
        start_date=first_monday,
        session_weekday=0,
        session_time=session,
        digest_weekday=0,
        digest_time=digest_time,
        slack_webhook_url=webhook,
    )
    for week in cohort.create_weeks(weeks):
        week.publish_at = week.session_start - timedelta(days=7)
        week.save()
        PreworkItem.objects.create(week=week, title="Lecture", minutes=20)
    learner = make_user(f"learner@{slug}.example.com", "Lee")
    Membership.objects.create(user=learner, cohort=cohort, role=Role.PARTICIPANT)
    return cohort


def expected_moments(cohort, first_monday, weeks, session, digest_time):
    tz = ZoneInfo(cohort.time_zone)
    reminders, digests = {}, {}
    for n in range(weeks):
        monday = first_monday + timedelta(weeks=n)
        reminders[n + 1] = datetime.combine(monday - timedelta(days=2), session, tzinfo=tz)
        digests[n + 1] = datetime.combine(monday, digest_time, tzinfo=tz)
    return reminders, digests


@pytest.mark.parametrize("period", PERIODS)
def test_one_reminder_and_one_digest_a_week_at_the_local_time(
    period, make_user, slack_standin, time_machine, run_dispatch
):
    first_monday, weeks = PERIODS[period]
    expected = {}
    for tz_name, session, digest_time in SETUPS:
        cohort = make_cohort(
            tz_name, session, digest_time, first_monday, weeks, make_user, slack_standin.webhook_url
        )
        expected[cohort.pk] = expected_moments(cohort, first_monday, weeks, session, digest_time)

    events = [moment for pair in expected.values() for kind in pair for moment in kind.values()]
    start = datetime.combine(first_monday - timedelta(days=3), time(0), tzinfo=UTC)
    grid = [start + timedelta(hours=6 * n) for n in range((weeks * 7 + 4) * 4)]
    ticks = set(grid)
    for moment in events:
        moment = moment.astimezone(UTC)
        ticks |= {moment - timedelta(minutes=30), moment - timedelta(minutes=1), moment}
        ticks.add(moment + timedelta(minutes=1))
    for tick in sorted(ticks):
        time_machine.move_to(tick, tick=False)
        run_dispatch()

    for cohort_id, (reminders, digests) in expected.items():
        cohort = Cohort.objects.get(pk=cohort_id)
        rows = Delivery.objects.filter(cohort=cohort)
        claimed = {
            kind: {d.week.number: d.created_at for d in rows.filter(kind=kind)}
            for kind in ("reminder", "digest")
        }
        assert rows.filter(kind="reminder").count() == weeks
        assert rows.filter(kind="digest").count() == weeks
        assert claimed["reminder"] == {n: m.astimezone(UTC) for n, m in reminders.items()}
        assert claimed["digest"] == {n: m.astimezone(UTC) for n, m in digests.items()}
        assert set(rows.values_list("status", flat=True)) == {"sent"}
        # The local wall-clock time never moved, whatever the UTC offset did.
        session = cohort.session_time
        assert {cohort.local(d).time() for d in claimed["reminder"].values()} == {session}
        offsets = {cohort.local(d).utcoffset() for d in claimed["reminder"].values()}
        assert len(offsets) == 2, "the period should span a daylight saving change"

    # Reminders (the survey and "pre-work is open" emails go out beside them).
    reminders_sent = [m for m in mail.outbox if m.subject.endswith("before the session")]
    assert len(reminders_sent) == 2 * weeks
    assert len(slack_standin.requests) == 2 * weeks
    berlin_first = next(m for m in reminders_sent if m.to == ["learner@berlin.example.com"])
    assert ", 18:00 (Europe/Berlin)" in berlin_first.body
