"""The Slack digest: one message per session, weekly or before each session.

Weekly (the default for weekly cohorts) works as below. Before each session (the default for
daily cohorts and lists of dates) the digest about a session goes out at the digest time on
the session's day, or on the day before when the session starts earlier, never before the
previous session has ended (`Cohort.session_digest_time`); the content and the dedupe key are
the same.

At the digest time (default Monday 09:00 in the cohort's time zone) the digest is about the
next session within seven days: its pre-work with minutes, what is due, when the session is,
how many finished last week's pre-work, the top muddiest points so far, new shared resources,
and a link to the week page. One per week: the dedupe key is the week, so changing the digest
time, or a dispatch catching up after downtime, never posts a second one. It waits until the
week is published, and is not posted once the session has begun.

The message is built just before sending (`prepare`), so it shows the state at that moment.
Every piece of user text goes through `cohorts.slack.escape` / `link`.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from assignments.progress import statuses
from cohorts.dates import when
from cohorts.models import DigestCadence, Membership
from cohorts.permissions import joined_before
from notifications import dispatch
from notifications.channels import slack
from notifications.models import Delivery

from .models import MuddiestPoint, SharedResource
from .survey import response_rate

KIND = "digest"
TOP_MUDDIEST = 3
TOP_RESOURCES = 5


def latest_slot(cohort, now):
    """The most recent digest time at or before `now`, on the cohort's local clock."""
    local_now = cohort.local(now)
    day = local_now.date() - timedelta(days=(local_now.weekday() - cohort.digest_weekday) % 7)
    slot = datetime.combine(day, cohort.digest_time, tzinfo=cohort.tz)
    if slot > now:
        slot = datetime.combine(day - timedelta(days=7), cohort.digest_time, tzinfo=cohort.tz)
    return slot


def next_slot(cohort, now):
    slot = latest_slot(cohort, now)
    return datetime.combine(slot.date() + timedelta(days=7), cohort.digest_time, tzinfo=cohort.tz)


def week_for_slot(cohort, slot):
    """The week a digest at `slot` is about: the next session, if it is within seven days."""
    week = next((w for w in cohort.weeks.all() if w.session_start > slot), None)
    if week is None or week.session_start > slot + timedelta(days=7):
        return None
    return week


def plan(cohort, now):
    """dispatch job: whether this cohort's digest is due now, and why (or why not)."""
    if not cohort.slack_webhook_url:
        return [dispatch.Decision(KIND, dispatch.NO, "No Slack webhook is set, so no digest.")]
    if cohort.slack_webhook_disabled_at:
        return [
            dispatch.Decision(
                KIND,
                dispatch.NO,
                "The Slack webhook is disabled since "
                f"{dispatch.local_text(cohort, cohort.slack_webhook_disabled_at)} "
                f"({cohort.slack_webhook_error}); paste a new one to resume the digest.",
            )
        ]
    if cohort.digest_cadence == DigestCadence.SESSION:
        return plan_per_session(cohort, now)
    slot = latest_slot(cohort, now)
    upcoming = dispatch.local_text(cohort, next_slot(cohort, now))
    week = week_for_slot(cohort, slot)
    if week is None:
        return [
            dispatch.Decision(
                KIND,
                dispatch.WAIT,
                f"No session in the week after the last digest time "
                f"({dispatch.local_text(cohort, slot)}); next digest time {upcoming}.",
            )
        ]
    if now >= week.session_start:
        return [
            dispatch.Decision(
                KIND,
                dispatch.WAIT,
                f"{week.label}'s session has begun, so its digest is no longer useful; "
                f"next digest time {upcoming}.",
                week,
            )
        ]
    return [send_or_wait(cohort, week, slot, now, f"Weekly digest: {week.heading}")]


def send_or_wait(cohort, week, slot, now, subject):
    if not week.is_published(now):
        return dispatch.Decision(
            KIND,
            dispatch.WAIT,
            f"The digest for {week.label} waits until its pre-work is published.",
            week,
        )
    return dispatch.Decision(
        KIND,
        dispatch.SEND,
        f"Digest time {dispatch.local_text(cohort, slot)} has passed; about {week.label}, "
        f"whose session is {dispatch.local_text(cohort, week.session_start)}.",
        week,
        recipient=f"Slack webhook {cohort.slack_webhook_hint}",
        dedupe_key=f"{KIND}:{cohort.pk}:{week.pk}",
        channel=Delivery.Channel.SLACK,
        subject=subject,
        expires_at=week.session_start,
    )


def plan_per_session(cohort, now):
    """Before each session: the digest about the next session once its time has come."""
    weeks = list(cohort.weeks.all())
    index = next((i for i, w in enumerate(weeks) if w.session_start > now), None)
    if index is None:
        return [dispatch.Decision(KIND, dispatch.NO, "No session ahead, so no digest.")]
    week = weeks[index]
    slot = cohort.session_digest_time(week, weeks[index - 1] if index else None)
    if now < slot:
        return [
            dispatch.Decision(
                KIND,
                dispatch.WAIT,
                f"The digest for {week.label} goes out {dispatch.local_text(cohort, slot)}, "
                f"before its session ({dispatch.local_text(cohort, week.session_start)}).",
                week,
            )
        ]
    return [send_or_wait(cohort, week, slot, now, f"Digest: {week.heading}")]


def completion_line(cohort, week):
    """'Last week (Week 3): 14 of 20 finished the pre-work.' ('Last time (Day 1): …' for
    other units) — or None for the first session."""
    previous = next((w for w in cohort.weeks.all() if w.number == week.number - 1), None)
    if previous is None or not previous.is_published():
        return None
    # Who joined after that session is not counted for it.
    people = [
        m
        for m in Membership.objects.active_participants(cohort)
        if joined_before(m.joined_at, previous)
    ]
    if not people:
        return None
    table = statuses([previous], [m.user_id for m in people])
    finished = sum(1 for m in people if table[(m.user_id, previous.pk)].prework_finished)
    when = "Last week" if cohort.unit_name == "Week" else "Last time"
    return f"{when} ({previous.label}): {finished} of {len(people)} finished the pre-work."


def survey_line(cohort, week, now):
    """The response rate of the last session's survey, e.g. "Survey for Week 3: 9 of 12
    answered (75%)"."""
    held = [w for w in cohort.weeks.all() if w.session_end <= now and w.number < week.number]
    if not held:
        return ""
    last = held[-1]
    answered, asked = response_rate(last)
    if not asked:
        return ""
    return f"Survey for {last.label}: {answered} of {asked} answered ({round(100 * answered / asked)}%)"


def muddiest_lines(week):
    points = MuddiestPoint.objects.filter(week=week).ranked()[:TOP_MUDDIEST]
    return [
        f"{slack.escape(point.text)}"
        + (f" (+{point.vote_count})" if getattr(point, "vote_count", 0) else "")
        for point in points
    ]


def resource_lines(cohort, since):
    resources = (
        SharedResource.objects.filter(week__cohort=cohort, created_at__gte=since)
        .select_related("shared_by")
        .ranked()[:TOP_RESOURCES]
    )
    return [
        f"{slack.link(resource.url, resource.title)} — shared by "
        f"{slack.escape(resource.shared_by.display_name)}"
        + (f": {slack.escape(resource.note)}" if resource.note else "")
        for resource in resources
    ]


def build(cohort, week, now=None):
    """The Block Kit message (with its text fallback) for one week's digest."""
    now = now or timezone.now()
    week_url = f"{settings.SITE_URL}{week.get_absolute_url()}"
    page = f"the {week.label} page"
    session = f"{when(week.session_start, cohort)} ({cohort.time_zone})"
    items = list(week.prework_items.all())
    required = [item for item in items if item.required]
    minutes = sum(item.minutes for item in required)

    blocks = [
        slack.section(
            f"*{slack.link(week_url, week.heading)}* · "
            f"{slack.escape(cohort.title)}\n*Session:* {slack.escape(session)}"
            + (f" · {_location(cohort.location)}" if cohort.location else "")
        )
    ]
    if items:
        lines = [
            f"{slack.link(item.url, item.title)} — {item.get_kind_display().lower()}"
            + (f", {item.minutes} min" if item.minutes else "")
            + ("" if item.required else " (optional)")
            for item in items
        ]
        title = f"Pre-work: {len(required)} required" + (f", {minutes} min" if minutes else "")
        blocks.extend(slack.list_sections(title, lines, page=page))
    else:
        blocks.append(slack.section(f"*Pre-work:* nothing posted for {week.label}."))
    assignments = list(week.assignments.all())
    if assignments:
        blocks.extend(
            slack.list_sections(
                "Due",
                [f"{slack.escape(a.title)} — {when(a.due_at, cohort)}" for a in assignments],
                page=page,
            )
        )
    completion = completion_line(cohort, week)
    if completion:
        blocks.append(slack.context(slack.escape(completion)))
    survey_rate = survey_line(cohort, week, now)
    if survey_rate:
        blocks.append(slack.context(slack.escape(survey_rate)))
    muddiest = muddiest_lines(week)
    if muddiest:
        blocks.append(slack.divider())
        blocks.extend(slack.list_sections("Muddiest points so far", muddiest, page=page))
    resources = resource_lines(cohort, now - timedelta(days=7))
    if resources:
        blocks.append(slack.divider())
        blocks.extend(slack.list_sections("New shared resources", resources, page=page))
    blocks.append(slack.context(slack.link(week_url, f"Open {week.label} in Homeroom")))

    fallback = (
        f"{slack.escape(cohort.title)}, {slack.escape(week.heading)}. "
        f"Session {slack.escape(session)}. "
        f"Pre-work: {len(required)} required"
        + (f", {minutes} min" if minutes else "")
        + ". "
        + (f"{slack.escape(completion)} " if completion else "")
        + f"{week_url}"
    )
    return slack.message(blocks, fallback, more_url=week_url, more_text=f"More on {page}")


def _location(location):
    if location.startswith("https://"):
        return slack.link(location, "Join the call")
    return slack.escape(location)


def prepare(claimed):
    """Just before sending: build the digest from the week as it is now."""
    week = claimed.week
    claimed.payload = build(week.cohort, week)
    claimed.body_text = claimed.payload["text"]
    return None


job = dispatch.Job(kind=KIND, plan=plan, prepare=prepare)
