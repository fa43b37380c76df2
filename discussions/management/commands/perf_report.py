"""How fast are the hot pages and actions? Figures, not a timed test.

    manage.py perf_report                                   # 200 participants, 15 rounds, SQLite
    manage.py perf_report --participants 500 --rounds 21
    manage.py perf_report --database-url postgres://homeroom:homeroom@127.0.0.1/homeroom
    manage.py perf_report --only progress,week,mark         # a subset

Builds throwaway data in a temporary database (created, migrated and dropped again: the
database you work with is never touched), signs in with Django's test Client and times every
page in interleaved rounds after a warm-up. Each line is the median of the rounds, the
process's CPU time (which other busy programs stretch less than the wall time), the
number of SQL queries of one request and the ratio to a reference measured in the same run:
"floor" is Django rendering the same progress table from precomputed values through
base.html, "minimal" a signed-in view returning a short page.
"""

import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

PAGES = (
    "progress",
    "week",
    "mark",
    "session",
    "sheets",
    "guide",
    "cohort_facilitator",
)
SLOW = ("pairing@200", "pairing@199", "pdf")
URLCONF = "discussions.management.commands._perf_urls"


class Measurement:
    def __init__(
        self, name, client, method, url, reference=None, data=None, headers=None, before=None
    ):
        self.name, self.client, self.method, self.url = name, client, method, url
        self.reference, self.data, self.headers = reference, data, headers or {}
        self.before = before
        self.seconds, self.cpu_seconds, self.queries, self.size = [], [], None, 0

    def data_now(self):
        return self.data() if callable(self.data) else self.data

    def request(self):
        if self.before:
            self.before()
        call = getattr(self.client, self.method)
        response = call(self.url, data=self.data_now(), headers=self.headers)
        if response.status_code != 200:
            raise CommandError(f"{self.name}: {self.url} answered {response.status_code}")
        return response

    def time_once(self):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = self.request()
        self.seconds.append(time.perf_counter() - started)
        self.cpu_seconds.append(time.process_time() - cpu_started)
        self.size = len(response.content)

    def count_queries(self, show=None):
        with CaptureQueriesContext(connection) as captured:
            self.request()
        self.queries = len(captured.captured_queries)
        if show:
            show(f"-- {self.name}: {self.queries} queries")
            for query in captured.captured_queries:
                show("   " + query["sql"][:160])

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def cpu_median(self):
        """CPU time of this process: unlike wall time, not stretched by other busy processes."""
        return statistics.median(self.cpu_seconds)


class Command(BaseCommand):
    help = "Time the hot pages on throwaway data and print medians, query counts and ratios."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=200)
        parser.add_argument("--rounds", type=int, default=15)
        parser.add_argument("--warmup", type=int, default=2)
        parser.add_argument(
            "--slow-rounds",
            type=int,
            default=5,
            help="Rounds for pairing and the PDF, which take up to seconds each (default 5).",
        )
        parser.add_argument("--database-url", help="Run on this database server instead.")
        parser.add_argument(
            "--show-queries", action="store_true", help="Print each page's SQL (shortened)."
        )
        parser.add_argument(
            "--only",
            default="",
            help="Comma-separated measurements: " + ", ".join(PAGES + SLOW),
        )

    def handle(self, *args, **options):
        if options["database_url"]:
            return self.reexec(options)
        if options["participants"] < 4 or options["rounds"] < 1:
            raise CommandError("Need at least 4 participants and 1 round.")
        only = {name.strip() for name in options["only"].split(",") if name.strip()}
        unknown = only - set(PAGES + SLOW)
        if unknown:
            raise CommandError(f"Unknown measurement(s): {', '.join(sorted(unknown))}")
        # WhiteNoise warns when collectstatic has not run; pages are served without it here.
        warnings.filterwarnings("ignore", message="No directory at")
        with temporary_database(), bench_settings():
            self.run(options, only)

    def reexec(self, options):
        """Settings read DATABASE_URL at start-up: run again in a process that has it."""
        argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "perf_report"]
        for name in ("participants", "rounds", "warmup", "slow_rounds", "only"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["show_queries"]:
            argv.append("--show-queries")
        env = {**os.environ, "DATABASE_URL": options["database_url"]}
        done = subprocess.run(argv, env=env, check=False)  # noqa: S603
        if done.returncode:
            raise CommandError(f"perf_report on {options['database_url']} failed.")

    def run(self, options, only):
        from discussions import perf

        n = options["participants"]
        vendor = connection.vendor
        self.stdout.write(
            f"# {vendor}, {n} participants × {perf.WEEKS} weeks at ~{perf.DONE_SHARE:.0%} done; "
            f"medians of {options['rounds']} interleaved rounds after {options['warmup']} "
            f"warm-up (pairing and PDF: {options['slow_rounds']} rounds)"
        )
        started = time.perf_counter()
        built = perf.build(n)
        perf.precompute_floor(built.cohort)
        self.stdout.write(f"# data built in {time.perf_counter() - started:.1f} s")

        facilitator, participant = Client(), Client()
        facilitator.force_login(built.facilitator)
        participant.force_login(built.participant)
        slug, number = built.cohort.slug, built.week.number
        done = {"value": "1"}

        def toggle():
            done["value"] = "0" if done["value"] == "1" else "1"
            return {"done": done["value"]}

        floor = Measurement("floor", facilitator, "get", f"/__bench__/floor/{slug}/")
        minimal = Measurement("minimal", participant, "get", "/__bench__/minimal/")
        minimal_post = Measurement("minimal_post", participant, "post", "/__bench__/minimal/")
        pages = {
            "progress": Measurement(
                "progress", facilitator, "get", reverse("assignments:progress", args=[slug]), floor
            ),
            "week": Measurement("week", participant, "get", built.week.get_absolute_url(), minimal),
            "mark": Measurement(
                "mark",
                participant,
                "post",
                reverse("assignments:item_completion", args=[slug, built.item.pk]),
                minimal_post,
                data=toggle,
                headers={"HX-Request": "true"},
            ),
            "session": Measurement(
                "session",
                facilitator,
                "get",
                reverse("discussions:session", args=[slug, number]),
                minimal,
            ),
            "sheets": Measurement(
                "sheets",
                facilitator,
                "get",
                reverse("discussions:pairs_print", args=[slug, number]),
                minimal,
            ),
            "guide": Measurement(
                "guide", facilitator, "get", reverse("discussions:guide", args=[slug]), minimal
            ),
            "cohort_facilitator": Measurement(
                "cohort_facilitator", facilitator, "get", built.cohort.get_absolute_url(), minimal
            ),
        }
        chosen = [m for name, m in pages.items() if not only or name in only]
        if chosen:
            measured = [floor, minimal, minimal_post, *chosen]
            show = self.stdout.write if options["show_queries"] else None
            self.interleave(measured, options["rounds"], options["warmup"], show)
            for m in (floor, minimal, minimal_post):
                self.report(m, n)
            for m in chosen:
                self.report(m, n)

        if not only or "pdf" in only:
            # Cold: nothing cached, every round lays the sheets out again; then a reprint of
            # the same sheets, which comes from the cache.
            pdf_url = reverse("discussions:pairs_pdf", args=[built.pdf_cohort.slug, 1])
            cold = Measurement("pdf", facilitator, "get", pdf_url, before=cache.clear)
            self.interleave([cold], options["slow_rounds"], 1)
            reprint = Measurement("pdf_reprint", facilitator, "get", pdf_url)
            self.interleave([reprint], options["rounds"], 1)
            for m in (cold, reprint):
                self.stdout.write(
                    f"{m.name}@30pairs {m.median:.2f} s (CPU {m.cpu_median:.2f} s) "
                    f"{m.queries} queries {m.size / 1024:.0f} KB"
                )

        for size in (200, 199):
            if only and f"pairing@{size}" not in only:
                continue
            seconds = self.time_pairing(built, size, options["slow_rounds"])
            self.stdout.write(f"pairing@{size} {seconds:.2f} s")

    def interleave(self, measured, rounds, warmup, show=None):
        rng = random.Random(2026)
        for _ in range(warmup):
            for m in measured:
                m.request()
        for m in measured:
            m.count_queries(show)
        for _ in range(rounds):
            order = list(measured)
            rng.shuffle(order)
            gc.collect()
            for m in order:
                m.time_once()

    def report(self, m, n):
        line = f"{m.name}@{n} {1000 * m.median:.1f} ms (CPU {1000 * m.cpu_median:.1f} ms)"
        line += f" {m.queries} queries"
        if m.reference is not None:
            line += f" {m.median / m.reference.median:.2f}x {m.reference.name.split('_')[0]}"
        line += f" {m.size / 1024:.0f} KB"
        self.stdout.write(line)

    def time_pairing(self, built, size, rounds):
        """Generate the last week's pairs for `size` present people (11 weeks of history)."""
        from cohorts.models import Membership, Role
        from discussions import pairing
        from discussions.models import Attendance

        week = built.weeks[-1]
        people = list(
            Membership.objects.filter(cohort=built.cohort, role=Role.PARTICIPANT).values_list(
                "user_id", flat=True
            )
        )
        if len(people) < size:
            return float("nan")
        Attendance.objects.filter(week=week).delete()
        Attendance.objects.bulk_create(
            Attendance(week=week, user_id=user_id, present=False) for user_id in people[size:]
        )
        seconds = []
        for seed in range(1, rounds + 1):
            started = time.perf_counter()
            pairing.generate(week, seed=seed)
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds)


class temporary_database:
    """A fresh database for the run: SQLite in a temporary file, else `<name>_perf_<pid>`."""

    def __enter__(self):
        test = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            self.tmp = tempfile.TemporaryDirectory(prefix="homeroom-perf-")
            test["NAME"] = str(Path(self.tmp.name) / "perf.sqlite3")
        else:
            self.tmp = None
            # Its own name per run: two people benchmarking on one server never clash.
            test["NAME"] = f"{connection.settings_dict['NAME']}_perf_{os.getpid()}"
        self.old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        return self

    def __exit__(self, *exc):
        connection.creation.destroy_test_db(self.old_name, verbosity=0)
        if self.tmp is not None:
            self.tmp.cleanup()


def bench_settings():
    return override_settings(
        ROOT_URLCONF=URLCONF,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        # A cache of its own, so that clearing it (to time the PDF cold) touches nothing else.
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "perf-report",
            }
        },
        DEBUG=False,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
