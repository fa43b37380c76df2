"""A real Celery worker takes a send from real Redis and hands the email to a real SMTP server."""

import email
import os
import subprocess
import sys
import time
import uuid
from email import policy
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from cohorts import invitations
from cohorts.models import Delivery, Role
from cohorts.tasks import send_delivery
from config.celery import app as celery_app

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def database_url_of_this_test_run():
    """DATABASE_URL of pytest-django's test database, where this test's rows are."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def start_worker(*, queue, redis_url, smtp_port, log_path, data_dir):
    env = {name: value for name, value in os.environ.items() if not name.startswith("CELERY_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process only
    env.update(
        CELERY_BROKER_URL=redis_url,
        DATABASE_URL=database_url_of_this_test_run(),
        SECRET_KEY="integration-test-worker-secret-key",
        DEBUG="0",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        DEFAULT_FROM_EMAIL="Homeroom <homeroom@example.com>",
        HOMEROOM_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        "--pool=solo",
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    log = open(log_path, "w")  # noqa: SIM115 — closed by stop_worker
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def stop_worker(process):
    if process.poll() is None:
        process.terminate()  # warm shutdown
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    process.log.close()


def forget_queue(redis_url, queue):
    """Leave a developer's Redis as it was: drop the keys named after this test's queue."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_a_claimed_invitation_email_through_redis_and_smtp(
    postgresql, redis_url, smtp_server, cohort, make_user, monkeypatch, tmp_path
):
    organizer = make_user("olga@example.com", "Olga Organizer")
    line = invitations.InviteLine(1, "newcomer@example.com", Role.PARTICIPANT)
    [claimed] = invitations.invite(cohort, [line], organizer)
    assert claimed.status == Delivery.Status.PENDING

    # The autouse fixture runs tasks eagerly in this process; this test sends for real.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = f"homeroom-test-{uuid.uuid4().hex[:12]}"  # nothing else on this Redis consumes it
    log_path = tmp_path / "worker.log"
    worker = start_worker(
        queue=queue,
        redis_url=redis_url,
        smtp_port=smtp_server.port,
        log_path=log_path,
        data_dir=tmp_path / "var",
    )
    try:
        with celery_app.connection_for_write(redis_url) as broker:
            send_delivery.apply_async(args=[claimed.pk], queue=queue, connection=broker)

        envelopes = smtp_server.handler.envelopes
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            delivery = Delivery.objects.get(pk=claimed.pk)
            if envelopes and delivery.status != Delivery.Status.PENDING:
                break
            if worker.poll() is not None:
                pytest.fail(
                    f"the worker exited with {worker.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no email and no outcome within {WAIT_SECONDS} s "
                    f"(emails: {len(envelopes)}, delivery: {delivery.status}, "
                    f"last error: {delivery.last_error!r}); worker log:\n"
                    f"{log_path.read_text()[-4000:]}"
                )
            time.sleep(0.2)
    finally:
        stop_worker(worker)
        forget_queue(redis_url, queue)

    assert len(envelopes) == 1
    envelope = envelopes[0]
    assert envelope.rcpt_tos == ["newcomer@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == "newcomer@example.com"
    assert message["Subject"] == claimed.subject
    assert cohort.title in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    invitation = cohort.invitations.get(email="newcomer@example.com")
    assert invitation.get_absolute_url() in text

    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.last_error == ""
