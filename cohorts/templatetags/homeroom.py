from django import template
from django.conf import settings

from cohorts import dates, pages

register = template.Library()


@register.filter
def local(moment, cohort):
    """The cohort's wall-clock time for a stored (UTC) datetime, for `|date` to format.

    Returned naive on purpose: Django's `date` filter converts aware datetimes to the
    active time zone, which outside a cohort page (emails, other cohorts) is not the
    cohort's.
    """
    if moment is None:
        return None
    return cohort.local(moment).replace(tzinfo=None)


@register.filter
def when(moment, cohort):
    """'Thu 3 Sep 2026, 16:00' on the cohort's clock: the app's one date-and-time format."""
    if moment is None:
        return ""
    return dates.when(moment, cohort)


LINK_REGISTRIES = {
    "nav": pages.nav_links,
    "cohort": pages.cohort_links,
    "week": pages.week_links,
}


@register.simple_tag
def cohort_links(where, access, week=None):
    """(link, url) pairs other apps registered for this place (see cohorts.pages)."""
    return pages.links_for(LINK_REGISTRIES[where], access, week)


@register.filter
def is_current(link, request):
    return link.is_current(request)


@register.filter
def absolute(path):
    """An absolute URL on the site's one address (SITE_URL), whatever host the page came in on."""
    return f"{settings.SITE_URL}{path}"


@register.filter
def webcal(path):
    """The same address for calendar apps: webcal:// asks them to subscribe."""
    return "webcal://" + f"{settings.SITE_URL}{path}".split("://", 1)[1]


@register.filter
def kind_label(kind, cohort):
    """A message kind's code as words on this cohort's pages: "week_opened" reads "Day
    opened" in a daily cohort, "reminders_missed" "Reminders missed"."""
    words = str(kind).split(":", 1)[0].replace("_", " ").split()
    unit, units = cohort.unit_name.lower(), cohort.unit_plural.lower()
    words = [unit if word == "week" else units if word == "weeks" else word for word in words]
    return " ".join(words).capitalize() if words else ""
