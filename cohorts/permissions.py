"""What may this user do in this cohort? The one access check.

Every view under /c/<slug>/ is wrapped in `cohort_view(rule)`. It sends an
anonymous visitor to sign in, answers 404 to anyone who is not a member (so a
cohort's existence does not leak), and 403 to a member whose role is not enough.
The rule is kept on the view so the access test can check every URL pattern.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Cohort, Membership, Role, Week

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
    def role(self):
        return self.membership.role if self.membership else None

    @property
    def is_member(self):
        return self.membership is not None or self.is_staff

    @property
    def can_manage(self):
        """Organizers (and site staff) run the cohort."""
        return self.is_staff or self.role == Role.ORGANIZER

    @property
    def can_facilitate(self):
        """Facilitators and organizers prepare and run sessions and see progress."""
        return self.can_manage or self.role == Role.FACILITATOR

    @property
    def is_participant(self):
        return self.role == Role.PARTICIPANT

    def allows(self, rule):
        return {
            MEMBER: self.is_member,
            FACILITATOR: self.can_facilitate,
            ORGANIZER: self.can_manage,
        }[rule]


def access_for(user, cohort):
    """The user's access to a cohort, or None when they are not in it."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.active().filter(user=user, cohort=cohort).first()
    if membership is None and not user.is_staff:
        return None
    return CohortAccess(cohort=cohort, membership=membership, is_staff=user.is_staff)


def cohort_view(rule):
    """Decorate a view taking `slug`: it gets `access` instead, checked against `rule`."""
    if rule not in RULES:
        raise ValueError(f"Unknown cohort access rule {rule!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            cohort = get_object_or_404(Cohort, slug=slug)
            access = access_for(request.user, cohort)
            if access is None:
                raise Http404("No such cohort.")
            if not access.allows(rule):
                raise PermissionDenied("Your role in this cohort does not allow this.")
            request.cohort_access = access
            # Dates on cohort pages, and times typed into its forms, are on the cohort's clock.
            with timezone.override(cohort.tz):
                return view(request, access, *args, **kwargs)

        wrapper.cohort_rule = rule
        return wrapper

    return decorator


def visible_week(access, number):
    """A week of the cohort this member may see: participants never see unpublished weeks."""
    week = get_object_or_404(Week, cohort=access.cohort, number=number)
    week.cohort = access.cohort  # pages use it: no second query for the cohort
    if not access.can_facilitate and not week.is_published():
        raise Http404("No such week.")
    return week


def can_import_courses(user):
    """Site staff, and anyone who organizes a cohort: they can copy theirs already, and a
    course file is a copy that went through git. The new cohort's only member is them."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff or Membership.objects.active().filter(user=user, role=Role.ORGANIZER).exists()
    )
