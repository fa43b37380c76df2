"""A real Celery worker killed mid-send: the row ends unknown, nothing is sent twice, and the
delivery log says so. Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership, Role
from config.celery import app as celery_app
from notifications import dispatch
from notifications.models import Delivery
from notifications.tasks import send_slack
from tests.notifications.slack_standin import HANG, SlackStandIn

from .test_notifications_worker import due_now_cohort

pytestmark = pytest.mark.integration

WAIT_SECONDS = 60


@pytest.fixture
def slack_standin():
    standin = SlackStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


def wait_for(condition, what, *workers):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- worker {w.log_path.name}:\n{w.log_tail()}" for w in workers)
            pytest.fail(f"{what} did not happen within {WAIT_SECONDS} s:\n{logs}")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_slack_holds_the_answer_leaves_the_digest_unknown(
    postgresql,
    redis_url,
    slack_standin,
    celery_worker,
    settings,
    monkeypatch,
    make_user,
    client_for,
    time_machine,
):
    settings.SLACK_WEBHOOK_URL_PREFIXES = [f"{slack_standin.base_url}/"]
    cohort = due_now_cohort(webhook_url=slack_standin.webhook_url)
    organizer = make_user("olga@example.com", "Olga")
    Membership.objects.create(user=organizer, cohort=cohort, role=Role.ORGANIZER)
    with transaction.atomic():
        result = dispatch.run()
    [digest] = Delivery.objects.filter(pk__in=result.to_send, kind="digest")
    slack_standin.answer(HANG)

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    worker_env = dict(
        SLACK_WEBHOOK_URL_PREFIXES=f"{slack_standin.base_url}/", SLACK_TIMEOUT_SECONDS="30"
    )
    worker = celery_worker(**worker_env)
    with celery_app.connection_for_write(redis_url) as broker:
        send_slack.apply_async(args=[digest.pk], queue=f"{worker.queue}-slack", connection=broker)
    wait_for(slack_standin.arrived.is_set, "the digest reaching Slack", worker)
    assert Delivery.objects.get(pk=digest.pk).status == "sending"

    os.kill(worker.process.pid, signal.SIGKILL)  # between step 1 (claim) and 3 (record)
    worker.process.wait(timeout=10)
    slack_standin.release.set()  # Slack took it; nobody is left to hear the answer
    assert Delivery.objects.get(pk=digest.pk).status == "sending"

    # A second worker gets the same task again (as Redis redelivers an unacknowledged one).
    second = celery_worker(**worker_env)
    with celery_app.connection_for_write(redis_url) as broker:
        send_slack.apply_async(args=[digest.pk], queue=f"{second.queue}-slack", connection=broker)
    wait_for(lambda: "succeeded" in second.log_tail(), "the repeated task", second)

    # Dispatch, after the stale limit: unknown, and not sent again.
    time_machine.move_to(timezone.now() + timedelta(seconds=301))
    with transaction.atomic():
        later = dispatch.run()
    assert later.unknown_ids == [digest.pk]
    assert digest.pk not in later.to_send
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == ("unknown", 1)
    assert "The sender stopped mid-send" in digest.last_error
    assert "not sent again" in digest.last_error
    assert len(slack_standin.requests) == 1

    page = client_for(organizer).get(reverse("notifications:manage_deliveries", args=[cohort.slug]))
    text = page.content.decode()
    assert "Unknown" in text and "The sender stopped mid-send" in text
    assert reverse("notifications:resend_delivery", args=[cohort.slug, digest.pk]) not in text


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatches_each_report_only_what_they_claimed(postgresql, settings):
    settings.SLACK_WEBHOOK_URL_PREFIXES = ["https://hooks.slack.com/"]
    due_now_cohort()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def dispatch_once():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(dispatch.run())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    claimed = [pk for result in results for pk in result.claimed_ids]
    assert sorted(claimed) == sorted(
        Delivery.objects.filter(kind="reminder").values_list("pk", flat=True)
    )
    assert sorted(result.claimed_count for result in results) == [0, 0, 0, 0, 0, 2]


@pytest.mark.django_db(transaction=True)
def test_a_hanging_mail_server_does_not_delay_the_slack_digest(
    postgresql, redis_url, slack_standin, celery_worker, monkeypatch, tmp_path
):
    """Two workers as in production: one on the email queue, one on dispatch and Slack. The
    mail server holds its answer to DATA; the digest is posted meanwhile."""
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port
    from tests.notifications.smtp_standin import Handler

    stalling = Handler(stall=True)
    server = Controller(stalling, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        due_now_cohort(webhook_url=slack_standin.webhook_url)
        env = dict(
            EMAIL_PORT=str(server.port),
            EMAIL_SEND_DEADLINE_SECONDS="120",
            OUTBOX_SENDING_STALE_SECONDS="300",
            SLACK_WEBHOOK_URL_PREFIXES=f"{slack_standin.base_url}/",
            SLACK_TIMEOUT_SECONDS="5",
            DISPATCH_INTERVAL_SECONDS="1",
        )
        mailer = celery_worker(consume=("-email",), **env)
        worker = celery_worker(beat=True, queue=mailer.queue, consume=("", "-slack"), **env)
        wait_for(stalling.arrived.is_set, "a reminder reaching DATA", mailer, worker)
        wait_for(lambda: slack_standin.requests, "the digest reaching Slack", worker, mailer)
        assert stalling.envelopes == []  # the mail server is still holding its answer
        assert Delivery.objects.get(kind="digest").status in ("sending", "sent")
        stalling.release.set()
        wait_for(
            lambda: Delivery.objects.filter(kind="reminder", status="sent").count() == 2,
            "both reminders being sent",
            mailer,
            worker,
        )
        assert not list(tmp_path.glob("var/celerybeat*"))  # beat keeps its schedule in memory
    finally:
        stalling.release.set()
        server.stop()
