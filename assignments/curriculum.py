"""The pre-work and assignments of a week, as part of a curriculum (see curriculum.course).

Course-file keys of a week: `prework` (items in order) and `assignments` (with `due`
relative to the session). Who ticked what off, and what was handed in, stay behind.
"""

from dataclasses import dataclass

from django.db.models import F

from cohorts.markdown import LONG_TEXT, SHORT_TEXT
from curriculum.course import Line, Part, plain_text
from curriculum.relative import Relative

from .models import Assignment, PreworkItem

PREWORK_KEYS = ("kind", "title", "url", "minutes", "required", "notes")
ASSIGNMENT_KEYS = ("title", "instructions", "due", "submission")
KINDS = {value: value for value in PreworkItem.Kind.values}
SUBMISSION_KINDS = {value: value for value in Assignment.SubmissionKind.values}
SESSION = Relative()


@dataclass(frozen=True)
class Item:
    kind: str
    title: str
    url: str = ""
    minutes: int = 0
    required: bool = True
    notes: str = ""


@dataclass(frozen=True)
class Task:
    title: str
    instructions: str = ""
    due: Relative = SESSION
    submission_kind: str = Assignment.SubmissionKind.LINK


@dataclass(frozen=True)
class Prework:
    items: tuple = ()
    tasks: tuple = ()


def extract(week, relative, options):
    items = tuple(
        Item(item.kind, item.title, item.url, item.minutes, item.required, item.notes)
        for item in week.prework_items.all()
    )
    tasks = tuple(
        Task(task.title, task.instructions, relative(task.due_at), task.submission_kind)
        for task in week.assignments.all()
    )
    return Prework(items, tasks)


def dump(data):
    out = {}
    if data.items:
        out["prework"] = []
        for item in data.items:
            entry = {"kind": item.kind, "title": item.title}
            if item.url:
                entry["url"] = item.url
            if item.minutes:
                entry["minutes"] = item.minutes
            if not item.required:
                entry["required"] = False
            if item.notes:
                entry["notes"] = plain_text(item.notes)
            out["prework"].append(entry)
    if data.tasks:
        out["assignments"] = []
        for task in data.tasks:
            entry = {"title": task.title}
            if task.instructions:
                entry["instructions"] = plain_text(task.instructions)
            entry["due"] = str(task.due)
            entry["submission"] = task.submission_kind
            out["assignments"].append(entry)
    return out


def read(fields):
    items = []
    for path, node in fields.items("prework", limit=100):
        entry = fields.entry(path, node, PREWORK_KEYS)
        if entry is None:
            continue
        items.append(
            Item(
                kind=entry.choice("kind", KINDS, default=PreworkItem.Kind.VIDEO),
                title=entry.text("title", required=True, max_length=200),
                url=entry.url("url"),
                minutes=entry.integer("minutes", default=0, low=0, high=600),
                required=entry.boolean("required", default=True),
                notes=entry.text("notes", max_length=SHORT_TEXT),
            )
        )
    tasks = []
    for path, node in fields.items("assignments", limit=20):
        entry = fields.entry(path, node, ASSIGNMENT_KEYS)
        if entry is None:
            continue
        tasks.append(
            Task(
                title=entry.text("title", required=True, max_length=200),
                instructions=entry.text("instructions", max_length=LONG_TEXT),
                due=entry.relative("due", default=SESSION),
                submission_kind=entry.choice(
                    "submission", SUBMISSION_KINDS, default=Assignment.SubmissionKind.LINK
                ),
            )
        )
    return Prework(tuple(items), tuple(tasks))


def describe(data, resolve):
    lines = []
    if data.items:
        required = sum(1 for item in data.items if item.required)
        minutes = sum(item.minutes for item in data.items)
        count = len(data.items)
        lines.append(
            Line(
                f"{count} pre-work item{'s' if count != 1 else ''} "
                f"({required} required{f', {minutes} min' if minutes else ''})"
            )
        )
    for task in data.tasks:
        lines.append(Line(f"Assignment “{task.title}” due", resolve(task.due)))
    return lines


def _rows(week, items, first):
    return [
        PreworkItem(
            week=week,
            kind=item.kind,
            title=item.title,
            url=item.url,
            minutes=item.minutes,
            required=item.required,
            notes=item.notes,
            order=order,
        )
        for order, item in enumerate(items, start=first)
    ]


def append_prework(week, items):
    """Add `items` (Item) to the week's pre-work, after what it has: another part of a
    curriculum adds its own this way (a copy's promoted readings)."""
    if items:
        PreworkItem.objects.bulk_create(_rows(week, items, PreworkItem.objects.next_order(week)))


def create(week, data, resolve):
    if data.items:
        # The week's own pre-work comes first, even when another part has already appended
        # something: parts may be created in any order.
        PreworkItem.objects.filter(week=week).update(order=F("order") + len(data.items))
        PreworkItem.objects.bulk_create(_rows(week, data.items, 1))
    Assignment.objects.bulk_create(
        Assignment(
            week=week,
            title=task.title,
            instructions=task.instructions,
            due_at=resolve(task.due),
            submission_kind=task.submission_kind,
        )
        for task in data.tasks
    )


part = Part(
    name="assignments",
    keys=("prework", "assignments"),
    extract=extract,
    dump=dump,
    read=read,
    describe=describe,
    create=create,
)
