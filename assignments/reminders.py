"""Homework reminders: before each session, one email to each participant with work left.

The reminder for a session goes out at the cohort's reminder lead before it — so many hours
(counted on the cohort's wall clock: 48 hours before Monday 18:00 is Saturday 18:00, across a
daylight saving change too) or the evening before at a set time — but never before the
previous session has ended (`Cohort.reminder_time`); once the session is published, and
never once it has begun. It
goes to active participants with unfinished required pre-work or an assignment not handed in,
never to people who finished, left the cohort or switched reminders off.

The dedupe key names the week, the person and the session time, so a person gets one reminder
per week whatever roles they hold, and a moved session gets a reminder of its own. The email
is written just before sending (`prepare`), so it lists exactly what is left at that moment;
by then someone who finished, left or opted out is skipped instead.
"""

from collections import defaultdict
from datetime import UTC, timedelta

from django.conf import settings

from cohorts.dates import when
from cohorts.models import Membership, Role
from notifications import dispatch, outbox
from notifications.channels import email
from notifications.models import Delivery

from .models import Completion, Submission
from .progress import remaining

KIND = "reminder"


def reminder_time(cohort, week, previous=None):
    """When the session's reminders go out: the lead before it on the local clock, never
    before `previous` (the session before it) has ended."""
    return cohort.reminder_time(week, previous)


def previous_of(weeks):
    """{week.pk: the session before it (or None)}."""
    return {week.pk: previous for previous, week in zip([None, *weeks], weeks, strict=False)}


def dedupe_key(week, user_id):
    return f"{KIND}:{week.pk}:{user_id}:{session_key(week)}"


def work_left(week, user_ids):
    """{user_id: Remaining} for one week, in four queries whatever the number of people."""
    items = list(week.prework_items.all())
    assignments = list(week.assignments.all())
    completed, submitted = defaultdict(set), defaultdict(set)
    for user_id, item_id in Completion.objects.filter(
        item__week=week, user__in=user_ids
    ).values_list("user_id", "item_id"):
        completed[user_id].add(item_id)
    for user_id, assignment_id in Submission.objects.filter(
        assignment__week=week, user__in=user_ids
    ).values_list("user_id", "assignment_id"):
        submitted[user_id].add(assignment_id)
    return {
        user_id: remaining(items, completed[user_id], assignments, submitted[user_id])
        for user_id in user_ids
    }


def left_summaries(week, user_ids):
    """{user_id: "2 videos, 25 min left" (empty: nothing left)}: who has work left for the
    week, for announcements to "participants with work left" (a notifications hook)."""
    left = work_left(week, user_ids)
    return {
        user_id: todo.summary() if todo.items or todo.assignments else ""
        for user_id, todo in left.items()
    }


def session_text(cohort, week):
    return f"{when(week.session_start, cohort)} ({cohort.time_zone})"


def plan(cohort, now):
    """dispatch job: who gets a reminder now, and who does not, and why.

    Every upcoming session whose reminder time has come is planned (a lead over a week
    reaches more than the next session); and a reminder window that passed while dispatch
    was not running leaves a "missed" record instead of nothing."""
    weeks = list(cohort.weeks.all())
    previous = previous_of(weeks)
    decisions = missed_window(cohort, weeks, now)
    upcoming = [w for w in weeks if w.session_start > now]
    for index, week in enumerate(upcoming):
        if index and now < reminder_time(cohort, week, previous[week.pk]):
            break
        decisions.extend(plan_week(cohort, week, now, previous[week.pk]))
    return decisions


def plan_week(cohort, week, now, previous=None):
    send_from = reminder_time(cohort, week, previous)
    session = session_text(cohort, week)
    if now < send_from:
        after = (
            f" (not before {previous.label} ends)"
            if previous is not None and send_from == previous.session_end
            else ""
        )
        return [
            dispatch.Decision(
                KIND,
                dispatch.WAIT,
                f"{week.label} reminders go out {dispatch.local_text(cohort, send_from)}, "
                f"{cohort.reminder_lead_text}{after}; the session is {session}.",
                week,
            )
        ]
    if not week.is_published(now):
        return [
            dispatch.Decision(
                KIND,
                dispatch.WAIT,
                f"{week.label} is not published yet; its reminders go out once it is "
                f"(until the session starts, {session}).",
                week,
            )
        ]
    people = list(Membership.objects.active_participants(cohort))
    left = work_left(week, [m.user_id for m in people])
    decisions = []
    for membership in people:
        user, todo = membership.user, left[membership.user_id]
        if not todo.items and not todo.assignments:
            decisions.append(
                dispatch.Decision(
                    KIND, dispatch.NO, f"Finished everything for {week.label}.", week, user.email
                )
            )
        elif membership.reminders_opt_out:
            decisions.append(
                dispatch.Decision(KIND, dispatch.NO, "Switched reminders off.", week, user.email)
            )
        elif not user.is_active:
            decisions.append(
                dispatch.Decision(
                    KIND, dispatch.NO, "The account is deactivated.", week, user.email
                )
            )
        else:
            decisions.append(
                dispatch.Decision(
                    KIND,
                    dispatch.SEND,
                    f"{todo.summary()}; the session is {session}.",
                    week,
                    recipient=user.email,
                    dedupe_key=dedupe_key(week, membership.user_id),
                    subject=subject(week, todo),
                    payload={
                        "user_id": membership.user_id,
                        "session_start": week.session_start.isoformat(),
                    },
                    expires_at=week.session_start,
                )
            )
    return decisions


KIND_MISSED = "reminders_missed"
# A window that passed unclaimed is recorded up to this long after its session.
MISSED_LOOKBACK = timedelta(days=7)


def session_key(week):
    return f"{week.session_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def missed_window(cohort, weeks, now):
    """A record (status missed, sent to nobody) for the last session's reminder window when
    it passed with no reminder claimed for it although participants had work left: dispatch
    was not running then."""
    past = [w for w in weeks if w.session_start <= now]
    if not past:
        return []
    week = past[-1]
    before = past[-2] if len(past) > 1 else None
    if now - week.session_start > MISSED_LOOKBACK:
        return []
    if week.publish_at is None or week.publish_at >= week.session_start:
        return []  # never published before its session: its reminders were never due
    people = [
        m
        for m in Membership.objects.active_participants(cohort)
        if not m.reminders_opt_out and m.user.is_active
    ]
    left = work_left(week, [m.user_id for m in people])
    waiting = sum(1 for m in people if left[m.user_id].items or left[m.user_id].assignments)
    if not waiting:
        return []
    window_start = max(reminder_time(cohort, week, before), week.publish_at)
    return [
        dispatch.Decision(
            KIND_MISSED,
            dispatch.SEND,
            f"{week.label}'s reminders were not sent: dispatch did not run between "
            f"{dispatch.local_text(cohort, window_start)} and the session "
            f"({session_text(cohort, week)}); {waiting} participant(s) had work left.",
            week,
            recipient=f"{waiting} participant(s)",
            dedupe_key=f"{KIND_MISSED}:{week.pk}:{session_key(week)}",
            status=Delivery.Status.MISSED,
            unless_claimed_like=(f"{KIND}:{week.pk}:", f":{session_key(week)}"),
        )
    ]


def subject(week, todo):
    return f"{week.label} of {week.cohort.title}: {todo.summary()} before the session"


def prepare(claimed):
    """Just before sending: still wanted? Then write the email with what is left right now."""
    week = claimed.week
    cohort = week.cohort
    user_id = claimed.payload.get("user_id")
    if claimed.payload.get("session_start") != week.session_start.isoformat():
        return outbox.Withhold(
            Delivery.Status.SKIPPED,
            "The session moved; the reminder for the new time is a separate one.",
            release_key=True,  # if the session moves back, its reminder is due again
        )
    membership = (
        Membership.objects.filter(cohort=cohort, user_id=user_id).select_related("user").first()
    )
    reason = None
    if membership is None or not membership.is_active:
        reason = "Left the cohort."
    elif membership.role != Role.PARTICIPANT:
        reason = "No longer a participant."
    elif membership.reminders_opt_out:
        reason = "Switched reminders off."
    elif not membership.user.is_active:
        reason = "The account is deactivated."
    if reason:
        return outbox.Withhold(Delivery.Status.SKIPPED, reason)
    todo = work_left(week, [user_id])[user_id]
    if not todo.items and not todo.assignments:
        return outbox.Withhold(Delivery.Status.SKIPPED, "Finished everything in time.")
    unsubscribe_url = f"{settings.SITE_URL}{membership.get_unsubscribe_url()}"
    subject_line, text, html = email.render(
        "reminder",
        {
            "cohort": cohort,
            "week": week,
            "user": membership.user,
            "todo": todo,
            "session": session_text(cohort, week),
            "session_local": cohort.local(week.session_start),
            "assignment_dues": [
                (assignment, cohort.local(assignment.due_at)) for assignment in todo.assignments
            ],
            "unsubscribe_url": unsubscribe_url,
        },
    )
    claimed.recipient = membership.user.email
    claimed.subject, claimed.body_text, claimed.body_html = subject_line, text, html
    claimed.headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return None


job = dispatch.Job(kind=KIND, plan=plan, prepare=prepare)
