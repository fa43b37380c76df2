"""Dispatch: what is due now in each active cohort, on the cohort's clock, claimed exactly once.

Celery beat runs `notifications.tasks.dispatch_due` every few minutes; `manage.py dispatch` and the
organizers' preview page run the same `run()` (the preview with `dry_run=True`).

The messages belong to the apps that know what they are about: homework reminders to
`assignments`, the Slack digest to `discussions`. Those apps depend on `cohorts`, never the
other way round, so they register a `Job` here from their AppConfig.ready(). A job's `plan`
looks at one cohort at one moment and returns `Decision`s: send this (with a dedupe key derived
from the schedule, never from the run), or nothing yet and why. Its `prepare` runs just before
each send (see `notifications.outbox`) to fill in fresh content or withhold the message.

`run()` claims every new key in one bulk insert (a key claimed before is left alone, by
whoever claimed it), returns the ids this run claimed, and also returns pending rows whose
send was lost (a worker died between claim and send), so they go out on the next beat. Rows
left in *sending* by a sender that stopped mid-send are marked *unknown* (never resent by
themselves, see `notifications.outbox`). The number of queries depends on the number of
cohorts, not on the number of people in them.

Each cohort is planned on its own: one cohort whose plan fails (a date out of range, say)
is logged and reported in its delivery log, and the others go out.

`run()` never claims as of the future: a future moment is a preview (`dry_run`) only, or the
on-time message would be claimed (and sent) early.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cohorts.dates import when
from cohorts.models import Cohort, Week
from cohorts.registry import Registry

from . import outbox
from .models import Delivery

log = logging.getLogger(__name__)

# How far ahead of the clock a real (not dry) run may be, for clocks that differ a little.
FUTURE_TOLERANCE = timedelta(minutes=1)


class FutureDispatch(ValueError):
    """A run as of a moment in the future that would claim: only a dry run may look ahead."""


SEND = "send"  # claim a delivery (if its key is new)
WAIT = "wait"  # nothing yet: the reason says what it waits for
NO = "no"  # this person or channel gets nothing, and the reason says why
INFO = "info"  # context for the preview (e.g. publishing)


@dataclass
class Decision:
    kind: str
    action: str
    reason: str
    week: Week | None = None
    recipient: str = ""
    dedupe_key: str = ""
    channel: str = Delivery.Channel.EMAIL
    subject: str = ""
    payload: dict = field(default_factory=dict)
    expires_at: datetime | None = None
    # The claimed row's first status: pending (to send), or e.g. missed (a record only).
    status: str = Delivery.Status.PENDING
    # (prefix, suffix): claim only if no row whose key looks like this exists for the week
    # (e.g. "reminders missed" only when no reminder was claimed for that session).
    unless_claimed_like: tuple | None = None
    # Filled in by run(): the status of the row claimed earlier for this key, if any.
    existing: str | None = None

    @property
    def is_new(self) -> bool:
        return self.action == SEND and self.existing is None

    def to_delivery(self, cohort: Cohort) -> Delivery:
        return Delivery(
            kind=self.kind,
            channel=self.channel,
            cohort=cohort,
            week=self.week,
            recipient=self.recipient,
            dedupe_key=self.dedupe_key,
            subject=self.subject,
            payload=self.payload,
            expires_at=self.expires_at,
            status=self.status,
            last_error=self.reason if self.status != Delivery.Status.PENDING else "",
        )


@dataclass(frozen=True)
class Job:
    kind: str
    plan: Callable  # plan(cohort, now) -> list[Decision]; cohort.weeks.all() is prefetched
    prepare: Callable | None = None  # prepare(delivery) -> delivery.Withhold | None


class Jobs(Registry):
    def register(self, job: Job, order: int = 100) -> None:
        super().register(job, order)
        if job.prepare is not None:
            outbox.preparers.register(job.kind, job.prepare)


jobs = Jobs()


@dataclass
class CohortPlan:
    cohort: Cohort
    decisions: list
    error: str = ""  # why this cohort could not be planned (the others still were)

    @property
    def to_claim(self) -> list[Decision]:
        return [d for d in self.decisions if d.is_new]

    @property
    def would_send(self) -> list[Decision]:
        return [d for d in self.to_claim if d.status == Delivery.Status.PENDING]

    @property
    def would_record(self) -> list[Decision]:
        """New rows that are a record only (e.g. a reminder window that was missed)."""
        return [d for d in self.to_claim if d.status != Delivery.Status.PENDING]

    @property
    def already_claimed(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == SEND and d.existing is not None]


@dataclass
class DispatchResult:
    now: datetime
    dry_run: bool
    plans: list
    # What this run inserted itself (a concurrent run's claims are not counted here).
    claimed_ids: list = field(default_factory=list)
    recorded_ids: list = field(default_factory=list)  # e.g. "reminders missed" records
    requeued_ids: list = field(default_factory=list)
    unknown_ids: list = field(default_factory=list)

    @property
    def to_send(self) -> list[int]:
        return [*self.claimed_ids, *self.requeued_ids]

    @property
    def claimed_count(self) -> int:
        if self.dry_run:
            return sum(
                1
                for plan in self.plans
                for d in plan.to_claim
                if d.status == Delivery.Status.PENDING
            )
        return len(self.claimed_ids)

    @property
    def failed_plans(self) -> list[CohortPlan]:
        return [plan for plan in self.plans if plan.error]

    def summary(self) -> str:
        verb = "would claim" if self.dry_run else "claimed"
        text = f"{len(self.plans)} active cohort(s), {verb} {self.claimed_count} delivery(ies)"
        if self.recorded_ids:
            text += f", recorded {len(self.recorded_ids)} missed window(s)"
        if self.requeued_ids:
            text += f", re-queued {len(self.requeued_ids)} stale pending"
        if self.unknown_ids:
            text += (
                f", marked {len(self.unknown_ids)} unknown (the sender stopped mid-send; "
                "not sent again)"
            )
        if self.failed_plans:
            text += f", {len(self.failed_plans)} cohort(s) could not be planned"
        return text


def local_text(cohort: Cohort, moment: datetime) -> str:
    return f"{when(moment, cohort)} ({cohort.time_zone})"


def publishing(cohort: Cohort, now: datetime) -> list[Decision]:
    """Weeks to publish: publishing is `publish_at <= now`, live by itself; the preview says so."""
    decisions = []
    weeks = list(cohort.weeks.all())
    upcoming = next((w for w in weeks if w.session_start > now), None)
    for week in weeks:
        if week.publish_at and now - timedelta(days=7) < week.publish_at <= now:
            decisions.append(
                Decision(
                    "publish",
                    INFO,
                    f"{week.label}'s pre-work is visible to participants since "
                    f"{local_text(cohort, week.publish_at)}.",
                    week,
                )
            )
    if upcoming and not upcoming.is_published(now):
        when = (
            f"is scheduled for {local_text(cohort, upcoming.publish_at)}"
            if upcoming.publish_at
            else "has no publish time yet"
        )
        decisions.append(
            Decision("publish", WAIT, f"{upcoming.label}'s pre-work {when}.", upcoming)
        )
    return decisions


def _existing_rows(decisions: list[Decision]) -> dict[str, tuple[int | None, str]]:
    """{dedupe_key: (week_id, status)} for the claimed rows of these decisions' weeks and
    keys, in one query."""
    week_ids = {d.week.pk for d in decisions if d.week is not None}
    loose_keys = {d.dedupe_key for d in decisions if d.week is None}
    if not decisions:
        return {}
    rows = Delivery.objects.filter(
        Q(week_id__in=week_ids) | Q(dedupe_key__in=loose_keys)
    ).values_list("dedupe_key", "week_id", "status")
    return {key: (week_id, status) for key, week_id, status in rows}


def _claimed_by(token: str, decisions: list[Decision], status: str) -> list[int]:
    keys = {d.dedupe_key for d in decisions}
    week_ids = {d.week.pk for d in decisions if d.week is not None}
    loose_keys = {d.dedupe_key for d in decisions if d.week is None}
    rows = Delivery.objects.filter(
        Q(week_id__in=week_ids) | Q(dedupe_key__in=loose_keys),
        status=status,
        claim_token=token,
    ).values_list("pk", "dedupe_key")
    return sorted(pk for pk, key in rows if key in keys)


def plan_cohort(cohort: Cohort, now: datetime) -> CohortPlan:
    decisions = publishing(cohort, now)
    for job in jobs:
        decisions.extend(job.plan(cohort, now))
    return CohortPlan(cohort, decisions)


def _plan_isolated(cohort: Cohort, now: datetime) -> CohortPlan:
    """One cohort's plan; a failure is this cohort's alone (logged, and shown in its log)."""
    try:
        return plan_cohort(cohort, now)
    except Exception as exc:
        log.exception("Dispatch could not plan cohort %s (%s)", cohort.pk, cohort.slug)
        return CohortPlan(
            cohort,
            [],
            error=f"Dispatch could not work out what is due: {type(exc).__name__}: {exc}"[:500],
        )


def _record_failed_plans(plans: list[CohortPlan], now: datetime) -> None:
    """One failed row per cohort and hour in the cohort's delivery log, so organizers see it."""
    outbox.claim_many(
        [
            Delivery(
                kind="dispatch_error",
                cohort=plan.cohort,
                recipient="—",
                dedupe_key=f"dispatch_error:{plan.cohort.pk}:{now:%Y%m%d%H}",
                status=Delivery.Status.FAILED,
                last_error=plan.error,
            )
            for plan in plans
            if plan.error
        ]
    )


def _blocked(decision: Decision, existing: dict[str, tuple[int | None, str]]) -> bool:
    if decision.unless_claimed_like is None:
        return False
    prefix, suffix = decision.unless_claimed_like
    week_id = decision.week.pk if decision.week else None
    return any(
        key.startswith(prefix) and key.endswith(suffix) and row_week == week_id
        for key, (row_week, _status) in existing.items()
    )


def run(
    now: datetime | None = None,
    dry_run: bool = False,
    cohorts: QuerySet[Cohort] | None = None,
) -> DispatchResult:
    """Work out what is due at `now` (default: now) and, unless `dry_run`, claim it.

    The caller queues `result.to_send` after its transaction commits.
    """
    clock = timezone.now()
    now = now or clock
    if not dry_run and now > clock + FUTURE_TOLERANCE:
        raise FutureDispatch(
            f"{now.isoformat()} is in the future: a future moment is a preview only "
            "(dry run); claiming now would send the on-time messages early."
        )
    queryset = (
        cohorts if cohorts is not None else Cohort.objects.filter(status=Cohort.Status.ACTIVE)
    )
    plans = [_plan_isolated(cohort, now) for cohort in queryset.prefetch_related("weeks")]
    wanted = [d for plan in plans for d in plan.decisions if d.action == SEND]
    existing = _existing_rows(wanted)
    for plan in plans:
        plan.decisions = [d for d in plan.decisions if not _blocked(d, existing)]
    for decision in wanted:
        row = existing.get(decision.dedupe_key)
        decision.existing = row[1] if row else None
    result = DispatchResult(now=now, dry_run=dry_run, plans=plans)
    if dry_run:
        return result
    _record_failed_plans(plans, now)
    new = [(plan.cohort, d) for plan in plans for d in plan.to_claim]
    if new:
        token = uuid.uuid4().hex
        outbox.claim_many([d.to_delivery(cohort) for cohort, d in new], token)
        claimed = [d for _, d in new]
        result.claimed_ids = _claimed_by(token, claimed, Delivery.Status.PENDING)
        if any(d.status != Delivery.Status.PENDING for d in claimed):
            result.recorded_ids = _claimed_by(token, claimed, Delivery.Status.MISSED)
    claimed_now = set(result.claimed_ids)
    result.requeued_ids = [pk for pk in outbox.requeue_stale() if pk not in claimed_now]
    result.unknown_ids = outbox.mark_stale_sending()
    return result
