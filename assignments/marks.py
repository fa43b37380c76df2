"""Mark watched, the busiest request: the mark and the reads behind its answer, in as few
short SQL statements as the database allows.

A participant ticks items off in quick succession, so this answer must cost little more than
the least a signed-in request costs. Building a query with the ORM costs 0.3–1 ms of Python
here, running it a few hundredths of that; these are written out once instead (table names
from the models) and still hand back model instances (cohorts.rows). The access rule stays
in cohorts.permissions: the week read back is checked with `CohortAccess.can_see_week`, and
PostgreSQL's single statement writes only under the same rule in SQL (`can_see_week_sql`).
"""

from datetime import datetime
from typing import Any, NamedTuple, cast

from django.db import IntegrityError, connection
from django.utils import timezone

from cohorts.models import Cohort, Week
from cohorts.permissions import CohortAccess
from cohorts.rows import Columns, columns

from . import progress
from .models import Assignment, Completion, PreworkItem, Submission

# Largest id a database integer column holds: a bigger one in a URL matches nothing.
MAX_ID = 2**63 - 1


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    models = {
        "week": Week,
        "item": PreworkItem,
        "completion": Completion,
        "assignment": Assignment,
        "submission": Submission,
    }
    return {name: quote(model._meta.db_table) for name, model in models.items()}


WEEK_TEXTS = ("summary", "summary_html", "facilitator_notes", "facilitator_notes_html")


class Brief(NamedTuple):
    """Another item of the week: what the checklist's header counts, no model instance."""

    pk: int
    kind: str
    required: bool
    minutes: int
    is_done: bool


class Marked(NamedTuple):
    week: Week
    item: PreworkItem  # the item asked for, with `is_done` for this person
    items: list[Any]  # the checklist's order: the item asked for and the others' Briefs
    assignments_left: int  # the week's assignments this person has not handed in


def _read(t: dict[str, str], week: Columns, item: Columns) -> str:
    """The SELECT of an item's week (in the cohort given as the 3rd parameter): one row per
    item of the week, each with this person's mark and the week's assignments left.
    Parameters: user, user, cohort, item."""
    return (
        f"SELECT {week.sql()}, {item.sql()}, EXISTS(SELECT 1 FROM {t['completion']} c "  # noqa: S608 - names from the models
        "WHERE c.item_id = i.id AND c.user_id = %s), "
        f"(SELECT COUNT(*) FROM {t['assignment']} a WHERE a.week_id = w.id AND NOT EXISTS "
        f"(SELECT 1 FROM {t['submission']} s WHERE s.assignment_id = a.id AND s.user_id = %s)) "
        f"FROM {t['item']} i INNER JOIN {t['week']} w ON w.id = i.week_id "
        f"WHERE w.cohort_id = %s AND i.week_id = (SELECT week_id FROM {t['item']} WHERE id = %s) "
        'ORDER BY i."order", i.id'  # the header names kinds in the checklist's order
    )


def _columns() -> tuple[Columns, Columns]:
    # Each row repeats the week: its long texts stay behind (the answer shows none of them).
    return columns(Week, "w", WEEK_TEXTS), columns(PreworkItem, "i", ("notes",))


def _week_with_marks(cohort: Cohort, item_id: int, user_id: int) -> Marked | None:
    """The cohort's week that holds this pre-work item, the item, all the week's items and
    this person's marks, or None when the cohort has no such item: one query."""
    week, item = _columns()
    with connection.cursor() as cursor:
        cursor.execute(_read(_tables(), week, item), [user_id, user_id, cohort.pk, item_id])
        rows = cursor.fetchall()
    return _marked(rows, cohort, item_id, week, item)


def _marked(
    rows: list[Any], cohort: Cohort, item_id: int, week: Columns, item: Columns
) -> Marked | None:
    if not rows:
        return None
    found = cast(Week, week.load(rows[0]))
    found.cohort = cohort
    # Only the item asked for becomes a model instance (its row is the answer); the others
    # are counted, so their few columns are read as they are.
    pk, kind, required, minutes = (
        week.width + item.attnames.index(column) for column in ("id", "kind", "required", "minutes")
    )
    asked: PreworkItem | None = None
    items: list[Any] = []
    for row in rows:
        if row[pk] == item_id:
            asked = cast(PreworkItem, item.load(row, week.width))
            asked.is_done = bool(row[-2])  # type: ignore[attr-defined]  # SQLite answers 0 or 1
            asked.week = found
            items.append(asked)
        else:
            items.append(
                Brief(row[pk], row[kind], bool(row[required]), row[minutes] or 0, bool(row[-2]))
            )
    if asked is None:  # not reached: the rows are the asked item's week's
        return None
    return Marked(found, asked, items, int(rows[0][-1]))


def mark(access: CohortAccess, item_id: int, done: bool) -> Marked | None:
    """Mark the item done (or not) for this member, and read back its week, the week's
    items and the member's marks for the answer (the item's `is_done` is what was asked).
    None, with nothing written, when the cohort has no such item or the member may not see
    its week; also when a facilitator deleted the item in the same instant.

    A repeat changes nothing (a double click, two tabs). No transaction is opened around the
    write: a statement is atomic by itself, so the write lock is held for it alone.
    """
    if not 0 < item_id <= MAX_ID:
        return None
    now = timezone.now()
    one_statement = connection.vendor == "postgresql"
    if one_statement:
        marked = _mark_in_one_statement(access, item_id, done, now)
    else:  # SQLite: the read, the check, then the write
        marked = _week_with_marks(access.cohort, item_id, access.user_id)
    if marked is None or not access.can_see_week(marked.week, now):
        return None
    if not one_statement and not Completion.objects.mark(access.user_id, item_id, done):
        return None  # deleted since it was read
    marked.item.is_done = done  # type: ignore[attr-defined]  # even if another tab just undid it
    return marked


def _mark_in_one_statement(
    access: CohortAccess, item_id: int, done: bool, now: datetime
) -> Marked | None:
    """PostgreSQL: the write and the read in one statement (a data-modifying WITH), one
    round trip. The write happens only where the member may see the week (the SQL form of
    can_see_week, at the same `now` the caller then checks the week read back with); the
    read sees the marks as they were before it, as a read before the write would.

    The statement's own transaction commits without waiting for the disk (asynchronous
    commit, set for it alone): waiting cost an eighth of the ticks a server answers
    (manage.py load_mark_watched). A server crash can lose the last fraction of a second of
    ticks, never leave one half-written, as SQLite's WAL with synchronous=NORMAL
    (config.settings) does for every write; a lost tick is ticked again. Nothing else is
    written this way."""
    t = _tables()
    week, item = _columns()
    visible, visible_params = access.can_see_week_sql("w", now)
    sql = (
        f"WITH target AS (SELECT i.id FROM {t['item']} i "  # noqa: S608 - names from the models
        f"INNER JOIN {t['week']} w ON w.id = i.week_id "
        f"WHERE i.id = %s AND w.cohort_id = %s AND {visible} "
        # True, having set asynchronous commit for this statement's transaction (is_local).
        "AND set_config('synchronous_commit', 'off', true) IS NOT NULL), "
        f"written AS ({Completion.objects.write_sql(done, 'target')}) " + _read(t, week, item)
    )
    params = [
        item_id,
        access.cohort.pk,
        *visible_params,
        access.user_id,
        *([now] if done else []),
        access.user_id,  # then the read's
        access.user_id,
        access.cohort.pk,
        item_id,
    ]
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    except IntegrityError:
        # The item was deleted, and committed, while this statement inserted its mark.
        return None
    return _marked(rows, access.cohort, item_id, week, item)


def summary(items: list[Any], assignments_left: int) -> dict[str, Any]:
    """What is left this week and the progress bar's figures (the checklist's header), from
    items with `required`, `is_done`, `kind` and `minutes` (PreworkItem or Brief)."""
    required = [item for item in items if item.required]
    required_done = sum(1 for item in required if item.is_done)
    return {
        "remaining": progress.Remaining(
            items=[item for item in required if not item.is_done],
            assignments=[None] * assignments_left,  # only counted
        ),
        "required_total": len(required),
        "required_done": required_done,
        "percent": progress.percent_done(required_done, len(required)),
    }
