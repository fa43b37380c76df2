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
from cohorts.models import ScheduleKind, Unit, Weekday, validate_time_zone

from .course import FORMAT, MAX_WEEKS, Course, Offset, WeekPlan, parts, plain_text, unsign_run
from .relative import Relative

MAX_FILE_BYTES = 1024 * 1024
# A course file is a few levels deep (weeks → a week → its prework → an item); anything
# deeper than this is not one, and refusing it early keeps parsing linear and recursion low.
MAX_DEPTH = 20
# A file with thousands of problems is not a course file with typos; list the first ones.
MAX_PROBLEMS = 100
# Values (scalars, lists, mappings) in one file: a long course has a few thousand.
MAX_NODES = 50_000


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

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        one_line: bool = False,
    ) -> str:
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
        if one_line and "\n" in value.strip():
            self.problem(key, "is more than one line; a title is one line")
        return value

    def integer(self, key: str, *, default: int, low: int, high: int) -> int:
        value = self.scalar(key)
        if value is None:
            return default
        if not re.fullmatch(r"[0-9]{1,9}", value.strip()) or not low <= int(value) <= high:
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
        match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", value.strip())
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
        entries = node.value
        if limit and len(entries) > limit:
            self.problem(key, f"has {len(entries)} entries; at most {limit}")
            entries = entries[:limit]  # the others are not read: the file is refused anyway
        return [(f"{self.at(key)}[{n}]", item) for n, item in enumerate(entries, start=1)]

    def entry(self, path: str, node: yaml.Node, keys: Sequence[str]) -> "Fields | None":
        """A list entry that must be a mapping: its Fields, or None."""
        if not isinstance(node, yaml.MappingNode):
            self.problems.add(
                path, node.start_mark.line + 1, "should be a mapping of keys and values"
            )
            return None
        return Fields(self.problems, node, path, keys)


TOP_KEYS = ("homeroom_course", "title", "description", "schedule", "run", "weeks")
SCHEDULE_KEYS = (
    "kind",
    "unit",
    "weekdays_only",
    "time_zone",
    "weekday",
    "time",
    "minutes",
    "location",
    "sessions",
)
KINDS = {kind.value: kind.value for kind in ScheduleKind}
UNITS = {unit.value.lower(): unit.value for unit in Unit}
WEEKDAYS = {label.lower(): value for value, label in Weekday.choices}


def week_keys() -> tuple[str, ...]:
    keys = ["title", "summary", "publish", "facilitator_notes", "minutes"]
    for part in parts:
        keys.extend(part.keys)
    return tuple(keys)


class TooBig(yaml.YAMLError):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line


try:  # libyaml's scanner and parser, in C: several times faster than PyYAML's own
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml

    class _Parser(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


def _line_of(event: Any) -> int:
    return int(event.start_mark.line) + 1


class CourseLoader(yaml.composer.Composer, yaml.resolver.Resolver, _Parser):
    """Composes the file's nodes (PyYAML's composer over libyaml's events) in one pass, and
    on the way refuses what a course file never holds: aliases (a few lines of them can
    expand into millions of nodes — "billion laughs"; each is listed as a problem and read
    as empty), nesting deeper than MAX_DEPTH (YAML scanners slow down with each open level,
    and composing recurses) and more than MAX_NODES values, so reading takes bounded time."""

    def __init__(self, stream: str, problems: Problems) -> None:
        _Parser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.problems = problems
        self.depth = self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line = _line_of(self.peek_event())
            raise TooBig(line, f"more than {MAX_NODES:,} values")
        if self.check_event(yaml.AliasEvent):
            event: Any = self.get_event()
            self.problems.add(
                "",
                event.start_mark.line + 1,
                "aliases (*name) are not supported; write the value out",
            )
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        if self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            if self.depth >= MAX_DEPTH:
                line = _line_of(self.peek_event())
                raise TooBig(line, f"more than {MAX_DEPTH} levels of nesting")
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
        return super().compose_node(parent, index)


def compose(text: str, problems: Problems) -> yaml.Node | None:
    """The document's root node, or None with the reason in `problems`."""
    loader = CourseLoader(text, problems)
    try:
        return loader.get_single_node()
    except TooBig as exc:
        problems.add("", exc.line, f"this is not a Homeroom course file: {exc}")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.add("", mark.line + 1 if mark else 0, f"this is not valid YAML: {detail}")
    except yaml.YAMLError as exc:
        problems.add("", 0, f"this is not valid YAML: {exc}")
    return None


def finished(problems: Problems) -> tuple[None, list[Problem]]:
    """(None, the first MAX_PROBLEMS problems in file order, and a count of the rest)."""
    listed = sorted(problems)
    if len(listed) > MAX_PROBLEMS:
        rest = len(listed) - MAX_PROBLEMS
        listed = [*listed[:MAX_PROBLEMS], Problem(0, "", f"… and {rest} more problems")]
    return None, listed


def parse_course(text: str) -> tuple[Course | None, list[Problem]]:
    """(Course, []) for a valid course file, or (None, [Problem …]) naming every problem.

    Every way in (upload, paste, the create step's hidden copy) comes through here, so the
    size limit is checked here too."""
    problems = Problems()
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:
        problems.add("", 0, "The file is larger than 1 MB; a course file is a few kilobytes.")
        return None, problems
    text = plain_text(text)
    root = compose(text, problems)
    if problems:
        return finished(problems)
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
        title=top.text("title", required=True, max_length=200, one_line=True),
        description=top.text("description", max_length=LONG_TEXT),
        source_run=unsign_run(top.scalar("run")),
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
                title=fields.text("title", required=True, max_length=200, one_line=True),
                summary=fields.text("summary", max_length=LONG_TEXT),
                publish=fields.relative("publish"),
                facilitator_notes=fields.text("facilitator_notes", max_length=LONG_TEXT),
                parts={part.name: part.read(fields) for part in parts},
                minutes=fields.integer("minutes", default=0, low=15, high=480) or None,
            )
        )
    _check_offsets(schedule, course)
    if problems:
        return finished(problems)
    return course, []


def _read_schedule(schedule: Fields, course: Course) -> None:
    course.schedule_kind = schedule.choice("kind", KINDS, default=ScheduleKind.WEEKLY) or "weekly"
    unit = schedule.choice("unit", UNITS, default=None)
    course.unit_name = UNITS[unit] if unit else None
    course.weekdays_only = schedule.boolean("weekdays_only", default=False)
    if course.schedule_kind == ScheduleKind.DATES:
        _read_offsets(schedule, course)
    elif schedule.has("sessions"):
        schedule.problem("sessions", "is for a list of dates (kind: dates) only")
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


def _check_offsets(schedule: Fields | None, course: Course) -> None:
    """A list of dates names one session per entry of `weeks`."""
    if schedule is None or not course.weeks:
        return
    if course.schedule_kind == ScheduleKind.DATES and len(course.offsets) != len(course.weeks):
        schedule.problem(
            "sessions",
            f"lists {len(course.offsets)} sessions for {len(course.weeks)} entries of weeks; "
            "list one per entry",
        )


def _read_offsets(schedule: Fields, course: Course) -> None:
    """A list of dates: one "day N HH:MM [M min]" per session, in order."""
    entries = schedule.items("sessions", limit=MAX_WEEKS)
    if not entries:
        schedule.problem("sessions", "is missing: a list of dates lists its sessions")
    previous: Offset | None = None
    for path, node in entries:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode):
            schedule.problems.add(path, line, "should be one line such as “day 1 10:00”")
            continue
        try:
            offset = Offset.parse(node.value)
        except ValueError as exc:
            schedule.problems.add(path, line, str(exc))
            continue
        if previous is not None and (offset.days, offset.at) <= (previous.days, previous.at):
            schedule.problems.add(path, line, "comes before the session above it; keep the order")
        previous = offset
        course.offsets.append(offset)


def read_upload(data: bytes) -> str:
    """Text from uploaded bytes, or raise ValueError saying why not."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("The file is larger than 1 MB; a course file is a few kilobytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("The file is not UTF-8 text; save it as UTF-8 and try again.") from exc
