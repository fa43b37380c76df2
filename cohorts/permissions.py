"""What may this user do in this cohort? Every access rule, in this one module.

Every view under /c/<slug>/ is wrapped in `cohort_view(rule)`. It sends an
anonymous visitor to sign in, answers 404 to anyone who is not a member (so a
cohort's existence does not leak), and 403 to a member whose role is not enough.
The rule is kept on the view so the access test can check every URL pattern.

Site staff are nobody inside a cohort unless they are members of it: staff create
cohorts (`site_staff_required`) and use the Django admin, and that is all.

The finer rules live here too, so that a view, a calendar feed and a template ask the
same question: `CohortAccess.can_see_week`, `can_remove`, `can_give_feedback`, and
`can_import_courses` for creating a cohort from a course file.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, cast

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from .models import Cohort, JoinLink, Membership, Role, User, Week
from .rows import columns

MEMBER = "member"
FACILITATOR = "facilitator"
ORGANIZER = "organizer"
RULES = (MEMBER, FACILITATOR, ORGANIZER)

View = Callable[..., HttpResponse]
# Week numbers are small integers; a larger one in a URL is simply not found.
MAX_WEEK_NUMBER = 32767


# The live session's window: from a little before the session starts to its end. "My
# session" leads the participant's pages then, and self check-in is open.
SESSION_WINDOW_BEFORE = timedelta(minutes=30)


def in_session_window(week: Week, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return week.session_start - SESSION_WINDOW_BEFORE <= now <= week.session_end


def joined_before(joined_at: datetime, week: Week) -> bool:
    """Was someone who joined at `joined_at` a member for this week? Only if they joined
    before its session started: earlier weeks show as "not joined", count in no rate
    (progress, "X of Y ready", the digest) and cannot be rated by them. The one
    definition; `assignments.progress.ready_counts` says the same in SQL."""
    return joined_at < week.session_start


@dataclass(frozen=True)
class CohortAccess:
    """An active member's access to their cohort."""

    cohort: Cohort
    membership: Membership

    @classmethod
    def of(cls, membership: Membership) -> "CohortAccess":
        """The access a membership gives (e.g. a calendar feed's token names one)."""
        return cls(cohort=membership.cohort, membership=membership)

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    @property
    def is_member(self) -> bool:
        return True

    @property
    def can_manage(self) -> bool:
        """Organizers run the cohort."""
        return self.role == Role.ORGANIZER

    @property
    def can_facilitate(self) -> bool:
        """Facilitators and organizers prepare and run sessions and see progress."""
        return self.can_manage or self.role == Role.FACILITATOR

    @property
    def is_participant(self) -> bool:
        return self.role == Role.PARTICIPANT

    def can_see_week(self, week: Week, now: datetime | None = None) -> bool:
        """Participants see a week (its topic, pre-work, due dates) once it is published;
        facilitators and organizers see every week."""
        return self.can_facilitate or week.is_published(now)

    def can_see_week_sql(self, alias: str, now: datetime) -> tuple[str, list[Any]]:
        """`can_see_week` at `now` as a SQL condition on the week table under `alias`, with
        its parameters, for a statement that writes only where the member may see the week
        (assignments.marks). The same rule; a test holds the two equal."""
        published = connection.ops.quote_name(Week._meta.get_field("publish_at").column)
        return (
            f"(%s OR ({alias}.{published} IS NOT NULL AND {alias}.{published} <= %s))",
            [self.can_facilitate, now],
        )

    def can_see_topic(self, week: Week, now: datetime | None = None) -> bool:
        """The week's title (not its pre-work): whoever can see the week, and participants
        too while it is unpublished if the cohort shows upcoming topics and the organizer
        has named it (a title of its own, not the default label)."""
        if self.can_see_week(week, now):
            return True
        return self.cohort.show_upcoming_titles and week.heading != week.label

    def can_remove(self, obj: object) -> bool:
        """Something a member added to a week (a muddiest point …): its author, or a
        facilitator or organizer, may remove it."""
        author_id = getattr(obj, "author_id", None)
        return self.can_facilitate or (author_id is not None and author_id == self.user_id)

    def can_give_feedback(self, week: Week, now: datetime | None = None) -> bool:
        """Participants rate a session once it has started — one held before they joined
        is not theirs to rate."""
        return (
            self.is_participant
            and joined_before(self.membership.joined_at, week)
            and (now or timezone.now()) >= week.session_start
        )

    def can_check_in(self, week: Week, allowed: bool, now: datetime | None = None) -> bool:
        """A participant marks themselves present ("I'm here") only during the session
        window, and only where the cohort allows self check-in (`allowed`)."""
        return allowed and self.is_participant and in_session_window(week, now)

    def sees_my_session(self, week: Week, now: datetime | None = None) -> bool:
        """A participant's own table, partner and prompts: for a week they can see, during
        its session window."""
        return self.is_participant and self.can_see_week(week, now) and in_session_window(week, now)

    def can_run_room(self, room_facilitator_id: int | None, leads_a_room: bool) -> bool:
        """Organizers see, print and time every room; a facilitator the room they lead —
        or every room while they lead none."""
        if self.can_manage:
            return True
        if not self.can_facilitate:
            return False
        return room_facilitator_id == self.user_id or not leads_a_room

    def allows(self, rule: str) -> bool:
        return {
            MEMBER: self.is_member,
            FACILITATOR: self.can_facilitate,
            ORGANIZER: self.can_manage,
        }[rule]


def access_for(user: User | AnonymousUser, cohort: Cohort) -> CohortAccess | None:
    """The user's access to a cohort, or None when they are not an active member of it
    (site staff included: staff who are not members are nobody here)."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.active().filter(user=user, cohort=cohort).first()
    if membership is None:
        return None
    membership.cohort = cohort
    return CohortAccess(cohort=cohort, membership=membership)


def active_membership(user_id: int, slug: str) -> Membership | None:
    """This person's active membership of the cohort with this slug, with its cohort, or
    None. Every cohort page asks it first, so it is one statement written out once (the
    same as `Membership.objects.active().select_related("cohort")` filtered by user and
    slug, whose building cost ten times its running); a test holds the two equal."""
    member, cohort = columns(Membership, "m"), columns(Cohort, "c")
    quote = connection.ops.quote_name
    tables = {model: quote(model._meta.db_table) for model in (Membership, Cohort)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {member.sql()}, {cohort.sql()} FROM {tables[Membership]} m "  # noqa: S608 - names from the models
            f"INNER JOIN {tables[Cohort]} c ON c.id = m.cohort_id "
            "WHERE m.user_id = %s AND c.slug = %s AND m.left_at IS NULL",
            [user_id, slug],
        )
        row = cursor.fetchone()  # at most one: one membership per person and cohort
    if row is None:
        return None
    membership = cast(Membership, member.load(row))
    membership.cohort = cast(Cohort, cohort.load(row, member.width))
    return membership


def denied_because(access: CohortAccess, rule: str) -> str:
    """Why a member may not open a page: a participant on a facilitator's page (the session
    page, the timer, the pair sheets…) is told where their own part of it is."""
    if access.is_participant and rule == FACILITATOR:
        return (
            "Your role in this cohort does not allow this. The page is for facilitators; "
            "while the session is on, your own table, partner and turns are on your start "
            "page."
        )
    return "Your role in this cohort does not allow this."


def cohort_view(rule: str) -> Callable[[View], View]:
    """Decorate a view taking `slug`: it gets `access` instead, checked against `rule`."""
    if rule not in RULES:
        raise ValueError(f"Unknown cohort access rule {rule!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # The cohort and the visitor's membership in one query: no membership, whether
            # or not the cohort exists, is the same "not found".
            membership = active_membership(request.user.pk, slug)
            if membership is None:
                raise Http404("No such cohort.")
            access = CohortAccess.of(membership)
            cohort = access.cohort
            if not access.allows(rule):
                raise PermissionDenied(denied_because(access, rule))
            request.cohort_access = access  # type: ignore[attr-defined]
            # Dates on cohort pages, and times typed into its forms, are on the cohort's clock.
            with timezone.override(cohort.tz):
                return view(request, access, *args, **kwargs)

        wrapper.cohort_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorator


def visible_week(access: CohortAccess, number: int) -> Week:
    """A week of the cohort this member may see (see CohortAccess.can_see_week), or 404."""
    return visible_week_and_neighbours(access, number)[0]


def visible_week_and_neighbours(
    access: CohortAccess, number: int
) -> tuple[Week, Week | None, Week | None]:
    """(week, the week before, the week after) in one query; 404 unless this member may see
    the week, and a neighbour only when they may see it too (else None)."""
    if not 0 < number <= MAX_WEEK_NUMBER:
        raise Http404("No such week.")
    weeks = {
        week.number: week
        for week in Week.objects.filter(
            cohort=access.cohort, number__in=(number - 1, number, number + 1)
        )
    }
    for week in weeks.values():
        week.cohort = access.cohort  # pages use it: no second query for the cohort
    week = weeks.get(number)
    if week is None or not access.can_see_week(week):
        raise Http404("No such week.")
    before, after = weeks.get(number - 1), weeks.get(number + 1)
    return (
        week,
        before if before is not None and access.can_see_week(before) else None,
        after if after is not None and access.can_see_week(after) else None,
    )


def is_site_staff(user: User | AnonymousUser) -> bool:
    """Site staff create cohorts and use the Django admin."""
    return user.is_authenticated and user.is_active and user.is_staff


def site_staff_required(view: View) -> View:
    """Anonymous visitors sign in; signed-in people who are not site staff get Homeroom's
    403 page (not the Django admin's login)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_site_staff(request.user):
            raise PermissionDenied("Only site staff create cohorts.")
        return view(request, *args, **kwargs)

    return wrapper


def can_import_courses(user: User | AnonymousUser) -> bool:
    """Site staff, and anyone who organizes a cohort: they can copy theirs already, and a
    course file is a copy that went through git. The new cohort's only member is them."""
    if not user.is_authenticated:
        return False
    return (
        is_site_staff(user)
        or Membership.objects.active().filter(user=user, role=Role.ORGANIZER).exists()
    )


def may_compare_with_run(user: User, cohort_id: int) -> bool:
    """A new run shows an earlier run's survey averages only to someone who organized or
    facilitated that run (a course file names its run; whoever holds the file may not)."""
    return (
        Membership.objects.active()
        .filter(user=user, cohort_id=cohort_id, role__in=[Role.ORGANIZER, Role.FACILITATOR])
        .exists()
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
