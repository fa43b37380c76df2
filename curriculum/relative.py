"""Moments relative to a session: "session - 2d 18:00" means two calendar days before the
session's day at 18:00 on the cohort's local clock, so a copy or a course file keeps every
time in its place relative to its new session, daylight saving time included."""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Self

MAX_DAYS = 366


# "HH:MM" at the end; ASCII digits only (int() would take "²" or "٣" and much else).
CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
DIGITS = frozenset("0123456789")


def _scan(text: str) -> tuple[str | None, str | None, str | None, str | None] | None:
    """(sign, days, hour, minute) of `session [±N d] [HH:MM]`, spaces anywhere between the
    parts, or None. One pass over the text: no pattern that could backtrack on spaces."""
    s = text.strip().lower()
    if not s.startswith("session"):
        return None
    n = len(s)

    def skip(i: int) -> int:
        while i < n and s[i].isspace():
            i += 1
        return i

    i = skip(len("session"))
    sign = days = hour = minute = None
    if i < n and s[i] in "+-":
        sign = s[i]
        i = j = skip(i + 1)
        while j < n and j - i <= 3 and s[j] in DIGITS:
            j += 1
        if not 1 <= j - i <= 3:
            return None
        days, i = s[i:j], skip(j)
        if i >= n or s[i] != "d":
            return None
        i = skip(i + 1)
    if i < n:
        match = CLOCK.fullmatch(s, i)
        if not match:
            return None
        hour, minute = match[1], match[2]
    return sign, days, hour, minute


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
        # A course file says at most a year either way (MAX_DAYS), and so do the forms; a
        # moment further out (only in data older than that rule) is kept at a year, so
        # that what export writes, import reads.
        return cls(max(-MAX_DAYS, min(MAX_DAYS, days)), clock)

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
        scanned = _scan(text)
        if scanned is None:
            shown = text if len(text) <= 60 else f"{text[:60]}…"
            raise ValueError(
                f"“{shown}” is not a time relative to the session; write e.g. “session”, "
                "“session - 2d 18:00” or “session + 1d 09:00”"
            )
        sign, day_text, hour, minute = scanned
        days = int(day_text or 0) * (-1 if sign == "-" else 1)
        if abs(days) > MAX_DAYS:
            raise ValueError(f"“{text}” is more than a year from the session")
        at = None
        if hour is not None and minute is not None:
            if int(hour) > 23 or int(minute) > 59:
                raise ValueError(f"“{hour}:{minute}” is not a time of day")
            at = time(int(hour), int(minute))
        return cls(days, at)
