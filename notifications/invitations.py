"""Invitation emails: `cohorts` announces an invitation (`invitation_issued`); the email
leaves through the outbox once the invitation is committed.

The link is the invitation's secret, so the Delivery row never holds it: the row keeps the
email with the link left out, and the link is written in just before sending, in memory only
(`transient_content`). An invitation revoked, accepted or expired by then is not sent."""

from django.conf import settings

from cohorts.models import Invitation

from . import outbox
from .channels import email
from .models import Delivery
from .tasks import enqueue_deliveries

KIND = "invitation"
LINK_LEFT_OUT = "(the invitation link, written in when the email is sent)"


def _render(invitation: Invitation, link: str) -> tuple[str, str, str]:
    return email.render(
        "invitation",
        {"invitation": invitation, "cohort": invitation.cohort, "invitation_url": link},
    )


def claim_invitation_email(invitation):
    """Claim this sending's email (one per invitation and sending)."""
    subject, text, html = _render(invitation, LINK_LEFT_OUT)
    return outbox.claim(
        kind=KIND,
        recipient=invitation.email,
        dedupe_key=f"invitation:{invitation.pk}:{invitation.sent_count}",
        cohort=invitation.cohort,
        subject=subject,
        body_text=text,
        body_html=html,
        payload={"invitation_id": invitation.pk},
    )


def prepare(delivery: Delivery) -> outbox.Withhold | None:
    """Just before sending: write the link in, unless the invitation is no longer open."""
    invitation = (
        Invitation.objects.select_related("cohort", "invited_by")
        .filter(pk=delivery.payload.get("invitation_id"))
        .first()
    )
    if invitation is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, "The invitation was deleted.")
    if invitation.state != "pending":
        return outbox.Withhold(
            Delivery.Status.SKIPPED, f"The invitation is {invitation.state} by now."
        )
    link = f"{settings.SITE_URL}{invitation.get_absolute_url()}"
    delivery.transient_content = outbox.Content(*_render(invitation, link))
    return None


def on_invitation_issued(sender, invitation, **kwargs):
    enqueue_deliveries([claim_invitation_email(invitation)])


outbox.preparers.register(KIND, prepare)
