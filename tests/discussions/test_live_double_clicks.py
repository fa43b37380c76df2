"""The live session's creates under double clicks: the same post twice (and, on
PostgreSQL, from eight threads at once) leaves one row and never a 500."""

import pytest
from django.urls import reverse

from cohorts.models import Membership, Role
from discussions.models import (
    Attendance,
    CohortSessionOptions,
    PairGroup,
    Pairing,
    PairPrompt,
    Room,
    RoomPlace,
    SessionTimer,
)
from tests.security.test_double_submits import MODES, client_of, started_week, statuses


@pytest.fixture
def crowd(cohort, make_user):
    for n in range(5):
        user = make_user(f"crowd{n}@example.com", f"Crowd {n}")
        Membership.objects.create(user=user, cohort=cohort, role=Role.PARTICIPANT)
    return cohort


@pytest.mark.parametrize("concurrently", MODES)
def test_first_pairs_and_the_first_timer_start(concurrently, crowd, people):
    week = started_week(crowd)
    PairPrompt.objects.create(week=week, prompt="Explain it.")
    client = client_of(people["facilitator"])
    generate = reverse("discussions:pairs_generate", args=[crowd.slug, 1])
    codes = statuses(6, lambda: client.post(generate), concurrently)
    assert set(codes) == {302}, codes
    assert Pairing.objects.filter(week=week).count() == 1
    members = [m for g in PairGroup.objects.filter(pairing__week=week) for m in g.member_ids]
    assert len(members) == len(set(members)) == 6

    control = reverse("discussions:timer_control", args=[crowd.slug, 1])
    codes = statuses(6, lambda: client.post(control, {"action": "start"}), concurrently)
    assert set(codes) == {302}, codes
    assert SessionTimer.objects.filter(week=week).count() == 1
    assert SessionTimer.objects.get(week=week).running


@pytest.mark.parametrize("concurrently", MODES)
def test_attendance_taps_and_check_ins(concurrently, crowd, people):
    week = started_week(crowd)
    CohortSessionOptions.set_self_check_in(crowd, True)
    mark = reverse("discussions:attendance_mark", args=[crowd.slug, 1, people["participant"].pk])
    client = client_of(people["facilitator"])
    codes = statuses(6, lambda: client.post(mark, {"status": "absent"}), concurrently)
    assert set(codes) == {302}, codes
    assert Attendance.objects.get(week=week, user=people["participant"]).status == "absent"

    check_in = reverse("discussions:check_in", args=[crowd.slug, 1])
    participant = client_of(people["participant"])
    codes = statuses(6, lambda: participant.post(check_in), concurrently)
    assert set(codes) == {302}, codes
    assert Attendance.objects.filter(week=week, user=people["participant"]).count() == 1
    assert Attendance.objects.get(week=week, user=people["participant"]).status == "present"

    setting = reverse("discussions:self_check_in", args=[crowd.slug, 1])
    codes = statuses(6, lambda: client.post(setting, {"allowed": "0"}), concurrently)
    assert set(codes) == {302}, codes
    assert CohortSessionOptions.objects.filter(cohort=crowd).count() == 1


@pytest.mark.parametrize("concurrently", MODES)
def test_adding_a_room_and_splitting(concurrently, crowd, people):
    client = client_of(people["organizer"])
    rooms = reverse("discussions:rooms", args=[crowd.slug])
    codes = statuses(6, lambda: client.post(rooms, {"name": "Lovelace"}), concurrently)
    assert set(codes) <= {200, 302}, codes  # 200: the form says the room exists
    assert Room.objects.filter(cohort=crowd).count() == 1
    Room.objects.create(cohort=crowd, name="Hopper", order=1)
    split = reverse("discussions:rooms_split", args=[crowd.slug])
    codes = statuses(6, lambda: client.post(split), concurrently)
    assert set(codes) == {302}, codes
    assert RoomPlace.objects.filter(room__cohort=crowd).count() == 6
