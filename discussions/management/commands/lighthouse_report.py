"""Lighthouse mobile performance of the main pages, served as in production. Figures, not a test.

    npm install --prefix /tmp/lh lighthouse
    manage.py lighthouse_report --lighthouse /tmp/lh/node_modules/.bin/lighthouse
    manage.py lighthouse_report --lighthouse … --runs 3 --only week,session

Builds the demo (`seed_demo`) in a throwaway SQLite database in a temporary directory,
collects the static files, starts gunicorn on 127.0.0.1 with DEBUG off, signs in through a
session cookie (organizer for progress, session and guide; a participant for the rest) and
runs Lighthouse's mobile preset (simulated slow 4G and a slow phone CPU) on each page in
headless Chromium. Prints each page's performance score (the median of --runs) with its
metrics, and the machine's load average, since a busy machine lowers the scores.
"""

import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from .load_mark_watched import free_port, wait_for

PAGES = ("login", "cohort", "week", "progress", "session", "guide", "preferences")
METRICS = (
    ("FCP", "first-contentful-paint"),
    ("LCP", "largest-contentful-paint"),
    ("TBT", "total-blocking-time"),
    ("CLS", "cumulative-layout-shift"),
    ("SI", "speed-index"),
)
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
# Run in the server's environment: the demo's URLs and a signed-in session per role.
SETUP = """
import json
from django.test import Client
from django.urls import reverse
from cohorts.models import Cohort, Membership, Role

cohort = Cohort.objects.get(slug="machine-learning")
week = cohort.current_week() or cohort.weeks.order_by("number").last()
def session_for(role):
    member = Membership.objects.filter(cohort=cohort, role=role).order_by("pk").first()
    client = Client()
    client.force_login(member.user)
    return client.cookies["sessionid"].value
staff, participant = session_for(Role.ORGANIZER), session_for(Role.PARTICIPANT)
w = [cohort.slug, week.number]
print(json.dumps({
    "login": [reverse("account_login"), None],
    "cohort": [reverse("cohorts:detail", args=[cohort.slug]), participant],
    "week": [reverse("cohorts:week", args=w), participant],
    "progress": [reverse("assignments:progress", args=[cohort.slug]), staff],
    "session": [reverse("discussions:session", args=w), staff],
    "guide": [reverse("discussions:guide", args=[cohort.slug]), staff],
    "preferences": [reverse("cohorts:preferences", args=[cohort.slug]), participant],
}))
"""


class Command(BaseCommand):
    help = "Lighthouse mobile performance of the main pages, served by gunicorn on demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--lighthouse",
            default=shutil.which("lighthouse"),
            help="The lighthouse executable (npm install --prefix /tmp/lh lighthouse).",
        )
        parser.add_argument("--chrome", default="/usr/bin/chromium")
        parser.add_argument("--runs", type=int, default=1, help="Per page; the median is shown.")
        parser.add_argument("--only", default="", help="Comma-separated: " + ", ".join(PAGES))

    def handle(self, *args, lighthouse, chrome, runs, only, **options):
        if not lighthouse or not Path(lighthouse).exists():
            raise CommandError(
                "Lighthouse not found. Install it with `npm install --prefix /tmp/lh lighthouse` "
                "and pass --lighthouse /tmp/lh/node_modules/.bin/lighthouse."
            )
        if not Path(chrome).exists():
            raise CommandError(f"No Chromium at {chrome} (Debian: apt-get install chromium).")
        if not 1 <= runs <= 9:
            raise CommandError("Use 1–9 runs.")
        pages = [name.strip() for name in only.split(",") if name.strip()] or list(PAGES)
        unknown = set(pages) - set(PAGES)
        if unknown:
            raise CommandError(f"Unknown page(s): {', '.join(sorted(unknown))}")
        with tempfile.TemporaryDirectory(prefix="homeroom-lighthouse-") as tmp:
            port = free_port()
            env = server_environment(Path(tmp), port)
            manage(env, "migrate", "--no-input")
            manage(env, "seed_demo")
            manage(env, "collectstatic", "--no-input")
            urls = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
            server = start_gunicorn(env, port, Path(tmp) / "gunicorn.log")
            try:
                wait_for(port, server)
                self.report(lighthouse, chrome, port, urls, pages, runs, Path(tmp))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)

    def report(self, lighthouse, chrome, port, urls, pages, runs, tmp):
        self.stdout.write(
            f"# Lighthouse mobile performance, gunicorn DEBUG off, demo data; median of {runs} "
            f"run(s); load average {load_average()}"
        )
        for name in pages:
            path, session = urls[name]
            url = f"http://127.0.0.1:{port}{path}"
            results = [run_lighthouse(lighthouse, chrome, url, session, tmp) for _ in range(runs)]
            results.sort(key=lambda result: result["score"])
            middle = results[len(results) // 2]
            scores = "/".join(str(result["score"]) for result in results)
            metrics = "  ".join(f"{label} {middle[label]}" for label, _ in METRICS)
            self.stdout.write(
                f"{name:<12} {statistics.median(r['score'] for r in results):>5g}  {metrics}"
                + (f"  (runs: {scores})" if runs > 1 else "")
            )
        self.stdout.write(f"# load average afterwards {load_average()}")


def server_environment(data_dir, port):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST", "CACHE_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SITE_URL=f"http://127.0.0.1:{port}",
        HOMEROOM_DATA_DIR=str(data_dir),
        PYTHONWARNINGS="ignore",
    )
    return env


def manage(env, *args):
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        raise CommandError(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def start_gunicorn(env, port, log_path):
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_lighthouse(lighthouse, chrome, url, session, tmp, attempts=3):
    """One Lighthouse run; on a busy machine it sometimes fails to record the page load and
    asks to be run again, which it is (up to `attempts` times)."""
    for attempt in range(1, attempts + 1):
        try:
            return lighthouse_once(lighthouse, chrome, url, session, tmp)
        except CommandError:
            if attempt == attempts:
                raise


def lighthouse_once(lighthouse, chrome, url, session, tmp):
    output = tmp / "report.json"
    command = [
        lighthouse,
        url,
        "--only-categories=performance",
        "--output=json",
        f"--output-path={output}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    if session:
        command.append(f"--extra-headers={json.dumps({'Cookie': f'sessionid={session}'})}")
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603
        command,
        env={**os.environ, "CHROME_PATH": chrome},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode or not output.exists():
        raise CommandError(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    report = json.loads(output.read_text())
    output.unlink()
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if final.rstrip("/") != url.rstrip("/"):
        raise CommandError(f"{url} ended at {final} (not signed in?)")
    result = {"score": round(report["categories"]["performance"]["score"] * 100)}
    for label, audit in METRICS:
        result[label] = report["audits"][audit].get("displayValue", "?").replace("\xa0", " ")
    result["seconds"] = time.monotonic() - started
    return result


def load_average():
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"
