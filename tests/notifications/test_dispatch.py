"""Dispatch: claim before send, exactly once, whatever runs twice, dies or stays down."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role, User
from notifications import dispatch
from notifications.models import Delivery
from notifications.tasks import dispatch_due, enqueue_deliveries, send_delivery
from tests.conftest import berlin_time

pytestmark = pytest.mark.django_db


def sent_to():
    return sorted(m.to[0] for m in mail.outbox)


def test_dispatching_twice_claims_once(
    class_list, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.run()
        second = dispatch.run()
        enqueue_deliveries([*first.to_send, *second.to_send])
    assert len(first.claimed_ids) == 2
    assert second.claimed_ids == []
    assert [d.existing for d in second.plans[0].already_claimed] == ["pending", "pending"]
    assert sent_to() == ["bea@example.com", "par@example.com"]
    assert Delivery.objects.count() == 2


def test_a_send_task_run_twice_sends_once(
    class_list, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):
        result = dispatch.run()
    for pk in result.to_send:
        assert send_delivery(pk) == "sent"
        assert send_delivery(pk) == "sent"
    assert sent_to() == ["bea@example.com", "par@example.com"]
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_a_worker_that_dies_between_claim_and_send_is_caught_up(
    class_list, time_machine, django_capture_on_commit_callbacks, run_dispatch
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):  # the queued sends are lost
        dispatch_due()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}

    time_machine.move_to(berlin_time("2026-09-01 16:05"))
    run_dispatch()  # too early to call it lost: the send may still be in the queue
    assert mail.outbox == []

    time_machine.move_to(berlin_time("2026-09-01 16:15"))
    run_dispatch()
    assert sent_to() == ["bea@example.com", "par@example.com"]
    time_machine.move_to(berlin_time("2026-09-01 17:00"))
    run_dispatch()
    assert len(mail.outbox) == 2


def test_back_after_two_days_down_no_stale_reminders(
    class_list, time_machine, django_capture_on_commit_callbacks, run_dispatch, no_survey_emails
):
    # Tuesday 16:00: reminders claimed, then the worker and beat go down before sending.
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):
        dispatch_due()
    # Back on Thursday 18:00, two days later: the session began at 16:00.
    time_machine.move_to(berlin_time("2026-09-03 18:00"))
    run_dispatch()
    assert mail.outbox == []
    rows = Delivery.objects.filter(kind="reminder")
    assert [(r.recipient, r.status) for r in rows.order_by("recipient")] == [
        ("bea@example.com", "missed"),
        ("par@example.com", "missed"),
    ]
    assert not rows.filter(week__number=2).exists()  # week 2's reminders are due Tuesday


def test_back_after_days_down_one_digest_for_the_current_week_only(
    cohort, class_list, slack_standin, time_machine, run_dispatch, no_survey_emails
):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    cohort.weeks.filter(number__in=[2, 3]).update(publish_at=berlin_time("2026-09-01 09:00"))
    for week in cohort.weeks.filter(number__in=[2, 3]):
        PreworkItem.objects.create(week=week, title=f"Week {week.number} video", minutes=9)
    # Down from Sunday 6 September to Tuesday 15 September 12:00: the digests of Monday 7
    # (week 2) and Monday 14 (week 3) never went out, nor week 2's reminders.
    time_machine.move_to(berlin_time("2026-09-15 12:00"))
    run_dispatch()
    [row] = Delivery.objects.filter(kind="digest")
    assert row.week.number == 3
    assert len(slack_standin.requests) == 1
    assert mail.outbox == []  # week 3's reminders are due at 16:00, week 2's are stale
    time_machine.move_to(berlin_time("2026-09-15 16:00"))
    run_dispatch()
    assert Delivery.objects.filter(kind="digest").count() == 1
    assert {d.week.number for d in Delivery.objects.filter(kind="reminder")} == {3}


def test_draft_and_finished_cohorts_are_left_alone(cohort, class_list, time_machine, run_dispatch):
    for status in (Cohort.Status.DRAFT, Cohort.Status.FINISHED):
        Cohort.objects.filter(pk=cohort.pk).update(status=status)
        time_machine.move_to(berlin_time("2026-09-01 16:00"))
        run_dispatch()
        assert not Delivery.objects.exists()


# --- The command ------------------------------------------------------------------------------


def test_dry_run_lists_who_would_get_what_and_why_and_sends_nothing(class_list):
    out = StringIO()
    call_command("dispatch", "--dry-run", "--at", "2026-09-01T16:30+02:00", stdout=out)
    text = out.getvalue()
    assert "Dispatch as of 2026-09-01T16:30:00+02:00 (dry run)" in text
    assert (
        "→ reminder to bea@example.com [would send]: 1 video, 11 min left; the session is "
        "Thu 3 Sep 2026, 16:00 (Europe/Berlin)." in text
    )
    assert "✗ reminder ada@example.com: Finished everything for Week 1." in text
    assert "✗ digest: No Slack webhook is set, so no digest." in text
    assert "would claim 2 delivery(ies)" in text
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_the_command_claims_and_queues(
    class_list, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-01 16:30"))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dispatch", stdout=out)
    assert "claimed 2 delivery(ies)" in out.getvalue()
    assert "Queued 2 send(s)" in out.getvalue()
    assert sent_to() == ["bea@example.com", "par@example.com"]

    out = StringIO()
    call_command("dispatch", "--cohort", "ml", stdout=out)
    assert "[already sent]" in out.getvalue()
    assert "claimed 0 delivery(ies)" in out.getvalue()


def test_claimed_as_of_the_past_is_not_sent_too_late(
    class_list, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-04 09:00"))  # the day after the session
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dispatch", "--at", "2026-09-01T14:30", stdout=StringIO())  # UTC
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"missed"}


def test_the_command_rejects_bad_input(db):
    with pytest.raises(CommandError, match="ISO time"):
        call_command("dispatch", "--at", "next tuesday")
    with pytest.raises(CommandError, match="No cohort"):
        call_command("dispatch", "--cohort", "nope")


# --- Scale --------------------------------------------------------------------------------------


def make_cohorts(prefix, count, participants, week_start):
    cohorts = []
    for index in range(count):
        cohort = Cohort.objects.create(
            title=f"{prefix} {index}",
            slug=f"{prefix}-{index}",
            time_zone=["Europe/Berlin", "America/New_York"][index % 2],
            start_date=week_start.date(),
            session_weekday=week_start.weekday(),
            session_time=week_start.time(),
            slack_webhook_url="https://hooks.slack.com/services/T/B/x",
        )
        [week] = cohort.create_weeks(1)
        week.session_start = week_start
        week.publish_at = week_start - timedelta(days=7)
        week.save()
        PreworkItem.objects.create(week=week, title="Video", minutes=10)
        users = User.objects.bulk_create(
            User(email=f"{prefix}{index}-{n}@example.com", password="!")
            for n in range(participants)
        )
        Membership.objects.bulk_create(
            Membership(user=user, cohort=cohort, role=Role.PARTICIPANT) for user in users
        )
        cohorts.append(cohort)
    return Cohort.objects.filter(slug__startswith=f"{prefix}-")


def queries_of(run):
    with CaptureQueriesContext(connection) as queries:
        result = run()
    return result, len(queries.captured_queries)


def test_dispatch_queries_do_not_grow_with_the_number_of_participants(time_machine, settings):
    settings.SLACK_WEBHOOK_URL_PREFIXES = ["https://hooks.slack.com/"]
    session = berlin_time("2026-09-10 18:00")
    small = make_cohorts("small", 3, 2, session)
    large = make_cohorts("large", 3, 15, session)  # 45 rows: one insert batch even on SQLite
    time_machine.move_to(berlin_time("2026-09-09 12:00"))

    small_first, small_queries = queries_of(lambda: dispatch.run(cohorts=small))
    large_first, large_queries = queries_of(lambda: dispatch.run(cohorts=large))
    assert (len(small_first.claimed_ids), len(large_first.claimed_ids)) == (3 * 3, 3 * 16)
    assert small_queries == large_queries

    _, small_again = queries_of(lambda: dispatch.run(cohorts=small))
    _, large_again = queries_of(lambda: dispatch.run(cohorts=large))
    assert small_again == large_again < small_queries


def test_the_benchmark_command_reports_and_leaves_nothing_behind(db):
    out = StringIO()
    call_command("dispatch_benchmark", "--cohorts", "3", "--participants", "6", stdout=out)
    text = out.getvalue()
    assert "Built 3 cohorts × 6 participants (18 people)" in text
    assert "first dispatch: 15 deliveries claimed" in text  # 4 of 6 unfinished + a digest each
    assert "second dispatch: 0 deliveries claimed" in text
    assert "SQL queries" in text and "seconds" in text
    assert not Cohort.objects.exists()
    assert not Delivery.objects.exists()
