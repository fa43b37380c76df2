"""Moments relative to a session: "session - 2d 18:00" means two calendar days before the
session's day at 18:00 on the cohort's local clock, so a copy or a course file keeps every
time in its place relative to its new session, daylight saving time included."""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Self

MAX_DAYS = 366


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
    def between(cls, moment: datetime, session: datetime, tz: tzinfo) -> Self:
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

    def resolve(self, session: datetime, tz: tzinfo) -> datetime:
        """The aware moment this is relative to `session`, on the local clock of `tz`."""
        local_session = session.astimezone(tz)
        day = local_session.date() + timedelta(days=self.days)
        clock = self.at or local_session.time().replace(second=0, microsecond=0)
        return datetime.combine(day, clock, tzinfo=tz)

    def __str__(self) -> str:
        words = ["session"]
        if self.days:
            words.append(f"{'+' if self.days > 0 else '-'} {abs(self.days)}d")
        if self.at is not None:
            words.append(f"{self.at:%H:%M}")
        return " ".join(words)

    @classmethod
    def parse(cls, text: str) -> Self:
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
