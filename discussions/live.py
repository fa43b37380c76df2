"""The live session: one shared timer per room, the poll that follows it, and "My session",
a participant's own table, partner and turns.

The timer's state lives in one SessionTimer row. The facilitator's timer page changes it
(start, pause, next, back, restart); everyone else reads it through a poll that costs one
query and answers 304 while nothing changed, and counts down on their own device from
the moment the turn ends, so nobody drifts and nobody asks every second.
"""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cohorts.models import Membership, Week

from . import pairing as pairing_module
from . import sheets
from .models import PairGroup, Room, RoomPlace, SessionTimer

ACTIONS = ("toggle", "start", "pause", "next", "previous", "reset")
POLL_SALT = "discussions.live.poll"
# A page's poll address works for a day; a page left open longer is reloaded.
POLL_MAX_AGE = timedelta(hours=24)
POLL_INTERVAL_SECONDS = 2


def clock(seconds: int) -> str:
    """4:59"""
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class TimerState:
    """Where the room is: which turn, and when it ends (running) or how much is left."""

    version: int = 0
    turn: int = 0
    running: bool = False
    started_at: datetime | None = None
    remaining_ms: int | None = None  # None: the whole turn
    updated_at: datetime | None = None
    pairs: int = 0  # how many times the room's pairs were made: pages then reload

    @classmethod
    def of(cls, row) -> "TimerState":
        """From SessionTimerQuerySet.state_of's tuple (or None: untouched)."""
        return cls() if row is None else cls(*row)

    def ends_at(self) -> datetime | None:
        if not self.running or self.started_at is None or self.remaining_ms is None:
            return None
        return self.started_at + timedelta(milliseconds=self.remaining_ms)

    def seconds_left(self, turn_seconds: int, now: datetime | None = None) -> int:
        """Whole seconds left in the current turn (what a page shows when it is rendered)."""
        ends = self.ends_at()
        if ends is not None:
            left = (ends - (now or timezone.now())).total_seconds()
        elif self.remaining_ms is not None:
            left = self.remaining_ms / 1000
        else:
            left = turn_seconds
        return max(0, min(turn_seconds, int(left + 0.999)))

    def as_json(self) -> dict:
        ends = self.ends_at()
        return {
            "version": self.version,
            "turn": self.turn,
            "running": self.running,
            "ends_at": int(ends.timestamp() * 1000) if ends else None,
            "remaining_ms": self.remaining_ms,
            "pairs": self.pairs,
        }

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def timer_state(week_id: int, room_id: int | None) -> TimerState:
    return TimerState.of(SessionTimer.objects.state_of(week_id, room_id))


POLL_SQL = """
SELECT t.version, t.turn, t.running, t.started_at, t.remaining_ms, t.updated_at, t.pairs_made
FROM {membership} m
JOIN {week} w ON w.cohort_id = m.cohort_id
LEFT JOIN {timer} t ON t.week_id = w.id AND {room}
WHERE m.id = %s AND w.id = %s AND m.left_at IS NULL
"""


@functools.cache
def poll_sql(with_room: bool) -> str:
    return POLL_SQL.format(
        membership=Membership._meta.db_table,
        week=Week._meta.db_table,
        timer=SessionTimer._meta.db_table,
        room="t.room_id = %s" if with_room else "t.room_id IS NULL",
    )


def aware(moment):
    """A timestamp from a raw query: SQLite gives naive UTC (or text), PostgreSQL aware."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def polled_state(membership_id: int, week_id: int, room_id: int | None) -> TimerState | None:
    """The timer's state for a poll, in one query that also checks the poller is still an
    active member of the week's cohort (None when not: leaving the cohort ends the poll).
    Plain SQL: building the same ORM query on every poll would cost more than running it."""
    params = [room_id, membership_id, week_id] if room_id else [membership_id, week_id]
    sql = poll_sql(bool(room_id))

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    # A reused connection gets a "SELECT 1" before the request's first query
    # (CONN_HEALTH_CHECKS): a second round trip on every poll. The poll skips it and, when
    # the connection turns out dead, runs its one query again on a new connection.
    if connection.connection is not None:
        connection.health_check_done = True
    try:
        row = run()
    except (OperationalError, InterfaceError):
        connection.close()
        row = run()
    if row is None:
        return None
    if row[0] is None:
        return TimerState()
    version, turn, running, started_at, remaining_ms, updated_at, pairs = row
    return TimerState(
        version, turn, bool(running), aware(started_at), remaining_ms, aware(updated_at), pairs
    )


def control(week, room: Room | None, action: str, turn_seconds: list[int]) -> TimerState:
    """Apply one timer action for the room; returns the new state. Actions on the same
    timer queue up on its row, so two facilitators pressing at once end in one state."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown timer action {action!r}")
    now = timezone.now()
    with transaction.atomic():
        SessionTimer.objects.get_or_create(week=week, room=room)
        timer = SessionTimer.objects.select_for_update().get(week=week, room=room)
        last = max(len(turn_seconds) - 1, 0)
        timer.turn = min(timer.turn, last)
        full_ms = turn_seconds[timer.turn] * 1000 if turn_seconds else 0
        if action == "toggle":
            action = "pause" if timer.running else "start"
        if action == "start" and not timer.running:
            left = timer.remaining_ms if timer.remaining_ms is not None else full_ms
            if left > 0:
                timer.running, timer.started_at, timer.remaining_ms = True, now, left
        elif action == "pause" and timer.running:
            ends = timer.started_at + timedelta(milliseconds=timer.remaining_ms or 0)
            left_ms = int((ends - now).total_seconds() * 1000)
            timer.running, timer.started_at = False, None
            timer.remaining_ms = max(0, min(full_ms, left_ms))
        elif action in ("next", "previous", "reset"):
            step = {"next": 1, "previous": -1, "reset": 0}[action]
            timer.turn = max(0, min(last, timer.turn + step))
            timer.running, timer.started_at, timer.remaining_ms = False, None, None
        timer.version += 1
        timer.updated_at = now
        timer.save()
        # This process's streams push the change at once (others within half a second).
        transaction.on_commit(wake_streams)
    return TimerState(
        timer.version,
        timer.turn,
        timer.running,
        timer.started_at,
        timer.remaining_ms,
        timer.updated_at,
        timer.pairs_made,
    )


def wake_streams() -> None:
    from .live_stream import hub  # (built on this module)

    hub.poke()


# --- The poll's address ------------------------------------------------------------------


def poll_token(membership_id: int, week_id: int, room_id: int | None) -> str:
    """A signed, day-long address for one room's timer, given to a member on a page they
    may see: the poll then needs no session or user lookup (see polled_state)."""
    return signing.dumps([membership_id, week_id, room_id or 0], salt=POLL_SALT, compress=False)


def followed(token: str) -> tuple[tuple[int, int | None], TimerState] | None:
    """The room a poll address follows, (week id, room id or None), and its timer's state,
    checked as the poll checks it (polled_state); None for an address that is not valid or
    whose member has left."""
    found = read_poll_token(token)
    state = polled_state(*found) if found else None
    if found is None or state is None:
        return None
    return (found[1], found[2]), state


def read_poll_token(token: str) -> tuple[int, int, int | None] | None:
    """(membership_id, week_id, room_id) of a valid token, else None."""
    if len(token) > 200:
        return None
    try:
        ids = signing.loads(token, salt=POLL_SALT, max_age=POLL_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(ids, list) and len(ids) == 3 and all(type(i) is int for i in ids)):
        return None
    membership_id, week_id, room_id = ids
    return membership_id, week_id, room_id or None


# --- My session ------------------------------------------------------------------------------


@dataclass
class MySession:
    """A participant's view of the session: their table, partners and turns."""

    group: PairGroup | None
    room: Room | None
    partners: list  # users
    turns: list  # sheets.Turn, with .mine ("explain", "listen", "") and .seconds
    state: TimerState
    current: int  # index into turns
    seconds_left: int
    poll_token: str

    @property
    def clock_left(self) -> str:
        return clock(self.seconds_left)

    @property
    def ends_at_ms(self) -> int | None:
        return self.state.as_json()["ends_at"]

    @property
    def current_turn(self):
        return self.turns[self.current] if self.turns else None

    @property
    def next_turn(self):
        return self.turns[self.current + 1] if self.current + 1 < len(self.turns) else None


def my_session(week, user, membership_id: int, prompts=None, now=None) -> MySession:
    """The participant's group this week (None before pairs are made), their turns over
    the room's rounds, and the shared timer. A few queries, whatever the cohort's size."""
    group = (
        PairGroup.objects.filter(pairing__week=week)
        .filter(Q(person_a=user) | Q(person_b=user) | Q(person_c=user))
        .select_related("pairing__room", "person_a", "person_b", "person_c")
        .annotate(
            room_has_trio=Exists(
                PairGroup.objects.filter(pairing=OuterRef("pairing"), person_c__isnull=False)
            )
        )
        .first()
    )
    room = None
    turns: list = []
    if group is not None:
        room = group.pairing.room
        prompts = list(week.pair_prompts.all()) if prompts is None else prompts
        rounds = pairing_module.round_count(len(prompts), 3 if group.room_has_trio else 2)
        turns = sheets.turns_for(group.members, prompts, rounds)
        for turn in turns:
            turn.mine = (
                "explain"
                if turn.explainer[1].pk == user.pk
                else "listen"
                if turn.listener and turn.listener[1].pk == user.pk
                else ""
            )
            turn.seconds = turn.prompt.minutes * 60
        for turn, following in zip(turns, [*turns[1:], None], strict=True):
            turn.next = following
    else:
        room = placed_room(week.cohort_id, membership_id)
    state = timer_state(week.pk, room.pk if room else None)
    current = min(state.turn, max(len(turns) - 1, 0))
    seconds = turns[current].seconds if turns else 0
    return MySession(
        group=group,
        room=room,
        partners=[u for _, u in (group.members if group else []) if u.pk != user.pk],
        turns=turns,
        state=state,
        current=current,
        seconds_left=state.seconds_left(seconds, now) if turns else 0,
        poll_token=poll_token(membership_id, week.pk, room.pk if room else None),
    )


def placed_room(cohort_id: int, membership_id: int) -> Room | None:
    """The room a participant sits in: where placed, else the cohort's first room (None for
    a cohort without rooms)."""
    place = RoomPlace.objects.filter(membership_id=membership_id).select_related("room").first()
    if place is not None:
        return place.room
    return Room.objects.filter(cohort_id=cohort_id).first()
