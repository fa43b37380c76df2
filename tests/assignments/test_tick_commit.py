"""On PostgreSQL a tick commits without waiting for the disk, and only the tick does: the
connection's next transaction waits for it again."""

import os

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from assignments.models import Completion

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="asynchronous commit is PostgreSQL's (DATABASE_URL=postgres://…)",
)


def wal_syncs():
    """How often PostgreSQL has flushed its write-ahead log to disk, this backend's count
    included (pg_stat_wal, PostgreSQL 15 and later)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT wal_sync FROM pg_stat_wal")
        return cursor.fetchone()[0]


@pytest.fixture
def flushing_server(db):
    """A server that flushes its log to disk, with this connection waiting for it on commit
    as production's does, whatever the server's own default."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        if cursor.fetchone()[0] != "on":
            reason = "the PostgreSQL server runs with fsync=off: it never flushes to disk"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
            pytest.skip(reason)
        cursor.execute("SET synchronous_commit = on")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")


@pytest.mark.django_db(transaction=True)  # each statement commits, as in production
def test_ticks_do_not_wait_for_the_disk(flushing_server, upcoming_week, items, people, client_for):
    client = client_for(people["participant"])
    user = people["participant"]
    urls = [reverse("assignments:item_completion", args=["ml", item.pk]) for item in items]
    before = wal_syncs()
    for _ in range(5):
        for url in urls:
            assert client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true").status_code == 200
        assert Completion.objects.filter(user=user).count() == len(items)
        for url in urls:
            assert client.post(url, {"done": "0"}, HTTP_HX_REQUEST="true").status_code == 200
        assert not Completion.objects.filter(user=user).exists()
    ticks = 10 * len(items)
    # Each tick is a commit; waited for, each would flush. The WAL writer flushes them in
    # the background a few times a second, and the test's sign-in wrote once.
    assert wal_syncs() - before < ticks / 4

    # The setting lasted for the tick's own transaction only.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    before = wal_syncs()
    for item in items:
        Completion.objects.create(user=user, item=item)
    assert wal_syncs() - before >= len(items)
