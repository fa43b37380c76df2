"""Rooms: pairing within each room keeps the pairing's guarantees; people are placed by hand
or split evenly; each room's facilitator runs their room, the organizer every room."""

import itertools
from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohorts.models import Cohort, Membership, Role
from discussions import pairing, rooms
from discussions.models import Attendance, PairGroup, Pairing, Room, RoomPlace
from discussions.pairing import PastGroup, count_repeats
from tests.discussions.test_pairing import arrangements

pytestmark = pytest.mark.django_db
LEVELS = ["new", "some", "experienced"]
serial = itertools.count()


def new_cohort(make_user, levels, room_count):
    n = next(serial)
    cohort = Cohort.objects.create(
        title=f"Rooms {n}",
        slug=f"rooms-{n}",
        time_zone="Europe/Berlin",
        start_date=date(2026, 1, 5),
        session_weekday=0,
        session_time=time(16, 0),
    )
    cohort.create_weeks(2)
    people = []
    for i, level in enumerate(levels):
        user = make_user(f"r{n}-{i}@example.com", f"Person {i}")
        Membership.objects.create(
            user=user,
            cohort=cohort,
            role=Role.PARTICIPANT,
            experience=level,
            joined_at=timezone.now() - timedelta(days=400),
        )
        people.append(user)
    room_list = [Room.objects.create(cohort=cohort, name=f"Room {r}") for r in range(room_count)]
    return cohort, people, room_list


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_everyone_present_is_in_exactly_one_group_of_their_room_with_fewest_repeats(
    make_user, data
):
    levels = data.draw(st.lists(st.sampled_from(LEVELS), min_size=2, max_size=14), "levels")
    room_count = data.draw(st.integers(1, 3), "rooms")
    cohort, people, room_list = new_cohort(make_user, levels, room_count)
    seats = data.draw(
        st.lists(st.integers(0, room_count - 1), min_size=len(people), max_size=len(people)),
        "seats",
    )
    for user, seat in zip(people, seats, strict=True):
        membership = Membership.objects.get(user=user, cohort=cohort)
        if seat or data.draw(st.booleans(), "placed by hand"):  # else: the default room
            rooms.place(membership, room_list[seat])
    week1, week2 = cohort.weeks.order_by("number")
    for room in room_list:
        pairing.generate(week1, room=room, seed=data.draw(st.integers(0, 2**31), "seed 1"))
    absent = {u.pk for u in people if data.draw(st.booleans(), "absent")}
    for user in people:
        if user.pk in absent:
            Attendance.mark(week2, user, "absent", by=None)
    history = pairing.history_for(week2)
    for room, index in zip(room_list, range(room_count), strict=True):
        pairing.generate(week2, room=room, seed=data.draw(st.integers(0, 2**31), "seed 2"))
        expected = {u.pk for u, seat in zip(people, seats, strict=True) if seat == index} - absent
        groups = [
            g.member_ids for g in PairGroup.objects.filter(pairing__week=week2, pairing__room=room)
        ]
        members = [m for g in groups for m in g]
        assert sorted(members) == sorted(expected), "everyone present, once, in their own room"
        if len(expected) >= 2:
            assert all(len(g) in (2, 3) for g in groups)
            assert sum(len(g) == 3 for g in groups) == len(expected) % 2
        if 2 <= len(expected) <= 8:
            fewest = min(
                count_repeats(arrangement, history)
                for arrangement in arrangements(sorted(expected))
            )
            assert count_repeats(groups, history) == fewest, "no repeat that could be avoided"
    assert all(isinstance(past, PastGroup) for past in history)


def test_split_evenly_mixes_experience_and_respects_capacity(make_user):
    levels = ["experienced"] * 3 + ["some"] * 4 + ["new"] * 5
    cohort, people, (a, b, c) = new_cohort(make_user, levels, 3)
    counts = rooms.split_evenly(cohort)
    assert sorted(counts.values()) == [4, 4, 4]
    for room in (a, b, c):
        placed = Membership.objects.filter(room_place__room=room)
        assert set(placed.values_list("experience", flat=True)) == set(LEVELS)
    assert RoomPlace.objects.filter(membership__cohort=cohort).count() == 12
    # Again: the same split, no duplicate places.
    assert rooms.split_evenly(cohort) == counts
    assert RoomPlace.objects.filter(membership__cohort=cohort).count() == 12

    a.capacity = 2
    a.save()
    counts = rooms.split_evenly(cohort)
    assert counts[a.pk] == 2 and counts[b.pk] == counts[c.pk] == 5


@pytest.fixture
def two_rooms(week_in_session, participants, people, make_user):
    cohort = week_in_session.cohort
    second = make_user("sam@example.com", "Sam Second")
    Membership.objects.create(user=second, cohort=cohort, role=Role.FACILITATOR)
    first_room = Room.objects.create(
        cohort=cohort, name="Lovelace", facilitator=people["facilitator"]
    )
    second_room = Room.objects.create(cohort=cohort, name="Hopper", facilitator=second, order=1)
    for user in participants[3:]:
        rooms.place(Membership.objects.get(user=user, cohort=cohort), second_room)
    return first_room, second_room, second


def url(name, week, query=""):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number]) + query


def test_each_room_facilitator_runs_their_room(
    week_in_session, participants, people, two_rooms, client_for
):
    first_room, second_room, second = two_rooms
    client = client_for(people["facilitator"])
    page = client.get(url("session", week_in_session)).content.decode()
    assert "Run the session · Lovelace" in page
    board = page.split('id="attendance"')[1].split('id="pairs"')[0]
    assert all(p.display_name in board for p in participants[:3])
    assert not any(p.display_name in board for p in participants[3:])
    # Pairs for this room only.
    client.post(url("pairs_generate", week_in_session), {"room": first_room.pk})
    paired = {m for g in Pairing.objects.get(room=first_room).groups.all() for m in g.member_ids}
    assert paired == {p.pk for p in participants[:3]}
    assert not Pairing.objects.filter(room=second_room).exists()
    # Another room's id: not found, for every page of the room.
    other = f"?room={second_room.pk}"
    for name in ("session", "timer", "pairs_print", "pairs_pdf"):
        assert client.get(url(name, week_in_session, other)).status_code == 404, name
    response = client.post(url("pairs_generate", week_in_session), {"room": second_room.pk})
    assert response.status_code == 404
    # Nor attendance for someone sitting in another room.
    mark = reverse(
        "discussions:attendance_mark",
        args=[week_in_session.cohort.slug, week_in_session.number, participants[4].pk],
    )
    assert client.post(mark, {"status": "absent"}).status_code == 404
    assert not Attendance.objects.filter(user=participants[4]).exists()
    for bad in ("abc", "99999999999999999999", "-1"):
        assert client.get(url("session", week_in_session, f"?room={bad}")).status_code == 404

    # The organizer sees every room.
    organizer = client_for(people["organizer"])
    page = organizer.get(url("session", week_in_session, other)).content.decode()
    assert "Run the session · Hopper" in page and "Lovelace" in page
    response = organizer.get(url("pairs_print", week_in_session, f"?room={first_room.pk}"))
    for user in participants[:3]:
        assert user.display_name in response.content.decode()


def test_another_cohorts_room_is_not_found(
    week_in_session, other_cohort, participants, people, client_for
):
    theirs = Room.objects.create(cohort=other_cohort, name="Elsewhere")
    client = client_for(people["organizer"])
    assert client.get(url("session", week_in_session, f"?room={theirs.pk}")).status_code == 404
    rooms_page = reverse("discussions:room_edit", args=[week_in_session.cohort.slug, theirs.pk])
    assert client.get(rooms_page).status_code == 404


def test_a_cohort_without_rooms_sees_nothing_new(week_in_session, participants, people, client_for):
    page = client_for(people["facilitator"]).get(url("session", week_in_session)).content.decode()
    assert 'aria-label="Rooms"' not in page and "?room=" not in page


def test_organizer_adds_rooms_places_people_and_splits(
    week_in_session, participants, people, client_for
):
    cohort = week_in_session.cohort
    client = client_for(people["organizer"])
    rooms_url = reverse("discussions:rooms", args=[cohort.slug])
    assert "No rooms" in client.get(rooms_url).content.decode()
    for name in ("Lovelace", "Hopper"):
        assert client.post(rooms_url, {"name": name, "capacity": ""}).status_code == 302
    duplicate = client.post(rooms_url, {"name": "hopper"})
    assert "already has a room" in duplicate.content.decode()
    assert Room.objects.filter(cohort=cohort).count() == 2
    lovelace, hopper = Room.objects.filter(cohort=cohort)
    member = Membership.objects.get(cohort=cohort, user=participants[0])
    place = reverse("discussions:room_place", args=[cohort.slug])
    for _ in range(2):
        client.post(place, {"member": member.pk, "room": hopper.pk})
    assert RoomPlace.objects.get(membership=member).room == hopper
    assert client.post(place, {"member": member.pk, "room": "x"}).status_code == 404
    client.post(reverse("discussions:rooms_split", args=[cohort.slug]))
    assert RoomPlace.objects.filter(room=lovelace).count() == 3
    assert RoomPlace.objects.filter(room=hopper).count() == 3
    page = client.get(rooms_url).content.decode()
    assert "Split evenly, mixing experience" in page and "data-confirm" in page

    assert client_for(participants[0]).get(rooms_url).status_code == 403


def test_each_room_has_its_own_timer_and_participants_follow_theirs(
    week_in_session, participants, people, two_rooms, client_for
):
    from discussions import live
    from discussions.models import PairPrompt

    first_room, second_room, second = two_rooms
    PairPrompt.objects.create(week=week_in_session, prompt="Explain it.", minutes=5)
    for room in (first_room, second_room):
        pairing.generate(week_in_session, room=room, seed=3)
    control = url("timer_control", week_in_session)
    response = client_for(second).post(
        control, {"action": "start", "room": second_room.pk}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["running"] is True
    assert live.timer_state(week_in_session.pk, first_room.pk).running is False

    member = Membership.objects.get(user=participants[4], cohort=week_in_session.cohort)
    mine = live.my_session(week_in_session, participants[4], member.pk)
    assert mine.room == second_room and mine.state.running
    page = client_for(participants[4]).get(week_in_session.get_absolute_url()).content.decode()
    assert "My session · Hopper" in page and "left" in page
    # A facilitator of the other room cannot start this one.
    response = client_for(people["facilitator"]).post(
        control, {"action": "pause", "room": second_room.pk}
    )
    assert response.status_code == 404
