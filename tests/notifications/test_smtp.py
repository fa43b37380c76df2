"""Reminders through a real SMTP conversation: an aiosmtpd server in this process."""

import email
from email import policy

import pytest

from cohorts.models import Membership
from notifications.models import Delivery
from tests.conftest import berlin_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings, smtp_server):
    """Django's SMTP backend pointed at the in-process server; yields what arrives."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://homeroom.example.com"
    return smtp_server.handler


def test_reminders_arrive_over_smtp_with_text_html_and_unsubscribe_headers(
    class_list, smtp, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()
    run_dispatch()

    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == ["bea@example.com", "par@example.com"]
    envelope = next(e for e in smtp.envelopes if e.rcpt_tos == ["par@example.com"])
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    token = Membership.objects.get(user=class_list["par"]).unsubscribe_token
    unsubscribe = f"https://homeroom.example.com/unsubscribe/{token}/"
    # A long header may be folded after the colon; unfolded, it is the bracketed URL.
    assert str(message["List-Unsubscribe"]).strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == (
        "Week 1 of Machine Learning: 2 videos, 1 assignment, 25 min left before the session"
    )
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Linear regression (video, 14 min)" in text
    assert "Thu 3 Sep 2026, 16:00 (Europe/Berlin)" in text
    assert f'<a href="{unsubscribe}">Stop these reminders</a>' in html
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
