"""What a slow Slack does to everyone else: p50/p99 of a participant's mark-watched write
(through the real view) while sends are in flight against a local stand-in that takes its
time to answer. Builds a throwaway cohort, prints the figures, deletes what it made."""

import statistics
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role, User
from notifications import outbox
from notifications.models import Delivery

SLUG_PREFIX = "outbox-benchmark-"


class SlowSlack:
    """A local webhook endpoint that answers 200 "ok" after `seconds`."""

    def __init__(self, seconds):
        self.received = 0
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stand_in.lock:
                    stand_in.received += 1
                time.sleep(seconds)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "Benchmark the outbox: p50/p99 latency of a participant's mark-watched write, idle "
        "and while N Slack sends are in flight against a stand-in that answers in S seconds. "
        "Run it with DATABASE_URL pointing at SQLite (the default) or PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sends", type=int, default=20, help="Sends in flight (20).")
        parser.add_argument(
            "--answer-seconds", type=float, default=2.0, help="The stand-in's delay (2)."
        )
        parser.add_argument("--rounds", type=int, default=3, help="Rounds of sends (3).")

    def handle(self, *args, sends, answer_seconds, rounds, **options):
        sends = max(1, min(sends, 200))
        rounds = max(1, min(rounds, 20))
        answer_seconds = max(0.05, min(answer_seconds, 30.0))
        slack = SlowSlack(answer_seconds)
        run = uuid.uuid4().hex[:8]
        try:
            with override_settings(
                SLACK_WEBHOOK_URL_PREFIXES=[f"{slack.base_url}/"],
                SLACK_TIMEOUT_SECONDS=max(5, int(answer_seconds) + 5),
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            ):
                self.benchmark(slack, run, sends, answer_seconds, rounds)
        finally:
            slack.stop()
            Cohort.objects.filter(slug=f"{SLUG_PREFIX}{run}").delete()
            User.objects.filter(email=f"{SLUG_PREFIX}{run}@bench.invalid").delete()

    def benchmark(self, slack, run, sends, answer_seconds, rounds):
        now = timezone.now()
        cohort = Cohort.objects.create(
            title="Outbox benchmark",
            slug=f"{SLUG_PREFIX}{run}",
            time_zone="UTC",
            start_date=now.date(),
            session_weekday=now.weekday(),
            session_time=now.time().replace(microsecond=0),
            slack_webhook_url=f"{slack.base_url}/services/TBENCH/BBENCH/{run}",
        )
        [week] = cohort.create_weeks(1)
        week.publish_at = now - timedelta(days=1)
        week.save(update_fields=["publish_at"])
        video = PreworkItem.objects.create(week=week, title="Video", minutes=10)
        user = User.objects.create_user(email=f"{SLUG_PREFIX}{run}@bench.invalid", password=None)
        Membership.objects.create(user=user, cohort=cohort, role=Role.PARTICIPANT)
        client = Client()
        client.force_login(user)
        url = reverse("assignments:item_completion", args=[cohort.slug, video.pk])
        ticks = iter(range(10**9))

        def tick():
            started = time.perf_counter()
            response = client.post(url, {"done": "1" if next(ticks) % 2 == 0 else "0"}, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise RuntimeError(f"mark-watched answered {response.status_code}")
            return elapsed

        idle = [tick() for _ in range(60)]
        busy, sent, elapsed_rounds = [], 0, []
        for round_number in range(rounds):
            pks = [
                outbox.claim(
                    kind="benchmark",
                    channel=Delivery.Channel.SLACK,
                    recipient="Slack stand-in",
                    dedupe_key=f"outbox-benchmark:{run}:{round_number}:{n}",
                    cohort=cohort,
                    payload={"text": "Benchmark"},
                ).pk
                for n in range(sends)
            ]
            received_before = slack.received
            threads = [threading.Thread(target=self.send, args=(pk,)) for pk in pks]
            round_started = time.perf_counter()
            for thread in threads:
                thread.start()
            while slack.received - received_before < sends:  # all of them in flight
                if time.perf_counter() - round_started > answer_seconds + 10:
                    break
                time.sleep(0.005)
            busy.append(tick())
            while any(thread.is_alive() for thread in threads):
                busy.append(tick())
            for thread in threads:
                thread.join()
            elapsed_rounds.append(time.perf_counter() - round_started)
            sent += Delivery.objects.filter(pk__in=pks, status=Delivery.Status.SENT).count()

        write = self.stdout.write
        write(f"Database: {connection.vendor}")
        write(
            f"{rounds} round(s) of {sends} Slack sends in flight, the stand-in answering in "
            f"{answer_seconds:g} s; {sent} of {rounds * sends} recorded sent; each round took "
            f"{statistics.mean(elapsed_rounds):.2f} s"
        )
        for label, values in (("idle", idle), ("while sending", busy)):
            write(
                f"mark-watched write, {label}: {len(values)} writes, "
                f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
                f"max {max(values):.1f} ms"
            )
        target = "met" if percentile(busy, 0.99) < 50 else "NOT met"
        write(
            f"Target p99 < 50 ms while sending: {target} (idle p99 on this machine: "
            f"{percentile(idle, 0.99):.1f} ms)."
        )

    def send(self, pk):
        try:
            outbox.send(pk)
        finally:
            connection.close()
