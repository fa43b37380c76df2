"""Real servers for integration tests: PostgreSQL (DATABASE_URL), Redis (REDIS_URL), SMTP.

On a developer machine a missing server skips the test with the reason. In CI (CI=true)
the servers are part of the job, so a missing one fails the test instead: a green CI run
must mean these tests ran.
"""

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — CI=true, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        unavailable("REDIS_URL is not set: this test needs a real Redis server")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at REDIS_URL does not answer: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture
def postgresql():
    """The suite's database is PostgreSQL (DATABASE_URL=postgres://…), not the SQLite default."""
    if connection.vendor != "postgresql":
        unavailable(
            f"this test needs PostgreSQL; the suite runs on {connection.vendor} "
            "(set DATABASE_URL=postgres://… to run it)"
        )
    return connection


def database_url_of_this_test_run():
    """DATABASE_URL of pytest-django's test database, where this test's rows are."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


@dataclass
class Worker:
    process: subprocess.Popen
    queue: str
    log_path: Path

    def log_tail(self, chars=4000):
        return self.log_path.read_text()[-chars:]

    def fail_if_exited(self):
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")


@pytest.fixture
def celery_worker(redis_url, smtp_server, tmp_path):
    """Start `celery worker` (optionally with beat) as a real process on its own Redis queue,
    on this test's PostgreSQL database and SMTP server; stopped and its keys dropped after."""
    started = []

    def start(*, beat=False, queue=None, consume=("", "-email", "-slack"), **extra_env):
        """`queue` names the test's queues (a new name unless given, so two workers can
        share them); `consume` picks which of them this worker takes: the default queue
        (dispatch), "-email" and "-slack"."""
        queue = queue or f"homeroom-test-{uuid.uuid4().hex[:12]}"  # only this test uses it
        env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process only
        env.update(
            CELERY_BROKER_URL=redis_url,
            CELERY_TASK_DEFAULT_QUEUE=queue,  # beat's dispatch and the sends stay on our queues
            CELERY_EMAIL_QUEUE=f"{queue}-email",
            CELERY_SLACK_QUEUE=f"{queue}-slack",
            DATABASE_URL=database_url_of_this_test_run(),
            # The web process's key: the worker reads the secrets it sealed (cohorts.secrets).
            SECRET_KEY=settings.SECRET_KEY,
            DEBUG="0",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_server.port),
            EMAIL_USE_TLS="false",
            EMAIL_USE_SSL="false",
            DEFAULT_FROM_EMAIL="Homeroom <homeroom@example.com>",
            HOMEROOM_DATA_DIR=str(tmp_path / "var"),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env)
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        command += ["--beat"] if beat else []
        queues = ",".join(f"{queue}{suffix}" for suffix in consume)
        command += ["--loglevel=INFO", "--pool=solo", "--queues", queues, "--hostname"]
        command += [f"{queue}-{len(started)}@%h", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat"]
        log_path = tmp_path / f"worker-{len(started)}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        worker = Worker(process, queue, log_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.terminate()  # warm shutdown
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)
        forget_queue(redis_url, worker.queue)


def forget_queue(redis_url, queue):
    """Leave a developer's Redis as it was: drop the keys named after a test's queue."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
