"""The news participants wait for, by email: a session's pre-work is open, and a facilitator
left feedback on their hand-in. Both are dispatch jobs, claimed once per key.

- "Week 2 is open": when a session's pre-work is published (at once, or at its scheduled
  time), each active participant gets one email with the pre-work and what is due when.
  The key names the week and the person only, so a week unpublished and published again
  never sends a second one. Only a publication within the last day counts (no flood of old
  weeks), and nothing goes once the session has begun.
- "Feedback on your hand-in": once per new feedback — the key names the hand-in and the
  version of it the feedback is about, so editing the feedback sends nothing more, while
  feedback on a handed-in-again version is news again.

Each respects the member's switch for its kind (notifications.preferences).
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings

from cohorts.models import Cohort, Membership, Role
from notifications import dispatch, outbox, preferences
from notifications.channels import email
from notifications.models import Delivery

from .models import Assignment, PreworkItem, Submission

KIND_OPENED = "week_opened"
KIND_FEEDBACK = "feedback_left"
LOOKBACK = timedelta(days=1)


def wall_clock(cohort: Cohort, moment: datetime) -> datetime:
    """The cohort's local time, naive, for `|date` (which would convert an aware one to the
    active time zone)."""
    return cohort.local(moment).replace(tzinfo=None)


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%S%f}"


# --- The week is open --------------------------------------------------------------------------


def plan_opened(cohort: Cohort, now: datetime) -> list[dispatch.Decision]:
    weeks = [
        week
        for week in cohort.weeks.all()
        if week.publish_at is not None
        and now - LOOKBACK < week.publish_at <= now
        and now < week.session_start
    ]
    if not weeks:
        return []
    people = list(Membership.objects.active_participants(cohort))
    off = preferences.opted_out(cohort, preferences.WEEK_OPENED)
    decisions = []
    for week in weeks:
        for membership in people:
            user = membership.user
            if membership.pk in off:
                decisions.append(
                    dispatch.Decision(
                        KIND_OPENED, dispatch.NO, "Switched these emails off.", week, user.email
                    )
                )
            elif not user.is_active:
                decisions.append(
                    dispatch.Decision(
                        KIND_OPENED, dispatch.NO, "The account is deactivated.", week, user.email
                    )
                )
            else:
                decisions.append(
                    dispatch.Decision(
                        KIND_OPENED,
                        dispatch.SEND,
                        f"{week.label}'s pre-work is open.",
                        week,
                        recipient=user.email,
                        dedupe_key=f"{KIND_OPENED}:{week.pk}:{membership.user_id}",
                        subject=f"{week.label} is open",
                        payload={"user_id": membership.user_id},
                        expires_at=week.session_start,
                    )
                )
    return decisions


def _member(cohort: Cohort, user_id: int | None, kind: str) -> tuple[Membership | None, str]:
    membership = (
        Membership.objects.active()
        .filter(cohort=cohort, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None, "Left the cohort."
    if membership.role != Role.PARTICIPANT:
        return None, "No longer a participant."
    if not preferences.wants(membership, kind):
        return None, "Switched these emails off."
    if not membership.user.is_active:
        return None, "The account is deactivated."
    return membership, ""


def _address(claimed: Delivery, membership: Membership, kind: str) -> None:
    unsubscribe = preferences.unsubscribe_url(membership, kind)
    claimed.recipient = membership.user.email
    claimed.headers = preferences.list_headers(unsubscribe)


def prepare_opened(claimed: Delivery) -> outbox.Withhold | None:
    week = claimed.week
    if week is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, "The session was deleted.")
    cohort = week.cohort
    if not week.is_published():
        return outbox.Withhold(Delivery.Status.SKIPPED, "Unpublished again before sending.")
    membership, reason = _member(cohort, claimed.payload.get("user_id"), preferences.WEEK_OPENED)
    if membership is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, reason)
    items = list(PreworkItem.objects.filter(week=week))
    claimed.subject, claimed.body_text, claimed.body_html = email.render(
        "week_opened",
        {
            "cohort": cohort,
            "week": week,
            "user": membership.user,
            "items": items,
            "required_minutes": sum(item.minutes for item in items if item.required),
            "assignment_dues": [
                (assignment, wall_clock(cohort, assignment.due_at))
                for assignment in Assignment.objects.filter(week=week)
            ],
            "session_local": wall_clock(cohort, week.session_start),
            "week_url": f"{settings.SITE_URL}{week.get_absolute_url()}",
            "unsubscribe_url": preferences.unsubscribe_url(membership, preferences.WEEK_OPENED),
            "preferences_url": preferences.preferences_url(cohort),
        },
    )
    _address(claimed, membership, preferences.WEEK_OPENED)
    return None


# --- Feedback on a hand-in ---------------------------------------------------------------------


def feedback_key(submission: Submission) -> str:
    return f"{KIND_FEEDBACK}:{submission.pk}:{_stamp(submission.updated_at)}"


def plan_feedback(cohort: Cohort, now: datetime) -> list[dispatch.Decision]:
    given = (
        Submission.objects.filter(
            assignment__week__cohort=cohort,
            feedback_at__gt=now - LOOKBACK,
            feedback_at__lte=now,
        )
        .exclude(feedback="")
        .select_related("user", "assignment__week")
    )
    return [
        dispatch.Decision(
            KIND_FEEDBACK,
            dispatch.SEND,
            f"Feedback on “{submission.assignment.title}”.",
            submission.assignment.week,
            recipient=submission.user.email,
            dedupe_key=feedback_key(submission),
            subject=f"Feedback on your hand-in: {submission.assignment.title}",
            payload={"submission_id": submission.pk, "user_id": submission.user_id},
        )
        for submission in given
    ]


def prepare_feedback(claimed: Delivery) -> outbox.Withhold | None:
    submission = (
        Submission.objects.select_related("assignment__week__cohort", "feedback_by", "user")
        .filter(pk=claimed.payload.get("submission_id"))
        .first()
    )
    if submission is None or not submission.feedback.strip():
        return outbox.Withhold(Delivery.Status.SKIPPED, "The feedback was removed.")
    week = submission.assignment.week
    cohort = week.cohort
    membership, reason = _member(cohort, submission.user_id, preferences.FEEDBACK)
    if membership is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, reason)
    claimed.subject, claimed.body_text, claimed.body_html = email.render(
        "feedback_left",
        {
            "cohort": cohort,
            "week": week,
            "user": membership.user,
            "submission": submission,
            "by": submission.feedback_by.display_name if submission.feedback_by else "",
            "week_url": f"{settings.SITE_URL}{week.get_absolute_url()}",
            "unsubscribe_url": preferences.unsubscribe_url(membership, preferences.FEEDBACK),
            "preferences_url": preferences.preferences_url(cohort),
        },
    )
    _address(claimed, membership, preferences.FEEDBACK)
    return None


opened_job = dispatch.Job(kind=KIND_OPENED, plan=plan_opened, prepare=prepare_opened)
feedback_job = dispatch.Job(kind=KIND_FEEDBACK, plan=plan_feedback, prepare=prepare_feedback)
