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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Self

import yaml
from django.core import signing
from django.db import transaction
from django.dispatch import Signal

from cohorts import schedule as rhythm
from cohorts.models import Cohort, Membership, Role, ScheduleKind, User, Weekday
from cohorts.permissions import may_compare_with_run
from cohorts.registry import Registry

from .relative import Relative

FORMAT = 1
MAX_WEEKS = rhythm.MAX_SESSIONS


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


@dataclass(frozen=True)
class Offset:
    """Where a session of a list of dates falls: `days` after the first session's day, at
    local time `at`, lasting `minutes` (None: the usual length). "day 3 14:00 120 min"."""

    days: int
    at: time
    minutes: int | None = None

    def __str__(self) -> str:
        text = f"day {self.days} {self.at:%H:%M}"
        return f"{text} {self.minutes} min" if self.minutes else text

    @classmethod
    def parse(cls, text: str) -> Self:
        """`day N HH:MM [M min]` or ValueError (split on spaces: linear, no pattern)."""
        words = text.split()
        example = "write e.g. “day 0 10:00” or “day 3 14:00 120 min”"
        if len(words) not in (3, 5) or words[0].lower() != "day":
            raise ValueError(f"“{text[:60]}” is not a session of a list of dates; {example}")
        if not words[1].isascii() or not words[1].isdigit() or int(words[1]) > 3660:
            raise ValueError(f"“{words[1][:10]}” is not a number of days from 0 to 3660")
        hour, _, minute = words[2].partition(":")
        if not (hour.isascii() and hour.isdigit() and minute.isascii() and minute.isdigit()) or (
            len(hour) > 2 or len(minute) != 2 or int(hour) > 23 or int(minute) > 59
        ):
            raise ValueError(f"“{words[2][:10]}” is not a time of day such as 10:00")
        minutes = None
        if len(words) == 5:
            length = words[3]
            if (
                words[4].lower() != "min"
                or not (length.isascii() and length.isdigit())
                or not rhythm.MIN_MINUTES <= int(length) <= rhythm.MAX_MINUTES
            ):
                raise ValueError(f"“{text[:60]}”: a length is 15 to 480 min, e.g. “120 min”")
            minutes = int(length)
        return cls(int(words[1]), time(int(hour), int(minute)), minutes)


@dataclass
class WeekPlan:
    title: str
    summary: str = ""
    facilitator_notes: str = ""
    publish: Relative | None = None
    parts: dict = field(default_factory=dict)
    # The session's own length when it differs from the usual one.
    minutes: int | None = None
    # Where the week came from, when copied: the preview shows the old session beside the new.
    source_session: datetime | None = None


@dataclass
class PlannedWeek:
    """A week of a new run as the preview shows it."""

    number: int
    title: str
    label: str
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
    # The rhythm: weekly (files without a schedule kind), daily or a list of dates, whose
    # sessions keep their spacing from the first one (`offsets`, one per week).
    schedule_kind: str = ScheduleKind.WEEKLY
    weekdays_only: bool = False
    unit_name: str | None = None
    offsets: list = field(default_factory=list)
    # The cohort this curriculum was taken from (a copy, or a file exported from it): the new
    # run's survey results stand beside that run's, for organizers who were in it.
    source_run: int | None = None

    @classmethod
    def from_cohort(cls, cohort: Cohort, options: CopyOptions = CopyOptions()) -> Self:
        weeks = []
        for week in cohort.weeks.all():

            def relative(moment: datetime, session: datetime = week.session_start) -> Relative:
                return Relative.between(moment, session, cohort.tz)

            weeks.append(
                WeekPlan(
                    title=week.title,
                    summary=week.summary,
                    facilitator_notes=week.facilitator_notes,
                    publish=relative(week.publish_at) if week.publish_at else None,
                    parts={part.name: part.extract(week, relative, options) for part in parts},
                    source_session=week.session_start,
                    minutes=week.session_minutes,
                )
            )
        weeks_list = list(cohort.weeks.all())
        first = cohort.local(weeks_list[0].session_start).date() if weeks_list else None
        offsets = [
            Offset(
                (cohort.local(week.session_start).date() - first).days,
                cohort.local(week.session_start).time().replace(second=0, microsecond=0),
                week.session_minutes,
            )
            for week in weeks_list
            if first is not None and cohort.schedule_kind == ScheduleKind.DATES
        ]
        return cls(
            schedule_kind=cohort.schedule_kind,
            weekdays_only=cohort.weekdays_only,
            unit_name=cohort.unit_name,
            offsets=offsets,
            title=cohort.title,
            description=cohort.description,
            time_zone=cohort.time_zone,
            session_weekday=cohort.session_weekday,
            session_time=cohort.session_time,
            session_minutes=cohort.session_minutes,
            location=cohort.location,
            weeks=weeks,
            source_run=cohort.pk,
        )

    def new_run(self, **settings: Any) -> Cohort:
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
            "schedule_kind": self.schedule_kind,
            "weekdays_only": self.weekdays_only,
        }
        if self.schedule_kind == ScheduleKind.DATES and self.offsets:
            fields["session_time"] = self.offsets[0].at
        if self.schedule_kind != ScheduleKind.WEEKLY and self.session_weekday is None:
            fields["session_weekday"] = 0  # unused: `create` sets the first session's
        cohort = Cohort(**{**fields, **settings})
        cohort.apply_schedule_defaults()
        if self.unit_name:
            cohort.unit_name = self.unit_name
        return cohort

    def sessions(self, cohort: Cohort) -> list[rhythm.Session]:
        """Where the new run's sessions fall, keeping the course's rhythm: weekly or daily
        from the new start date, or a list's spacing from its first day (the start date);
        ScheduleError when one falls in a DST gap or fold on the new clock."""
        if self.schedule_kind == ScheduleKind.DATES:
            first = cohort.start_date
            problems, sessions = [], []
            for offset in self.offsets:
                day = first + timedelta(days=offset.days)
                problem = rhythm.clock_problem(day, offset.at, cohort.tz)
                if problem:
                    problems.append(problem)
                else:
                    start = datetime.combine(day, offset.at, tzinfo=cohort.tz)
                    sessions.append(rhythm.Session(start, offset.minutes))
            if problems:
                raise rhythm.ScheduleError(" ".join(problems[:3]))
            return sessions
        cohort.schedule_kind, cohort.weekdays_only = self.schedule_kind, self.weekdays_only
        planned = cohort.planned_sessions(len(self.weeks))
        return [
            rhythm.Session(session.start, plan.minutes)
            for session, plan in zip(planned, self.weeks, strict=True)
        ]

    def session_starts(self, cohort: Cohort) -> list[datetime]:
        return [session.start for session in self.sessions(cohort)]

    def plan(self, cohort: Cohort) -> list[PlannedWeek]:
        """What `create(cohort, …)` would make, week by week, with every new date."""
        planned = []
        for number, (plan, start) in enumerate(
            zip(self.weeks, self.session_starts(cohort), strict=True), start=1
        ):

            def resolve(relative: Relative, start: datetime = start) -> datetime:
                return relative.resolve(start, cohort.tz)

            lines = []
            for part in parts:
                lines.extend(part.describe(plan.parts[part.name], resolve))
            planned.append(
                PlannedWeek(
                    number=number,
                    title=plan.title,
                    label=cohort.default_title(number),
                    session_start=start,
                    publish_at=resolve(plan.publish) if plan.publish else None,
                    lines=lines,
                    was=plan.source_session,
                )
            )
        return planned

    def create(self, cohort: Cohort, organizer: User) -> Cohort:
        """Save the unsaved `cohort` with this curriculum, `organizer` its only member."""
        sessions = self.sessions(cohort)
        if self.schedule_kind != ScheduleKind.WEEKLY and sessions:
            first = sessions[0].start.astimezone(cohort.tz)
            cohort.start_date, cohort.session_weekday = first.date(), first.weekday()
        with transaction.atomic():
            cohort.slug = Cohort.unique_slug(cohort.title)
            cohort.save()
            Membership.objects.create(user=organizer, cohort=cohort, role=Role.ORGANIZER)
            weeks = cohort.create_weeks(
                len(self.weeks),
                [plan.title for plan in self.weeks],
                sessions=sessions,
            )
            for week, plan in zip(weeks, self.weeks, strict=True):

                def resolve(relative: Relative, start: datetime = week.session_start) -> datetime:
                    return relative.resolve(start, cohort.tz)

                week.summary = plan.summary
                week.facilitator_notes = plan.facilitator_notes
                week.publish_at = resolve(plan.publish) if plan.publish else None
                week.save(update_fields=["summary", "facilitator_notes", "publish_at"])
                for part in parts:
                    part.create(week, plan.parts[part.name], resolve)
            if self.source_run and may_compare_with_run(organizer, self.source_run):
                run_created.send(Course, cohort=cohort, source_cohort_id=self.source_run)
        return cohort

    # --- The course file ---

    def _schedule_yaml(self) -> dict[str, Any]:
        schedule: dict[str, Any] = {"kind": str(self.schedule_kind)}
        if self.unit_name:
            schedule["unit"] = str(self.unit_name)
        if self.schedule_kind == ScheduleKind.DAILY:
            schedule["weekdays_only"] = self.weekdays_only
        if self.time_zone:
            schedule["time_zone"] = self.time_zone
        if self.session_weekday is not None and self.schedule_kind == ScheduleKind.WEEKLY:
            schedule["weekday"] = Weekday(self.session_weekday).label
        if self.session_time is not None:
            schedule["time"] = f"{self.session_time:%H:%M}"
        schedule["minutes"] = self.session_minutes
        if self.location:
            schedule["location"] = self.location
        if self.schedule_kind == ScheduleKind.DATES:
            schedule["sessions"] = [str(offset) for offset in self.offsets]
        return schedule

    def to_yaml(self) -> str:
        weeks = []
        for plan in self.weeks:
            entry = {"title": plan.title}
            if plan.summary:
                entry["summary"] = plain_text(plan.summary)
            if plan.publish is not None:
                entry["publish"] = str(plan.publish)
            if plan.facilitator_notes:
                entry["facilitator_notes"] = plain_text(plan.facilitator_notes)
            if plan.minutes and self.schedule_kind != ScheduleKind.DATES:
                entry["minutes"] = plan.minutes
            for part in parts:
                entry.update(part.dump(plan.parts[part.name]))
            weeks.append(entry)
        schedule = self._schedule_yaml()
        document = {"homeroom_course": FORMAT, "title": self.title}
        if self.description:
            document["description"] = plain_text(self.description)
        document["schedule"] = schedule
        if self.source_run:
            document["run"] = sign_run(self.source_run)
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


# Sent when a cohort is made from an earlier run (`cohort`, `source_cohort_id`), in the
# transaction that creates it, once the organizer may see that run.
run_created = Signal()

RUN_SALT = "homeroom.course-file.run"


def sign_run(cohort_id: int) -> str:
    """The `run` of an exported file: the source cohort's id, signed by this site (no time
    stamp, so exporting the same run twice gives the same file)."""
    return signing.Signer(salt=RUN_SALT).sign_object(cohort_id)


def unsign_run(text: str | None) -> int | None:
    """The source cohort a file's `run` names, or None (absent, edited, or another site's)."""
    if not text:
        return None
    try:
        value = signing.Signer(salt=RUN_SALT).unsign_object(text.strip()[:200])
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


HEADER = """\
# Homeroom course file, format 1: a course's curriculum without its people or dates.
# Create a cohort from it at /cohorts/import/. Text is Markdown.
#
# `schedule` keeps the course's rhythm (changeable when you import):
#   kind: weekly         one session a week, on `weekday` at `time`
#   kind: daily          one session a day at `time` (`weekdays_only: true` skips weekends)
#   kind: dates          a list: `sessions` says where each falls from the first session's
#                        day, e.g. "day 0 10:00", "day 1 10:00", "day 3 14:00 120 min"
#   unit: Week, Day or Session — what pages call each session ("Day 2")
#   minutes: the usual length of a session; a session may set its own `minutes`
# A file without `kind` is weekly. A new cohort places its sessions from its own start
# date, on its own clock, keeping the rhythm.
#
# `run` (signed by the site that exported the file) names the run it came from: a cohort
# made from this file shows that run's survey averages beside its own, to organizers who
# were in that run. Delete the line to start afresh.
#
# Every time is relative to its own session, on the cohort's local clock:
#   session              at the session start
#   session - 2d 18:00   two days before the session's day, at 18:00 local time
#   session + 1d 09:00   the day after the session, at 09:00 local time
#   session 12:00        on the session's day, at noon
#   session - 2d         two days before, at the session's time of day
# Every time follows its session, daylight saving time included. An entry of `weeks`
# (one per session) without `publish` stays a draft.
#
# Defaults when left out: prework kind video, required true, minutes 0; assignment due
# "session", submission link (or text, done); pair prompt minutes 5 (per turn, 1-60).
"""


def plain_text(text: str) -> str:
    """Markdown as typed in a browser has CRLF line ends; the file keeps plain newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class CourseDumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (`|`), which read like the Markdown they are."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


CourseDumper.add_representer(str, _represent_text)


def fingerprint(*values: Any) -> str:
    """Stands for what a preview showed, so "create" can tell it still shows that."""
    digest = hashlib.sha256(repr(values).encode("utf-8"))
    return digest.hexdigest()[:32]
