"""Who is ready: pre-work and assignment progress, computed in a fixed number of queries."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from cohorts.models import Cohort, Membership, Role, Week
from cohorts.permissions import joined_before

from .models import Assignment, Completion, PreworkItem, Submission


def percent_done(done: int, total: int) -> int:
    """Share of required pre-work done; a week with nothing required counts as done."""
    return round(100 * done / total) if total else 100


@dataclass(frozen=True)
class WeekStatus:
    """One participant's state for one week."""

    required_done: int
    required_total: int
    assignments_done: int
    assignments_total: int

    @property
    def percent(self) -> int:
        return percent_done(self.required_done, self.required_total)

    @property
    def prework_finished(self) -> bool:
        return self.required_done >= self.required_total

    @property
    def finished(self) -> bool:
        """Everything required for the session: pre-work and every assignment handed in."""
        return self.prework_finished and self.assignments_done >= self.assignments_total

    @property
    def started(self) -> bool:
        return self.required_done > 0 or self.assignments_done > 0


def _pair_counts(rows: QuerySet[Any]) -> dict[tuple[int, int], int]:
    """{(a, b): n} from a `values_list(a, b).annotate(n=Count(...))` query, read straight
    from the cursor: for a class these are thousands of rows of three integers, and the
    ORM's per-row conversion of the count costs more than the database does."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # no weeks (or nobody) to ask about
        return {}
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return {(a, b): n for a, b, n in cursor.fetchall()}


# Up to this many people, `statuses` asks the database only for their rows.
FEW_PEOPLE = 20


def statuses(weeks: Iterable[Week], user_ids: Sequence[int]) -> dict[tuple[int, int], WeekStatus]:
    """{(user_id, week_id): WeekStatus} for every pair, in four queries."""
    week_ids = [week.pk for week in weeks]
    required = dict(
        PreworkItem.objects.filter(week__in=week_ids, required=True)
        .values_list("week")
        .annotate(n=Count("pk"))
    )
    assignment_totals = dict(
        Assignment.objects.filter(week__in=week_ids).values_list("week").annotate(n=Count("pk"))
    )
    completions = Completion.objects.filter(item__week__in=week_ids, item__required=True)
    submissions = Submission.objects.filter(assignment__week__in=week_ids)
    if len(user_ids) <= FEW_PEOPLE:
        completions = completions.filter(user__in=user_ids)
        submissions = submissions.filter(user__in=user_ids)
    # else (a whole class): the weeks' rows are nearly all theirs, and a list of hundreds of
    # ids costs the database more than the few other rows it would leave out (never read).
    done = _pair_counts(completions.values_list("user", "item__week").annotate(n=Count("pk")))
    handed_in = _pair_counts(
        submissions.values_list("user", "assignment__week").annotate(n=Count("pk"))
    )
    # 200 people × 12 weeks share a few dozen states: make each (frozen) state once.
    shared: dict[tuple[int, int, int, int], WeekStatus] = {}
    table = {}
    for week in week_ids:
        required_total, assignments_total = required.get(week, 0), assignment_totals.get(week, 0)
        for user in user_ids:
            counts = (
                done.get((user, week), 0),
                required_total,
                handed_in.get((user, week), 0),
                assignments_total,
            )
            status = shared.get(counts)
            if status is None:
                status = shared[counts] = WeekStatus(*counts)
            table[(user, week)] = status
    return table


def ready_counts(cohort: Cohort, weeks: Iterable[Week]) -> dict[int, tuple[int, int]]:
    """{week_id: (finished, participants)}: how many active participants finished each
    week's required pre-work — for the schedule's "X of Y ready", in two queries. Only
    those who joined before the week's session count (`joined_before`, here in SQL)."""
    active = (
        Membership.objects.active()
        .filter(cohort=cohort, role=Role.PARTICIPANT, joined_at__lt=OuterRef("session_start"))
        .values("cohort")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    totals = {
        week.pk: (week.required, week.participants)
        for week in Week.objects.filter(pk__in=[week.pk for week in weeks]).annotate(
            required=Count("prework_items", filter=Q(prework_items__required=True)),
            participants=Coalesce(Subquery(active), 0),
        )
    }
    finished = dict.fromkeys(totals, 0)
    done = (
        Completion.objects.filter(
            item__week__in=list(totals),
            item__required=True,
            user__memberships__cohort=cohort,
            user__memberships__role=Role.PARTICIPANT,
            user__memberships__left_at__isnull=True,
            user__memberships__joined_at__lt=F("item__week__session_start"),
        )
        .values_list("user", "item__week")
        .annotate(n=Count("pk"))
    )
    for _, week_id, n in done:
        if n >= totals[week_id][0]:
            finished[week_id] += 1
    for week_id, (required, participants) in totals.items():
        if not required:  # nothing required: everyone is ready
            finished[week_id] = participants
    return {week_id: (finished[week_id], totals[week_id][1]) for week_id in totals}


def with_week_status(memberships: QuerySet[Membership], week: Week) -> QuerySet[Membership]:
    """Memberships annotated with their pre-work and hand-ins for one week, in the same
    query (correlated counts); read each one's WeekStatus with `status_of`."""

    def count(queryset: QuerySet[Any]) -> Coalesce:
        return Coalesce(
            Subquery(queryset.values("week_key").annotate(n=Count("pk")).values("n")[:1]), 0
        )

    required = PreworkItem.objects.filter(week=week, required=True).annotate(week_key=F("week"))
    assignments = Assignment.objects.filter(week=week).annotate(week_key=F("week"))
    done = Completion.objects.filter(
        user=OuterRef("user"), item__week=week, item__required=True
    ).annotate(week_key=F("item__week"))
    handed_in = Submission.objects.filter(user=OuterRef("user"), assignment__week=week).annotate(
        week_key=F("assignment__week")
    )
    return memberships.annotate(
        week_required_done=count(done),
        week_required_total=count(required),
        week_assignments_done=count(handed_in),
        week_assignments_total=count(assignments),
    )


def status_of(membership: Any) -> WeekStatus:
    """The WeekStatus of a membership from `with_week_status`."""
    return WeekStatus(
        required_done=membership.week_required_done,
        required_total=membership.week_required_total,
        assignments_done=membership.week_assignments_done,
        assignments_total=membership.week_assignments_total,
    )


@dataclass
class Remaining:
    """What one person still has to do this week, for the checklist header and reminders."""

    items: list = field(default_factory=list)  # required items not done
    assignments: list = field(default_factory=list)  # assignments not handed in

    @property
    def minutes(self) -> int:
        return sum(item.minutes for item in self.items)

    def summary(self) -> str:
        """'2 videos, 1 reading, 38 min left' — or that nothing is left."""
        if not self.items and not self.assignments:
            return "All done"
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        names = {
            "video": ("video", "videos"),
            "reading": ("reading", "readings"),
            "exercise": ("exercise", "exercises"),
        }
        parts = [f"{n} {names[kind][n != 1]}" for kind, n in counts.items()]
        if self.assignments:
            n = len(self.assignments)
            parts.append(f"{n} assignment{'s' if n != 1 else ''}")
        text = ", ".join(parts)
        if self.minutes:
            text += f", {self.minutes} min"
        return text + " left"


def remaining(
    items: Iterable[PreworkItem],
    completed_ids: Collection[int],
    assignments: Iterable[Assignment],
    submitted_ids: Collection[int],
) -> Remaining:
    return Remaining(
        items=[item for item in items if item.required and item.pk not in completed_ids],
        assignments=[a for a in assignments if a.pk not in submitted_ids],
    )


@dataclass
class ProgressRow:
    membership: Membership
    statuses: list  # WeekStatus per report week, in week order; None: not joined yet
    not_started: bool  # nothing done yet for the current week
    behind: bool  # an earlier week's session passed with its pre-work or assignment unfinished
    attended: int = 0  # sessions marked present
    held: int = 0  # sessions held since they joined


@dataclass
class CohortReport:
    weeks: list
    current_week: object
    rows: list
    totals: list  # per week: {"week", "finished", "participants", "average"}


def cohort_report(cohort: Cohort, now: datetime | None = None) -> CohortReport:
    """Participants × published weeks: percent of required pre-work, assignments handed in."""
    now = now or timezone.now()
    all_weeks = list(cohort.weeks.all())
    weeks = [week for week in all_weeks if week.is_published(now)]
    current = cohort.current_week(all_weeks, now)
    # The table shows names; the rest of 200 people's rows (password hashes too) is not read.
    people = list(
        Membership.objects.active_participants(cohort).only(
            "user_id", "joined_at", "user__name", "user__email"
        )
    )
    user_ids = [m.user_id for m in people]
    table = statuses(weeks, user_ids)
    # Sessions marked present, through the week's reverse relation (attendance is recorded
    # by the discussions app): one query.
    attended = dict(
        Week.objects.filter(cohort=cohort, session_start__lte=now, attendance__status="present")
        .values_list("attendance__user")
        .annotate(n=Count("pk"))
    )
    held_weeks = [week for week in weeks if week.session_start <= now]
    ended = [week.session_end < now for week in weeks]
    rows = []
    for membership in people:
        # Weeks before they joined are None ("not joined") and count in no rate.
        row_statuses = [
            table[(membership.user_id, week.pk)]
            if joined_before(membership.joined_at, week)
            else None
            for week in weeks
        ]
        current_status = (
            table.get((membership.user_id, current.pk))
            if current and joined_before(membership.joined_at, current)
            else None
        )
        rows.append(
            ProgressRow(
                membership=membership,
                statuses=row_statuses,
                not_started=current_status is not None and not current_status.started,
                # Only sessions since they joined count: a newcomer is not behind on history.
                behind=any(
                    status is not None and not status.finished and week_ended
                    for week_ended, status in zip(ended, row_statuses, strict=True)
                ),
                attended=attended.get(membership.user_id, 0),
                held=sum(joined_before(membership.joined_at, week) for week in held_weeks),
            )
        )
    totals = []
    for index, week in enumerate(weeks):
        column = [row.statuses[index] for row in rows if row.statuses[index] is not None]
        totals.append(
            {
                "week": week,
                "finished": sum(1 for s in column if s.prework_finished),
                "participants": len(column),
                "average": round(sum(s.percent for s in column) / len(column)) if column else 0,
            }
        )
    return CohortReport(weeks=weeks, current_week=current, rows=rows, totals=totals)


def completion_chart(
    report: CohortReport, bar_width: int = 36, gap: int = 14, height: int = 160
) -> dict[str, Any]:
    """Geometry for an SVG bar chart of 'finished the pre-work' per week (percent)."""
    bars = []
    for index, total in enumerate(report.totals):
        share = total["finished"] / total["participants"] if total["participants"] else 0
        bar_height = round(share * height)
        bars.append(
            {
                "label": total["week"].short_label,
                "title": f"{total['week'].label}: {total['finished']} of {total['participants']} finished",
                "percent": round(100 * share),
                "x": 40 + index * (bar_width + gap),
                "y": 10 + height - bar_height,
                "height": bar_height,
                "text_y": 10 + height - bar_height - 4,
            }
        )
    return {
        "bars": bars,
        "bar_width": bar_width,
        "width": 40 + len(bars) * (bar_width + gap),
        "height": height + 40,
        "baseline": 10 + height,
        "label_y": height + 28,
        "grid": [
            {"y": 10 + height - round(height * p / 100), "label": f"{p}%"} for p in (0, 50, 100)
        ],
    }


def week_report(week: Week) -> dict[str, Any]:
    """Participants × items for one week, with each person's submissions."""
    people = list(Membership.objects.active_participants(week.cohort))
    items = list(week.prework_items.all())
    assignments = list(week.assignments.all())
    done = set(Completion.objects.filter(item__week=week).values_list("user_id", "item_id"))
    submissions = {
        (s.user_id, s.assignment_id): s
        for s in Submission.objects.filter(assignment__week=week).select_related("assignment")
    }
    required = [item for item in items if item.required]
    rows = []
    for membership in people:
        user_id = membership.user_id
        required_done = sum(1 for item in required if (user_id, item.pk) in done)
        rows.append(
            {
                "membership": membership,
                "cells": [(item, (user_id, item.pk) in done) for item in items],
                "submissions": [(a, submissions.get((user_id, a.pk))) for a in assignments],
                "percent": percent_done(required_done, len(required)),
                "joined": joined_before(membership.joined_at, week),
            }
        )
    return {"items": items, "assignments": assignments, "rows": rows}


@dataclass(frozen=True)
class PersonWeek:
    """One participant's week on their own progress page."""

    week: Week
    joined: bool  # False: the week's session was before they joined
    status: WeekStatus
    hand_ins: list[tuple[Assignment, Submission | None]]
    attendance: str  # "present", "absent", "excused", "unmarked", or "" before the session
    feedback_given: bool


def person_report(membership: Membership, now: datetime | None = None) -> list[PersonWeek]:
    """A participant's published weeks: pre-work, hand-ins, attendance and whether they
    rated the session — in a fixed number of queries, however many weeks."""
    now = now or timezone.now()
    weeks = [week for week in membership.cohort.weeks.all() if week.is_published(now)]
    week_ids = [week.pk for week in weeks]
    user_id = membership.user_id
    table = statuses(weeks, [user_id])
    assignments: dict[int, list[Assignment]] = {}
    for assignment in Assignment.objects.filter(week__in=week_ids):
        assignments.setdefault(assignment.week_id, []).append(assignment)
    submissions = {
        s.assignment_id: s
        for s in Submission.objects.filter(
            user_id=user_id, assignment__week__in=week_ids
        ).select_related("assignment")
    }
    # Attendance and feedback through the week's reverse relations: no row is "unmarked".
    marks = dict(
        Week.objects.filter(pk__in=week_ids, attendance__user=user_id).values_list(
            "pk", "attendance__status"
        )
    )
    rated = set(
        Week.objects.filter(pk__in=week_ids, feedback__user=user_id).values_list("pk", flat=True)
    )
    report = []
    for week in weeks:
        joined = joined_before(membership.joined_at, week)
        held = joined and week.session_start <= now
        report.append(
            PersonWeek(
                week=week,
                joined=joined,
                status=table[(user_id, week.pk)],
                hand_ins=[(a, submissions.get(a.pk)) for a in assignments.get(week.pk, [])],
                attendance=marks.get(week.pk, "unmarked") if held else "",
                feedback_given=week.pk in rated,
            )
        )
    return report
