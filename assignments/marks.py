"""The reads behind "Mark watched", the busiest request: a few short SQL statements.

A participant ticks items off in quick succession, so this answer must cost little more than
the least a signed-in request costs. Building a query with the ORM costs 0.3–1 ms of Python
here, running it a few hundredths of that; these two are written out once instead (plain
SQL that SQLite and PostgreSQL both run; table names from the models) and still hand back
model instances. The access rule stays in cohorts.permissions: the view checks the week this
returns with `CohortAccess.can_see_week`.
"""

from typing import Any

from django.db import connection

from cohorts.models import Cohort, Week

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


def week_of_item(cohort: Cohort, item_id: int) -> Week | None:
    """The week of the cohort that holds this pre-work item, or None: one query."""
    if not 0 < item_id <= MAX_ID:
        return None
    t = _tables()
    weeks = Week.objects.raw(
        f"SELECT w.* FROM {t['week']} w INNER JOIN {t['item']} i ON i.week_id = w.id "  # noqa: S608 - table names from the models
        "WHERE i.id = %s AND w.cohort_id = %s",
        [item_id, cohort.pk],
    )
    for week in weeks:
        week.cohort = cohort
        return week
    return None


def items_with_marks(week: Week, user_id: int) -> tuple[list[PreworkItem], int]:
    """The week's pre-work in the checklist's order, each with `is_done` for this person,
    and how many of the week's assignments they have not handed in: one query."""
    t = _tables()
    items = list(
        PreworkItem.objects.raw(
            f"SELECT i.*, EXISTS(SELECT 1 FROM {t['completion']} c "  # noqa: S608 - table names from the models
            "WHERE c.item_id = i.id AND c.user_id = %s) AS is_done, "
            f"(SELECT COUNT(*) FROM {t['assignment']} a WHERE a.week_id = i.week_id AND NOT EXISTS "
            f"(SELECT 1 FROM {t['submission']} s WHERE s.assignment_id = a.id AND s.user_id = %s)) "
            f'AS assignments_left FROM {t["item"]} i WHERE i.week_id = %s ORDER BY i."order", i.id',
            [user_id, user_id, week.pk],
        )
    )
    for item in items:
        item.is_done = bool(item.is_done)  # SQLite answers 0 or 1
        item.week = week
    return items, int(items[0].assignments_left) if items else 0


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
