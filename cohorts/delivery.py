"""The one way out: every email (and, later, every Slack message) leaves here.

Claim before send: a Delivery row with a unique dedupe key is created first;
sending locks that row, skips it if it is no longer pending, sends and records
the outcome. Whoever claims the same key twice gets nothing the second time.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SendOutcome:
    delivery: Delivery
    retry_in: int | None = None  # seconds until the next try, when one is due


def render_email(template, context):
    """Subject, text and HTML from the triple emails/<template>.{subject.txt,txt,html}."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}.subject.txt", context)
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return " ".join(subject.split()), text, html


def claim(*, kind, recipient, dedupe_key, channel=Delivery.Channel.EMAIL, **fields):
    """Create the Delivery for `dedupe_key`, or return None if it was claimed before."""
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                kind=kind, channel=channel, recipient=recipient, dedupe_key=dedupe_key, **fields
            )
    except IntegrityError:
        return None


def claim_email(*, kind, to, template, context, dedupe_key, cohort=None, week=None, headers=None):
    subject, text, html = render_email(template, context)
    return claim(
        kind=kind,
        recipient=to,
        dedupe_key=dedupe_key,
        cohort=cohort,
        week=week,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
    )


def unique_key(kind):
    """For messages that are not on a schedule (account emails, invitations)."""
    return f"{kind}:{uuid.uuid4().hex}"


def _transmit(delivery):
    if delivery.channel == Delivery.Channel.EMAIL:
        message = EmailMultiAlternatives(
            subject=delivery.subject,
            body=delivery.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.recipient],
            headers=delivery.headers or None,
        )
        if delivery.body_html:
            message.attach_alternative(delivery.body_html, "text/html")
        message.send()
        return
    raise NotImplementedError(f"No transport for channel {delivery.channel!r}")


def send(delivery_id) -> SendOutcome:
    """Send a claimed delivery once; safe to call any number of times."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != Delivery.Status.PENDING:
            return SendOutcome(delivery)
        delivery.attempts += 1
        try:
            _transmit(delivery)
        except Exception as exc:  # any transport error is recorded, then retried
            log.warning("Delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            retry_in = None
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
            else:
                retry_in = 30 * 2 ** (delivery.attempts - 1)
            delivery.save(update_fields=["attempts", "last_error", "status"])
            return SendOutcome(delivery, retry_in=retry_in)
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return SendOutcome(delivery)
