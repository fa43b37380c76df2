"""A real Celery worker takes a send from real Redis and hands the email to a real SMTP server."""

import email
import time
from email import policy

import pytest

from cohorts.models import Invitation, Role
from config.celery import app as celery_app
from notifications.invitations import claim_invitation_email
from notifications.models import Delivery
from notifications.tasks import send_delivery

pytestmark = pytest.mark.integration

WAIT_SECONDS = 60


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_a_claimed_invitation_email_through_redis_and_smtp(
    postgresql, redis_url, smtp_server, celery_worker, cohort, make_user, monkeypatch
):
    organizer = make_user("olga@example.com", "Olga Organizer")
    invitation = Invitation.objects.create(
        cohort=cohort, email="newcomer@example.com", role=Role.PARTICIPANT, invited_by=organizer
    )
    invitation.sent_count = 1
    claimed = claim_invitation_email(invitation)
    assert claimed.status == Delivery.Status.PENDING

    # The autouse fixture runs tasks eagerly in this process; this test sends for real.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    worker = celery_worker()
    with celery_app.connection_for_write(redis_url) as broker:
        send_delivery.apply_async(args=[claimed.pk], queue=worker.queue, connection=broker)

    envelopes = smtp_server.handler.envelopes
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        delivery = Delivery.objects.get(pk=claimed.pk)
        if envelopes and delivery.status not in (Delivery.Status.PENDING, Delivery.Status.SENDING):
            break
        worker.fail_if_exited()
        if time.monotonic() > deadline:
            pytest.fail(
                f"no email and no outcome within {WAIT_SECONDS} s "
                f"(emails: {len(envelopes)}, delivery: {delivery.status}, "
                f"last error: {delivery.last_error!r}); worker log:\n{worker.log_tail()}"
            )
        time.sleep(0.2)

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
