"""How dispatch scales: N cohorts × M participants, built and thrown away in one transaction."""

import time
from datetime import time as clock
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assignments.models import Completion, PreworkItem
from cohorts.models import Cohort, Membership, Role, User
from notifications import dispatch

TIME_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
SLUG_PREFIX = "dispatch-benchmark-"


def build(cohorts, participants, now):
    """Active cohorts whose next session is tomorrow (reminders due) and whose digest time has
    just passed, each with a published week of three videos; a third of people finished."""
    users = User.objects.bulk_create(
        User(email=f"bench{n}@bench.invalid", password="!", name=f"Bench {n}")  # noqa: S106
        for n in range(cohorts * participants)
    )
    made = []
    for index in range(cohorts):
        tz_name = TIME_ZONES[index % len(TIME_ZONES)]
        cohort = Cohort(
            title=f"Benchmark {index}",
            slug=f"{SLUG_PREFIX}{index}",
            time_zone=tz_name,
            start_date=(now - timedelta(weeks=2)).date(),
            session_weekday=0,
            session_time=clock(18, 0),
            slack_webhook_url="https://hooks.slack.com/services/TBENCH/BBENCH/bench",
        )
        local_now = cohort.local(now) - timedelta(minutes=1)
        cohort.digest_weekday, cohort.digest_time = local_now.weekday(), local_now.time()
        cohort.save()
        weeks = cohort.create_weeks(4)
        for number, week in enumerate(weeks):
            week.session_start = now + timedelta(days=number - 1, hours=20)
            week.publish_at = now - timedelta(days=7)
            week.save(update_fields=["session_start", "publish_at"])
        made.append((cohort, weeks[1]))
    people = iter(users)
    memberships, completions = [], []
    for cohort, week in made:
        videos = PreworkItem.objects.bulk_create(
            PreworkItem(week=week, title=f"Video {n}", minutes=10, order=n) for n in range(3)
        )
        for n in range(participants):
            user = next(people)
            memberships.append(Membership(user=user, cohort=cohort, role=Role.PARTICIPANT))
            if n % 3 == 0:
                completions.extend(Completion(user=user, item=video) for video in videos)
    Membership.objects.bulk_create(memberships, batch_size=2000)
    Completion.objects.bulk_create(completions, batch_size=2000)
    return Cohort.objects.filter(slug__startswith=SLUG_PREFIX)


def measure(cohorts, now):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = dispatch.run(now=now, cohorts=cohorts)
        seconds = time.perf_counter() - started
    inserts = sum(
        1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    )
    return result, len(queries.captured_queries), inserts, seconds


class Command(BaseCommand):
    help = (
        "Benchmark dispatch: build N cohorts × M participants inside a transaction, dispatch "
        "twice (first run claims everything, second finds it claimed), print deliveries "
        "claimed, SQL queries and seconds, then roll everything back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohorts", type=int, default=50)
        parser.add_argument("--participants", type=int, default=200)

    def handle(self, *args, cohorts, participants, **options):
        write = self.stdout.write
        now = timezone.now()
        with transaction.atomic():
            started = time.perf_counter()
            bench = build(cohorts, participants, now)
            write(
                f"Built {cohorts} cohorts × {participants} participants "
                f"({cohorts * participants} people) on {connection.vendor} "
                f"in {time.perf_counter() - started:.1f} s (rolled back at the end)."
            )
            for label in ("first dispatch", "second dispatch"):
                result, queries, inserts, seconds = measure(bench, now)
                write(
                    f"{label}: {len(result.claimed_ids)} deliveries claimed, {queries} SQL "
                    f"queries ({inserts} of them INSERT batches), {seconds:.2f} seconds"
                )
            transaction.set_rollback(True)
