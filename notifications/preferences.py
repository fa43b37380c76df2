"""Which emails a member wants, per kind, and one-click unsubscribe per kind (RFC 8058).

Every email to a member belongs to one kind below; the member's preferences page has one
switch per kind, and every such email carries a `List-Unsubscribe` link naming the
membership and the kind (signed, so nothing secret is stored). Homework reminders keep
their switch where it always was (`Membership.reminders_opt_out`, which the reminders job
reads); the other kinds are off while a `MailOptOut` row says so.

Unsubscribe links from before kinds existed name only the membership: they mean reminders.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from cohorts.models import Cohort, Membership

from .models import MailOptOut


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # the switch on the preferences page
    what: str  # "homework reminders": for "Stop homework reminders?"
    done: str  # "Reminders are off"
    description: str

    @property
    def field(self) -> str:
        """The switch's name on the preferences form (reminders' predates the others)."""
        return "reminders" if self.key == REMINDER else self.key


REMINDER = "reminder"
ANNOUNCEMENT = "announcement"
SURVEY = "survey"
WEEK_OPENED = "week_opened"
FEEDBACK = "feedback"

KINDS = {
    kind.key: kind
    for kind in (
        Kind(
            REMINDER,
            "Homework reminders",
            "homework reminders",
            "Reminders are off",
            "Before each session, when you still have required pre-work or an assignment left "
            "(participants only).",
        ),
        Kind(
            ANNOUNCEMENT,
            "Announcements",
            "announcements",
            "Announcements are off",
            "Messages the organizers and facilitators send to the cohort.",
        ),
        Kind(
            SURVEY,
            "Session survey",
            "session survey emails",
            "Session survey emails are off",
            "After a session you attended: four one-tap ratings (participants only).",
        ),
        Kind(
            WEEK_OPENED,
            "A session's pre-work is open",
            "“pre-work is open” emails",
            "“Pre-work is open” emails are off",
            "When a session's pre-work is published, with what to do and when it is due "
            "(participants only).",
        ),
        Kind(
            FEEDBACK,
            "Feedback on your hand-in",
            "hand-in feedback emails",
            "Hand-in feedback emails are off",
            "When a facilitator leaves feedback on something you handed in.",
        ),
    )
}

SALT = "homeroom.unsubscribe.kind"


def wants(membership: Membership, kind: str) -> bool:
    """Does this member want this kind of email? (One query for kinds other than reminders.)"""
    if kind == REMINDER:
        return not membership.reminders_opt_out
    return not MailOptOut.objects.filter(membership=membership, kind=kind).exists()


def opted_out(cohort: Cohort, kind: str) -> set[int]:
    """Ids of the cohort's memberships that switched `kind` off, in one query."""
    if kind == REMINDER:
        return set(
            Membership.objects.filter(cohort=cohort, reminders_opt_out=True).values_list(
                "pk", flat=True
            )
        )
    return set(
        MailOptOut.objects.filter(membership__cohort=cohort, kind=kind).values_list(
            "membership_id", flat=True
        )
    )


def switched_off(membership: Membership) -> set[str]:
    """The kinds this member switched off."""
    off = set(MailOptOut.objects.filter(membership=membership).values_list("kind", flat=True))
    if membership.reminders_opt_out:
        off.add(REMINDER)
    return off


def switch(membership: Membership, kind: str, on: bool) -> None:
    """Switch one kind on or off; repeating it (a double click, two mail clients) is fine."""
    if kind == REMINDER:
        Membership.objects.filter(pk=membership.pk).update(reminders_opt_out=not on)
        membership.reminders_opt_out = not on
        return
    if on:
        MailOptOut.objects.filter(membership=membership, kind=kind).delete()
        return
    try:
        with transaction.atomic():
            MailOptOut.objects.get_or_create(membership=membership, kind=kind)
    except IntegrityError:
        pass  # switched off at the same moment by another request: off either way


def unsubscribe_token(membership: Membership, kind: str) -> str:
    return signing.dumps({"m": membership.pk, "k": kind}, salt=SALT)


def from_token(token: str) -> tuple[Membership, Kind] | None:
    """The membership and kind an unsubscribe link names, or None for a link not ours."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        legacy = Membership.from_unsubscribe_token(token)
        return (legacy, KINDS[REMINDER]) if legacy is not None else None
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        return None
    membership = (
        Membership.objects.select_related("user", "cohort").filter(pk=data.get("m")).first()
    )
    if membership is None:
        return None
    return membership, KINDS[data["k"]]


def unsubscribe_url(membership: Membership, kind: str) -> str:
    """The absolute one-click unsubscribe URL for this member and kind."""
    path = reverse("unsubscribe", kwargs={"token": unsubscribe_token(membership, kind)})
    return f"{settings.SITE_URL}{path}"


def list_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def preferences_url(cohort: Cohort) -> str:
    return f"{settings.SITE_URL}{reverse('cohorts:preferences', args=[cohort.slug])}"
