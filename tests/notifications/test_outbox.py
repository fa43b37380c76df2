import pytest
from django.core import mail

from notifications import outbox
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


def claim(key="test:1"):
    return outbox.claim(
        kind="test", recipient="ada@example.com", dedupe_key=key, subject="Hi", body_text="Hello"
    )


def test_same_key_is_claimed_once():
    assert claim() is not None
    assert claim() is None
    assert Delivery.objects.count() == 1


def test_sending_twice_sends_once():
    claimed = claim()
    outbox.send(claimed.pk)
    outbox.send(claimed.pk)
    assert len(mail.outbox) == 1
    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts) == ("sent", 1)
    assert claimed.sent_at is not None


def test_failures_are_recorded_then_retried_then_given_up(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    claimed = claim()
    outcomes = [outbox.send(claimed.pk) for _ in range(outbox.MAX_ATTEMPTS)]
    assert [o.retry_in for o in outcomes] == [30, 60, 120, 240, None]
    claimed.refresh_from_db()
    assert claimed.status == "failed"
    assert claimed.attempts == outbox.MAX_ATTEMPTS
    assert "SMTP server down" in claimed.last_error
