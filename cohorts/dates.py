"""Dates and times as Homeroom writes them everywhere (config/formats/en/formats.py)."""

from datetime import date, datetime
from typing import Protocol

from django.utils.formats import date_format


class HasClock(Protocol):
    def local(self, moment: datetime) -> datetime: ...


def when(moment: datetime, cohort: HasClock) -> str:
    """'Thu 3 Sep 2026, 16:00': a stored (aware) moment on the cohort's clock."""
    return date_format(cohort.local(moment), "DATETIME_FORMAT")


def day(value: date) -> str:
    """'Thu 3 Sep 2026'."""
    return date_format(value, "DATE_FORMAT")
