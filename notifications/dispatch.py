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
whoever claimed it), returns the ids to send, and also returns pending rows whose send was
lost (a worker died between claim and send), so they go out on the next beat. The number of
queries depends on the number of cohorts, not on the number of people in them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cohorts.models import Cohort, Week
from cohorts.registry import Registry

from . import outbox
from .models import Delivery

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

    @property
    def to_claim(self) -> list[Decision]:
        return [d for d in self.decisions if d.is_new]

    @property
    def already_claimed(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == SEND and d.existing is not None]


@dataclass
class DispatchResult:
    now: datetime
    dry_run: bool
    plans: list
    claimed_ids: list = field(default_factory=list)
    requeued_ids: list = field(default_factory=list)

    @property
    def to_send(self) -> list[int]:
        return [*self.claimed_ids, *self.requeued_ids]

    @property
    def claimed_count(self) -> int:
        return sum(len(plan.to_claim) for plan in self.plans)

    def summary(self) -> str:
        verb = "would claim" if self.dry_run else "claimed"
        text = f"{len(self.plans)} active cohort(s), {verb} {self.claimed_count} delivery(ies)"
        if self.requeued_ids:
            text += f", re-queued {len(self.requeued_ids)} stale pending"
        return text


def local_text(cohort: Cohort, moment: datetime) -> str:
    return f"{cohort.local(moment):%a %d %b %Y, %H:%M} ({cohort.time_zone})"


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
                    f"Week {week.number}'s pre-work is visible to participants since "
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
            Decision("publish", WAIT, f"Week {upcoming.number}'s pre-work {when}.", upcoming)
        )
    return decisions


def _existing_statuses(decisions: list[Decision]) -> dict[str, str]:
    """{dedupe_key: status} for the keys already claimed, in one query."""
    keys = {d.dedupe_key for d in decisions}
    week_ids = {d.week.pk for d in decisions if d.week is not None}
    loose_keys = {d.dedupe_key for d in decisions if d.week is None}
    if not keys:
        return {}
    rows = Delivery.objects.filter(
        Q(week_id__in=week_ids) | Q(dedupe_key__in=loose_keys)
    ).values_list("dedupe_key", "status")
    return {key: status for key, status in rows if key in keys}


def _pending_ids(decisions: list[Decision]) -> list[int]:
    keys = {d.dedupe_key for d in decisions}
    week_ids = {d.week.pk for d in decisions if d.week is not None}
    loose_keys = {d.dedupe_key for d in decisions if d.week is None}
    rows = Delivery.objects.filter(
        Q(week_id__in=week_ids) | Q(dedupe_key__in=loose_keys), status=Delivery.Status.PENDING
    ).values_list("pk", "dedupe_key")
    return sorted(pk for pk, key in rows if key in keys)


def plan_cohort(cohort: Cohort, now: datetime) -> CohortPlan:
    decisions = publishing(cohort, now)
    for job in jobs:
        decisions.extend(job.plan(cohort, now))
    return CohortPlan(cohort, decisions)


def run(
    now: datetime | None = None,
    dry_run: bool = False,
    cohorts: QuerySet[Cohort] | None = None,
) -> DispatchResult:
    """Work out what is due at `now` (default: now) and, unless `dry_run`, claim it.

    The caller queues `result.to_send` after its transaction commits.
    """
    now = now or timezone.now()
    queryset = (
        cohorts if cohorts is not None else Cohort.objects.filter(status=Cohort.Status.ACTIVE)
    )
    plans = [plan_cohort(cohort, now) for cohort in queryset.prefetch_related("weeks")]
    wanted = [d for plan in plans for d in plan.decisions if d.action == SEND]
    existing = _existing_statuses(wanted)
    for decision in wanted:
        decision.existing = existing.get(decision.dedupe_key)
    result = DispatchResult(now=now, dry_run=dry_run, plans=plans)
    if dry_run:
        return result
    new = [(plan.cohort, d) for plan in plans for d in plan.to_claim]
    if new:
        outbox.claim_many([d.to_delivery(cohort) for cohort, d in new])
        result.claimed_ids = _pending_ids([d for _, d in new])
    claimed = set(result.claimed_ids)
    result.requeued_ids = [pk for pk in outbox.requeue_stale() if pk not in claimed]
    return result
