"""On PostgreSQL a statement a connection repeats is prepared (parsed and planned once), and
DATABASE_PREPARED_STATEMENTS=0 turns that off for poolers that cannot keep them."""

import subprocess
import sys
from pathlib import Path

from django.db import connection

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
