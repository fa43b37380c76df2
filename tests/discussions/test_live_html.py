"""The live session's pages are valid HTML (Nu checker): My session on a participant's
phone, the shared timer running, the session page of one room, and the rooms page."""

import json
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from cohorts.models import Membership
from discussions import live, pairing, rooms
from discussions.models import CohortSessionOptions, PairPrompt, Room
from tests.qa.test_html_validity import checker  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_live_session_pages_have_no_html_errors(
    checker,  # noqa: F811
    week_in_session,
    participants,
    people,
    client_for,
    tmp_path,
):
    cohort = week_in_session.cohort
    # Sessions start on whole minutes (the fixture's "an hour ago" has microseconds).
    week_in_session.session_start = week_in_session.session_start.replace(second=0, microsecond=0)
    week_in_session.save()
    PairPrompt.objects.create(week=week_in_session, prompt="Explain *it*.", minutes=5)
    CohortSessionOptions.set_self_check_in(cohort, True)
    first = Room.objects.create(cohort=cohort, name="Lovelace", facilitator=people["facilitator"])
    Room.objects.create(cohort=cohort, name="Hopper", capacity=10)
    rooms.split_evenly(cohort)
    pairing.generate(week_in_session, room=first, seed=4)
    live.control(week_in_session, first, "start", [300])
    placed = Membership.objects.filter(room_place__room=first, cohort=cohort).first()
    pages = {}
    args = [cohort.slug, week_in_session.number]
    for name, user, path in [
        ("my session", placed.user, week_in_session.get_absolute_url()),
        ("waiting", participants[-1], week_in_session.get_absolute_url()),
        ("facilitator week", people["facilitator"], week_in_session.get_absolute_url()),
        ("session", people["facilitator"], reverse("discussions:session", args=args)),
        ("timer", people["facilitator"], reverse("discussions:timer", args=args)),
        ("print", people["facilitator"], reverse("discussions:pairs_print", args=args)),
        ("rooms", people["organizer"], reverse("discussions:rooms", args=[cohort.slug])),
    ]:
        response = client_for(user).get(path)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    assert (
        'id="my-session"' in pages["my session"]
        and "Run today’s session" in (pages["facilitator week"])
    )
    files = {}
    for n, (name, html) in enumerate(pages.items()):
        file = tmp_path / f"live{n}.html"
        file.write_text(html, encoding="utf-8")
        files[file.name] = name
    result = subprocess.run(  # noqa: S603
        [*checker, "--format", "json", "--stdout", *(str(tmp_path / f) for f in files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    report = [
        f"{files.get(Path(m.get('url') or '').name)}, line {m.get('lastLine')}: "
        f"{m.get('message')}\n    {(m.get('extract') or '').strip()}"
        for m in messages
        if m.get("type") in {"error", "non-document-error"}
    ]
    assert not report, f"{len(report)} HTML errors:\n" + "\n".join(report)
