"""The live session's followers over server-sent events: one open connection per phone,
written to only when the room's timer changes, instead of a poll every two seconds.

A page opens `/live/<token>/events` (the poll's signed address, discussions.live). The
answer is a stream: `retry: 3000`, the timer's state at once (the poll's JSON), then the
state again on every change, a comment every LIVE_STREAM_KEEPALIVE_SECONDS, and the end
after LIVE_STREAM_SECONDS (the browser reconnects by itself, and the address and the
membership are checked again).

Each web process has one Hub. While anyone follows, its thread asks the database every
half second for the version of every timer followed in this process, in one query; when
one changed it loads that timer's state and wakes the streams that follow it. The
facilitator's own action wakes the hub at once (live.control, after commit), so their
process pushes immediately and every other process within half a second. A stream holds
a thread but no database connection: the request gives its connection back before the
stream starts, and the hub's one connection serves every follower of the process.
"""

import json
import logging
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .live import TimerState, timer_state
from .models import SessionTimer

logger = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
RETRY_MS = 3000
KEEP_ALIVE = b": keep-alive\n\n"

Key = tuple[int, int | None]  # (week id, room id or None)


def event(state: TimerState) -> bytes:
    return f"data: {json.dumps(state.as_json(), separators=(',', ':'))}\n\n".encode()


class Watched:
    """One room's timer as this process last saw it, and who follows it here."""

    def __init__(self, lock: threading.Lock, state: TimerState) -> None:
        self.state = state
        self.followers = 0
        self.changed = threading.Condition(lock)


class Hub:
    """Every stream of this process, and the thread that watches their timers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.watched: dict[Key, Watched] = {}
        self.open = 0
        self.generation = 0  # end_all() ends every stream opened before it
        self.thread: threading.Thread | None = None
        self.poked = threading.Event()

    def follow(self, key: Key, state: TimerState) -> "Stream | None":
        """A stream of the room's timer from `state` (just read), or None when this
        process already holds LIVE_STREAMS_PER_PROCESS streams."""
        with self.lock:
            if self.open >= settings.LIVE_STREAMS_PER_PROCESS:
                return None
            watched = self.watched.get(key)
            if watched is None:
                watched = self.watched[key] = Watched(self.lock, state)
            elif state.version > watched.state.version:
                # Fresher than what the hub last read: everyone here gets it now.
                watched.state = state
                watched.changed.notify_all()
            watched.followers += 1
            self.open += 1
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self.run, args=(shared_test_connection(),), daemon=True
                )
                self.thread.name = "live-stream-hub"
                self.thread.start()
            return Stream(self, key, watched, self.generation)

    def leave(self, key: Key, watched: Watched) -> None:
        with self.lock:
            self.open -= 1
            watched.followers -= 1
            if watched.followers == 0 and self.watched.get(key) is watched:
                del self.watched[key]

    def poke(self) -> None:
        """A timer changed in this process: look now rather than at the next tick."""
        self.poked.set()

    def end_all(self, wait_seconds: float = 5) -> bool:
        """End every open stream (their pages reconnect); True once none is left and the
        hub's thread has stopped. For shutting down, and for tests."""
        with self.lock:
            self.generation += 1
            for watched in self.watched.values():
                watched.changed.notify_all()
        self.poke()  # the thread finds nothing left to watch and stops
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            with self.lock:
                if self.open == 0 and self.thread is None:
                    return True
            time.sleep(0.01)
        return False

    def run(self, shared: BaseDatabaseWrapper | None) -> None:
        if shared is not None:
            connections[DEFAULT_DB_ALIAS] = shared
        try:
            while True:
                with self.lock:
                    keys = list(self.watched)
                    if not keys:
                        self.thread = None
                        return
                try:
                    self.check(keys)
                except Exception:
                    logger.exception("Could not read the live session's timers; trying again.")
                    close_connection()
                self.poked.wait(CHECK_SECONDS)
                self.poked.clear()
        finally:
            close_connection()

    def check(self, keys: list[Key]) -> None:
        """One query for the versions of every followed timer; the state of those that
        changed, to their followers."""
        versions = {
            (week_id, room_id): version
            for week_id, room_id, version in SessionTimer.objects.filter(
                week_id__in={week_id for week_id, _ in keys}
            ).values_list("week_id", "room_id", "version")
        }
        for key in keys:
            with self.lock:
                watched = self.watched.get(key)
                if watched is None or watched.state.version == versions.get(key, 0):
                    continue
            self.publish(key, timer_state(*key))

    def publish(self, key: Key, state: TimerState) -> None:
        with self.lock:
            watched = self.watched.get(key)
            if watched is not None and watched.state.version != state.version:
                watched.state = state
                watched.changed.notify_all()


class Stream:
    """One follower's answer: iterated by the server, closed by it when the page goes."""

    def __init__(self, hub: Hub, key: Key, watched: Watched, generation: int) -> None:
        self.hub = hub
        self.key = key
        self.watched = watched
        self.generation = generation
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        started = time.monotonic()
        ends = started + settings.LIVE_STREAM_SECONDS
        keep_alive = settings.LIVE_STREAM_KEEPALIVE_SECONDS
        state = self.watched.state
        yield f"retry: {RETRY_MS}\n".encode() + event(state)
        sent, written = state.version, started
        while True:
            with self.hub.lock:
                while self.watched.state.version == sent and self.current():
                    timeout = min(written + keep_alive, ends) - time.monotonic()
                    if timeout <= 0:
                        break
                    self.watched.changed.wait(timeout)
                state = self.watched.state
                current = self.current()
            if not current:
                return
            if state.version != sent:
                yield event(state)
                sent = state.version
            elif time.monotonic() >= ends:
                return
            else:
                yield KEEP_ALIVE
            written = time.monotonic()

    def current(self) -> bool:
        return self.generation == self.hub.generation

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.leave(self.key, self.watched)


def close_connection() -> None:
    try:
        connection.close()
    except Exception:
        logger.exception("Could not close the live session hub's database connection.")


def shared_test_connection() -> BaseDatabaseWrapper | None:
    """Where Django's live server shares the test suite's in-memory SQLite connection
    between its threads, the hub's thread shares it too. Everywhere else (None) the hub
    opens its own connection."""
    shared = connections[DEFAULT_DB_ALIAS]
    if shared.vendor == "sqlite" and shared.allow_thread_sharing:
        return shared
    return None


hub = Hub()
