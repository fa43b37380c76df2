"""Calendar feeds: each member's private calendar.ics with the cohort's sessions and due dates.

Calendar apps subscribe to a URL and fetch it every few hours without a session, so the
feed is reached by a secret token in the URL (`Membership.calendar_token`), never by
signing in: `/c/<slug>/calendar.ics?token=…`. A wrong or reset token, a token of another
cohort and a member who left all get 404, as a non-member does on every other cohort page.

Times carry the cohort's time zone (TZID) with a VTIMEZONE describing its daylight saving
changes over the feed's dates, so a 16:00 Berlin session reads 16:00 Berlin in any app.
Every event has a stable UID (one per week's session, one per assignment), so when a
session moves the next fetch replaces the event instead of adding one; DTSTAMP is the
moment the feed was made. Subscribed calendars take each fetch as the whole truth: an
event missing from it (a deleted assignment) disappears.

Due dates belong to `assignments`, which registers an event provider here from its
AppConfig.ready(): provider(access, weeks, stamp) -> [icalendar.Event].
"""

from datetime import UTC, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import Membership
from .pages import Registry
from .permissions import CohortAccess
from .secrets import digest

events = Registry()

REFRESH = timedelta(hours=6)


def membership_for(slug, token):
    """The active membership a feed token opens in this cohort, or None."""
    if not token:
        return None
    return (
        Membership.objects.active()
        .select_related("cohort", "user")
        .filter(cohort__slug=slug, calendar_token_digest=digest(token))
        .first()
    )


def uid(kind, pk):
    """Stable across fetches and unique to this site, as RFC 5545 asks."""
    return f"{kind}-{pk}@{urlsplit(settings.SITE_URL).netloc or 'homeroom'}"


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def event(cohort, *, uid, summary, start, stamp, end=None, description="", location="", url=""):
    """A VEVENT on the cohort's clock; without `end` it is a moment (zero length, free)."""
    item = icalendar.Event()
    item.add("uid", uid)
    item.add("dtstamp", stamp)
    item.add("summary", summary)
    item.add("dtstart", cohort.local(start))
    if end is not None:
        item.add("dtend", cohort.local(end))
    else:
        item.add("transp", "TRANSPARENT")
    if description:
        item.add("description", description)
    if location:
        item.add("location", location)
    if url:
        item.add("url", url)
    return item


def session_event(cohort, week, stamp, show_title=True):
    # Participants learn a week's topic when its pre-work is published (or earlier, when the
    # cohort shows upcoming topics), here as on the site.
    heading = week.heading if show_title else week.label
    lines = [f"{heading} of {cohort.title}"]
    if cohort.location.startswith(("https://", "http://")):
        lines.append(f"Join the call: {cohort.location}")
    lines.append(f"{week.label} page: {absolute(week.get_absolute_url())}")
    return event(
        cohort,
        uid=uid("session", week.pk),
        summary=f"{cohort.title} · {heading}",
        start=week.session_start,
        end=week.session_end,
        stamp=stamp,
        description="\n".join(lines),
        location=cohort.location,
        url=absolute(week.get_absolute_url()),
    )


def feed(membership, now=None):
    """The member's calendar as iCalendar bytes."""
    cohort = membership.cohort
    stamp = (now or timezone.now()).astimezone(UTC)
    access = CohortAccess.of(membership)
    weeks = list(cohort.weeks.all())
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Homeroom//Cohort calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # One line, whatever an old row holds: a line break here would end the property.
    name = " ".join(cohort.title.split())
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", cohort.time_zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")  # Outlook's older spelling of the same
    components = [
        session_event(cohort, week, stamp, show_title=access.can_see_topic(week)) for week in weeks
    ]
    for provider in events:
        components.extend(provider(access, weeks, stamp))
    for component in components:
        calendar.add_component(component)
    if components:
        starts = [component.decoded("dtstart") for component in components]
        # VTIMEZONE rules covering the feed's dates (and a margin), not all of history.
        calendar.add_missing_timezones(
            first_date=min(starts).date() - timedelta(days=366),
            last_date=max(starts).date() + timedelta(days=366),
        )
    return calendar.to_ical()
