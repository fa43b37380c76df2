"""The one way out: every email and every Slack message leaves here.

Claim before send: a Delivery row with a unique dedupe key is created first;
sending locks that row, skips it if it is no longer pending, sends and records
the outcome. Whoever claims the same key twice gets nothing the second time.

Just before sending, a row that has become too late (`expires_at`) is marked
missed, and the kind's preparer (registered by the app that owns the message,
e.g. homework reminders) may fill in fresh content or withhold it: someone who
opted out or finished in the meantime gets nothing, and the row says why.
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from cohorts.models import Cohort, Membership, Role, Week

from .channels import email, slack
from .models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A pending row nobody has tried for this long lost its queued send (a worker died between
# claim and send, or the broker lost the message); dispatch queues it again.
STALE_AFTER = timedelta(minutes=10)
# A queued retry may run a little before its time by another process's clock.
EARLY_TOLERANCE = timedelta(seconds=5)


@dataclass(frozen=True)
class SendOutcome:
    delivery: Delivery
    retry_in: int | None = None  # seconds until the next try, when one is due
    follow_ups: tuple = ()  # deliveries claimed while sending, to queue after commit


@dataclass(frozen=True)
class Withhold:
    """A preparer's answer: do not send this one, and record why."""

    status: str  # Delivery.Status.SKIPPED or Delivery.Status.MISSED
    reason: str


@dataclass
class Preparers:
    """kind -> prepare(delivery) -> Withhold | None, called with the row locked, just before
    sending. It may update subject, bodies, headers and payload; they are saved with the send."""

    by_kind: dict = field(default_factory=dict)

    def register(self, kind: str, prepare: "Prepare") -> None:
        self.by_kind[kind] = prepare

    def get(self, kind: str) -> "Prepare | None":
        return self.by_kind.get(kind)


Prepare = Callable[[Delivery], Withhold | None]
preparers = Preparers()


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


def claim_many(deliveries: Iterable[Delivery]) -> None:
    """Insert many unsaved Delivery rows at once; keys claimed before are left alone.

    Returns nothing: with ON CONFLICT DO NOTHING the database does not say which rows it
    kept, so callers look the pending rows up by key afterwards.
    """
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)


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


def _transmit(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.EMAIL:
        email.transmit(delivery)
        return
    if delivery.channel == Delivery.Channel.SLACK:
        slack.post(delivery.cohort.slack_webhook_url, delivery.payload)  # type: ignore[union-attr]
        return
    raise NotImplementedError(f"No transport for channel {delivery.channel!r}")


def _withhold_before_sending(delivery: Delivery, now: datetime) -> Withhold | None:
    if delivery.expires_at and now >= delivery.expires_at:
        local = (
            delivery.cohort.local(delivery.expires_at) if delivery.cohort else delivery.expires_at
        )
        return Withhold(
            Delivery.Status.MISSED, f"Too late to be useful after {local:%a %d %b %Y, %H:%M}."
        )
    if delivery.channel == Delivery.Channel.SLACK and not (
        delivery.cohort and delivery.cohort.slack_enabled
    ):
        return Withhold(Delivery.Status.SKIPPED, "The cohort has no working Slack webhook.")
    prepare = preparers.get(delivery.kind)
    return prepare(delivery) if prepare else None


def webhook_gone(cohort: Cohort, url: str, reason: str) -> list[Delivery | None]:
    """Disable the cohort's webhook (once) and claim an email to each organizer saying so."""
    now = timezone.now()
    disabled = (
        type(cohort)
        .objects.filter(pk=cohort.pk, slack_webhook_url=url, slack_webhook_disabled_at=None)
        .update(slack_webhook_disabled_at=now, slack_webhook_error=reason[:500])
    )
    if not disabled:  # someone else disabled it first, or an organizer just replaced it
        return []
    cohort.slack_webhook_disabled_at, cohort.slack_webhook_error = now, reason[:500]
    organizers = (
        Membership.objects.active()
        .filter(cohort=cohort, role=Role.ORGANIZER)
        .select_related("user")
    )
    return [
        claim_email(
            kind="webhook_disabled",
            to=membership.user.email,
            template="webhook_disabled",
            context={"cohort": cohort, "reason": reason, "disabled_at": now},
            dedupe_key=f"webhook_disabled:{cohort.pk}:{now.isoformat()}:{membership.user_id}",
            cohort=cohort,
        )
        for membership in organizers
    ]


def send(delivery_id: int, *, queued: bool = False) -> SendOutcome:
    """Send a claimed delivery once; safe to call any number of times.

    `queued` is for the Celery task: a queued copy that runs before the row's scheduled retry
    (a duplicate from two dispatches, say) leaves the row to that retry, so Slack's
    Retry-After and the backoff hold however many copies are in the queue.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != Delivery.Status.PENDING:
            return SendOutcome(delivery)
        now = timezone.now()
        if queued and delivery.next_attempt_at and now < delivery.next_attempt_at - EARLY_TOLERANCE:
            return SendOutcome(delivery)
        delivery.attempts += 1
        try:
            withheld = _withhold_before_sending(delivery, now)
            if withheld is not None:
                return _withhold(delivery, withheld)
            _transmit(delivery)
        except slack.SlackGone as exc:
            follow_ups = webhook_gone(delivery.cohort, delivery.cohort.slack_webhook_url, str(exc))  # type: ignore[arg-type, union-attr]
            return _give_up(delivery, exc, follow_ups)
        except slack.SlackRejected as exc:
            return _give_up(delivery, exc)
        except Exception as exc:  # any other error is recorded, then retried
            return _try_again_later(delivery, exc, now)
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.next_attempt_at = None
        delivery.save(update_fields=[*OUTCOME_FIELDS, "sent_at", *CONTENT_FIELDS])
        return SendOutcome(delivery)


# Saved with every outcome; a preparer may have refreshed the content fields.
OUTCOME_FIELDS = ["status", "attempts", "last_error", "next_attempt_at"]
CONTENT_FIELDS = ["recipient", "subject", "body_text", "body_html", "headers", "payload"]


def _withhold(delivery: Delivery, withheld: Withhold) -> SendOutcome:
    delivery.attempts -= 1  # nothing was attempted
    delivery.status = withheld.status
    delivery.last_error = withheld.reason
    delivery.next_attempt_at = None
    delivery.save(update_fields=OUTCOME_FIELDS)
    return SendOutcome(delivery)


def _try_again_later(delivery: Delivery, exc: Exception, now: datetime) -> SendOutcome:
    log.warning("Delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    retry_in = None
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
    elif isinstance(exc, slack.SlackRateLimited):
        retry_in = exc.retry_after  # Slack says when; the task re-queues, nobody sleeps
    else:
        retry_in = 30 * 2 ** (delivery.attempts - 1)
    delivery.next_attempt_at = now + timedelta(seconds=retry_in) if retry_in else None
    delivery.save(update_fields=[*OUTCOME_FIELDS, *CONTENT_FIELDS])
    return SendOutcome(delivery, retry_in=retry_in)


def _give_up(
    delivery: Delivery, exc: Exception, follow_ups: Iterable[Delivery | None] = ()
) -> SendOutcome:
    log.warning("Delivery %s failed for good: %s", delivery.pk, exc)
    delivery.status = Delivery.Status.FAILED
    delivery.last_error = str(exc)[:2000]
    delivery.next_attempt_at = None
    delivery.save(update_fields=[*OUTCOME_FIELDS, *CONTENT_FIELDS])
    return SendOutcome(delivery, follow_ups=tuple(d for d in follow_ups if d is not None))
