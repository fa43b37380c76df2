"""What may this user do in this cohort? The one access check.

Every view under /c/<slug>/ is wrapped in `cohort_view(rule)`. It sends an
anonymous visitor to sign in, answers 404 to anyone who is not a member (so a
cohort's existence does not leak), and 403 to a member whose role is not enough.
The rule is kept on the view so the access test can check every URL pattern.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Cohort, JoinLink, Membership, Role, User, Week

MEMBER = "member"
FACILITATOR = "facilitator"
ORGANIZER = "organizer"
RULES = (MEMBER, FACILITATOR, ORGANIZER)


@dataclass(frozen=True)
class CohortAccess:
    cohort: Cohort
    membership: Membership | None
    is_staff: bool = False

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None or self.is_staff

    @property
    def can_manage(self) -> bool:
        """Organizers (and site staff) run the cohort."""
        return self.is_staff or self.role == Role.ORGANIZER

    @property
    def can_facilitate(self) -> bool:
        """Facilitators and organizers prepare and run sessions and see progress."""
        return self.can_manage or self.role == Role.FACILITATOR

    @property
    def is_participant(self) -> bool:
        return self.role == Role.PARTICIPANT

    def allows(self, rule: str) -> bool:
        return {
            MEMBER: self.is_member,
            FACILITATOR: self.can_facilitate,
            ORGANIZER: self.can_manage,
        }[rule]


def access_for(user: User | AnonymousUser, cohort: Cohort) -> CohortAccess | None:
    """The user's access to a cohort, or None when they are not in it."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.active().filter(user=user, cohort=cohort).first()
    if membership is None and not user.is_staff:
        return None
    return CohortAccess(cohort=cohort, membership=membership, is_staff=user.is_staff)


View = Callable[..., HttpResponse]


def cohort_view(rule: str) -> Callable[[View], View]:
    """Decorate a view taking `slug`: it gets `access` instead, checked against `rule`."""
    if rule not in RULES:
        raise ValueError(f"Unknown cohort access rule {rule!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            cohort = get_object_or_404(Cohort, slug=slug)
            access = access_for(request.user, cohort)
            if access is None:
                raise Http404("No such cohort.")
            if not access.allows(rule):
                raise PermissionDenied("Your role in this cohort does not allow this.")
            request.cohort_access = access  # type: ignore[attr-defined]
            # Dates on cohort pages, and times typed into its forms, are on the cohort's clock.
            with timezone.override(cohort.tz):
                return view(request, access, *args, **kwargs)

        wrapper.cohort_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorator


def visible_week(access: CohortAccess, number: int) -> Week:
    """A week of the cohort this member may see: participants never see unpublished weeks."""
    week = get_object_or_404(Week, cohort=access.cohort, number=number)
    if not access.can_facilitate and not week.is_published():
        raise Http404("No such week.")
    return week


def can_import_courses(user: User | AnonymousUser) -> bool:
    """Site staff, and anyone who organizes a cohort: they can copy theirs already, and a
    course file is a copy that went through git. The new cohort's only member is them."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff or Membership.objects.active().filter(user=user, role=Role.ORGANIZER).exists()
    )


# --- Joining by a cohort's shareable link --------------------------------------------

# Why a link refuses someone; the join page words each reason for the visitor.
RESET = "reset"
OFF = "off"
CLOSED = "closed"
FULL = "full"
WRONG_DOMAIN = "wrong_domain"
REMOVED = "removed"


def participant_count(cohort: Cohort) -> int:
    return Membership.objects.active().participants().filter(cohort=cohort).count()


def link_refusal(link: JoinLink, now: datetime | None = None) -> str | None:
    """Why nobody can use this join link right now, or None while it is open."""
    if link.replaced_at is not None:
        return RESET
    if not link.enabled:
        return OFF
    now = now or timezone.now()
    if link.closes_on is not None and link.cohort.local(now).date() > link.closes_on:
        return CLOSED
    if link.capacity is not None and participant_count(link.cohort) >= link.capacity:
        return FULL
    return None


def person_refusal(link: JoinLink, user: User) -> str | None:
    """Why this signed-in person may not join by an open link: removed members stay out
    unless the organizer lets them back, and the link may be for some email domains only."""
    membership = Membership.objects.filter(cohort=link.cohort, user=user).first()
    if membership is not None and membership.left_at is not None and not link.allow_rejoin:
        return REMOVED
    domains = link.domains
    if domains:
        verified = EmailAddress.objects.filter(user=user, verified=True)
        addresses = {user.email, *verified.values_list("email", flat=True)}
        if not any(address.lower().rsplit("@", 1)[-1] in domains for address in addresses):
            return WRONG_DOMAIN
    return None
