"""Throughput of "Mark watched" (htmx) under load, against a minimal signed-in POST.

    manage.py load_mark_watched                   # 3 rounds × 5 s each, 32 connections
    manage.py load_mark_watched --seconds 20 --rounds 1 --connections 64 --workers 4

Builds throwaway data in a temporary database (as perf_report does), starts gunicorn on
127.0.0.1 on a free port, drives it with wrk (Debian: `apt-get install -y wrk`) for a
bounded time — the minimal view and Mark watched (toggling one item on and off) in
alternating rounds — prints the median requests per second and latency percentiles, then
stops gunicorn and drops the database. Figures, not a test: run it on an idle machine.

Beside each line, the CPU time gunicorn's processes spent per request (read from /proc on
Linux): unlike requests per second, it barely moves when other programs share the machine,
so "CPU per request" compares the two views even on a busy one.
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from .perf_report import temporary_database

LUA = """
local n = 0
request = function()
  n = n + 1
  local body = "done=" .. (n %% 2)
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "%(cookie)s",
    ["X-CSRFToken"] = "%(csrf)s",
    ["HX-Request"] = "true",
  }, body)
end
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Load-test Mark watched (htmx) with gunicorn and wrk against a minimal view."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=200)
        parser.add_argument("--seconds", type=int, default=5, help="Per run, at most 120.")
        parser.add_argument("--rounds", type=int, default=3, help="Alternating runs of each.")
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="Threads per worker: above 1, gunicorn's gthread workers (as in production).",
        )

    def handle(
        self, *args, participants, seconds, rounds, connections, workers, threads, **options
    ):
        if shutil.which("wrk") is None:
            raise CommandError(
                "wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk"
            )
        if not 1 <= seconds <= 120 or not 1 <= rounds <= 10 or not 1 <= connections <= 1000:
            raise CommandError("Use 1–120 seconds, 1–10 rounds and 1–1000 connections.")
        warnings.filterwarnings("ignore", message="No directory at")
        with temporary_database():
            self.run(participants, seconds, rounds, connections, workers, threads)

    def run(self, participants, seconds, rounds, connections, workers, threads):
        from discussions import perf

        built = perf.build(participants)
        client = Client()
        client.force_login(built.participant)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf = get_random_string(32)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
        mark = reverse("assignments:item_completion", args=[built.cohort.slug, built.item.pk])
        with gunicorn(workers, threads) as (port, server_pid):
            self.stdout.write(
                f"# {connection.vendor}, gunicorn {workers} workers{f' × {threads} threads' if threads > 1 else ''}, wrk {connections} "
                f"connections, {seconds} s per run"
            )
            runs = {"minimal": [], "mark": []}
            with tempfile.TemporaryDirectory(prefix="homeroom-load-") as tmp:
                paths = {"minimal": "/__bench__/minimal/", "mark": mark}
                for name, path in paths.items():
                    script = Path(tmp) / f"{name}.lua"
                    script.write_text(LUA % {"path": path, "cookie": cookie, "csrf": csrf})
                cpu = {name: [] for name in paths}
                for _ in range(rounds):
                    for name in paths:
                        cpu_before = server_cpu_seconds(server_pid)
                        result = self.wrk(port, Path(tmp) / f"{name}.lua", seconds, connections)
                        runs[name].append(result)
                        if cpu_before is not None and result[4]:
                            used = server_cpu_seconds(server_pid) - cpu_before
                            cpu[name].append(used / result[4])
            rates = {}
            for name, results in runs.items():
                rates[name] = statistics.median(result[0] for result in results)
                p50 = statistics.median(result[1] for result in results)
                p99 = statistics.median(result[2] for result in results)
                errors = sum(result[3] for result in results)
                line = (
                    f"{name} {rates[name]:.0f} req/s p50 {p50:.1f} ms p99 {p99:.1f} ms "
                    f"non-2xx {errors}"
                )
                if cpu[name]:
                    line += f" CPU {1000 * statistics.median(cpu[name]):.2f} ms/request"
                self.stdout.write(line)
            share = rates["mark"] / rates["minimal"] if rates["minimal"] else 0
            self.stdout.write(f"mark watched throughput {share:.0%} of minimal")
            if cpu["mark"] and cpu["minimal"]:
                ratio = statistics.median(cpu["minimal"]) / statistics.median(cpu["mark"])
                self.stdout.write(
                    f"mark watched CPU per request: minimal's is {ratio:.0%} of it "
                    "(the throughput share on an idle machine with the CPU as the limit)"
                )

    def wrk(self, port, script, seconds, connections):
        out = run_wrk(port, script, seconds, connections, self.stdout)
        figures = wrk_figures(out)
        return figures.rate, figures.p50, figures.p99, figures.errors, figures.requests


def server_cpu_seconds(pid):
    """User and system CPU time of gunicorn's master and workers so far (Linux /proc), or
    None where /proc does not tell."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for process in [str(pid), *children]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total / ticks


def milliseconds(text):
    """wrk's "850.00us", "12.5ms", "1.2s" in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def database_url():
    """The temporary database as a URL for the gunicorn process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@dataclass(frozen=True)
class WrkFigures:
    rate: float  # requests per second
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: int  # answers wrk counts as neither 2xx nor 3xx


def run_wrk(port, script, seconds, connections, stdout):
    """wrk with a Lua script against 127.0.0.1:`port` for a bounded time; its report."""
    done = subprocess.run(  # noqa: S603
        [
            "wrk",
            f"-t{min(connections, 2)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    if os.environ.get("LOAD_DEBUG"):
        stdout.write(done.stdout + done.stderr)
    return done.stdout


def wrk_figures(out):
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return WrkFigures(
        rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=milliseconds(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)),
        p99=milliseconds(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )


@contextmanager
def gunicorn(workers, threads=1, app=None, env=None):
    """gunicorn serving the benchmark's temporary database (discussions.perf_wsgi, or the
    WSGI `app` given) on a free port of 127.0.0.1, with `workers` sync workers (gthread with
    `threads` above 1) and any further environment variables in `env`; yields the port once
    it answers, and stops every process after."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PYTHONWARNINGS": "ignore:No directory at",
        **(env or {}),
    }
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("gunicorn")),
            app or "discussions.perf_wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(port, server)
        yield port, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_for(port, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn stopped while starting.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"gunicorn did not answer on 127.0.0.1:{port} within {seconds} s.")
