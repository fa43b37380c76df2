"""Real servers for integration tests: PostgreSQL (DATABASE_URL), Redis (REDIS_URL), SMTP.

On a developer machine a missing server skips the test with the reason. In CI (CI=true)
the servers are part of the job, so a missing one fails the test instead: a green CI run
must mean these tests ran.
"""

import os
import socket

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — CI=true, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


def free_port():
    """A loopback port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


class CollectingHandler:
    """An SMTP server's DATA handler that keeps every envelope it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; `.port`, and `.handler.envelopes` for what arrived."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
