"""The suite really talks to the servers CI starts for it."""

import os

import pytest
from django.db import connection

from .conftest import IN_CI

pytestmark = pytest.mark.integration


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql_when_database_url_says_so():
    url = os.environ.get("DATABASE_URL", "")
    says_postgres = url.startswith(("postgres://", "postgresql://", "pgsql://"))
    if IN_CI:
        assert says_postgres, f"CI must run the suite on PostgreSQL; DATABASE_URL={url!r}"
    elif not says_postgres:
        pytest.skip("DATABASE_URL does not point at PostgreSQL; checked in CI")

    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL")


def test_redis_answers(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
    finally:
        client.close()
