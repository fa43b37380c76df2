"""Regression tests for what an outside attack found: worst-case inputs finish, and bad
input is answered with a clear 4xx (or the form again), never a 500.

`finishes` is a generous guard (default 30 s), not a timing test: before the fixes these
inputs took minutes or crashed; speed itself is measured by benchmark commands."""

import signal
from contextlib import contextmanager

import pytest


class TookTooLong(Exception):
    pass


@contextmanager
def _finishes(seconds=30):
    def alarm(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def finishes():
    return _finishes


@pytest.fixture
def no_500(client):
    """The test client answers a server error with a 500 response instead of raising."""
    client.raise_request_exception = False
    return client
