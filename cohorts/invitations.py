"""Inviting people to a cohort: parse a pasted list, create invitations, accept them.

Limits, so that one organizer cannot mass-mail: a paste has at most MAX_LINES addresses;
a cohort sends at most PER_COHORT_PER_DAY invitation emails in 24 hours and an organizer
at most PER_ORGANIZER_PER_DAY (counted from the invitations' sent_count and last_sent_at,
so a resend counts too); an invitation is resent at most once every RESEND_AFTER. The
emails themselves leave through `notifications` after the transaction commits.
"""

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .models import Cohort, Invitation, Membership, Role
from .signals import invitation_issued

MAX_LINES = 200
PER_COHORT_PER_DAY = 500
PER_ORGANIZER_PER_DAY = 500
RESEND_AFTER = timedelta(minutes=10)
MAX_EMAIL = Invitation._meta.get_field("email").max_length


class LimitReached(Exception):
    """Sending these invitations now would pass a limit; the message says which."""


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
    if sum(1 for raw in text.splitlines() if raw.strip()) > MAX_LINES:
        return [], [LineError(0, "", f"Paste at most {MAX_LINES} addresses at a time.")]
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
        if len(email) > MAX_EMAIL:
            errors.append(
                LineError(number, line[:80], f"An address has at most {MAX_EMAIL} characters.")
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


def sent_today(cohort=None, invited_by=None, now=None):
    """Invitation emails sent in the last 24 hours, for a cohort or by an organizer. An
    invitation sent in that time counts with all its sendings (an upper bound)."""
    since = (now or timezone.now()) - timedelta(days=1)
    rows = Invitation.objects.filter(last_sent_at__gte=since)
    if cohort is not None:
        rows = rows.filter(cohort=cohort)
    if invited_by is not None:
        rows = rows.filter(invited_by=invited_by)
    return rows.aggregate(total=Sum("sent_count"))["total"] or 0


def check_limits(cohort, organizer, count):
    """Raise LimitReached when `count` more emails would pass a daily limit."""
    if sent_today(cohort=cohort) + count > PER_COHORT_PER_DAY:
        raise LimitReached(
            f"A cohort sends at most {PER_COHORT_PER_DAY} invitations a day; try the rest tomorrow."
        )
    if organizer is not None and sent_today(invited_by=organizer) + count > PER_ORGANIZER_PER_DAY:
        raise LimitReached(
            f"You can send at most {PER_ORGANIZER_PER_DAY} invitations a day; "
            "try the rest tomorrow."
        )


def send_invitation(invitation):
    """Count this sending and announce it; `notifications` sends the email after commit."""
    invitation.sent_count += 1
    invitation.last_sent_at = timezone.now()
    invitation.save(update_fields=["sent_count", "last_sent_at"])
    invitation_issued.send(sender=Invitation, invitation=invitation)
    return invitation


def invite(cohort, lines, invited_by):
    """Create all invitations and send their emails, or nothing at all (LimitReached).

    The cohort's row is locked meanwhile, so two pastes at once take turns: an address
    that got a pending invitation from the other one is not sent a second email."""
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        pending = {
            email.lower() for email in cohort.invitations.pending().values_list("email", flat=True)
        }
        lines = [line for line in lines if line.email not in pending]
        check_limits(cohort, invited_by, len(lines))
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


def renew(invitation):
    """Resend: a fresh expiry and a fresh email, same link. Returns False (and sends
    nothing) when it went out less than RESEND_AFTER ago — a double click sends once."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        now = timezone.now()
        if invitation.last_sent_at and now - invitation.last_sent_at < RESEND_AFTER:
            return False
        check_limits(invitation.cohort, invitation.invited_by, 1)
        invitation.expires_at = now + Invitation.VALID_FOR
        invitation.save(update_fields=["expires_at"])
        send_invitation(invitation)
        return True


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
