"""A cohort's schedule: when its sessions are, on the cohort's own clock.

Three kinds: weekly (one session a week on a weekday), daily (every day, or weekdays only,
N sessions in a row) and a list of dates the organizer types (one `YYYY-MM-DD HH:MM` per
line, optionally followed by a length in minutes). Every session start is a local date and
time in the cohort's time zone; a time that does not exist on that clock (inside a daylight
saving gap) or exists twice (in the fold when clocks go back) is refused with a message
naming the date, never guessed.

Reminders and the per-session digest are placed relative to each session here too, and
never before the previous session has ended (a reminder for Day 2 never arrives during
Day 1).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from . import dates

MAX_SESSIONS = 200
MAX_LIST_CHARS = 20_000
MIN_MINUTES, MAX_MINUTES = 15, 480
FIRST_YEAR, LAST_YEAR = 2000, 2100
DIGITS = frozenset("0123456789")


class ScheduleError(ValueError):
    """A schedule that cannot be made; the message says which date or line and why."""


@dataclass(frozen=True)
class Session:
    """One session of a schedule: its aware start and its own length (None: the cohort's)."""

    start: datetime
    minutes: int | None = None


def clock_problem(day: date, clock: time, tz: tzinfo) -> str | None:
    """Why `clock` on `day` is not one moment on the clock of `tz` (a DST gap or fold), or
    None when it is exactly one."""
    naive = datetime.combine(day, clock)
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return None
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return (
            f"{clock:%H:%M} does not exist on {dates.day(day)} in {tz}: the clocks go "
            "forward then. Choose another time."
        )
    return (
        f"{clock:%H:%M} happens twice on {dates.day(day)} in {tz}: the clocks go back "
        "then. Choose another time."
    )


def local_start(day: date, clock: time, tz: tzinfo) -> datetime:
    """The aware start at `clock` on `day` in `tz`, or ScheduleError in a DST gap or fold."""
    problem = clock_problem(day, clock, tz)
    if problem:
        raise ScheduleError(problem)
    return datetime.combine(day, clock, tzinfo=tz)


def weekly_days(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


def daily_days(first: date, count: int, weekdays_only: bool) -> list[date]:
    """`count` consecutive days from `first` (Saturdays and Sundays skipped when asked)."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if not (weekdays_only and day.weekday() >= 5):
            days.append(day)
        day += timedelta(days=1)
    return days


def _number(text: str, low: int, high: int) -> int | None:
    """ASCII digits within low..high, or None (int() alone would take "٣" and "1_0")."""
    if not text or len(text) > 4 or not set(text) <= DIGITS:
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_line(text: str) -> tuple[date, time, int | None]:
    """`YYYY-MM-DD HH:MM [minutes]` → (day, clock, minutes or None), or ScheduleError."""
    words = text.split()
    if len(words) not in (2, 3):
        raise ScheduleError("write a date and a time, such as 2027-03-01 10:00")
    day_text, clock_text = words[0], words[1]
    parts = day_text.split("-")
    if len(parts) != 3 or len(parts[0]) != 4 or len(parts[1]) != 2 or len(parts[2]) != 2:
        raise ScheduleError(f"“{day_text[:20]}” is not a date such as 2027-03-01")
    year = _number(parts[0], FIRST_YEAR, LAST_YEAR)
    month, dom = _number(parts[1], 1, 12), _number(parts[2], 1, 31)
    if year is None:
        raise ScheduleError(f"choose a year between {FIRST_YEAR} and {LAST_YEAR}")
    if month is None or dom is None:
        raise ScheduleError(f"“{day_text[:20]}” is not a date such as 2027-03-01")
    try:
        day = date(year, month, dom)
    except ValueError:
        raise ScheduleError(f"{day_text} is not a day of the calendar") from None
    clock_parts = clock_text.split(":")
    if len(clock_parts) != 2 or len(clock_parts[1]) != 2:
        raise ScheduleError(f"“{clock_text[:20]}” is not a time such as 10:00")
    hour, minute = _number(clock_parts[0], 0, 23), _number(clock_parts[1], 0, 59)
    if hour is None or minute is None or len(clock_parts[0]) > 2:
        raise ScheduleError(f"“{clock_text[:20]}” is not a time such as 10:00")
    minutes = None
    if len(words) == 3:
        minutes = _number(words[2], MIN_MINUTES, MAX_MINUTES)
        if minutes is None:
            raise ScheduleError(
                f"“{words[2][:20]}” is not a length between {MIN_MINUTES} and {MAX_MINUTES} minutes"
            )
    return day, time(hour, minute), minutes


def parse_dates(text: str, tz: tzinfo, default_minutes: int) -> tuple[list[Session], list[str]]:
    """The sessions a pasted list describes, and a message per bad line ("Line 3: …").

    One pass over the lines; blank lines are skipped. Sessions must be in order and must not
    overlap or repeat; at most MAX_SESSIONS. Any error means: save nothing."""
    if len(text) > MAX_LIST_CHARS:
        return [], [f"The list is too long: at most {MAX_LIST_CHARS:,} characters."]
    sessions: list[Session] = []
    errors: list[str] = []
    seen: dict[datetime, int] = {}
    previous: tuple[int, datetime, datetime] | None = None  # line, start, end
    count = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        count += 1
        if count > MAX_SESSIONS:
            errors.append(f"More than {MAX_SESSIONS} sessions: list at most {MAX_SESSIONS}.")
            break
        try:
            day, clock, minutes = parse_line(line)
            start = local_start(day, clock, tz)
        except ScheduleError as error:
            errors.append(f"Line {number}: {error}.".replace("..", "."))
            continue
        naive = datetime.combine(day, clock)
        if naive in seen:
            errors.append(f"Line {number}: {line} is already on line {seen[naive]}.")
            continue
        seen[naive] = number
        end = start + timedelta(minutes=minutes or default_minutes)
        if previous is not None:
            if start < previous[1]:
                errors.append(
                    f"Line {number}: {line} comes before line {previous[0]}; list the "
                    "sessions in order."
                )
                continue
            if start < previous[2]:
                errors.append(
                    f"Line {number}: {line} starts before the session on line {previous[0]} ends."
                )
                continue
        previous = (number, start, end)
        sessions.append(Session(start, minutes))
    if not sessions and not errors:
        errors.append("List at least one session: one date and time per line.")
    return sessions, errors


def at_or_after(moment: datetime, floor: datetime | None) -> datetime:
    return moment if floor is None or moment >= floor else floor


def hours_before(start: datetime, hours: int, tz: tzinfo) -> datetime:
    """`hours` before `start` counted on the local wall clock (48 h before Monday 18:00 is
    Saturday 18:00, across a DST change too)."""
    return (start.astimezone(tz) - timedelta(hours=hours)).astimezone(UTC)


def evening_before(start: datetime, clock: time, tz: tzinfo) -> datetime:
    """`clock` on the local day before the session's day (a time in a DST gap is read as
    the moment the clocks jump from it)."""
    day = start.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def same_day_or_before(start: datetime, clock: time, tz: tzinfo) -> datetime:
    """`clock` on the session's day when that is before the session, else the day before."""
    local = start.astimezone(tz)
    moment = datetime.combine(local.date(), clock, tzinfo=tz)
    if moment >= start:
        moment = datetime.combine(local.date() - timedelta(days=1), clock, tzinfo=tz)
    return moment.astimezone(UTC)
