"""The pairing benchmark's --timing report (figures printed, never asserted)."""

import io

import pytest
from django.core.management import CommandError, call_command


def test_timing_prints_one_row_per_size():
    out = io.StringIO()
    call_command(
        "pairing_benchmark",
        "--timing",
        "--sizes",
        "12",
        "13",
        "--history-weeks",
        "3",
        "--timing-runs",
        "2",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("make_groups with 3 weeks of history")
    rows = [line.split() for line in lines if line.split()[:1] in (["12"], ["13"])]
    assert [row[0] for row in rows] == ["12", "13"]
    for row in rows:
        assert all(figure.endswith("s") for figure in row[1:5]), "four times in seconds"
        assert row[5].isdigit(), "then the repeats"
    assert "matching" not in out.getvalue(), "--timing replaces the quality comparison"


def test_timing_needs_at_least_two_people():
    with pytest.raises(CommandError):
        call_command("pairing_benchmark", "--timing", "--sizes", "1", stdout=io.StringIO())
