"""The reads behind "Mark watched", the busiest request: a few short SQL statements.

A participant ticks items off in quick succession, so this answer must cost little more than
the least a signed-in request costs. Building a query with the ORM costs 0.3–1 ms of Python
here, running it a few hundredths of that; this one is written out once instead (plain
SQL that SQLite and PostgreSQL both run; table names from the models) and still hands back
model instances (cohorts.rows). The access rule stays in cohorts.permissions: the view checks the week this
returns with `CohortAccess.can_see_week`.
"""

from typing import Any, NamedTuple, cast

from django.db import connection

from cohorts.models import Cohort, Week
from cohorts.rows import columns

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


class Marked(NamedTuple):
    week: Week
    items: list[PreworkItem]  # the checklist's order, each with `is_done` for this person
    assignments_left: int  # the week's assignments this person has not handed in


def week_with_marks(cohort: Cohort, item_id: int, user_id: int) -> Marked | None:
    """The cohort's week that holds this pre-work item, with all its items and this
    person's marks, or None when the cohort has no such item: one query."""
    if not 0 < item_id <= MAX_ID:
        return None
    t = _tables()
    # Each row repeats the week: its long texts stay behind (the answer shows none of them).
    week = columns(Week, "w", WEEK_TEXTS)
    item = columns(PreworkItem, "i", ("notes",))  # the row shows notes_html
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {week.sql()}, {item.sql()}, EXISTS(SELECT 1 FROM {t['completion']} c "  # noqa: S608 - names from the models
            "WHERE c.item_id = i.id AND c.user_id = %s), "
            f"(SELECT COUNT(*) FROM {t['assignment']} a WHERE a.week_id = w.id AND NOT EXISTS "
            f"(SELECT 1 FROM {t['submission']} s WHERE s.assignment_id = a.id AND s.user_id = %s)) "
            f"FROM {t['item']} i INNER JOIN {t['week']} w ON w.id = i.week_id "
            f"WHERE w.cohort_id = %s AND i.week_id = (SELECT week_id FROM {t['item']} WHERE id = %s) "
            'ORDER BY i."order", i.id',
            [user_id, user_id, cohort.pk, item_id],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    found = cast(Week, week.load(rows[0]))
    found.cohort = cohort
    items = []
    for row in rows:
        prework = cast(PreworkItem, item.load(row, week.width))
        prework.is_done = bool(row[-2])  # type: ignore[attr-defined]  # SQLite answers 0 or 1
        prework.week = found
        items.append(prework)
    return Marked(found, items, int(rows[0][-1]))


def summary(items: list[PreworkItem], assignments_left: int) -> dict[str, Any]:
    """What is left this week and the progress bar's figures (the checklist's header)."""
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
