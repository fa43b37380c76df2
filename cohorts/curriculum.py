"""Curriculum: what a cohort teaches, apart from who takes it.

Organizers run a good course again — copy a cohort for a fresh group — or keep it in git as a
course file (YAML) and create cohorts from that. Both go through one model of a curriculum:
a `Course` is the cohort's title, description and usual schedule plus one `WeekPlan` per
week, and every moment in it (a week's publish time, an assignment's due time) is a
`Relative`: so many days from the week's session, at a local clock time. A new run places
its sessions weekly from its own start date, in its own time zone, and each moment lands at
the same place relative to its new session on the new local clock, so a daylight-saving
change between a due time and its session moves nothing.

Weeks' pre-work and assignments belong to `assignments`, discussion points and pair prompts
to `discussions`. Those apps depend on `cohorts`, never the other way round, so each
registers a `Part` here from its AppConfig.ready(); a part turns its rows of a week into
plain data (`extract`), writes and reads that data in a course file (`dump`, `read`), says
what a new run will get (`describe`, for the preview) and creates the rows (`create`).
Copy = extract → create; export = extract → dump; import = read → create; all of one
cohort's rows are created in one transaction.

Nothing about people is part of a curriculum: no members, completions, submissions,
pairings, attendance, feedback, muddiest points or shared resources. The one exception is
a copy's option to promote pinned shared resources into the new run's pre-work (as
optional readings), which `discussions` handles.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from .models import Cohort, Membership, Role, Weekday, validate_time_zone
from .pages import Registry

FORMAT = 1
MAX_WEEKS = 52
MAX_FILE_BYTES = 1024 * 1024
MAX_DAYS = 366


# --- Moments relative to a session --------------------------------------------------------


RELATIVE_PATTERN = re.compile(
    r"^session\s*(?:(?P<sign>[+-])\s*(?P<days>\d{1,3})\s*d)?\s*(?:(?P<hour>\d{1,2}):(?P<minute>\d{2}))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Relative:
    """A moment `days` calendar days from a week's session day, at local time `at` — or at
    the session's own time when `at` is None. Minutes are the finest unit."""

    days: int = 0
    at: time | None = None

    @classmethod
    def between(cls, moment, session, tz):
        """Where `moment` is relative to `session`, on the local clock of `tz`.

        The session start itself stays "session" (it follows a new run's session time, as
        the default due time does); anything else keeps its own clock time, so "two days
        before at 18:00" stays at 18:00 even when the new sessions start at noon.
        """
        local = moment.astimezone(tz)
        local_session = session.astimezone(tz)
        days = (local.date() - local_session.date()).days
        clock = local.time().replace(second=0, microsecond=0)
        if days == 0 and clock == local_session.time().replace(second=0, microsecond=0):
            return cls()
        return cls(days, clock)

    def resolve(self, session, tz):
        """The aware moment this is relative to `session`, on the local clock of `tz`."""
        local_session = session.astimezone(tz)
        day = local_session.date() + timedelta(days=self.days)
        clock = self.at or local_session.time().replace(second=0, microsecond=0)
        return datetime.combine(day, clock, tzinfo=tz)

    def __str__(self):
        words = ["session"]
        if self.days:
            words.append(f"{'+' if self.days > 0 else '-'} {abs(self.days)}d")
        if self.at is not None:
            words.append(f"{self.at:%H:%M}")
        return " ".join(words)

    @classmethod
    def parse(cls, text):
        """`session`, `session - 2d`, `session - 2d 18:00`, `session 09:00` … or ValueError."""
        match = RELATIVE_PATTERN.match(text.strip())
        if not match:
            raise ValueError(
                f"“{text}” is not a time relative to the session; write e.g. “session”, "
                "“session - 2d 18:00” or “session + 1d 09:00”"
            )
        days = int(match["days"] or 0) * (-1 if match["sign"] == "-" else 1)
        if abs(days) > MAX_DAYS:
            raise ValueError(f"“{text}” is more than a year from the session")
        at = None
        if match["hour"] is not None:
            hour, minute = int(match["hour"]), int(match["minute"])
            if hour > 23 or minute > 59:
                raise ValueError(f"“{match['hour']}:{match['minute']}” is not a time of day")
            at = time(hour, minute)
        return cls(days, at)


# --- The parts other apps register ---------------------------------------------------------


@dataclass(frozen=True)
class CopyOptions:
    """Choices an organizer makes when copying (not part of a course file)."""

    promote_pinned: bool = False


@dataclass(frozen=True)
class Line:
    """One line of a week in the preview: what the new run gets, and when, if it has a time."""

    text: str
    when: datetime | None = None


@dataclass(frozen=True)
class Part:
    """One app's share of each week's curriculum.

    extract(week, relative, options) -> data   relative(moment) -> Relative for this week
    dump(data) -> {key: plain value}            keys among `keys`, empty ones left out
    read(fields) -> data                         problems go to `fields` (see Fields)
    describe(data, resolve) -> [Line]            resolve(Relative) -> aware datetime
    create(week, data, resolve) -> None          the new week's rows
    """

    name: str
    keys: tuple
    extract: Callable
    dump: Callable
    read: Callable
    describe: Callable
    create: Callable


parts = Registry()


# --- A curriculum --------------------------------------------------------------------------


@dataclass
class WeekPlan:
    title: str
    summary: str = ""
    facilitator_notes: str = ""
    publish: Relative | None = None
    parts: dict = field(default_factory=dict)
    # Where the week came from, when copied: the preview shows the old session beside the new.
    source_session: datetime | None = None


@dataclass
class PlannedWeek:
    """A week of a new run as the preview shows it."""

    number: int
    title: str
    session_start: datetime
    publish_at: datetime | None
    lines: list
    was: datetime | None = None


@dataclass
class Course:
    title: str
    description: str = ""
    time_zone: str | None = None
    session_weekday: int | None = None
    session_time: time | None = None
    session_minutes: int = 90
    location: str = ""
    weeks: list = field(default_factory=list)

    @classmethod
    def from_cohort(cls, cohort, options=CopyOptions()):
        weeks = []
        for week in cohort.weeks.all():

            def relative(moment, session=week.session_start):
                return Relative.between(moment, session, cohort.tz)

            weeks.append(
                WeekPlan(
                    title=week.title,
                    summary=week.summary,
                    facilitator_notes=week.facilitator_notes,
                    publish=relative(week.publish_at) if week.publish_at else None,
                    parts={part.name: part.extract(week, relative, options) for part in parts},
                    source_session=week.session_start,
                )
            )
        return cls(
            title=cohort.title,
            description=cohort.description,
            time_zone=cohort.time_zone,
            session_weekday=cohort.session_weekday,
            session_time=cohort.session_time,
            session_minutes=cohort.session_minutes,
            location=cohort.location,
            weeks=weeks,
        )

    def new_run(self, **settings):
        """An unsaved cohort with this course's settings (`settings` override them), for the
        new run's form to complete."""
        fields = {
            "title": self.title,
            "description": self.description,
            "time_zone": self.time_zone or "UTC",
            "session_weekday": self.session_weekday,
            "session_time": self.session_time,
            "session_minutes": self.session_minutes,
            "location": self.location,
        }
        return Cohort(**{**fields, **settings})

    def session_starts(self, cohort):
        """Where the new run's sessions fall: weekly from its start date (as create_weeks)."""
        first = cohort.first_session_date()
        return [
            cohort.session_start_for(first + timedelta(weeks=n)) for n in range(len(self.weeks))
        ]

    def plan(self, cohort):
        """What `create(cohort, …)` would make, week by week, with every new date."""
        planned = []
        for number, (plan, start) in enumerate(
            zip(self.weeks, self.session_starts(cohort), strict=True), start=1
        ):

            def resolve(relative, start=start):
                return relative.resolve(start, cohort.tz)

            lines = []
            for part in parts:
                lines.extend(part.describe(plan.parts[part.name], resolve))
            planned.append(
                PlannedWeek(
                    number=number,
                    title=plan.title,
                    session_start=start,
                    publish_at=resolve(plan.publish) if plan.publish else None,
                    lines=lines,
                    was=plan.source_session,
                )
            )
        return planned

    def create(self, cohort, organizer):
        """Save the unsaved `cohort` with this curriculum, `organizer` its only member."""
        with transaction.atomic():
            cohort.slug = Cohort.unique_slug(cohort.title)
            cohort.save()
            Membership.objects.create(user=organizer, cohort=cohort, role=Role.ORGANIZER)
            weeks = cohort.create_weeks(len(self.weeks), [plan.title for plan in self.weeks])
            for week, plan in zip(weeks, self.weeks, strict=True):

                def resolve(relative, start=week.session_start):
                    return relative.resolve(start, cohort.tz)

                week.summary = plan.summary
                week.facilitator_notes = plan.facilitator_notes
                week.publish_at = resolve(plan.publish) if plan.publish else None
                week.save(update_fields=["summary", "facilitator_notes", "publish_at"])
                for part in parts:
                    part.create(week, plan.parts[part.name], resolve)
        return cohort

    # --- The course file ---

    def to_yaml(self):
        weeks = []
        for plan in self.weeks:
            entry = {"title": plan.title}
            if plan.summary:
                entry["summary"] = plain_text(plan.summary)
            if plan.publish is not None:
                entry["publish"] = str(plan.publish)
            if plan.facilitator_notes:
                entry["facilitator_notes"] = plain_text(plan.facilitator_notes)
            for part in parts:
                entry.update(part.dump(plan.parts[part.name]))
            weeks.append(entry)
        schedule = {}
        if self.time_zone:
            schedule["time_zone"] = self.time_zone
        if self.session_weekday is not None:
            schedule["weekday"] = Weekday(self.session_weekday).label
        if self.session_time is not None:
            schedule["time"] = f"{self.session_time:%H:%M}"
        schedule["minutes"] = self.session_minutes
        if self.location:
            schedule["location"] = self.location
        document = {"homeroom_course": FORMAT, "title": self.title}
        if self.description:
            document["description"] = plain_text(self.description)
        document["schedule"] = schedule
        document["weeks"] = weeks
        body = yaml.dump(
            document,
            Dumper=CourseDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=float("inf"),
        )
        return HEADER + body


HEADER = """\
# Homeroom course file, format 1: a course's curriculum without its people or dates.
# Create a cohort from it at /cohorts/import/. Text is Markdown.
#
# Every time is relative to its week's session, on the cohort's local clock:
#   session              at the session start
#   session - 2d 18:00   two days before the session's day, at 18:00 local time
#   session + 1d 09:00   the day after the session, at 09:00 local time
#   session 12:00        on the session's day, at noon
#   session - 2d         two days before, at the session's time of day
# A new cohort places one session a week from its own start date, on the weekday and
# at the time under `schedule` (changeable when you import), and every time follows its
# session, daylight saving time included. A week without `publish` stays a draft.
#
# Defaults when left out: prework kind video, required true, minutes 0; assignment due
# "session", submission link (or text, done); pair prompt minutes 5 (per turn, 1-60).
"""


def plain_text(text):
    """Markdown as typed in a browser has CRLF line ends; the file keeps plain newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class CourseDumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (`|`), which read like the Markdown they are."""


def _represent_text(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


CourseDumper.add_representer(str, _represent_text)


# --- Reading a course file: every problem, with where it is ----------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self):
        where = ", ".join(
            part for part in (f"line {self.line}" if self.line else "", self.path) if part
        )
        return f"{where}: {self.message}" if where else self.message


class Problems(list):
    def add(self, path, line, message):
        self.append(Problem(line or 0, path, message))


def _is_null(node):
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class Fields:
    """The keys of one mapping in the file. Each reader records a problem (at the key's
    line) instead of raising, and returns a default, so one pass finds every problem."""

    def __init__(self, problems, node, path, keys):
        self.problems, self.node, self.path = problems, node, path
        self.line = node.start_mark.line + 1
        self.values = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key not in keys:
                expected = ", ".join(keys)
                self.problems.add(
                    self.at(key or "?"), line, f"unknown key; expected one of: {expected}"
                )
            elif key in self.values:
                self.problems.add(self.at(key), line, "appears twice")
            else:
                self.values[key] = value_node

    def at(self, key):
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key, message, node=None):
        node = node if node is not None else self.values.get(key)
        line = node.start_mark.line + 1 if node is not None else self.line
        self.problems.add(self.at(key), line, message)

    def has(self, key):
        node = self.values.get(key)
        return node is not None and not _is_null(node)

    def scalar(self, key):
        """The raw text of a scalar (never YAML's guess at a number or a date), or None."""
        node = self.values.get(key)
        if node is None or _is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(key, "should be a single value, not a list or a mapping")
            return None
        return node.value

    def text(self, key, *, required=False, max_length=None):
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

    def integer(self, key, *, default, low, high):
        value = self.scalar(key)
        if value is None:
            return default
        if not re.fullmatch(r"\d+", value.strip()) or not low <= int(value) <= high:
            self.problem(key, f"“{value}” is not a whole number from {low} to {high}")
            return default
        return int(value)

    def boolean(self, key, *, default):
        value = self.scalar(key)
        if value is None:
            return default
        known = yaml.constructor.SafeConstructor.bool_values
        if value.lower() not in known:
            self.problem(key, f"“{value}” is not true or false")
            return default
        return known[value.lower()]

    def choice(self, key, choices, *, default):
        value = self.scalar(key)
        if value is None:
            return default
        if value.strip().lower() not in choices:
            self.problem(key, f"“{value}” is not one of: {', '.join(choices)}")
            return default
        return value.strip().lower()

    def url(self, key, *, max_length=500):
        value = self.text(key, max_length=max_length).strip()
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                self.problem(key, f"“{value}” is not a web address (http:// or https://)")
        return value

    def relative(self, key, *, default=None):
        value = self.scalar(key)
        if value is None:
            return default
        try:
            return Relative.parse(value)
        except ValueError as exc:
            self.problem(key, str(exc))
            return default

    def clock(self, key):
        value = self.scalar(key)
        if value is None:
            return None
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            self.problem(key, f'“{value}” is not a time of day such as 18:30 (quote it: "18:30")')
            return None
        return time(int(match[1]), int(match[2]))

    def mapping(self, key, keys, *, required=False):
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

    def items(self, key, *, limit=None):
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

    def entry(self, path, node, keys):
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


def week_keys():
    keys = ["title", "summary", "publish", "facilitator_notes"]
    for part in parts:
        keys.extend(part.keys)
    return tuple(keys)


def parse_course(text):
    """(Course, []) for a valid course file, or (None, [Problem …]) naming every problem."""
    problems = Problems()
    text = plain_text(text)
    try:
        # Anchors and aliases are refused before anything is built: a few lines of them can
        # expand into millions of nodes ("billion laughs").
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                problems.add(
                    "",
                    event.start_mark.line + 1,
                    "aliases (*name) are not supported; write the value out",
                )
        if problems:
            return None, sorted(problems)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.add("", mark.line + 1 if mark else 0, f"this is not valid YAML: {detail}")
        return None, problems
    except yaml.YAMLError as exc:
        problems.add("", 0, f"this is not valid YAML: {exc}")
        return None, problems
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
        description=top.text("description"),
    )
    schedule = top.mapping("schedule", SCHEDULE_KEYS)
    if schedule is not None:
        zone = schedule.text("time_zone").strip()
        if zone:
            try:
                validate_time_zone(zone)
                course.time_zone = zone
            except ValidationError:
                schedule.problem("time_zone", f"“{zone}” is not a time zone such as Europe/Berlin")
        if schedule.has("weekday"):
            day = schedule.choice("weekday", WEEKDAYS, default=None)
            course.session_weekday = WEEKDAYS.get(day)
        course.session_time = schedule.clock("time")
        course.session_minutes = schedule.integer("minutes", default=90, low=15, high=480)
        course.location = schedule.text("location", max_length=300)

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
                summary=fields.text("summary"),
                publish=fields.relative("publish"),
                facilitator_notes=fields.text("facilitator_notes"),
                parts={part.name: part.read(fields) for part in parts},
            )
        )
    if problems:
        return None, sorted(problems)
    return course, []


def read_upload(data):
    """Text from uploaded bytes, or raise ValueError saying why not."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("The file is larger than 1 MB; a course file is a few kilobytes.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("The file is not UTF-8 text; save it as UTF-8 and try again.") from exc


# --- Who may do what ----------------------------------------------------------------------


def may_import(user):
    """Site staff, and anyone who organizes a cohort: they can copy theirs already, and a
    course file is a copy that went through git. The new cohort's only member is them."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff or Membership.objects.active().filter(user=user, role=Role.ORGANIZER).exists()
    )


def fingerprint(*values):
    """Stands for what a preview showed, so "create" can tell it still shows that."""
    digest = hashlib.sha256(repr(values).encode("utf-8"))
    return digest.hexdigest()[:32]
