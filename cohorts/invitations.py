"""Inviting people to a cohort: parse a pasted list, create invitations, accept them."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import Invitation, Membership, Role
from .signals import invitation_issued

ROLE_WORDS = {choice.value: choice.value for choice in Role} | {
    choice.label.lower(): choice.value for choice in Role
}


@dataclass(frozen=True)
class InviteLine:
    number: int
    email: str
    role: str


@dataclass(frozen=True)
class LineError:
    number: int
    text: str
    message: str


def parse_lines(text, cohort, default_role=Role.PARTICIPANT):
    """Read `email` or `email, role` per line. Returns (lines, errors); blank lines are skipped."""
    lines, errors, seen = [], [], {}
    members = set(
        Membership.objects.active().filter(cohort=cohort).values_list("user__email", flat=True)
    )
    members = {email.lower() for email in members}
    pending = {
        email.lower() for email in cohort.invitations.pending().values_list("email", flat=True)
    }
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.replace(";", ",").replace("\t", ",").split(",")]
        if len(parts) > 2:
            errors.append(
                LineError(number, line, "Use “email” or “email, role” — one person per line.")
            )
            continue
        email = parts[0].strip("<>").lower()
        role = default_role
        if len(parts) == 2:
            role = ROLE_WORDS.get(parts[1].lower())
            if role is None:
                errors.append(
                    LineError(
                        number,
                        line,
                        f"Unknown role “{parts[1]}”: use participant, facilitator or organizer.",
                    )
                )
                continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(LineError(number, line, f"“{parts[0]}” is not an email address."))
            continue
        if email in seen:
            errors.append(LineError(number, line, f"{email} is already on line {seen[email]}."))
            continue
        if email in members:
            errors.append(LineError(number, line, f"{email} is already a member of this cohort."))
            continue
        if email in pending:
            errors.append(
                LineError(
                    number, line, f"{email} already has a pending invitation; resend it below."
                )
            )
            continue
        seen[email] = number
        lines.append(InviteLine(number, email, role))
    return lines, errors


def send_invitation(invitation):
    """Count this sending and announce it; `notifications` sends the email after commit."""
    invitation.sent_count += 1
    invitation.save(update_fields=["sent_count"])
    invitation_issued.send(sender=Invitation, invitation=invitation)
    return invitation


@transaction.atomic
def invite(cohort, lines, invited_by):
    """Create all invitations and send their emails, or nothing at all."""
    sent = []
    for line in lines:
        # An expired invitation is still "open"; reuse it rather than stack a second one.
        invitation, _ = Invitation.objects.update_or_create(
            cohort=cohort,
            email=line.email,
            accepted_at=None,
            revoked_at=None,
            defaults={
                "role": line.role,
                "invited_by": invited_by,
                "expires_at": timezone.now() + Invitation.VALID_FOR,
            },
        )
        sent.append(send_invitation(invitation))
    return sent


@transaction.atomic
def renew(invitation):
    """Resend: a fresh expiry and a fresh email, same link."""
    invitation.expires_at = timezone.now() + Invitation.VALID_FOR
    invitation.save(update_fields=["expires_at"])
    return send_invitation(invitation)


def revoke(invitation):
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


def user_owns_email(user, email):
    email = email.lower()
    if user.email.lower() == email:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def accept(invitation, user):
    """Make the user a member in the invitation's own cohort; nothing else."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise ValueError(f"This invitation is {invitation.state}.")
    if not user_owns_email(user, invitation.email):
        raise ValueError("This invitation is for another email address.")
    membership, created = Membership.objects.get_or_create(
        user=user,
        cohort=invitation.cohort,
        defaults={"role": invitation.role, "joined_via": Membership.Via.INVITATION},
    )
    if not created and membership.left_at is not None:
        membership.left_at = None
        membership.role = invitation.role
        membership.joined_at = timezone.now()
        membership.joined_via = Membership.Via.INVITATION
        membership.save(update_fields=["left_at", "role", "joined_at", "joined_via"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
