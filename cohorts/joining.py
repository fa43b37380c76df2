"""Joining a cohort through its shareable link: switching it on, resetting it, and making
someone a participant (who may join is decided in permissions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.core.internal import ratelimit
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Cohort, JoinLink, Membership, Role, User
from .permissions import link_refusal, person_refusal


@dataclass(frozen=True)
class Details:
    """What joining asks: the level pairing mixes, and the name others see."""

    experience: str
    name: str


def current_link(cohort: Cohort) -> JoinLink | None:
    return cohort.join_links.current().first()


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def apply_details(membership: Membership, details: Details) -> None:
    """Record what joining asked: the member's level and their name."""
    membership.experience = details.experience
    membership.save(update_fields=["experience"])
    user = membership.user
    if details.name and details.name != user.name:
        user.name = details.name
        user.save(update_fields=["name"])


@transaction.atomic
def join(link: JoinLink, user: User, details: Details) -> Membership:
    """Make `user` a participant through `link`, or raise Refused. An active member stays as
    they are. The link row is locked so two people cannot both take the last place."""
    link = JoinLink.objects.select_for_update().select_related("cohort").get(pk=link.pk)
    membership = Membership.objects.filter(cohort=link.cohort, user=user).first()
    if membership is not None and membership.left_at is None:
        return membership
    reason = link_refusal(link) or person_refusal(link, user)
    if reason:
        raise Refused(reason)
    if membership is None:
        membership = Membership.objects.create(
            user=user, cohort=link.cohort, role=Role.PARTICIPANT, joined_via=Membership.Via.LINK
        )
    else:
        membership.left_at = None
        membership.role = Role.PARTICIPANT
        membership.joined_at = timezone.now()
        membership.joined_via = Membership.Via.LINK
        membership.save(update_fields=["left_at", "role", "joined_at", "joined_via"])
    membership.user = user
    apply_details(membership, details)
    return membership


@transaction.atomic
def switch_on(cohort: Cohort) -> JoinLink:
    """The cohort's current link, created (or switched back on) as needed."""
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    link = current_link(cohort)
    if link is None:
        return JoinLink.objects.create(cohort=cohort)
    if not link.enabled:
        link.enabled = True
        link.save(update_fields=["enabled"])
    return link


@transaction.atomic
def reset(cohort: Cohort) -> JoinLink:
    """A new code with the same limits; the old link says it was reset."""
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    old = current_link(cohort)
    if old is None:
        return JoinLink.objects.create(cohort=cohort)
    old.replaced_at = timezone.now()
    old.save(update_fields=["replaced_at"])
    return JoinLink.objects.create(
        cohort=cohort,
        enabled=old.enabled,
        email_domains=old.email_domains,
        capacity=old.capacity,
        closes_on=old.closes_on,
        allow_rejoin=old.allow_rejoin,
    )


def landing_url(membership: Membership) -> str:
    """Where a new member lands: the current week when they can see it, else the cohort."""
    cohort = membership.cohort
    week = cohort.current_week()
    if week is not None and (membership.role != Role.PARTICIPANT or week.is_published()):
        return week.get_absolute_url()
    return cohort.get_absolute_url()


def guess_allowed(request: HttpRequest, *, record: bool) -> bool:
    """Codes are unguessable; still, an address that keeps opening join links that do not
    exist is refused for a while (ACCOUNT_RATE_LIMITS["join_link"], per IP address as
    allauth counts it). `record` counts this miss."""
    usage = ratelimit.consume(
        request,
        app="allauth.account",
        action="join_link",
        limit_get=True,
        dry_run=not record,
    )
    return usage is not None
