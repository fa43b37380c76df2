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
from django.db import transaction

from cohorts.models import Cohort, Membership, Role, User, Weekday
from cohorts.registry import Registry

from .relative import Relative

FORMAT = 1
MAX_WEEKS = 52


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
        }
        return Cohort(**{**fields, **settings})

    def session_starts(self, cohort: Cohort) -> list[datetime]:
        """Where the new run's sessions fall: weekly from its start date (as create_weeks)."""
        first = cohort.first_session_date()
        return [
            cohort.session_start_for(first + timedelta(weeks=n)) for n in range(len(self.weeks))
        ]

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
        with transaction.atomic():
            cohort.slug = Cohort.unique_slug(cohort.title)
            cohort.save()
            Membership.objects.create(user=organizer, cohort=cohort, role=Role.ORGANIZER)
            weeks = cohort.create_weeks(len(self.weeks), [plan.title for plan in self.weeks])
            for week, plan in zip(weeks, self.weeks, strict=True):

                def resolve(relative: Relative, start: datetime = week.session_start) -> datetime:
                    return relative.resolve(start, cohort.tz)

                week.summary = plan.summary
                week.facilitator_notes = plan.facilitator_notes
                week.publish_at = resolve(plan.publish) if plan.publish else None
                week.save(update_fields=["summary", "facilitator_notes", "publish_at"])
                for part in parts:
                    part.create(week, plan.parts[part.name], resolve)
        return cohort

    # --- The course file ---

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
            for part in parts:
                entry.update(part.dump(plan.parts[part.name]))
            weeks.append(entry)
        schedule: dict[str, Any] = {}
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
