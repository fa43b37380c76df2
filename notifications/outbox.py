"""The one way out: every email and every Slack message leaves here.

Claim before send: a Delivery row with a unique dedupe key is created first. Sending it is
three short steps, and no database transaction or row lock is ever held while a mail server
or Slack answers:

1. In a short transaction, a conditional update moves the row from pending to *sending*
   (with `sending_since`) and counts the attempt. It must hit exactly one row: whoever
   loses that race sends nothing.
2. With no transaction open, the message goes to the mail server or Slack, within a total
   deadline (EMAIL_SEND_DEADLINE_SECONDS, SLACK_TIMEOUT_SECONDS).
3. In a second short transaction the outcome is recorded: sent, retry at, failed, webhook
   gone, missed, skipped, or unknown.

A sender that stops between 1 and 3 (worker killed, machine restarted) leaves the row in
*sending*; after OUTBOX_SENDING_STALE_SECONDS dispatch marks it *unknown — the sender stopped
mid-send*. Unknown rows are never sent again by themselves: for a reminder or a digest a
duplicate is worse than a gap; invitations (and announcements) offer "Resend" in the log.

Just before sending, a row that has become too late (`expires_at`) is marked missed, and the
kind's preparer (registered by the app that owns the message, e.g. homework reminders) may
fill in fresh content or withhold it: someone who opted out or finished in the meantime gets
nothing, and the row says why.
"""

import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from cohorts.dates import when
from cohorts.models import Cohort, Membership, Role, Week
from cohorts.secrets import digest

from .channels import email, slack
from .models import Delivery

log = logging.getLogger(__name__)

# Failed attempts before giving up; Slack's "slow down" answers (429) do not count.
MAX_ATTEMPTS = 5
# Slack's 429s are waited out this many times at most (each wait is Retry-After, ≤ 1 hour).
MAX_RATE_LIMITED = 50
# A pending row nobody has tried for this long lost its queued send (a worker died between
# claim and send, or the broker lost the message); dispatch queues it again.
STALE_AFTER = timedelta(minutes=10)
# A queued retry may run a little before its time by another process's clock.
EARLY_TOLERANCE = timedelta(seconds=5)
# Kinds that an organizer may resend from the delivery log when their outcome is unknown
# (or failed): sending one twice does no harm. Reminders and digests are never resent.
RESENDABLE_KINDS = frozenset({"invitation", "announcement"})

STOPPED_MID_SEND = "The sender stopped mid-send (no outcome after {minutes} min)"


@dataclass(frozen=True)
class SendOutcome:
    delivery: Delivery
    retry_in: int | None = None  # seconds until the next try, when one is due
    follow_ups: tuple = ()  # deliveries claimed while recording, to queue after commit


@dataclass(frozen=True)
class Withhold:
    """A preparer's answer: do not send this one, and record why.

    `release_key` frees the row's dedupe key (the row stays in the log under another key),
    for a row that no longer stands for its key, e.g. a reminder for a session time that
    changed: if the session moves back, its reminder can be claimed again."""

    status: str  # Delivery.Status.SKIPPED or Delivery.Status.MISSED
    reason: str
    release_key: bool = False


@dataclass
class Preparers:
    """kind -> prepare(delivery) -> Withhold | None, called once the row is claimed for
    sending, just before the message leaves. It may update subject, bodies, headers and
    payload; they are saved with the outcome."""

    by_kind: dict = field(default_factory=dict)

    def register(self, kind: str, prepare: "Prepare") -> None:
        self.by_kind[kind] = prepare

    def get(self, kind: str) -> "Prepare | None":
        return self.by_kind.get(kind)


Prepare = Callable[[Delivery], Withhold | None]
preparers = Preparers()


@dataclass(frozen=True)
class Content:
    """An email's content kept in memory only (account emails: their secrets are never
    stored)."""

    subject: str
    body_text: str
    body_html: str = ""


def claim(
    *,
    kind: str,
    recipient: str,
    dedupe_key: str,
    channel: str = Delivery.Channel.EMAIL,
    **fields: Any,
) -> Delivery | None:
    """Create the Delivery for `dedupe_key`, or return None if it was claimed before."""
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                kind=kind, channel=channel, recipient=recipient, dedupe_key=dedupe_key, **fields
            )
    except IntegrityError:
        return None


def claim_email(
    *,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    cohort: Cohort | None = None,
    week: Week | None = None,
    headers: dict[str, str] | None = None,
) -> Delivery | None:
    subject, text, html = email.render(template, context)
    return claim(
        kind=kind,
        recipient=to,
        dedupe_key=dedupe_key,
        cohort=cohort,
        week=week,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
    )


def unique_key(kind: str) -> str:
    """For messages that are not on a schedule (account emails, invitations)."""
    return f"{kind}:{uuid.uuid4().hex}"


def claim_many(deliveries: list[Delivery], token: str = "") -> None:
    """Insert many unsaved Delivery rows at once; keys claimed before are left alone.

    Returns nothing: with ON CONFLICT DO NOTHING the database does not say which rows it
    kept. Rows are stamped with `token`, so the caller finds the ones it inserted itself.
    """
    for delivery in deliveries:
        delivery.claim_token = token
    with _sqlite_variable_limit():
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)


@contextmanager
def _sqlite_variable_limit() -> Iterator[None]:
    """Django 5.2 assumes SQLite's old limit of 999 variables per statement; the SQLite this
    runs on says its own (250,000 on Debian's build). Use it, so a dispatch inserts its rows in
    one statement whatever the number of columns."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features = connection.features
    features.max_query_params = min(
        connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 32766
    )
    try:
        yield
    finally:
        del features.max_query_params  # back to the class's default


def requeue_stale(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Ids of pending rows whose queued send was lost; marks them so the next sweep waits."""
    now = now or timezone.now()
    stale = list(
        Delivery.objects.annotate(due=Coalesce("next_attempt_at", "created_at"))
        .filter(status=Delivery.Status.PENDING, due__lt=now - STALE_AFTER)
        .order_by("due")
        .values_list("pk", flat=True)[:limit]
    )
    if stale:
        Delivery.objects.filter(pk__in=stale).update(next_attempt_at=now)
    return stale


def stale_sending_limit() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS)


def unknown_reason(kind: str) -> str:
    limit = stale_sending_limit()
    text = STOPPED_MID_SEND.format(minutes=max(1, round(limit.total_seconds() / 60)))
    if kind in RESENDABLE_KINDS:
        return f"{text}: it may or may not have arrived. Resend it if it did not."
    return f"{text}: it may or may not have arrived, and it is not sent again (a duplicate is worse than a gap)."


def mark_stale_sending(now: datetime | None = None) -> list[int]:
    """Rows left in *sending* longer than the stale limit become *unknown*; returns their ids.

    The limit is longer than any send's deadline, so a row still in *sending* by then has no
    sender any more."""
    now = now or timezone.now()
    stale = list(
        Delivery.objects.filter(
            status=Delivery.Status.SENDING, sending_since__lt=now - stale_sending_limit()
        ).values_list("pk", "kind")
    )
    marked = []
    for pk, kind in stale:
        with transaction.atomic():
            hit = Delivery.objects.filter(
                pk=pk, status=Delivery.Status.SENDING, sending_since__lt=now - stale_sending_limit()
            ).update(status=Delivery.Status.UNKNOWN, last_error=unknown_reason(kind))
        if hit:
            log.warning("Delivery %s: %s", pk, unknown_reason(kind))
            marked.append(pk)
    return marked


def resend(delivery: Delivery) -> Delivery | None:
    """Claim a fresh copy of an invitation (or announcement) whose first sending failed or
    ended unknown. One resend per row: repeating it returns None."""
    if delivery.kind not in RESENDABLE_KINDS or delivery.status not in (
        Delivery.Status.UNKNOWN,
        Delivery.Status.FAILED,
    ):
        return None
    return claim(
        kind=delivery.kind,
        channel=delivery.channel,
        recipient=delivery.recipient,
        dedupe_key=f"resend:{delivery.pk}",
        cohort=delivery.cohort,
        week=delivery.week,
        subject=delivery.subject,
        body_text=delivery.body_text,
        body_html=delivery.body_html,
        headers=delivery.headers,
        payload=delivery.payload,
    )


# --- Sending -----------------------------------------------------------------------------


def _start(delivery_id: int, queued: bool) -> Delivery | None:
    """Step 1: pending → sending, the attempt counted, in one short transaction.

    Returns the row, or None when this caller does not get to send it (it is not pending,
    or a queued copy ran before the row's scheduled retry)."""
    now = timezone.now()
    rows = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING)
    if queued:
        # A queued copy that runs before the row's scheduled retry (a duplicate from two
        # dispatches, say) leaves the row to that retry: Retry-After and backoff hold.
        rows = rows.filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now + EARLY_TOLERANCE))
    with transaction.atomic():
        hit = rows.update(
            status=Delivery.Status.SENDING, sending_since=now, attempts=F("attempts") + 1
        )
    if hit != 1:
        return None
    return Delivery.objects.select_related("cohort", "week").get(pk=delivery_id)


def _withhold_before_sending(delivery: Delivery, now: datetime) -> Withhold | None:
    if delivery.expires_at and now >= delivery.expires_at:
        expired = (
            when(delivery.expires_at, delivery.cohort)
            if delivery.cohort
            else date_format(delivery.expires_at, "DATETIME_FORMAT")
        )
        return Withhold(Delivery.Status.MISSED, f"Too late to be useful after {expired}.")
    if delivery.channel == Delivery.Channel.SLACK and not (
        delivery.cohort and delivery.cohort.slack_enabled
    ):
        return Withhold(Delivery.Status.SKIPPED, "The cohort has no working Slack webhook.")
    prepare = preparers.get(delivery.kind)
    return prepare(delivery) if prepare else None


def _transmit(delivery: Delivery, mailer: email.Mailer | None, content: Content | None) -> None:
    if delivery.channel == Delivery.Channel.EMAIL:
        # A preparer may hand over content that carries a secret (a personal link) and
        # store a copy without it: `transient_content` lives in memory only.
        content = (
            content
            or delivery.transient_content
            or Content(delivery.subject, delivery.body_text, delivery.body_html)
        )
        fields = dict(
            to=delivery.recipient,
            subject=content.subject,
            body_text=content.body_text,
            body_html=content.body_html,
            headers=delivery.headers,
        )
        if mailer is not None:
            mailer.send(**fields)
        else:
            with email.Mailer() as own:
                own.send(**fields)
        return
    if delivery.channel == Delivery.Channel.SLACK and delivery.cohort is not None:
        slack.post(delivery.cohort.slack_webhook_url, delivery.payload)
        return
    raise NotImplementedError(f"No transport for channel {delivery.channel!r}")


def send(
    delivery_id: int,
    *,
    queued: bool = False,
    mailer: email.Mailer | None = None,
    content: Content | None = None,
    retry: bool = True,
) -> SendOutcome:
    """Send a claimed delivery once; safe to call any number of times, from any process.

    `mailer` reuses one SMTP connection for a batch. `content` is an email's text kept in
    memory only (account emails). With `retry=False` (people waiting in the request) a
    temporary failure is final at once: the page says so and they try again.
    """
    delivery = _start(delivery_id, queued)
    if delivery is None:
        return SendOutcome(Delivery.objects.get(pk=delivery_id))
    since = delivery.sending_since
    now = timezone.now()
    try:
        withheld = _withhold_before_sending(delivery, now)
    except Exception as exc:  # a preparer failed: nothing left; try again later
        log.exception("Delivery %s could not be prepared", delivery.pk)
        return _try_again_later(delivery, since, exc, now, retry)
    if withheld is not None:
        return _withhold(delivery, since, withheld)
    # Step 2: no transaction is open here, and none may be (see tests/notifications).
    try:
        _transmit(delivery, mailer, content)
    except slack.SlackGone as exc:
        return _give_up(delivery, since, exc, gone=True)
    except (slack.SlackRejected, email.EmailRejected) as exc:
        return _give_up(delivery, since, exc)
    except email.EmailOutcomeUnknown as exc:
        log.warning("Delivery %s: %s", delivery.pk, exc)
        delivery.status = Delivery.Status.UNKNOWN
        delivery.last_error = str(exc)[:2000]
        delivery.next_attempt_at = None
        return _record(delivery, since)
    except Exception as exc:  # any other error is recorded, then retried
        return _try_again_later(delivery, since, exc, now, retry)
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.next_attempt_at = None
    return _record(delivery, since, extra=["sent_at"])


# Saved with every outcome; a preparer may have refreshed the content fields.
OUTCOME_FIELDS = ["status", "attempts", "rate_limited", "last_error", "next_attempt_at"]
CONTENT_FIELDS = ["recipient", "subject", "body_text", "body_html", "headers", "payload"]


def _record(
    delivery: Delivery,
    since: datetime | None,
    *,
    extra: Iterable[str] = (),
    content: bool = True,
    follow_up: Callable[[], list[Delivery | None]] | None = None,
) -> SendOutcome:
    """Step 3: the outcome, in a second short transaction, if this sender still owns the row
    (it is in *sending*, or was marked *unknown* meanwhile, from this very claim)."""
    delivery.sending_since = None
    fields = [*OUTCOME_FIELDS, "sending_since", *extra]
    if content and not delivery.is_account_email:
        fields += CONTENT_FIELDS
    follow_ups: tuple[Delivery, ...] = ()
    with transaction.atomic():
        hit = Delivery.objects.filter(
            pk=delivery.pk,
            status__in=[Delivery.Status.SENDING, Delivery.Status.UNKNOWN],
            sending_since=since,
        ).update(**{name: getattr(delivery, name) for name in fields})
        if hit and follow_up is not None:
            follow_ups = tuple(d for d in follow_up() if d is not None)
    if not hit:
        log.warning("Delivery %s changed hands while sending; outcome not recorded", delivery.pk)
        return SendOutcome(Delivery.objects.get(pk=delivery.pk))
    return SendOutcome(delivery, follow_ups=follow_ups)


def _withhold(delivery: Delivery, since: datetime | None, withheld: Withhold) -> SendOutcome:
    delivery.attempts -= 1  # nothing was attempted
    delivery.status = withheld.status
    delivery.last_error = withheld.reason
    delivery.next_attempt_at = None
    extra = []
    if withheld.release_key:
        suffix = f"~released:{delivery.pk}"
        delivery.dedupe_key = delivery.dedupe_key[: 200 - len(suffix)] + suffix
        extra.append("dedupe_key")
    return _record(delivery, since, extra=extra, content=False)


def _try_again_later(
    delivery: Delivery, since: datetime | None, exc: Exception, now: datetime, retry: bool = True
) -> SendOutcome:
    log.warning("Delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, email.EmailError | slack.SlackError):
        delivery.last_error = str(exc)[:2000]
    retry_in = None
    if isinstance(exc, slack.SlackRateLimited):
        delivery.rate_limited += 1  # Slack asked us to slow down: not a failed attempt
    failed_attempts = delivery.attempts - delivery.rate_limited
    if not retry or failed_attempts >= MAX_ATTEMPTS or delivery.rate_limited >= MAX_RATE_LIMITED:
        delivery.status = Delivery.Status.FAILED
    elif isinstance(exc, slack.SlackRateLimited):
        delivery.status = Delivery.Status.PENDING
        retry_in = exc.retry_after  # Slack says when; the task re-queues, nobody sleeps
    else:
        delivery.status = Delivery.Status.PENDING
        retry_in = 30 * 2 ** (failed_attempts - 1)
    delivery.next_attempt_at = now + timedelta(seconds=retry_in) if retry_in else None
    follow_up = None
    if delivery.status == Delivery.Status.FAILED:
        follow_up = lambda: slack_failed(delivery)  # noqa: E731
    outcome = _record(delivery, since, follow_up=follow_up)
    return SendOutcome(outcome.delivery, retry_in=retry_in, follow_ups=outcome.follow_ups)


def _give_up(
    delivery: Delivery, since: datetime | None, exc: Exception, gone: bool = False
) -> SendOutcome:
    log.warning("Delivery %s failed for good: %s", delivery.pk, exc)
    delivery.status = Delivery.Status.FAILED
    delivery.last_error = str(exc)[:2000]
    delivery.next_attempt_at = None
    cohort = delivery.cohort
    if gone and cohort is not None:
        url = cohort.slack_webhook_url
        follow_up = lambda: webhook_gone(cohort, url, str(exc))  # noqa: E731
    else:
        follow_up = lambda: slack_failed(delivery)  # noqa: E731
    return _record(delivery, since, follow_up=follow_up)


# --- Telling the organizers --------------------------------------------------------------


def _organizers(cohort: Cohort) -> QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(cohort=cohort, role=Role.ORGANIZER)
        .select_related("user")
    )


def webhook_gone(cohort: Cohort, url: str, reason: str) -> list[Delivery | None]:
    """Disable the cohort's webhook (once) and claim an email to each organizer saying so."""
    now = timezone.now()
    disabled = (
        type(cohort)
        .objects.filter(
            pk=cohort.pk, slack_webhook_digest=digest(url), slack_webhook_disabled_at=None
        )
        .update(slack_webhook_disabled_at=now, slack_webhook_error=reason[:500])
    )
    if not disabled:  # someone else disabled it first, or an organizer just replaced it
        return []
    cohort.slack_webhook_disabled_at, cohort.slack_webhook_error = now, reason[:500]
    return [
        claim_email(
            kind="webhook_disabled",
            to=membership.user.email,
            template="webhook_disabled",
            context={"cohort": cohort, "reason": reason, "disabled_at": now},
            dedupe_key=f"webhook_disabled:{cohort.pk}:{now.isoformat()}:{membership.user_id}",
            cohort=cohort,
        )
        for membership in _organizers(cohort)
    ]


# The organizer who pressed "Send a test message" sees Slack's answer on the page.
ANSWERED_ON_THE_PAGE = frozenset({"slack_test"})


def slack_failed(delivery: Delivery) -> list[Delivery | None]:
    """A Slack message that will not go out (after retries, or refused): each organizer gets
    an email, and the cohort page shows a banner (see notifications.pages)."""
    if delivery.channel != Delivery.Channel.SLACK or delivery.kind in ANSWERED_ON_THE_PAGE:
        return []
    cohort = delivery.cohort
    if cohort is None:
        return []
    return [
        claim_email(
            kind="slack_failed",
            to=membership.user.email,
            template="slack_failed",
            context={"cohort": cohort, "delivery": delivery, "reason": delivery.last_error},
            dedupe_key=f"slack_failed:{delivery.pk}:{membership.user_id}",
            cohort=cohort,
        )
        for membership in _organizers(cohort)
    ]


def latest_slack_failure(cohort: Cohort) -> Delivery | None:
    """The cohort's last Slack message (not a test), if it failed: what the banner shows."""
    last = (
        cohort.deliveries.filter(channel=Delivery.Channel.SLACK)
        .exclude(kind__in=ANSWERED_ON_THE_PAGE)
        .exclude(status__in=[Delivery.Status.SKIPPED, Delivery.Status.MISSED])
        .order_by("-created_at", "-pk")
        .first()
    )
    return last if last is not None and last.status == Delivery.Status.FAILED else None


# --- Batches -----------------------------------------------------------------------------


def send_batch(delivery_ids: Iterable[int]) -> tuple[list[SendOutcome], list[int]]:
    """Send emails over one SMTP connection. Returns (outcomes, not_tried): once the server
    stops answering, the rest are left pending for a later try instead of each waiting out
    the deadline on a dead server."""
    outcomes: list[SendOutcome] = []
    ids = list(delivery_ids)
    with email.Mailer() as mailer:
        for index, pk in enumerate(ids):
            if mailer.broken:
                return outcomes, ids[index:]
            outcomes.append(send(pk, queued=True, mailer=mailer))
    return outcomes, []
