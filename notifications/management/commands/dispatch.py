from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cohorts.models import Cohort
from notifications import dispatch
from notifications.models import Delivery
from notifications.tasks import enqueue_deliveries

MARKS = {dispatch.SEND: "→", dispatch.WAIT: "…", dispatch.NO: "✗", dispatch.INFO: "·"}


def parse_moment(value):
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--at takes an ISO time such as 2026-09-21T09:00+02:00, not {value!r}."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Work out what is due in each active cohort (homework reminders, Slack digests) and "
        "claim and queue it — what Celery beat runs every few minutes. With --dry-run, list "
        "who would get what, and why, and send nothing. A future --at needs --dry-run: it is "
        "a preview, never an early send."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            metavar="ISO-TIME",
            help="Decide as of this moment, e.g. 2026-09-21T09:00+02:00 (no offset means UTC).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the decisions; claim and send nothing."
        )
        parser.add_argument(
            "--cohort", metavar="SLUG", help="Only this cohort (even when it is not active)."
        )
        parser.add_argument(
            "--quiet-reasons",
            action="store_true",
            help="Only list what is (or would be) sent, not what waits and why.",
        )

    def handle(self, *args, at=None, dry_run=False, cohort=None, quiet_reasons=False, **options):
        now = parse_moment(at) if at else None
        cohorts = None
        if cohort:
            cohorts = Cohort.objects.filter(slug=cohort)
            if not cohorts.exists():
                raise CommandError(f"No cohort with the slug {cohort!r}.")
        try:
            with transaction.atomic():
                result = dispatch.run(now=now, dry_run=dry_run, cohorts=cohorts)
                if not dry_run:
                    enqueue_deliveries(result.to_send)
        except dispatch.FutureDispatch as exc:
            raise CommandError(f"{exc} Add --dry-run to preview it.") from None
        self.report(result, quiet_reasons)

    def report(self, result, quiet_reasons):
        write = self.stdout.write
        write(f"Dispatch as of {result.now.isoformat()}{' (dry run)' if result.dry_run else ''}")
        for plan in result.plans:
            cohort = plan.cohort
            write("")
            write(
                self.style.MIGRATE_HEADING(
                    f"{cohort.title} (/c/{cohort.slug}/, {cohort.time_zone})"
                )
            )
            if plan.error:
                write(self.style.ERROR(f"  ! {plan.error}"))
            for decision in plan.decisions:
                if decision.action == dispatch.SEND:
                    if decision.existing:
                        state = f"already {decision.existing}"
                    elif decision.status != Delivery.Status.PENDING:
                        verb = "would record" if result.dry_run else "recorded"
                        state = f"{verb} {decision.status}"
                    else:
                        state = "would send" if result.dry_run else "claimed"
                    write(
                        f"  {MARKS[decision.action]} {decision.kind} to {decision.recipient} "
                        f"[{state}]: {decision.reason}"
                    )
                elif not quiet_reasons:
                    who = f" {decision.recipient}" if decision.recipient else ""
                    write(f"  {MARKS[decision.action]} {decision.kind}{who}: {decision.reason}")
        write("")
        write(self.style.SUCCESS(result.summary() + "."))
        if not result.dry_run and result.to_send:
            write(f"Queued {len(result.to_send)} send(s) for the Celery worker.")
