"""The live session's followers over server-sent events (discussions.live_stream), read
from Django's threaded live server through real sockets: the current state first, each
change of the room timer within two seconds, keep-alives, the stream's end, and the
answers that send a page back to polling (204) or away (404)."""

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from discussions import live, live_stream
from discussions.models import SessionTimer
from tests.security.test_double_submits import ON_POSTGRESQL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_stream_left_open():
    opened = []
    yield opened
    for stream in opened:
        stream.close()
    # Every stream ends and the hub's thread (and its database connection) goes.
    assert live_stream.hub.end_all(), "a stream or the hub's thread outlived the test"


def events_path(week, user):
    membership = Membership.objects.get(cohort=week.cohort, user=user)
    return reverse("live_events", args=[live.poll_token(membership.pk, week.pk, None)])


class Events:
    """One follower: a socket on the live server, read an event at a time."""

    def __init__(self, live_server, path, opened, timeout=5.0):
        address = urlsplit(live_server.url)
        self.connection = http.client.HTTPConnection(
            address.hostname, address.port, timeout=timeout
        )
        self.connection.request("GET", path, headers={"Accept": "text/event-stream"})
        self.socket = self.connection.sock  # (the connection lets go of it: Connection: close)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        opened.append(self)

    def block(self, seconds=5.0):
        """The next block of lines up to a blank line; [] when the stream ended."""
        self.socket.settimeout(seconds)
        lines = []
        while True:
            line = self.response.readline()
            if not line:
                return lines
            line = line.decode().rstrip("\n")
            if not line:
                return lines
            lines.append(line)

    def data(self, seconds=5.0):
        """The next event's state (keep-alive comments skipped), or None at the end."""
        deadline = time.monotonic() + seconds
        while True:
            lines = self.block(max(0.01, deadline - time.monotonic()))
            if not lines:
                return None
            data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
            if data:
                return json.loads("\n".join(data))

    def close(self):
        self.response.close()
        self.socket.close()


def eventually(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_stream_starts_with_the_state_and_follows_the_facilitator(
    paired_week, participants, people, client_for, live_server, no_stream_left_open
):
    stream = Events(live_server, events_path(paired_week, participants[0]), no_stream_left_open)
    assert stream.status == 200
    assert stream.response.getheader("Content-Type") == "text/event-stream"
    assert "no-cache" in stream.response.getheader("Cache-Control")
    assert stream.response.getheader("X-Accel-Buffering") == "no"
    first = stream.block()
    assert first[0] == "retry: 3000"
    assert (
        json.loads(first[1].removeprefix("data: "))
        == live.timer_state(paired_week.pk, None).as_json()
    )

    # The facilitator presses Space on the room timer (this process: pushed at once).
    control = reverse("discussions:timer_control", args=["ml", paired_week.number])
    pressed = time.monotonic()
    answer = client_for(people["facilitator"]).post(
        control, {"action": "toggle"}, HTTP_ACCEPT="application/json"
    )
    state = stream.data(seconds=2)
    assert time.monotonic() - pressed < 2
    assert state == answer.json() and state["running"] is True

    # A change made by another process (here: without waking this one) arrives by the hub's
    # own look at the timers, every half second.
    changed = time.monotonic()
    SessionTimer.touch(paired_week, None)  # new pairs: the page reloads
    state = stream.data(seconds=2)
    assert time.monotonic() - changed < 2
    assert state["pairs"] == answer.json()["pairs"] + 1 and state["running"] is False


def test_the_room_timer_page_streams_too(
    paired_week, people, client_for, live_server, no_stream_left_open
):
    page = client_for(people["facilitator"]).get(
        reverse("discussions:timer", args=["ml", paired_week.number])
    )
    path = page.content.decode().split('data-stream-url="')[1].split('"')[0]
    stream = Events(live_server, path, no_stream_left_open)
    assert stream.status == 200 and stream.data()["version"] == 1  # pairs made once
    live.control(paired_week, None, "next", [300, 240])
    assert stream.data(seconds=2)["turn"] == 1


def test_bad_addresses_and_former_members_get_404(
    paired_week, participants, live_server, no_stream_left_open
):
    assert Events(live_server, "/live/nonsense/events", no_stream_left_open).status == 404
    forged = live.poll_token(1, paired_week.pk, None) + "x"
    assert Events(live_server, f"/live/{forged}/events", no_stream_left_open).status == 404
    path = events_path(paired_week, participants[0])
    Membership.objects.filter(user=participants[0]).update(left_at=timezone.now())
    assert Events(live_server, path, no_stream_left_open).status == 404


def test_a_server_without_threads_sends_the_page_back_to_polling(paired_week, participants, client):
    # The test client, like gunicorn's sync workers, says wsgi.multithread is false.
    response = client.get(events_path(paired_week, participants[0]))
    assert response.status_code == 204 and not response.content
    assert client.get("/live/nonsense/events").status_code == 404


def test_beyond_the_cap_pages_poll(
    paired_week, participants, live_server, settings, no_stream_left_open
):
    settings.LIVE_STREAMS_PER_PROCESS = 2
    settings.LIVE_STREAM_KEEPALIVE_SECONDS = 0.2  # a closed socket is noticed quickly
    paths = [events_path(paired_week, user) for user in participants[:3]]
    first, second = (Events(live_server, path, no_stream_left_open) for path in paths[:2])
    assert first.data() and second.data()
    third = Events(live_server, paths[2], no_stream_left_open)
    assert third.status == 204
    first.close()  # a phone goes away: its place is free again
    assert eventually(lambda: live_stream.hub.open == 1)
    again = Events(live_server, paths[2], no_stream_left_open)
    assert again.status == 200 and again.data()["version"] == 1


def test_keep_alive_comments_and_the_end_of_a_stream(
    paired_week, participants, live_server, settings, no_stream_left_open
):
    settings.LIVE_STREAM_KEEPALIVE_SECONDS = 0.2
    settings.LIVE_STREAM_SECONDS = 1
    stream = Events(live_server, events_path(paired_week, participants[0]), no_stream_left_open)
    assert stream.data()["version"] == 1
    assert stream.block() == [": keep-alive"]
    began = time.monotonic()
    while stream.block(seconds=3):  # keep-alives, then the end
        assert time.monotonic() - began < 3, "the stream did not end after its lifetime"
    assert eventually(lambda: live_stream.hub.open == 0)


def server_connections(terminate=False):
    """PostgreSQL's connections to the test database but this thread's (ended first)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count({'pg_terminate_backend(pid)' if terminate else '*'}) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="Counts PostgreSQL's server connections (DATABASE_URL=postgres://…)",
)
def test_open_streams_hold_no_database_connections(
    paired_week, participants, live_server, no_stream_left_open
):
    paths = [events_path(paired_week, user) for user in participants]
    assert Events(live_server, paths[0], no_stream_left_open).data()
    # One stream: the hub's connection, and no other once the request gave its own back.
    assert eventually(lambda: server_connections() == 1)
    for path in paths[1:] * 2:
        assert Events(live_server, path, no_stream_left_open).data()
    assert live_stream.hub.open == 1 + 2 * (len(paths) - 1)
    assert eventually(lambda: server_connections() == 1)
    # …and every stream still follows the timer.
    live.control(paired_week, None, "start", [300, 240])
    for stream in no_stream_left_open:
        assert stream.data(seconds=2)["running"] is True


def test_the_benchmarks_followers_count_every_change_they_receive(
    paired_week, participants, live_server
):
    import asyncio
    import threading

    from discussions.management.commands.session_poll_benchmark import followers

    paths = [events_path(paired_week, user) for user in participants[:3]]
    paths.append("/live/nonsense/events")  # 404: never opens

    def change_all():
        changes = []
        for _ in range(3):
            changes.append((live.control(paired_week, None, "toggle", [300]).version, 0))
            time.sleep(0.6)
        return changes

    ran = []  # in a thread of its own: the browser tests leave this one's event loop set
    port = urlsplit(live_server.url).port
    run = threading.Thread(
        target=lambda: ran.append(asyncio.run(followers(port, paths, 0.2, change_all)))
    )
    run.start()
    run.join(timeout=30)
    [(opened, received, changes)] = ran
    assert sorted(opened) == sorted(paths[:3])
    versions = [version for version, _ in changes]
    # The first state on opening, then each of the three changes, on every stream.
    assert sorted(v for v, _ in received if v in versions) == sorted(versions * 3)
    assert len(received) == 3 * 4


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="Ends PostgreSQL server connections (DATABASE_URL=postgres://…)",
)
def test_the_hub_survives_losing_its_database_connection(
    paired_week, participants, live_server, no_stream_left_open, caplog
):
    stream = Events(live_server, events_path(paired_week, participants[0]), no_stream_left_open)
    assert stream.data()["running"] is False
    # The database server ends every other connection (a restart, a failover), the hub's
    # among them: its next look fails and says so. (Ended until that happens: the hub may
    # not have opened its connection yet when the first one goes.)
    said = "Could not read the live session's timers; trying again."

    def hub_lost_its_connection():
        server_connections(terminate=True)
        return eventually(lambda: said in caplog.text, seconds=1.5)

    assert eventually(hub_lost_its_connection, seconds=15)
    # It reads again on a new connection: the next change still reaches the stream.
    live.control(paired_week, None, "start", [300, 240])
    assert stream.data(seconds=3)["running"] is True
