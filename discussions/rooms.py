"""Rooms: a cohort too large for one room meets in several, each with its facilitator.

A cohort without rooms meets as one room and sees nothing of this. Once it has rooms,
every participant sits in one: where the organizer placed them, else the first room.
Pairs are made within each room (pairing.generate(room=…)), with every earlier session in
every room as history, so nobody meets the same person again whenever that is avoidable.
"""

from django.db import transaction

from cohorts.models import Membership

from .models import Room, RoomPlace

# Dealt in this order, so every room gets its share of each level.
LEVEL_ORDER = {"experienced": 0, "some": 1, "new": 2}


def split_evenly(cohort) -> dict[int, int]:
    """Place every active participant: rooms of equal size (within one; never above a
    room's capacity while another has space), each with a mix of experience levels.
    Replaces earlier places; the same cohort gives the same split. {room_id: count}."""
    with transaction.atomic():
        # Holding the cohort's rooms: two splits at once run one after the other.
        rooms = list(Room.objects.select_for_update().filter(cohort=cohort))
        if not rooms:
            return {}
        return _split(cohort, rooms)


def _split(cohort, rooms) -> dict[int, int]:
    people = sorted(
        Membership.objects.active_participants(cohort),
        key=lambda m: (LEVEL_ORDER.get(m.experience, 3), m.user.name.lower(), m.user_id),
    )
    counts = {room.pk: 0 for room in rooms}
    places = []
    for membership in people:
        # The emptiest room with space (by share of its capacity), the first on a tie.
        open_rooms = [r for r in rooms if r.capacity is None or counts[r.pk] < r.capacity]
        room = min(open_rooms or rooms, key=lambda r: (counts[r.pk], rooms.index(r)))
        counts[room.pk] += 1
        places.append(RoomPlace(membership=membership, room=room))
    RoomPlace.objects.filter(membership__cohort=cohort).delete()
    RoomPlace.objects.bulk_create(places)
    return counts


def place(membership, room) -> None:
    """Put one participant in a room (the same request twice: one place)."""
    RoomPlace.objects.update_or_create(membership=membership, defaults={"room": room})
