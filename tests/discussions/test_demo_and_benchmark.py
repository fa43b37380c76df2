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


def test_poll_benchmark_phones_poll_at_their_own_pace_each_on_a_new_connection():
    import asyncio
    import http.server
    import threading

    from discussions.management.commands.session_poll_benchmark import phones

    seen = []

    class NotModified(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's name
            seen.append((self.path, self.headers["If-None-Match"], self.client_address[1]))
            self.send_response(304 if self.path != "/live/broken" else 500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotModified)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paths = [f"/live/{n}" for n in range(4)] + ["/live/broken"]
        ran = []  # in a thread of its own: the browser tests leave this one's event loop set
        run = threading.Thread(
            target=lambda: ran.append(
                asyncio.run(phones(server.server_port, paths, '"7"', 0.25, 1.0))
            )
        )
        run.start()
        run.join(timeout=30)
        [(answers, elapsed)] = ran
    finally:
        server.shutdown()
        server.server_close()
    # Five phones, four polls each in one second (one every 0.25 s from a moment of its own).
    assert len(answers) == 20 and 0.75 < elapsed < 2.0
    assert sorted(status for status, _ in answers) == [304] * 16 + [500] * 4
    assert {path for path, _, _ in seen} == set(paths)
    assert all(etag == '"7"' for _, etag, _ in seen)
    assert len({port for _, _, port in seen}) == 20  # a new connection for every poll
    assert all(0 < seconds < 1 for _, seconds in answers)
