"""Moments relative to a session, on the local clock."""

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curriculum.relative import Relative
from tests.conftest import BERLIN, NEW_YORK


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        ("session", Relative()),
        ("session - 2d 18:00", Relative(-2, time(18, 0))),
        ("session + 1d 09:00", Relative(1, time(9, 0))),
        ("session 12:00", Relative(0, time(12, 0))),
        ("session - 7d", Relative(-7, None)),
    ],
)
def test_written_and_read_the_same_way(text, relative):
    assert Relative.parse(text) == relative
    assert str(relative) == text


@pytest.mark.parametrize(
    "text", ["Session-2d 18:00", "session -2d 18:00", "  session  +  3d  ", "SESSION 7:05"]
)
def test_reading_is_forgiving_about_spaces_and_case(text):
    Relative.parse(text)


@pytest.mark.parametrize(
    "text",
    ["", "2 days before", "session - 2", "session - 2d 25:00", "session 18:61", "session - 400d"],
)
def test_nonsense_is_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="session|time of day|year"):
        Relative.parse(text)


@given(
    days=st.integers(min_value=-366, max_value=366),
    at=st.one_of(st.none(), st.times().map(lambda t: t.replace(second=0, microsecond=0))),
)
def test_any_relative_survives_writing_and_reading(days, at):
    relative = Relative(days, at)
    assert Relative.parse(str(relative)) == relative


def test_two_days_before_at_six_stays_so_across_a_clock_change():
    # Berlin: Saturday 24 October 2026 18:00 is summer time, Monday the 26th winter time.
    session = datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)
    due = datetime(2026, 10, 24, 18, 0, tzinfo=BERLIN)
    relative = Relative.between(due, session, BERLIN)
    assert relative == Relative(-2, time(18, 0))
    # In real time that is 49 hours, not 48: the clock went back in between.
    assert (session.astimezone(UTC) - due.astimezone(UTC)).total_seconds() == 49 * 3600
    # New York, the week its clock changes (1 November): still Saturday 18:00 local.
    new_session = datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK)
    moved = relative.resolve(new_session, NEW_YORK)
    assert moved.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 10, 31, 18, 0)  # noqa: DTZ001 (wall clock)
    assert moved.astimezone(UTC) == datetime(2026, 10, 31, 22, 0, tzinfo=UTC)


def test_the_session_start_follows_the_new_session_time():
    session = datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)
    assert Relative.between(session, session, BERLIN) == Relative()
    new_session = datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK)
    assert Relative().resolve(new_session, NEW_YORK) == new_session


def test_minutes_are_the_finest_unit():
    session = datetime(2026, 10, 26, 18, 0, tzinfo=BERLIN)
    published = datetime(2026, 10, 19, 9, 30, 41, 123, tzinfo=BERLIN)
    assert Relative.between(published, session, BERLIN) == Relative(-7, time(9, 30))
