"""Reading a course file (YAML): the whole file is checked first, and every problem is
listed with its line and place; a Course comes out only when there are none."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from cohorts.markdown import LONG_TEXT
from cohorts.models import Weekday, validate_time_zone

from .course import FORMAT, MAX_WEEKS, Course, WeekPlan, parts, plain_text
from .relative import Relative

MAX_FILE_BYTES = 1024 * 1024


# --- Reading a course file: every problem, with where it is ----------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (f"line {self.line}" if self.line else "", self.path) if part
        )
        return f"{where}: {self.message}" if where else self.message


class Problems(list[Problem]):
    def add(self, path: str, line: int | None, message: str) -> None:
        self.append(Problem(line or 0, path, message))


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class Fields:
    """The keys of one mapping in the file. Each reader records a problem (at the key's
    line) instead of raising, and returns a default, so one pass finds every problem."""

    def __init__(
        self, problems: Problems, node: yaml.MappingNode, path: str, keys: Sequence[str]
    ) -> None:
        self.problems, self.node, self.path = problems, node, path
        self.line = node.start_mark.line + 1
        self.values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is None or key not in keys:
                expected = ", ".join(keys)
                self.problems.add(
                    self.at(key or "?"), line, f"unknown key; expected one of: {expected}"
                )
            elif key in self.values:
                self.problems.add(self.at(key), line, "appears twice")
            else:
                self.values[key] = value_node

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str, message: str, node: yaml.Node | None = None) -> None:
        node = node if node is not None else self.values.get(key)
        line = node.start_mark.line + 1 if node is not None else self.line
        self.problems.add(self.at(key), line, message)

    def has(self, key: str) -> bool:
        node = self.values.get(key)
        return node is not None and not _is_null(node)

    def scalar(self, key: str) -> str | None:
        """The raw text of a scalar (never YAML's guess at a number or a date), or None."""
        node = self.values.get(key)
        if node is None or _is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(key, "should be a single value, not a list or a mapping")
            return None
        return node.value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        node = self.values.get(key)
        value = self.scalar(key)
        if node is not None and not isinstance(node, yaml.ScalarNode):
            return ""  # scalar() said what is wrong with it
        if value is None or (required and not value.strip()):
            if required:
                self.problem(key, "is missing" if key not in self.values else "is empty")
            return ""
        value = plain_text(value)
        if max_length and len(value) > max_length:
            self.problem(key, f"is longer than {max_length} characters")
        return value

    def integer(self, key: str, *, default: int, low: int, high: int) -> int:
        value = self.scalar(key)
        if value is None:
            return default
        if not re.fullmatch(r"\d+", value.strip()) or not low <= int(value) <= high:
            self.problem(key, f"“{value}” is not a whole number from {low} to {high}")
            return default
        return int(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.scalar(key)
        if value is None:
            return default
        known = yaml.constructor.SafeConstructor.bool_values
        if value.lower() not in known:
            self.problem(key, f"“{value}” is not true or false")
            return default
        return known[value.lower()]

    def choice(self, key: str, choices: Mapping[str, Any], *, default: str | None) -> str | None:
        value = self.scalar(key)
        if value is None:
            return default
        if value.strip().lower() not in choices:
            self.problem(key, f"“{value}” is not one of: {', '.join(choices)}")
            return default
        return value.strip().lower()

    def url(self, key: str, *, max_length: int = 500) -> str:
        value = self.text(key, max_length=max_length).strip()
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                self.problem(key, f"“{value}” is not a web address (http:// or https://)")
        return value

    def relative(self, key: str, *, default: Relative | None = None) -> Relative | None:
        value = self.scalar(key)
        if value is None:
            return default
        try:
            return Relative.parse(value)
        except ValueError as exc:
            self.problem(key, str(exc))
            return default

    def clock(self, key: str) -> time | None:
        value = self.scalar(key)
        if value is None:
            return None
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            self.problem(key, f'“{value}” is not a time of day such as 18:30 (quote it: "18:30")')
            return None
        return time(int(match[1]), int(match[2]))

    def mapping(self, key: str, keys: Sequence[str], *, required: bool = False) -> "Fields | None":
        """The Fields of a nested mapping, or None."""
        node = self.values.get(key)
        if node is None or _is_null(node):
            if required:
                self.problem(key, "is missing")
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(key, "should be a mapping of keys and values")
            return None
        return Fields(self.problems, node, self.at(key), keys)

    def items(self, key: str, *, limit: int | None = None) -> list[tuple[str, yaml.Node]]:
        """[(path, node)] of a list, numbered from 1 as people count; [] when absent."""
        node = self.values.get(key)
        if node is None or _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(key, "should be a list (each entry starts with “- ”)")
            return []
        if limit and len(node.value) > limit:
            self.problem(key, f"has {len(node.value)} entries; at most {limit}")
        return [(f"{self.at(key)}[{n}]", item) for n, item in enumerate(node.value, start=1)]

    def entry(self, path: str, node: yaml.Node, keys: Sequence[str]) -> "Fields | None":
        """A list entry that must be a mapping: its Fields, or None."""
        if not isinstance(node, yaml.MappingNode):
            self.problems.add(
                path, node.start_mark.line + 1, "should be a mapping of keys and values"
            )
            return None
        return Fields(self.problems, node, path, keys)


TOP_KEYS = ("homeroom_course", "title", "description", "schedule", "weeks")
SCHEDULE_KEYS = ("time_zone", "weekday", "time", "minutes", "location")
WEEKDAYS = {label.lower(): value for value, label in Weekday.choices}


def week_keys() -> tuple[str, ...]:
    keys = ["title", "summary", "publish", "facilitator_notes"]
    for part in parts:
        keys.extend(part.keys)
    return tuple(keys)


def parse_course(text: str) -> tuple[Course | None, list[Problem]]:
    """(Course, []) for a valid course file, or (None, [Problem …]) naming every problem."""
    problems = Problems()
    root = _compose(plain_text(text), problems)
    if problems:
        return None, sorted(problems)
    if not isinstance(root, yaml.MappingNode):
        problems.add(
            "", 1, "this is not a Homeroom course file (it starts with “homeroom_course: 1”)"
        )
        return None, problems

    top = Fields(problems, root, "", TOP_KEYS)
    version = top.scalar("homeroom_course")
    if version is None:
        top.problem("homeroom_course", "is missing: a course file starts with “homeroom_course: 1”")
    elif version.strip() != str(FORMAT):
        top.problem("homeroom_course", f"format {version} is not one this Homeroom reads (1)")
    course = Course(
        title=top.text("title", required=True, max_length=200),
        description=top.text("description", max_length=LONG_TEXT),
    )
    schedule = top.mapping("schedule", SCHEDULE_KEYS)
    if schedule is not None:
        _read_schedule(schedule, course)

    entries = top.items("weeks", limit=MAX_WEEKS)
    weeks_node = top.values.get("weeks")
    if weeks_node is None:
        top.problem("weeks", "is missing")
    elif not entries and (_is_null(weeks_node) or isinstance(weeks_node, yaml.SequenceNode)):
        top.problem("weeks", "is empty; a course has at least one week")
    keys = week_keys()
    for path, node in entries:
        fields = top.entry(path, node, keys)
        if fields is None:
            continue
        course.weeks.append(
            WeekPlan(
                title=fields.text("title", required=True, max_length=200),
                summary=fields.text("summary", max_length=LONG_TEXT),
                publish=fields.relative("publish"),
                facilitator_notes=fields.text("facilitator_notes", max_length=LONG_TEXT),
                parts={part.name: part.read(fields) for part in parts},
            )
        )
    if problems:
        return None, sorted(problems)
    return course, []


def _compose(text: str, problems: Problems) -> yaml.Node | None:
    """The YAML node tree of `text`, or None with what is wrong added to `problems`."""
    try:
        # Anchors and aliases are refused before anything is built: a few lines of them can
        # expand into millions of nodes ("billion laughs").
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                problems.add(
                    "",
                    event.start_mark.line + 1,  # type: ignore[union-attr]
                    "aliases (*name) are not supported; write the value out",
                )
        if problems:
            return None
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.add("", mark.line + 1 if mark else 0, f"this is not valid YAML: {detail}")
    except yaml.YAMLError as exc:
        problems.add("", 0, f"this is not valid YAML: {exc}")
    return None


def _read_schedule(schedule: Fields, course: Course) -> None:
    zone = schedule.text("time_zone").strip()
    if zone:
        try:
            validate_time_zone(zone)
            course.time_zone = zone
        except ValidationError:
            schedule.problem("time_zone", f"“{zone}” is not a time zone such as Europe/Berlin")
    if schedule.has("weekday"):
        day = schedule.choice("weekday", WEEKDAYS, default=None)
        course.session_weekday = WEEKDAYS[day] if day else None
    course.session_time = schedule.clock("time")
    course.session_minutes = schedule.integer("minutes", default=90, low=15, high=480)
    course.location = schedule.text("location", max_length=300)


def read_upload(data: bytes) -> str:
    """Text from uploaded bytes, or raise ValueError saying why not."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("The file is larger than 1 MB; a course file is a few kilobytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("The file is not UTF-8 text; save it as UTF-8 and try again.") from exc
