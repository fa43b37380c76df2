"""Invitation emails: `cohorts` announces an invitation (`invitation_issued`); the email
leaves through the outbox once the invitation is committed."""

from . import outbox
from .tasks import enqueue_deliveries


def claim_invitation_email(invitation):
    """Claim this sending's email (one per invitation and sending)."""
    return outbox.claim_email(
        kind="invitation",
        to=invitation.email,
        template="invitation",
        context={"invitation": invitation, "cohort": invitation.cohort},
        dedupe_key=f"invitation:{invitation.pk}:{invitation.sent_count}",
        cohort=invitation.cohort,
    )


def on_invitation_issued(sender, invitation, **kwargs):
    enqueue_deliveries([claim_invitation_email(invitation)])
