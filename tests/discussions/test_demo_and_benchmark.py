"""Demo data looks alive; the benchmark command prints its comparison."""

import io

import pytest
from django.core.management import call_command

from cohorts.models import Cohort
from discussions.models import (
    Attendance,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    Pairing,
    PairPrompt,
    SharedResource,
)
from discussions.pairing import count_repeats, history_for


@pytest.mark.django_db
def test_seed_demo_adds_a_lived_in_discussion_history():
    call_command("seed_demo", stdout=io.StringIO())
    cohort = Cohort.objects.get(slug="machine-learning")
    weeks = list(cohort.weeks.all())
    assert PairPrompt.objects.filter(week__cohort=cohort).count() >= 2 * len(weeks)
    assert DiscussionPoint.objects.filter(week__cohort=cohort).count() >= len(weeks)
    assert MuddiestPoint.objects.filter(week__cohort=cohort).exists()
    assert SharedResource.objects.filter(week__cohort=cohort, pinned=True).exists()
    held = [week for week in weeks if Pairing.objects.filter(week=week).exists()]
    assert len(held) >= 3
    assert all(Pairing.objects.get(week=week).locked for week in held)
    assert Attendance.objects.filter(week__cohort=cohort, status="absent").exists()
    assert Feedback.objects.filter(week__cohort=cohort).count() > 10
    for week in held:
        groups = [g.member_ids for g in Pairing.objects.get(week=week).groups.all()]
        assert count_repeats(groups, history_for(week)) == 0

    before = PairPrompt.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert PairPrompt.objects.count() == before, "seed_demo is idempotent"


def test_benchmark_prints_matching_against_random():
    out = io.StringIO()
    call_command("pairing_benchmark", people=8, weeks=4, attendance=0.9, runs=2, seed=1, stdout=out)
    text = out.getvalue()
    assert "matching" in text and "random" in text and "repeats/cohort" in text


def test_load_benchmark_reads_cpu_time_and_wrk_latencies():
    import os
    import time

    from discussions.management.commands.load_mark_watched import (
        milliseconds,
        server_cpu_seconds,
    )

    before = server_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    after = server_cpu_seconds(os.getpid())
    assert after - before >= 0.1  # this process and its children, from /proc
    assert server_cpu_seconds(2**22 + 12345) is None  # no such process
    assert milliseconds("850.00us") == pytest.approx(0.85)
    assert milliseconds("12.5ms") == 12.5
    assert milliseconds("1.2s") == 1200
