"""Pairs for the weekly session: who explains to whom.

The people present are split into pairs — and one trio when the count is odd, so
nobody is left out — by a maximum-weight matching (`networkx.max_weight_matching`).
Every edge weight is one integer built from five levels, each worth more than
everything below it can add up to in one session:

1. a pair that has never met before (so a repeat-free pairing always wins when one
   exists);
2. how recently and how often two people were paired (recent pairings cost more);
3. how different their experience levels are (new + experienced is rewarded);
4. whether one of them explained first last time and the other did not, so both can
   alternate;
5. a small jitter drawn from the stored seed, so regenerating gives a fresh
   arrangement and the same seed gives the same one.

With an odd count, the trio is found by merging two people into one node whose
edge to a third person carries both pairings; every merge that could still lower
the number of repeats is tried, so the repeat count is the least possible.

Within a group, who explains first alternates from week to week: whoever explained
first last time goes second now.

The functions at the top work on plain values and are tested on their own; the
ones at the bottom load from and store to the database.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import networkx as nx
from django.db import transaction
from django.utils import timezone

from .models import Attendance, PairGroup, Pairing

EXPERIENCE_RANK = {"new": 0, "some": 1, "experienced": 2}
# Cost of having been paired `w` weeks ago: RECENCY // w (last week 60, two weeks 30 …).
RECENCY = 60
JITTER = 1000
# Label of the merged node when looking for the trio; negative so it never clashes with a user id.
MERGED = -1
EXHAUSTIVE_TRIO_SEARCH_UP_TO = 17


@dataclass(frozen=True)
class Person:
    id: int
    experience: str = "some"


@dataclass(frozen=True)
class PastGroup:
    """A group from an earlier session: members in explaining order (A first)."""

    weeks_ago: int
    members: tuple


def pair_key(u, v):
    return (u, v) if u < v else (v, u)


def pairings_in(group):
    """Every pair of people inside a group (one for a pair, three for a trio)."""
    return [pair_key(u, v) for u, v in combinations(group, 2)]


def explained_first_last_time(history):
    """{person: True if they explained first at their latest session, else False}."""
    latest = {}
    for past in sorted(history, key=lambda past: past.weeks_ago):
        for position, member in enumerate(past.members):
            latest.setdefault(member, position == 0)
    return latest


class Weights:
    """The edge weights for one session, and the score of a whole arrangement.

    Levels, most important first: never met before; how recently and often they met
    (a cost); mixed experience; one of the two explained first last time and the other
    did not (so both can alternate); a seeded jitter. Each level's unit is larger than
    the most that all lower levels together can add to an arrangement.
    """

    def __init__(self, people, history, seed):
        self.ids = sorted(person.id for person in people)
        self.rank = {person.id: EXPERIENCE_RANK.get(person.experience, 1) for person in people}
        self.recency = defaultdict(int)
        for past in history:
            for pair in pairings_in(past.members):
                self.recency[pair] += max(1, RECENCY // max(1, past.weeks_ago))
        self.first_last_time = explained_first_last_time(history)
        rng = random.Random(f"pairing:{seed}")
        self.jitter = {pair: rng.randrange(JITTER) for pair in combinations(self.ids, 2)}
        # An arrangement of n people has at most (n + 3) / 2 pairings; `bound` covers it.
        bound = len(self.ids) + 3
        max_recency = max((self.recency[pair] for pair in self.jitter), default=0)
        self.alternation_unit = bound * JITTER
        self.mix_unit = bound * (self.alternation_unit + JITTER)
        self.recency_unit = bound * (2 * self.mix_unit + self.alternation_unit + JITTER)
        self.fresh_unit = bound * (
            max_recency * self.recency_unit + 2 * self.mix_unit + self.alternation_unit + JITTER
        )
        # Keeps every weight positive; a constant per edge changes no comparison between
        # arrangements of the same people, which always have the same number of pairings.
        self.offset = max_recency * self.recency_unit + 1

    def met_before(self, u, v):
        return self.recency[pair_key(u, v)] > 0

    def can_alternate(self, u, v):
        return self.first_last_time.get(u, False) != self.first_last_time.get(v, False)

    def weight(self, u, v):
        pair = pair_key(u, v)
        recency = self.recency[pair]
        return (
            self.fresh_unit * (recency == 0)
            - self.recency_unit * recency
            + self.mix_unit * abs(self.rank[u] - self.rank[v])
            + self.alternation_unit * self.can_alternate(u, v)
            + self.jitter[pair]
            + self.offset
        )

    def group_weight(self, group):
        return sum(self.weight(u, v) for u, v in pairings_in(group))

    def repeats(self, groups):
        return sum(self.met_before(u, v) for group in groups for u, v in pairings_in(group))


def _perfect_matching(nodes, weight):
    """Max-weight perfect matching of an even number of nodes on the complete graph."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for u, v in combinations(nodes, 2):
        graph.add_edge(u, v, weight=weight(u, v))
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    return sorted(pair_key(u, v) for u, v in matching)


def _best_trio_arrangement(ids, weights):
    """Pairs plus one trio for an odd count (at least three) — fewest repeats first."""
    best, best_weight, best_repeats = None, None, None

    def trio_upper_bound(t, a):
        # The best this merge could do: the pairing t–a plus the best third person.
        return weights.weight(t, a) + max(
            weights.weight(t, b) + weights.weight(a, b) for b in ids if b not in (t, a)
        )

    def fewest_trio_repeats(t, a):
        return weights.met_before(t, a) + min(
            weights.met_before(t, b) + weights.met_before(a, b) for b in ids if b not in (t, a)
        )

    merges = sorted(combinations(ids, 2), key=lambda m: (-trio_upper_bound(*m), m))
    # Up to this many people every merge is tried (about 0.2 s); beyond, only the most
    # promising few and then those that could still lower the number of repeats.
    try_all = len(ids) <= EXHAUSTIVE_TRIO_SEARCH_UP_TO
    for tried, (t, a) in enumerate(merges):
        if (
            not try_all
            and best is not None
            and tried >= 8
            and fewest_trio_repeats(t, a) >= best_repeats
        ):
            continue
        rest = [u for u in ids if u not in (t, a)]

        def weight(u, v, t=t, a=a):
            if MERGED in (u, v):
                b = v if u == MERGED else u
                return weights.weight(t, b) + weights.weight(a, b)
            return weights.weight(u, v)

        matching = _perfect_matching([MERGED, *rest], weight)
        groups = []
        for u, v in matching:
            if MERGED in (u, v):
                groups.append(tuple(sorted((t, a, v if u == MERGED else u))))
            else:
                groups.append((u, v))
        total = sum(weights.group_weight(group) for group in groups)
        if best is None or total > best_weight:
            best, best_weight, best_repeats = groups, total, weights.repeats(groups)
    return best


def explaining_order(group, history, seed, explained=None):
    """The group's members with whoever explains first at the front.

    Whoever explained first at their last session goes later now; then whoever has
    explained first least often; then a coin from the seed. `explained` is
    explained_before(history), when the caller already has it.
    """
    last_first, times_first = explained or explained_before(history)
    rng = random.Random(f"order:{seed}:{sorted(group)}")
    coin = {member: rng.random() for member in sorted(group)}
    return tuple(
        sorted(group, key=lambda m: (last_first.get(m, False), times_first[m], coin[m], m))
    )


def explained_before(history):
    """({person: explained first at their latest session}, {person: times explained first})."""
    times_first = defaultdict(int)
    for past in history:
        if past.members:
            times_first[past.members[0]] += 1
    return explained_first_last_time(history), times_first


def make_groups(people, history=(), seed=0):
    """Split `people` into pairs (plus one trio for an odd count), in explaining order.

    Deterministic: the same people, history and seed give the same groups in the same
    order. One person alone makes a group of one.
    """
    people = list(people)
    ids = sorted({person.id for person in people})
    if len(ids) < 2:
        return [tuple(ids)] if ids else []
    weights = Weights(people, history, seed)
    if len(ids) % 2 == 0:
        groups = _perfect_matching(ids, weights.weight)
    else:
        groups = _best_trio_arrangement(ids, weights)
    explained = explained_before(history)
    groups = [explaining_order(group, history, seed, explained) for group in groups]
    # Table numbers: pairs first in a seeded order, the trio last so it is easy to find.
    rng = random.Random(f"tables:{seed}")
    groups.sort(key=lambda group: sorted(group))
    rng.shuffle(groups)
    groups.sort(key=len)
    return groups


def count_repeats(groups, history):
    """How many pairings in `groups` happened in an earlier session."""
    earlier = {pair for past in history for pair in pairings_in(past.members)}
    return sum(pair in earlier for group in groups for pair in pairings_in(group))


def turns(group_size, prompt_count):
    """For each prompt, (explainer, listener) positions: pairs alternate, a trio rotates."""
    if group_size < 2:
        return [(0, None)] * prompt_count
    return [(i % group_size, (i + 1) % group_size) for i in range(prompt_count)]


# --- Database ---------------------------------------------------------------------------


def new_seed():
    return random.SystemRandom().randrange(1, 2**31)


def people_for(week):
    """The people to pair this week: present participants, with their experience level."""
    return [
        Person(id=membership.user_id, experience=membership.experience)
        for membership in Attendance.objects.present_memberships(week)
    ]


def history_for(week):
    """Groups of the cohort's earlier sessions, most recent first."""
    groups = (
        PairGroup.objects.filter(
            pairing__week__cohort_id=week.cohort_id, pairing__week__number__lt=week.number
        )
        .select_related("pairing__week")
        .order_by("-pairing__week__number", "number")
    )
    return [
        PastGroup(weeks_ago=week.number - group.pairing.week.number, members=group.member_ids)
        for group in groups
    ]


def generate(week, *, seed=None, by=None):
    """(Re)build the week's pairing from the people present; returns the Pairing.

    A locked pairing is returned unchanged.
    """
    seed = new_seed() if seed is None else seed
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().filter(week=week).first()
        if pairing is not None and pairing.locked:
            return pairing
        groups = make_groups(people_for(week), history_for(week), seed)
        if pairing is None:
            pairing = Pairing(week=week)
        pairing.seed = seed
        pairing.generated_by = by
        pairing.generated_at = timezone.now()
        pairing.save()
        pairing.groups.all().delete()
        PairGroup.objects.bulk_create(
            PairGroup.from_members(pairing, number, members)
            for number, members in enumerate(groups, start=1)
        )
    return pairing
