"""On PostgreSQL a statement a connection repeats is prepared (parsed and planned once), and
DATABASE_PREPARED_STATEMENTS=0 turns that off for poolers that cannot keep them."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client

from cohorts.models import Cohort

from .conftest import database_url_of_this_test_run

PREPARED = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s"


def test_a_statement_run_five_times_is_prepared(postgresql, db):
    for _ in range(6):
        list(Cohort.objects.filter(slug="no-such-cohort"))
    with connection.cursor() as cursor:
        cursor.execute(PREPARED, [f'%FROM "{Cohort._meta.db_table}"%'])
        assert cursor.fetchone()[0] == 1


SCRIPT = """
import django
django.setup()
from django.db import connection
from cohorts.models import Cohort
for _ in range(6):
    list(Cohort.objects.filter(slug="no-such-cohort"))
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
        ['%FROM "{table}"%'],
    )
    print(cursor.fetchone()[0])
"""


def run_with(prepared):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(table=Cohort._meta.db_table)],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url_of_this_test_run(),
            "DATABASE_PREPARED_STATEMENTS": prepared,
        },
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
        check=True,
    ).stdout.split()[-1]


def test_prepared_statements_can_be_turned_off(postgresql, db):
    assert run_with("0") == "0"
    assert run_with("1") == "1"


@pytest.mark.django_db(transaction=True)  # autocommit, as a web process runs its reads
def test_pages_survive_a_migration_that_changes_a_column_type(postgresql, cohort, people):
    """A deploy migrates while the web processes still hold connections (kept 60 s) whose
    statements are prepared. A column whose type the migration changed (a longer
    max_length) makes PostgreSQL refuse such a statement's plan; the page must still
    open, not fail until the connection is replaced."""
    client = Client()
    client.force_login(people["participant"])
    for _ in range(6):  # the membership check, which reads every cohort column, is prepared
        assert client.get(cohort.get_absolute_url()).status_code == 200
    title = Cohort._meta.get_field("title")
    table = connection.ops.quote_name(Cohort._meta.db_table)
    column = connection.ops.quote_name(title.column)

    def alter_from_another_connection(length):  # as manage.py migrate in its own process
        with psycopg.connect(
            database_url_of_this_test_run().replace("postgres://", "postgresql://", 1),
            autocommit=True,
        ) as other:
            other.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})")

    alter_from_another_connection(title.max_length + 40)
    try:
        assert [client.get(cohort.get_absolute_url()).status_code for _ in range(2)] == [200] * 2
    finally:
        alter_from_another_connection(title.max_length)
