"""Notifications against real parts: PostgreSQL under concurrent dispatches, and a real Celery
worker with beat on Redis that sends a reminder to an SMTP server and a digest to a Slack
stand-in, once each."""

import email
import threading
import time
import uuid
from datetime import timedelta
from email import policy

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role, User, Week
from notifications import dispatch, outbox
from notifications.models import Delivery
from tests.notifications.slack_standin import SlackStandIn

pytestmark = pytest.mark.integration

WAIT_SECONDS = 60


def due_now_cohort(webhook_url=""):
    """A Berlin cohort whose reminders and digest are both due right now (real time)."""
    now = timezone.now()
    cohort = Cohort.objects.create(
        title="Real Time",
        slug=f"real-{uuid.uuid4().hex[:8]}",
        time_zone="Europe/Berlin",
        start_date=now.date(),
        session_weekday=now.weekday(),
        session_time=now.time(),
        slack_webhook_url=webhook_url,
    )
    digest_at = cohort.local(now - timedelta(minutes=5))
    cohort.digest_weekday, cohort.digest_time = digest_at.weekday(), digest_at.time()
    cohort.save()
    week = Week.objects.create(
        cohort=cohort,
        number=1,
        title="Right now",
        session_start=now + timedelta(days=1),
        publish_at=now - timedelta(days=1),
    )
    PreworkItem.objects.create(week=week, title="Lecture 1", url="https://v.example/1", minutes=12)
    for name in ("ann", "ben"):
        user = User.objects.create_user(email=f"{name}@example.com", password="x", name=name)
        Membership.objects.create(user=user, cohort=cohort, role=Role.PARTICIPANT)
    return cohort


def run_in_threads(count, work):
    """Start `count` threads at once; each runs work(index) on its own database connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def target(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatches_and_sends_deliver_once_on_postgresql(postgresql, settings):
    settings.SLACK_WEBHOOK_URL_PREFIXES = ["https://hooks.slack.com/"]
    due_now_cohort()

    def dispatch_once(_):
        with transaction.atomic():
            return dispatch.run().to_send

    claimed = run_in_threads(6, dispatch_once)
    rows = Delivery.objects.filter(kind="reminder")
    assert rows.count() == 2
    every_copy = [pk for ids in claimed for pk in ids]
    assert set(every_copy) == set(rows.values_list("pk", flat=True))

    # Every queued copy runs, several at the same time: still one email each.
    run_in_threads(len(every_copy), lambda index: outbox.send(every_copy[index]).delivery.status)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "ben@example.com"]
    assert set(rows.values_list("status", "attempts")) == {("sent", 1)}


# --- A real worker with beat ----------------------------------------------------------------


@pytest.fixture
def slack_standin():
    standin = SlackStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_send_a_reminder_by_smtp_and_a_digest_to_slack_once(
    postgresql, redis_url, smtp_server, slack_standin, celery_worker
):
    cohort = due_now_cohort(webhook_url=slack_standin.webhook_url)
    worker = celery_worker(
        beat=True,
        DISPATCH_INTERVAL_SECONDS="1",
        SITE_URL="https://homeroom.example.com",
        SLACK_WEBHOOK_URL_PREFIXES=f"{slack_standin.base_url}/",
        SLACK_TIMEOUT_SECONDS="5",
    )
    envelopes = smtp_server.handler.envelopes
    deadline = time.monotonic() + WAIT_SECONDS
    while len(envelopes) < 2 or not slack_standin.requests:
        worker.fail_if_exited()
        if time.monotonic() > deadline:
            pytest.fail(
                f"within {WAIT_SECONDS} s: {len(envelopes)} emails, "
                f"{len(slack_standin.requests)} Slack messages, deliveries "
                f"{list(Delivery.objects.values_list('kind', 'status', 'last_error'))}; "
                f"worker log:\n{worker.log_tail()}"
            )
        time.sleep(0.2)
    time.sleep(4)  # several more beats: nothing is sent twice

    assert sorted(e.rcpt_tos[0] for e in envelopes) == ["ann@example.com", "ben@example.com"]
    assert len(slack_standin.requests) == 1
    message = email.message_from_bytes(envelopes[0].original_content, policy=policy.default)
    assert message["Subject"].startswith("Week 1 of Real Time: 1 video, 12 min left")
    # A long header may be folded after the colon; unfolded, it is the bracketed URL.
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://homeroom.example.com/unsubscribe/")
    assert unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert "Lecture 1 (video, 12 min)" in message.get_body(preferencelist=("plain",)).get_content()

    digest = slack_standin.messages[0]
    assert digest["text"].startswith("Real Time, Week 1: Right now.")
    assert any("Lecture 1" in block.get("text", {}).get("text", "") for block in digest["blocks"])
    rows = Delivery.objects.filter(cohort=cohort)
    assert sorted(rows.values_list("kind", "status", "attempts")) == [
        ("digest", "sent", 1),
        ("reminder", "sent", 1),
        ("reminder", "sent", 1),
    ]
