"""The live session's poll under load: 200 participants following the shared timer.

    manage.py session_poll_benchmark                         # 200 participants, 10 s
    DATABASE_URL=postgres://… manage.py session_poll_benchmark --seconds 30

Builds throwaway data in a temporary database (as perf_report does: a 200-participant
cohort, 12 weeks), starts the room's shared timer, and gives every participant their own
signed poll address. gunicorn serves on 127.0.0.1 as in production (config.wsgi's
application, sync workers). Each participant's phone asks every --interval ms with the ETag
it already has, as the "My session" card does, from its own moment (phones are not in
step: random phases, seeded) — 100 requests/s for 200 people every 2 s — on a connection of
its own, as gunicorn sees requests behind a proxy; the latency runs from connecting to the
last byte. (wrk paces only by opening a connection and leaving it idle first, which a sync
worker takes for a slow client; Locust's client reuses the connection the server closed
and adds ~20 ms to every request. So the phones are a few lines of asyncio here.) Prints
the poll's p50/p99, the share answered 304, and gunicorn's CPU per 100 requests/s; then
wrk flat out shows the headroom. Figures, not a test: run it on an idle machine. Target: p99 under
20 ms, under 5% of one core per 100 requests/s.

Then the same phones over server-sent events (discussions.live_stream), which is how pages
follow the timer where the server has threads: gunicorn's gthread workers with a thread for
every stream, each phone opening its stream from a random moment within one interval, and
the timer changed every interval from this process (as a facilitator's web process would).
Prints how many streams opened, the events received of those expected, the delay from each
change to each phone's receipt (p50/p99), and gunicorn's CPU as a share of one core while
they follow, beside the poll's share per 100 requests/s (the same phones polling every 2 s).
"""

import asyncio
import json
import random
import re
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse

from .load_mark_watched import gunicorn, run_wrk, server_cpu_seconds, wrk_figures
from .perf_report import temporary_database

LUA = """
local paths = {%(paths)s}
local n = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_modified = 0 end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["If-None-Match"] = '%(etag)s'})
end
response = function(status, headers, body)
  if status == 304 then not_modified = not_modified + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_modified") end
  io.write(string.format("not_modified %%d\\n", total))
end
"""


async def phone(port, path, etag, first, interval, until, answers):
    """One participant: a poll at `first`, then every `interval` s until `until` (event-loop
    time), each on a new connection; appends (status, seconds) to `answers`."""
    loop = asyncio.get_running_loop()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"If-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    ).encode()
    at = first
    while at < until:
        await asyncio.sleep(max(0.0, at - loop.time()))
        began = loop.time()
        try:
            async with asyncio.timeout(10):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                answer = await reader.read()  # the server closes after answering
                writer.close()
            status = int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0
        except (OSError, TimeoutError, ValueError):
            status = 0
        answers.append((status, loop.time() - began))
        at += interval


async def follower(port, path, first, received, opened, refused):
    """One participant following the timer over server-sent events: connects at `first`
    (event-loop time), then appends (version, time.monotonic()) for every state it gets,
    until cancelled; its path to `opened` at the first, or to `refused` (not 200, or no
    connection). HTTP/1.0, so gunicorn sends the stream as it is (no chunks)."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, first - loop.time()))
    request = (
        f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    writer = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**16)
        writer.write(request)
        if (await reader.readline())[9:12] != b"200":
            refused.append(path)
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # the headers
        first_event = True
        while line := await reader.readline():
            if line.startswith(b"data: "):
                received.append((json.loads(line[6:])["version"], time.monotonic()))
                if first_event:
                    first_event = False
                    opened.append(path)
    except OSError:
        refused.append(path)
    finally:
        if writer is not None:
            writer.close()


async def followers(port, paths, spread, change_all):
    """Every participant opens a stream from a random moment within `spread` s; once all
    have their first event (or 10 s passed), `change_all` (blocking) runs in a thread;
    then a second for the last deliveries. Returns (opened, received, its result)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    phases = random.Random(3).random  # noqa: S311 - spread, not secrecy
    received, opened, refused = [], [], []
    tasks = [
        asyncio.create_task(
            follower(port, path, start + phases() * spread, received, opened, refused)
        )
        for path in paths
    ]
    deadline = start + spread + 10
    while len(opened) + len(refused) < len(paths) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    result = await asyncio.to_thread(change_all)
    await asyncio.sleep(1.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return opened, received, result


async def phones(port, paths, etag, interval, seconds):
    """Every participant's phone, from a random moment in the first interval."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    phases = random.Random(2).random  # noqa: S311 - spread, not secrecy
    answers = []
    await asyncio.gather(
        *(
            phone(port, path, etag, start + phases() * interval, interval, start + seconds, answers)
            for path in paths
        )
    )
    return answers, loop.time() - start


class poll_database(temporary_database):
    """Its own temporary database (`<name>_poll` on PostgreSQL), so it can run beside the
    other benchmarks."""

    def __enter__(self):
        if connection.vendor == "sqlite":
            return super().__enter__()
        self.tmp = None
        test = connection.settings_dict.setdefault("TEST", {})
        test["NAME"] = f"{connection.settings_dict['NAME']}_poll"
        self.old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        return self


class Command(BaseCommand):
    help = "Load-test the live session's poll (304 while unchanged) with gunicorn and wrk."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=200)
        parser.add_argument("--interval", type=int, default=2000, help="ms between polls.")
        parser.add_argument("--seconds", type=int, default=10, help="Per run, at most 120.")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="Above 1: gunicorn's gthread workers, which keep connections open.",
        )

    def handle(self, *args, participants, interval, seconds, workers, threads, **options):
        if shutil.which("wrk") is None:
            raise CommandError(
                "wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk"
            )
        if not 1 <= seconds <= 120 or not 2 <= participants <= 1000:
            raise CommandError("Use 1–120 seconds and 2–1000 participants.")
        if not 100 <= interval <= 60_000 or not 1 <= workers <= 16 or not 1 <= threads <= 64:
            raise CommandError("Use an interval of 100–60000 ms, 1–16 workers, 1–64 threads.")
        warnings.filterwarnings("ignore", message="No directory at")
        with poll_database():
            self.run(participants, interval, seconds, workers, threads)

    def run(self, participants, interval, seconds, workers, threads):
        from cohorts.models import Membership
        from discussions import live, perf

        started = time.perf_counter()
        built = perf.build(participants)
        week = built.week
        live.control(week, None, "start", [300])
        state = live.timer_state(week.pk, None)
        memberships = Membership.objects.active_participants(built.cohort)
        paths = [
            reverse("live_poll", args=[live.poll_token(m.pk, week.pk, None)]) for m in memberships
        ]
        self.stdout.write(
            f"# {connection.vendor}, {len(paths)} participants, gunicorn {workers} workers"
            f"{f' × {threads} threads' if threads > 1 else ' (sync)'}, data built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        lua = {"paths": ", ".join(f'"{path}"' for path in paths), "etag": state.etag}
        paced = f"{len(paths)} polling every {interval / 1000:g} s"
        figures = {}
        with tempfile.TemporaryDirectory(prefix="homeroom-poll-") as tmp:
            flat_out = Path(tmp) / "flat-out.lua"
            flat_out.write_text(LUA % lua)
            # The poll, then the floor: the same gunicorn serving a WSGI app that only
            # answers 304, the least any poll can cost on this server and machine.
            for name, app in (("poll", None), ("floor", "discussions.perf_wsgi:not_modified")):
                with gunicorn(workers, threads, app=app) as (port, server_pid):
                    self.check_poll(port, paths[0], state.etag)
                    # Warm up: every worker imports, connects and compiles its templates.
                    self.wrk(port, flat_out, 2, 8)
                    figures[name, "paced"] = self.report(
                        f"{name}: {paced}",
                        server_pid,
                        lambda: self.phones(port, paths, state.etag, interval, seconds),
                    )
                    figures[name, "flat"] = self.report(
                        f"{name}: flat out, 16 connections",
                        server_pid,
                        lambda: self.wrk(port, flat_out, seconds, 16),
                    )
        for run, label in (("paced", paced), ("flat", "flat out")):
            own = figures["poll", run] - figures["floor", run]
            self.stdout.write(
                f"the poll above the floor, {label}: {own:.1%} of one core per 100 req/s"
            )
        self.stream(built, paths, interval, seconds, workers, figures["poll", "paced"])

    def stream(self, built, paths, interval, seconds, workers, poll_share):
        """The same phones over server-sent events: gunicorn's threaded workers, each able
        to hold every stream (its cap raised to match), and the timer changed every
        `interval` ms from this process, as the facilitator's would be from another."""
        from discussions import live

        streams = [path + "/events" for path in paths]
        threads = len(streams) + 16  # one per stream, whichever worker takes them, + margin
        cap = {"LIVE_STREAMS_PER_PROCESS": str(len(streams))}  # every stream in one process
        with gunicorn(workers, threads, env=cap) as (port, server_pid):
            self.check_poll(port, paths[0], live.timer_state(built.week.pk, None).etag)

            def change_all():
                changes = []
                cpu_before, clock_before = server_cpu_seconds(server_pid), time.monotonic()
                next_at = clock_before
                try:
                    while next_at < clock_before + seconds:
                        time.sleep(max(0.0, next_at - time.monotonic()))
                        state = live.control(built.week, None, "toggle", [300])
                        changes.append((state.version, time.monotonic()))
                        next_at += interval / 1000
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    cpu = server_cpu_seconds(server_pid) - cpu_before
                    return changes, cpu, time.monotonic() - clock_before
                finally:
                    connection.close()

            opened, received, (changes, cpu, elapsed) = asyncio.run(
                followers(port, streams, interval / 1000, change_all)
            )
        changed_at = dict(changes)
        delays = sorted(at - changed_at[v] for v, at in received if v in changed_at)
        cuts = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else []
        self.stdout.write(
            f"stream: {len(opened)} of {len(streams)} streams open (gunicorn {workers} workers × "
            f"{threads} threads), the timer changed every {interval / 1000:g} s: "
            f"{len(delays)} of {len(opened) * len(changes)} events received, delivery p50 "
            f"{cuts[49] * 1000 if cuts else 0:.0f} ms, p99 {cuts[98] * 1000 if cuts else 0:.0f} ms; "
            f"gunicorn CPU {cpu:.2f} s in {elapsed:.1f} s = {cpu / elapsed:.1%} of one core while "
            f"{len(opened)} follow (the poll: {poll_share:.1%} per 100 req/s)"
        )

    def check_poll(self, port, path, etag):
        """One poll by hand before the load: it must answer, and 304 with the ETag."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            f"http://127.0.0.1:{port}{path}", headers={"If-None-Match": etag}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 304:
            raise CommandError(f"The poll answered {status}, not 304, before the load.")

    def report(self, label, pid, run):
        cpu_before, clock_before = server_cpu_seconds(pid), time.monotonic()
        rate, p50, p99, requests, not_modified, errors = run()
        cpu = server_cpu_seconds(pid) - cpu_before
        elapsed = time.monotonic() - clock_before
        # Share of one core while serving 100 requests/s: CPU seconds per request × 100.
        per_100 = cpu / requests * 100 if requests else 0
        self.stdout.write(
            f"{label}: {rate:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
            f"{not_modified / requests if requests else 0:.0%} answered 304, errors {errors}; "
            f"gunicorn CPU {cpu:.2f} s in {elapsed:.1f} s = {per_100:.1%} of one core "
            f"per 100 req/s"
        )
        return per_100

    def phones(self, port, paths, etag, interval, seconds):
        """The paced run's figures, in wrk_figures' order plus 304s and failures."""
        answers, elapsed = asyncio.run(phones(port, paths, etag, interval / 1000, seconds))
        times = sorted(seconds for _, seconds in answers)
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        not_modified = sum(1 for status, _ in answers if status == 304)
        failed = sum(1 for status, _ in answers if status not in (200, 304))
        return (
            len(answers) / elapsed,
            cuts[49] * 1000,
            cuts[98] * 1000,
            len(answers),
            not_modified,
            failed,
        )

    def wrk(self, port, script, seconds, connections):
        out = run_wrk(port, script, seconds, connections, self.stdout)
        figures = wrk_figures(out)
        socket_errors = re.search(r"Socket errors: (.*)", out)
        if socket_errors:
            self.stdout.write(f"  wrk: socket errors {socket_errors.group(1)}")
        # wrk counts 3xx as neither errors nor 2xx; the script counts the 304s.
        not_modified = int(re.search(r"not_modified (\d+)", out).group(1))
        return (
            figures.rate,
            figures.p50,
            figures.p99,
            figures.requests,
            not_modified,
            figures.errors,
        )
