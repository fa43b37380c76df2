"""Announcements: the cohort's mailing list.

An organizer or facilitator writes a subject and a Markdown body for an audience, previews
it (the rendered email, and exactly who gets it, with a reason for anyone left out), then
sends it now or schedules it on the cohort's clock; optionally it is also posted to the
cohort's Slack channel.

Sending claims one Delivery per recipient (key `announcement:<id>:<user id>`) and one for
Slack (`announcement:<id>:slack`), so a retry, a double click or two dispatch runs never
send twice. "Send now" claims at once; a scheduled one is claimed by the dispatch job when
its time comes. Each email is written just before it leaves (`prepare`): someone who left
the cohort or switched announcements off meanwhile gets nothing. Replies go to the author.

"Participants with work left for the current session" needs to know about pre-work, which
`notifications` does not: the app that knows registers a `work_left` provider.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership, Role, User, Week
from cohorts.registry import Registry

from . import dispatch, outbox, preferences
from .channels import email, slack
from .models import Announcement, Delivery

KIND = "announcement"
# A scheduled announcement whose time passed while dispatch was not running still goes out
# within this long; after that it is marked missed.
LOOKBACK = timedelta(days=2)

# provider(week, user_ids) -> {user_id: "what is left" (empty: nothing left)}
work_left = Registry()


@dataclass
class Recipient:
    membership: Membership
    reason: str  # why they get it, or why they are left out
    included: bool

    @property
    def user(self) -> User:
        return self.membership.user


@dataclass
class Audience:
    included: list
    left_out: list
    note: str = ""  # about the audience as a whole (e.g. no current session)

    @property
    def is_empty(self) -> bool:
        return not self.included


def cohort_end(cohort: Cohort) -> datetime | None:
    """The end of the cohort's last session (None without sessions)."""
    weeks = list(cohort.weeks.all())
    return weeks[-1].session_end if weeks else None


def _members(cohort: Cohort, audience: str) -> QuerySet[Membership]:
    members = Membership.objects.active().filter(cohort=cohort).by_name()
    if audience == Announcement.Audience.STAFF:
        return members.filter(role__in=[Role.ORGANIZER, Role.FACILITATOR])
    if audience in (Announcement.Audience.PARTICIPANTS, Announcement.Audience.WORK_LEFT):
        return members.filter(role=Role.PARTICIPANT)
    return members


def _work_left(week: Week, user_ids: list[int]) -> dict[int, str]:
    left: dict[int, str] = {}
    for provider in work_left:
        for user_id, text in provider(week, user_ids).items():
            if text:
                left[user_id] = "; ".join(filter(None, [left.get(user_id, ""), text]))
    return left


def audience(announcement: Announcement, now: datetime | None = None) -> Audience:
    """Who gets this announcement, and who of its audience is left out and why."""
    cohort = announcement.cohort
    now = now or timezone.now()
    members = list(_members(cohort, announcement.audience))
    off = preferences.opted_out(cohort, preferences.ANNOUNCEMENT)
    note = ""
    left: dict[int, str] | None = None
    if announcement.audience == Announcement.Audience.WORK_LEFT:
        week = cohort.current_week(now=now)
        if week is None or week.session_end < now:
            note = "There is no current session, so nobody has work left for it."
            left = {}
        else:
            week.cohort = cohort
            note = f"Work left for {week.heading}."
            left = _work_left(week, [m.user_id for m in members])
    result = Audience([], [], note)
    for membership in members:
        if left is not None and membership.user_id not in left:
            result.left_out.append(Recipient(membership, "Nothing left to do.", False))
        elif membership.pk in off:
            result.left_out.append(Recipient(membership, "Switched announcements off.", False))
        elif not membership.user.is_active:
            result.left_out.append(Recipient(membership, "The account is deactivated.", False))
        else:
            reason = left[membership.user_id] if left else membership.get_role_display()
            result.included.append(Recipient(membership, reason, True))
    return result


def dedupe_key(announcement: Announcement, user_id: int | str) -> str:
    return f"{KIND}:{announcement.pk}:{user_id}"


def decisions(announcement: Announcement, now: datetime) -> list[dispatch.Decision]:
    """One decision per person in the audience (send, or why not), and one for Slack."""
    send_at = announcement.send_at or now
    expires = send_at + LOOKBACK
    people = audience(announcement, now)
    out = [
        dispatch.Decision(
            KIND,
            dispatch.SEND,
            f"“{announcement.subject}”: {recipient.reason}",
            recipient=recipient.user.email,
            dedupe_key=dedupe_key(announcement, recipient.membership.user_id),
            subject=announcement.subject,
            payload={"announcement_id": announcement.pk, "user_id": recipient.membership.user_id},
            expires_at=expires,
        )
        for recipient in people.included
    ]
    out += [
        dispatch.Decision(
            KIND, dispatch.NO, f"“{announcement.subject}”: {r.reason}", recipient=r.user.email
        )
        for r in people.left_out
    ]
    if announcement.post_to_slack:
        out.append(
            dispatch.Decision(
                KIND,
                dispatch.SEND,
                f"“{announcement.subject}” in the cohort's Slack channel.",
                recipient="Slack channel",
                dedupe_key=dedupe_key(announcement, "slack"),
                channel=Delivery.Channel.SLACK,
                subject=announcement.subject,
                payload={"announcement_id": announcement.pk},
                expires_at=expires,
            )
        )
    return out


def plan(cohort: Cohort, now: datetime) -> list[dispatch.Decision]:
    """dispatch job: scheduled announcements whose time has come (and those still to come)."""
    out = []
    scheduled = Announcement.objects.filter(
        cohort=cohort,
        status=Announcement.Status.SCHEDULED,
        send_at__gt=now - LOOKBACK,
    ).select_related("cohort")
    for announcement in scheduled:
        if announcement.send_at > now:
            out.append(
                dispatch.Decision(
                    KIND,
                    dispatch.WAIT,
                    f"“{announcement.subject}” goes out "
                    f"{dispatch.local_text(cohort, announcement.send_at)}.",
                )
            )
        else:
            out.extend(decisions(announcement, now))
    return out


def send_now(announcement: Announcement, now: datetime | None = None) -> list[int] | None:
    """Mark a draft sent now and claim its deliveries; the caller queues the returned ids
    after commit. None when it was sent (or scheduled) already, e.g. by a double click."""
    now = now or timezone.now()
    hit = Announcement.objects.filter(pk=announcement.pk, status=Announcement.Status.DRAFT).update(
        status=Announcement.Status.SCHEDULED, send_at=now
    )
    if not hit:
        return None
    announcement.status, announcement.send_at = Announcement.Status.SCHEDULED, now
    wanted = [d for d in decisions(announcement, now) if d.action == dispatch.SEND]
    token = uuid.uuid4().hex
    outbox.claim_many([d.to_delivery(announcement.cohort) for d in wanted], token)
    return list(
        Delivery.objects.filter(
            dedupe_key__in=[d.dedupe_key for d in wanted],
            claim_token=token,
            status=Delivery.Status.PENDING,
        ).values_list("pk", flat=True)
    )


def schedule(announcement: Announcement, send_at: datetime) -> bool:
    """Schedule a draft for `send_at`; False when it is no longer a draft."""
    hit = Announcement.objects.filter(pk=announcement.pk, status=Announcement.Status.DRAFT).update(
        status=Announcement.Status.SCHEDULED, send_at=send_at
    )
    return bool(hit)


def unschedule(announcement: Announcement, now: datetime | None = None) -> bool:
    """Back to a draft, while its time has not come; False once it is going out."""
    hit = Announcement.objects.filter(
        pk=announcement.pk,
        status=Announcement.Status.SCHEDULED,
        send_at__gt=now or timezone.now(),
    ).update(status=Announcement.Status.DRAFT)
    return bool(hit)


def new_form_key() -> str:
    return uuid.uuid4().hex


def preview_email(announcement: Announcement, membership: Membership) -> tuple[str, str]:
    """(subject, text) of the email as the previewer would get it."""
    subject, text, _html = email.render(
        "announcement",
        {
            "cohort": announcement.cohort,
            "announcement": announcement,
            "user": membership.user,
            "url": absolute_url(announcement),
            "unsubscribe_url": "(your own unsubscribe link)",
            "preferences_url": preferences.preferences_url(announcement.cohort),
        },
    )
    return subject, text


def delivery_counts(announcement: Announcement) -> dict[str, int]:
    """{status label: count} of its emails and Slack post, for the author's page."""
    rows = (
        Delivery.objects.filter(
            cohort=announcement.cohort, dedupe_key__startswith=f"{KIND}:{announcement.pk}:"
        )
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    labels = dict(Delivery.Status.choices)
    return {labels[status]: n for status, n in rows}


# --- Just before sending ------------------------------------------------------------------


def absolute_url(announcement: Announcement) -> str:
    path = reverse("notifications:announcement", args=[announcement.cohort.slug, announcement.pk])
    return f"{settings.SITE_URL}{path}"


def slack_message(announcement: Announcement) -> dict:
    url = absolute_url(announcement)
    author = announcement.author.display_name if announcement.author else "The organizers"
    blocks = [
        slack.section(f"*{slack.link(url, announcement.subject)}*"),
        slack.section(slack.escape(announcement.body)),
        slack.context(
            f"From {slack.escape(author)} to {slack.escape(announcement.cohort.title)} · "
            + slack.link(url, "Read it in Homeroom")
        ),
    ]
    fallback = f"{slack.escape(announcement.subject)} — {slack.escape(announcement.body)}"
    return slack.message(blocks, fallback, more_url=url, more_text="Read the rest in Homeroom")


def prepare(claimed: Delivery) -> outbox.Withhold | None:
    """Write the message as the announcement and the recipient are now."""
    announcement = (
        Announcement.objects.select_related("cohort", "author")
        .filter(pk=claimed.payload.get("announcement_id"))
        .first()
    )
    if announcement is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, "The announcement was deleted.")
    if claimed.channel == Delivery.Channel.SLACK:
        claimed.payload = {**slack_message(announcement), "announcement_id": announcement.pk}
        claimed.body_text = claimed.payload["text"]
        return None
    cohort = announcement.cohort
    membership = (
        Membership.objects.active()
        .filter(cohort=cohort, user_id=claimed.payload.get("user_id"))
        .select_related("user")
        .first()
    )
    if membership is None:
        return outbox.Withhold(Delivery.Status.SKIPPED, "Left the cohort.")
    if not preferences.wants(membership, preferences.ANNOUNCEMENT):
        return outbox.Withhold(Delivery.Status.SKIPPED, "Switched announcements off.")
    if not membership.user.is_active:
        return outbox.Withhold(Delivery.Status.SKIPPED, "The account is deactivated.")
    unsubscribe = preferences.unsubscribe_url(membership, preferences.ANNOUNCEMENT)
    claimed.subject, claimed.body_text, claimed.body_html = email.render(
        "announcement",
        {
            "cohort": cohort,
            "announcement": announcement,
            "user": membership.user,
            "url": absolute_url(announcement),
            "unsubscribe_url": unsubscribe,
            "preferences_url": preferences.preferences_url(cohort),
        },
    )
    claimed.recipient = membership.user.email
    claimed.headers = preferences.list_headers(unsubscribe)
    if announcement.author is not None:
        claimed.headers["Reply-To"] = announcement.author.email
    return None


job = dispatch.Job(kind=KIND, plan=plan, prepare=prepare)
