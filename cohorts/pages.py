"""What other apps add to the cohort's pages.

The cohort page, the week page, the cohort's navigation and the preferences page belong to
`cohorts`, but much of what they show (pre-work, discussion prep, progress, notification
settings, copying the course …) lives in apps that depend on `cohorts`, never the other way
round. Those apps register here from their AppConfig.ready(); the cohort views and
templates call whatever is registered, in order, and never name another app's URLs.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.urls import reverse
from django.utils import timezone

from .models import Membership, Week
from .permissions import CohortAccess
from .registry import Registry


@dataclass(frozen=True)
class Link:
    """A link to a cohort page of another app, shown to those `allowed(access)` lets in.

    `url_name` is reversed with the cohort's slug (and, for week links, the week's number);
    `current` lists the URL names under which the link is marked as the current page.
    """

    label: str
    url_name: str
    allowed: Callable
    current: tuple = ()

    def url(self, cohort, week=None):
        args = [cohort.slug] if week is None else [cohort.slug, week.number]
        return reverse(self.url_name, args=args)

    def is_current(self, request):
        match = getattr(request, "resolver_match", None)
        if match is None:
            return False
        return match.view_name == self.url_name or match.view_name in self.current


def links_for(registry, access, week=None):
    """(link, url) for every registered Link this member may follow. A label may name the
    cohort's unit: "{units}" is "Weeks" or "Days", "{unit}" is "Week" or "Day"."""
    cohort = access.cohort
    return [
        (
            replace(link, label=link.label.format(unit=cohort.unit_name, units=cohort.unit_plural))
            if "{" in link.label
            else link,
            link.url(cohort, week),
        )
        for link in registry
        if link.allowed(access)
    ]


# provider(request, access, week) -> HTML (str) or None
week_sections = Registry()

# provider(request, access, weeks) -> {week.pk: HTML} shown beside each week in the schedule
schedule_badges = Registry()

# provider(request, access, weeks) -> {week.pk: HTML} shown in the organizers' weeks table
week_table_details = Registry()

# Link: the cohort's tabs (Schedule, Who is ready, Members, Notifications …)
nav_links = Registry()

# Link: buttons on the cohort page (Who is ready, Facilitator guide)
cohort_links = Registry()

# Link (reversed with the week's number): buttons on the week page (Edit pre-work)
week_links = Registry()

# provider(request, access) -> HTML or None: notices at the top of the cohort page
cohort_notices = Registry()

# provider(request, access) -> HTML or None: sections at the end of the cohort page's side
cohort_sections = Registry()

# provider(request, access) -> HTML or None: sections of the member's preferences page
preference_sections = Registry()

# provider(request) -> [(label, url)]: actions on "My cohorts"
home_actions = Registry()

# provider(request, summaries) -> {cohort.pk: HTML}: a line per cohort on "My cohorts"
# (what is left for me, or who is ready), given every CohortSummary at once.
home_lines = Registry()


@dataclass
class CohortSummary:
    """One card on "My cohorts": my access and the session that is next (or running), or,
    for a cohort whose first session is further ahead than that, its first session."""

    access: object  # permissions.CohortAccess
    next_week: object | None
    lines: list
    first_week: object | None = None


def cohort_summaries_for(request, cohorts):
    """{cohort.pk: CohortSummary} for the signed-in member's cohorts, in a fixed number of
    queries however many cohorts there are."""
    memberships = {
        membership.cohort_id: membership
        for membership in Membership.objects.active().filter(user=request.user, cohort__in=cohorts)
    }
    by_pk = {cohort.pk: cohort for cohort in cohorts}
    weeks = {}
    for week in Week.objects.filter(cohort__in=cohorts):
        week.cohort = by_pk[week.cohort_id]
        weeks.setdefault(week.cohort_id, []).append(week)
    now = timezone.now()
    summaries = {}
    for cohort in cohorts:
        access = CohortAccess(cohort=cohort, membership=memberships.get(cohort.pk))
        cohort_weeks = weeks.get(cohort.pk, [])
        week = cohort.current_week(cohort_weeks, now=now)
        if week is not None and week.session_end < now:
            week = None  # the course is over
        if week is not None:
            # Named but unpublished: its title when the cohort shows upcoming topics.
            week.topic_visible = access.can_see_topic(week, now)
        first = cohort_weeks[0] if cohort_weeks else None
        starts_later = week is None and first is not None and first.session_start > now
        summaries[cohort.pk] = CohortSummary(access, week, [], first if starts_later else None)
    for provider in home_lines:
        for cohort_id, html in provider(request, list(summaries.values())).items():
            summaries[cohort_id].lines.append(html)
    return summaries
