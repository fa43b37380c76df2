"""Pairs for the weekly session: who explains to whom.

The people present are split into pairs — and one trio when the count is odd, so
nobody is left out — of the largest total weight. Every pairing's weight is one integer
built from five levels, each worth more than everything below it can add up to in one
session:

1. a pair that has never met before (so a repeat-free pairing always wins when one
   exists);
2. how recently and how often two people were paired (recent pairings cost more);
3. how different their experience levels are (new + experienced is rewarded);
4. whether one of them explained first last time and the other did not, so both can
   alternate;
5. a small jitter drawn from the stored seed, so regenerating gives a fresh
   arrangement and the same seed gives the same one.

How the heaviest arrangement is found, and known to be the heaviest:

* First the relaxation: everyone may be split into halves of pairings, as long as each
  person's halves add up to one whole. It is an assignment problem (everyone once as a
  row and once as a column), solved by shortest augmenting paths over each person's best
  few partners, and then every other pairing is checked ("priced"). It leaves one number
  per person, `duals[i]`, with duals[i] + duals[j] >= 2 * weight(i, j) for every two
  people. So for any pairs of a set S of people,
  2 * weight(pairs) = sum(duals over S) + sum over the pairs of (2 * weight - the two duals)
  and every term of the last sum is <= 0: the duals bound every arrangement from above.
* Pairs only (an even count): when the relaxation's own answer is made of whole pairs it
  weighs exactly that bound, so nothing weighs more. Otherwise, a pairing whose term is
  below (the best arrangement known - the bound) cannot be part of a heavier arrangement,
  and `networkx.max_weight_matching` runs on the few pairings that are left.
* One trio (an odd count): the duals of everyone bound each arrangement with trio T by
  weight(T) + (sum of duals outside T) / 2. Trios are scored from the highest bound down —
  exactly: the relaxation without the trio's members, restarted from the duals above,
  then pairs as in the even case — and the search stops at the first trio whose bound is
  not above the heaviest arrangement found. That is the same answer as trying every
  trio, so the repeat count is the least possible too.

Within a group, who explains first alternates from week to week: whoever explained
first last time goes second now.

The functions at the top work on plain values and are tested on their own; the
ones at the bottom load from and store to the database.
"""

import heapq
import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import networkx as nx
from django.db import transaction
from django.utils import timezone

from cohorts.models import User, Week
from cohorts.permissions import in_session_window

from .models import Attendance, PairGroup, Pairing, Room, SessionTimer

EXPERIENCE_RANK = {"new": 0, "some": 1, "experienced": 2}
# Cost of having been paired `w` weeks ago: RECENCY // w (last week 60, two weeks 30 …).
RECENCY = 60
JITTER = 1000
# The relaxation starts from each person's best few partners; pricing adds the others
# that turn out to matter.
CANDIDATE_PARTNERS = 8


@dataclass(frozen=True)
class Person:
    id: int
    experience: str = "some"


@dataclass(frozen=True)
class PastGroup:
    """A group from an earlier session: members in explaining order (A first)."""

    weeks_ago: int
    members: tuple


Group = tuple[int, ...]
Pair = tuple[int, int]
Trio = tuple[int, int, int]
Matrix = list[list[int]]
# ({person: explained first at their latest session}, {person: times explained first})
Explained = tuple[dict[int, bool], defaultdict[int, int]]


def pair_key(u: int, v: int) -> Pair:
    return (u, v) if u < v else (v, u)


def pairings_in(group: Iterable[int]) -> list[Pair]:
    """Every pair of people inside a group (one for a pair, three for a trio)."""
    return [pair_key(u, v) for u, v in combinations(group, 2)]


def explained_first_last_time(history: Iterable[PastGroup]) -> dict[int, bool]:
    """{person: True if they explained first at their latest session, else False}."""
    latest: dict[int, bool] = {}
    for past in sorted(history, key=lambda past: past.weeks_ago):
        for position, member in enumerate(past.members):
            latest.setdefault(member, position == 0)
    return latest


class Weights:
    """The pairing weights for one session, and the score of a whole arrangement.

    Levels, most important first: never met before; how recently and often they met
    (a cost); mixed experience; one of the two explained first last time and the other
    did not (so both can alternate); a seeded jitter. Each level's unit is larger than
    the most that all lower levels together can add to an arrangement.

    `matrix[i][j]` is the weight of pairing `ids[i]` with `ids[j]`, all computed at once.
    """

    def __init__(self, people: Sequence[Person], history: Sequence[PastGroup], seed: int) -> None:
        self.ids = sorted({person.id for person in people})
        self.index = {person: i for i, person in enumerate(self.ids)}
        self.rank = {person.id: EXPERIENCE_RANK.get(person.experience, 1) for person in people}
        self.recency: defaultdict[Pair, int] = defaultdict(int)
        for past in history:
            for pair in pairings_in(past.members):
                self.recency[pair] += max(1, RECENCY // max(1, past.weeks_ago))
        self.first_last_time = explained_first_last_time(history)
        n = len(self.ids)
        rng = random.Random(f"pairing:{seed}")
        # One draw per two people present, in the order of combinations(self.ids, 2).
        jitter = [rng.randrange(JITTER) for _ in range(n * (n - 1) // 2)]
        met = {
            pair: recency
            for pair, recency in self.recency.items()
            if pair[0] in self.index and pair[1] in self.index
        }
        # An arrangement of n people has at most (n + 3) / 2 pairings; `bound` covers it.
        bound = n + 3
        max_recency = max(met.values(), default=0)
        self.alternation_unit = bound * JITTER
        self.mix_unit = bound * (self.alternation_unit + JITTER)
        self.recency_unit = bound * (2 * self.mix_unit + self.alternation_unit + JITTER)
        self.fresh_unit = bound * (
            max_recency * self.recency_unit + 2 * self.mix_unit + self.alternation_unit + JITTER
        )
        # Keeps every weight positive; a constant per pairing changes no comparison between
        # arrangements of the same people, which always have the same number of pairings.
        self.offset = max_recency * self.recency_unit + 1
        self.matrix, self.kind, self.kind_ceiling = self._matrix(jitter, met)

    def _matrix(self, jitter: list[int], met: dict[Pair, int]) -> tuple[Matrix, list[int], Matrix]:
        """The weights, each person's kind, and the most a pairing of two kinds weighs."""
        # Mixing and alternation depend only on (experience, explained first last time),
        # so those parts are looked up per kind of person, not computed per pairing.
        levels = [
            (self.rank[person], self.first_last_time.get(person, False)) for person in self.ids
        ]
        kinds = sorted(set(levels))
        kind = [kinds.index(level) for level in levels]
        fresh = [
            [
                self.fresh_unit
                + self.mix_unit * abs(rank - other_rank)
                + self.alternation_unit * (first != other_first)
                + self.offset
                for other_rank, other_first in kinds
            ]
            for rank, first in kinds
        ]
        # The most a pairing between two kinds can weigh (having met only lowers it).
        kind_ceiling = [[weight + JITTER - 1 for weight in row] for row in fresh]
        n = len(self.ids)
        matrix = [[0] * n for _ in range(n)]
        start = 0
        for i in range(n):
            base, row = fresh[kind[i]], matrix[i]
            row[i + 1 :] = [base[kind[j]] + jitter[start + j - i - 1] for j in range(i + 1, n)]
            start += n - i - 1
            for j in range(i + 1, n):
                matrix[j][i] = row[j]
        for (u, v), recency in met.items():
            i, j = self.index[u], self.index[v]
            matrix[i][j] = matrix[j][i] = (
                matrix[i][j] - self.fresh_unit - self.recency_unit * recency
            )
        return matrix, kind, kind_ceiling

    def met_before(self, u: int, v: int) -> bool:
        return self.recency[pair_key(u, v)] > 0

    def can_alternate(self, u: int, v: int) -> bool:
        return self.first_last_time.get(u, False) != self.first_last_time.get(v, False)

    def weight(self, u: int, v: int) -> int:
        return self.matrix[self.index[u]][self.index[v]]

    def group_weight(self, group: Group) -> int:
        return sum(self.weight(u, v) for u, v in pairings_in(group))

    def repeats(self, groups: Iterable[Group]) -> int:
        return sum(self.met_before(u, v) for group in groups for u, v in pairings_in(group))


class _Relaxation:
    """The relaxation of pairing `people` (indices into `matrix`), solved with its duals.

    An assignment problem: row i assigned to column j means "i is paired with j". Kept
    throughout: row_dual[i] + column_dual[j] >= matrix[i][j] for any two different people
    (every row whose dual went down is priced against every column before the answer is
    used) and equality along the assignment. Then duals[i] = row_dual[i] + column_dual[i]
    satisfy duals[i] + duals[j] >= 2 * matrix[i][j], as the module docstring needs.
    """

    def __init__(self, matrix: Matrix, people: Iterable[int], kind: Sequence[int]) -> None:
        self.matrix = matrix
        n = len(matrix)
        self.people = sorted(people)
        _check_count(self.people)
        self.present = [False] * n
        for i in self.people:
            self.present[i] = True
        self.row_dual = [0] * n
        self.column_dual = [0] * n
        self.column_of = [-1] * n
        self.row_of = [-1] * n
        self.partners: list[list[int]] = [[] for _ in range(n)]
        self._lowered: set[int] = set()
        candidates: dict[int, set[int]] = {i: set() for i in self.people}
        for i in self.people:
            row = matrix[i]
            others = sorted((j for j in self.people if j != i), key=row.__getitem__, reverse=True)
            if not others:
                continue
            # The best partner's weight: every pairing of row i is covered from the start.
            self.row_dual[i] = row[others[0]]
            if self.row_of[others[0]] < 0:
                self.column_of[i], self.row_of[others[0]] = others[0], i
            # Start from the best few partners overall and the best two of each kind
            # (mixing makes the best overall often all of one kind).
            best = others[:CANDIDATE_PARTNERS]
            per_kind: defaultdict[int, int] = defaultdict(int)
            for j in others:
                if per_kind[kind[j]] < 2:
                    per_kind[kind[j]] += 1
                    best.append(j)
            for j in best:
                candidates[i].add(j)
                candidates[j].add(i)
        for i in self.people:
            self.partners[i] = sorted(candidates[i])
        self._solve([i for i in self.people if self.column_of[i] < 0])

    def duals(self) -> list[int]:
        return [row + column for row, column in zip(self.row_dual, self.column_dual, strict=True)]

    def bound(self) -> int:
        """Twice the relaxation's optimum: no arrangement of its people weighs more than half."""
        return sum(self.row_dual[i] + self.column_dual[i] for i in self.people)

    def pairs(self) -> list[Pair] | None:
        """The relaxation's answer as whole pairs, or None when it has an odd cycle."""
        seen: set[int] = set()
        pairs: list[Pair] = []
        for start in self.people:
            cycle: list[int] = []
            i = start
            while i not in seen:
                seen.add(i)
                cycle.append(i)
                i = self.column_of[i]
            if len(cycle) % 2:
                return None
            pairs += [pair_key(cycle[k], cycle[k + 1]) for k in range(0, len(cycle), 2)]
        return pairs

    def without(self, removed: Collection[int]) -> "_Relaxation":
        """The relaxation of everyone but `removed`, restarted from this one's duals."""
        other = object.__new__(_Relaxation)
        other.matrix = self.matrix
        other.people = [i for i in self.people if i not in removed]
        _check_count(other.people)
        other.present = self.present[:]
        other.row_dual = self.row_dual[:]
        other.column_dual = self.column_dual[:]
        other.column_of = self.column_of[:]
        other.row_of = self.row_of[:]
        other.partners = self.partners[:]  # lists are replaced, never changed in place
        other._lowered = set()
        for t in removed:
            other.present[t] = False
            column, row = other.column_of[t], other.row_of[t]
            if column >= 0:
                other.row_of[column] = -1
            if row >= 0:
                other.column_of[row] = -1
            other.column_of[t] = other.row_of[t] = -1
        other._solve([i for i in other.people if other.column_of[i] < 0])
        return other

    def _solve(self, free: list[int]) -> None:
        while free:
            queue = sorted(free, reverse=True)
            while queue:
                i = queue.pop()
                if self.column_of[i] < 0:
                    stuck = self._augment(i)
                    if stuck is not None:
                        queue += self._open_up(stuck)
                        queue.append(i)
            free = self._price()

    def _augment(self, start: int) -> list[int] | None:  # noqa: C901 - one textbook loop
        """Shortest augmenting path from a free row; the rows reached if there is none."""
        matrix, present, partners = self.matrix, self.present, self.partners
        row_dual, column_dual = self.row_dual, self.column_dual
        row_of, column_of = self.row_of, self.column_of
        distance: dict[int, int] = {}
        previous: dict[int, int] = {}
        settled: dict[int, int] = {}
        reached = {start: 0}
        heap: list[tuple[int, int]] = []
        i, d = start, 0
        while True:
            base, row = d + row_dual[i], matrix[i]
            for j in partners[i]:
                if j not in settled and present[j]:
                    through = base + column_dual[j] - row[j]
                    if through < distance.get(j, through + 1):
                        distance[j], previous[j] = through, i
                        heapq.heappush(heap, (through, j))
            while True:
                if not heap:
                    return list(reached)
                d, j = heapq.heappop(heap)
                if j not in settled:
                    break
            settled[j] = d
            i = row_of[j]
            if i < 0:
                break
            reached[i] = d
        for i, at in reached.items():
            if at < d:
                row_dual[i] -= d - at
                self._lowered.add(i)
        for j, at in settled.items():
            if at < d:
                column_dual[j] += d - at
        while True:
            i = previous[j]
            column_of[i], row_of[j], j = j, i, column_of[i]
            if i == start:
                return None

    def _open_up(self, rows: list[int]) -> list[int]:
        """More partners for `rows`, the closest to tight first; rows freed on the way."""
        freed: list[int] = []
        matrix, column_dual = self.matrix, self.column_dual
        for i in rows:
            row = matrix[i]
            needed = max((row[j] - column_dual[j] for j in self.people if j != i), default=0)
            if needed > self.row_dual[i]:
                # Every pairing of row i covered again (it may have gone unpriced).
                self.row_dual[i] = needed
                freed += self._drop_if_loose(i)
            known = set(self.partners[i])
            known.add(i)
            dual = self.row_dual[i]
            closest = sorted(
                (dual + column_dual[j] - row[j], j) for j in self.people if j not in known
            )
            known.update(j for _, j in closest[:CANDIDATE_PARTNERS])
            known.discard(i)
            self.partners[i] = sorted(known)
        return freed

    def _price(self) -> list[int]:
        """Check every pairing of the rows whose dual went down; rows freed by fixing them."""
        freed: list[int] = []
        column_dual = self.column_dual
        for i in sorted(self._lowered):
            if not self.present[i]:
                continue
            row, dual = self.matrix[i], self.row_dual[i]
            short = [j for j in self.people if dual + column_dual[j] < row[j] and j != i]
            if short:
                self.partners[i] = sorted(set(self.partners[i]).union(short))
                self.row_dual[i] = max(row[j] - column_dual[j] for j in self.people if j != i)
                freed += self._drop_if_loose(i)
        self._lowered = set()
        return freed

    def _drop_if_loose(self, i: int) -> list[int]:
        j = self.column_of[i]
        if j >= 0 and self.row_dual[i] + self.column_dual[j] != self.matrix[i][j]:
            self.column_of[i] = self.row_of[j] = -1
        return [i] if self.column_of[i] < 0 else []


def _check_count(people: Sequence[int]) -> None:
    if len(people) == 1:
        raise ValueError("One person cannot be paired; the relaxation needs none or two or more.")


def _best_pairs(relaxation: _Relaxation, floor: int | None = None) -> list[Pair] | None:
    """The heaviest pairs of relaxation.people (an even number of them).

    With `floor`: None unless they weigh more than `floor`.

    Why this is the heaviest: with the relaxation's duals, 2 * weight(pairs) = bound +
    the sum of the pairs' terms (2 * weight - the two duals), each term <= 0. Pairs found
    using only pairings whose term is >= -limit, that are the heaviest of those and weigh
    at least (bound - limit) / 2, cannot be beaten: anything at least as heavy has terms
    summing to >= -limit, so each of its terms is >= -limit and it was in the search.
    """
    matrix, people = relaxation.matrix, relaxation.people
    duals, bound = relaxation.duals(), relaxation.bound()
    pairs = relaxation.pairs()
    if pairs is not None:
        twice = 2 * sum(matrix[u][v] for u, v in pairs)
        if twice == bound:
            return pairs if floor is None or twice > 2 * floor else None
        slack = bound - twice
    else:
        # The relaxation has an odd cycle; whole pairs are usually a few units short.
        slack = 16
    # Pairs heavier than `floor` have terms summing to more than 2 * floor - bound.
    cap = None if floor is None else bound - 2 * floor - 1
    while True:
        limit = slack if cap is None else min(slack, cap)
        if limit < 0:
            return None
        near: dict[int, set[int]] = {}
        for k, u in enumerate(people):
            row, dual = matrix[u], duals[u] - limit
            near[u] = {v for v in people[k + 1 :] if 2 * row[v] >= dual + duals[v]}
        for u in people:
            for v in [v for v in near[u] if v > u]:
                near[v].add(u)
        pairs = _heaviest_perfect_matching(near, matrix)
        if pairs is not None:
            twice = 2 * sum(matrix[u][v] for u, v in pairs)
            if bound - twice <= limit:
                return pairs if floor is None or twice > 2 * floor else None
            if limit == cap:  # then twice <= 2 * floor: nothing heavier than floor
                return None
            slack = bound - twice
        elif limit == cap:
            return None
        else:
            slack *= 8


def _heaviest_perfect_matching(  # noqa: C901 - bound, match, verify: one argument
    near: dict[int, set[int]], matrix: Matrix
) -> list[Pair] | None:
    """The heaviest pairs using only the pairings in `near` ({person: set of people}),
    everyone in one; None if there are no such pairs.

    Someone with a single possible partner must be paired with them, which settles most
    people here; networkx.max_weight_matching handles what is left.
    """
    near = {u: set(others) for u, others in near.items()}
    pairs: list[Pair] = []
    waiting = sorted((u for u, others in near.items() if len(others) <= 1), reverse=True)
    while waiting:
        u = waiting.pop()
        if u not in near:
            continue
        if not near[u]:
            return None
        [v] = near.pop(u)
        pairs.append(pair_key(u, v))
        for w in near.pop(v):
            if w != u:
                near[w].discard(v)
                if len(near[w]) <= 1:
                    waiting.append(w)
    for start in sorted(near):
        if start not in near:
            continue
        # One connected group of people at a time (each matched on its own graph).
        component, waiting = {start}, [start]
        while waiting:
            for w in near[waiting.pop()]:
                if w not in component:
                    component.add(w)
                    waiting.append(w)
        graph = nx.Graph()
        graph.add_weighted_edges_from(
            (u, v, matrix[u][v]) for u in sorted(component) for v in sorted(near.pop(u)) if u < v
        )
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        if 2 * len(matching) < len(component):
            return None
        pairs += [pair_key(u, v) for u, v in matching]
    return sorted(pairs)


class _TrioSearch(NamedTuple):
    """What _trios_within reads (see there)."""

    extra: list[int]
    later: list[list[list[tuple[int, int]]]]
    duals: list[int]
    matrix: Matrix
    lowest: list[int]
    ceiling: Matrix


def _trios_within(
    limit: int, search: _TrioSearch, cheapest: bool = False
) -> list[tuple[int, Trio]]:
    """Every trio whose cost is at most `limit`, cheapest first, as (cost, trio).

    cost(x, a, b) = extra[x] + extra[a] + extra[b] + the three pairings' shortfalls
    (duals[u] + duals[v] - 2 * weight(u, v)); every term is >= 0. later[x][k] lists
    (extra[a] + shortfall(x, a), a) for the people a > x of kind k, cheapest first, so
    the loops stop early; the shortfall of a pairing between kinds k and m is at least
    duals[a] + lowest[m] - 2 * ceiling[k][m], which skips whole kinds (say two
    experienced people, whose pairing the duals price far above what it weighs).
    With `cheapest`, only the cheapest trio: a branch and bound, the limit dropping to
    each cost found.
    """
    extra, later, duals, matrix, lowest, ceiling = search
    found: list[tuple[int, Trio]] = []
    for x, by_kind in enumerate(later):
        spent = extra[x]
        for k, of_k in enumerate(by_kind):
            for m in range(k, len(by_kind)):
                of_m = by_kind[m]
                fixed = lowest[m] - 2 * ceiling[k][m]
                for p, (cost_a, a) in enumerate(of_k):
                    start = p + 1 if k == m else 0
                    if start >= len(of_m):
                        break
                    # Rising with p: no later a can do better once this fails.
                    if spent + cost_a + of_m[start][0] + max(0, lowest[k] + fixed) > limit:
                        break
                    dual = duals[a]
                    room = limit - spent - cost_a - max(0, dual + fixed)
                    row = matrix[a]
                    for q in range(start, len(of_m)):
                        cost_b, b = of_m[q]
                        if cost_b > room:
                            break
                        cost = spent + cost_a + cost_b + dual + duals[b] - 2 * row[b]
                        if cost <= limit:
                            found.append((cost, (x, a, b) if a < b else (x, b, a)))
                            if cheapest:
                                limit = cost - 1
                                room = limit - spent - cost_a - max(0, dual + fixed)
    return sorted(found)[:1] if cheapest else sorted(found)


def _best_trio_arrangement(weights: Weights) -> list[Group]:
    """Pairs plus one trio for an odd count (at least three), of the largest weight."""
    matrix, kind = weights.matrix, weights.kind
    everyone = _Relaxation(matrix, range(len(matrix)), kind)
    duals = everyone.duals()
    top = max(duals)
    # 2 * weight(arrangement with trio T) <= 2 * weight(T) + sum(duals outside T)
    #                                       = ceiling - cost(T)   (see _trios_within).
    ceiling = everyone.bound() + 3 * top
    extra = [top - dual for dual in duals]
    kinds = range(len(weights.kind_ceiling))
    later: list[list[list[tuple[int, int]]]] = []
    for x, (row, dual) in enumerate(zip(matrix, duals, strict=True)):
        by_kind: list[list[tuple[int, int]]] = [[] for _ in kinds]
        for a in range(x + 1, len(matrix)):
            by_kind[kind[a]].append((extra[a] + dual + duals[a] - 2 * row[a], a))
        later.append([sorted(of_kind) for of_kind in by_kind])
    lowest = [
        min((d for d, k in zip(duals, kind, strict=True) if k == m), default=0) for m in kinds
    ]
    search = _TrioSearch(extra, later, duals, matrix, lowest, weights.kind_ceiling)
    everything = ceiling + 1  # above every cost that could matter
    [(_, first)] = _trios_within(everything, search, cheapest=True)
    scored = _score_trio(everyone, first, None)
    assert scored is not None, "with nothing to beat, a trio always scores"
    best_twice, best = scored
    # Only trios whose bound is above the best arrangement so far can do better; they are
    # scored from the highest bound down, and the search stops at the first that cannot.
    for cost, trio in _trios_within(ceiling - best_twice - 1, search):
        if ceiling - cost <= best_twice:
            break
        if trio != first:
            found = _score_trio(everyone, trio, best_twice)
            if found is not None:
                best_twice, best = found
    return best


def _score_trio(
    everyone: _Relaxation, trio: Trio, best_twice: int | None
) -> tuple[int, list[Group]] | None:
    """(2 * weight, groups) of the best arrangement with this trio, if above best_twice."""
    matrix = everyone.matrix
    t, a, b = trio
    inside = matrix[t][a] + matrix[t][b] + matrix[a][b]
    others = everyone.without(trio)
    if best_twice is not None and 2 * inside + others.bound() <= best_twice:
        return None
    pairs = _best_pairs(others, None if best_twice is None else best_twice // 2 - inside)
    if pairs is None:
        return None
    return 2 * (inside + sum(matrix[u][v] for u, v in pairs)), [trio, *pairs]


def explaining_order(
    group: Iterable[int],
    history: Iterable[PastGroup],
    seed: int,
    explained: Explained | None = None,
) -> Group:
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


def explained_before(history: Iterable[PastGroup]) -> Explained:
    """({person: explained first at their latest session}, {person: times explained first})."""
    times_first: defaultdict[int, int] = defaultdict(int)
    for past in history:
        if past.members:
            times_first[past.members[0]] += 1
    return explained_first_last_time(history), times_first


def make_groups(
    people: Iterable[Person], history: Sequence[PastGroup] = (), seed: int = 0
) -> list[Group]:
    """Split `people` into pairs (plus one trio for an odd count), in explaining order.

    Deterministic: the same people, history and seed give the same groups in the same
    order. One person alone makes a group of one.
    """
    people = list(people)
    ids = sorted({person.id for person in people})
    if len(ids) < 2:
        return [tuple(ids)] if ids else []
    weights = Weights(people, history, seed)
    groups: list[Group]
    if len(ids) % 2 == 0:
        pairs = _best_pairs(_Relaxation(weights.matrix, range(len(ids)), weights.kind))
        assert pairs is not None, "with no floor there are always pairs"
        groups = list(pairs)
    else:
        groups = _best_trio_arrangement(weights)
    groups = [tuple(ids[i] for i in group) for group in groups]
    explained = explained_before(history)
    groups = [explaining_order(group, history, seed, explained) for group in groups]
    # Table numbers: pairs first in a seeded order, the trio last so it is easy to find.
    rng = random.Random(f"tables:{seed}")
    groups.sort(key=lambda group: sorted(group))
    rng.shuffle(groups)
    groups.sort(key=len)
    return groups


def count_repeats(groups: Iterable[Group], history: Iterable[PastGroup]) -> int:
    """How many pairings in `groups` happened in an earlier session."""
    earlier = {pair for past in history for pair in pairings_in(past.members)}
    return sum(pair in earlier for group in groups for pair in pairings_in(group))


class TurnSlot(NamedTuple):
    """One turn of a group: the prompt (its index), who explains and who listens
    (positions in the group's explaining order; no listener for a group of one)."""

    prompt: int
    explainer: int
    listener: int | None


def round_count(prompt_count: int, largest_group: int) -> int:
    """How many turns the room takes: one per prompt, and with a trio at least three, so
    each of its members explains once (a trio with two prompts repeats the first)."""
    if prompt_count == 0:
        return 0
    return max(prompt_count, 3) if largest_group >= 3 else prompt_count


def turns(group_size: int, prompt_count: int, rounds: int | None = None) -> list[TurnSlot]:
    """The group's turns, one per round of the room (`rounds`, by default what the group
    needs itself): the prompts in order, repeated when there are more rounds than prompts;
    a pair alternates A→B, B→A; a trio rotates A→B, B→C, C→A."""
    if prompt_count == 0:
        return []
    if rounds is None:
        rounds = round_count(prompt_count, group_size)
    if group_size < 2:
        return [TurnSlot(r % prompt_count, 0, None) for r in range(rounds)]
    return [TurnSlot(r % prompt_count, r % group_size, (r + 1) % group_size) for r in range(rounds)]


# --- Database ---------------------------------------------------------------------------


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def people_for(week: Week, room: Room | None = None) -> list[Person]:
    """The people to pair this week (in `room`, for a cohort with rooms): present
    participants, with their experience level."""
    memberships = Attendance.objects.present_memberships(week, room)
    return [
        Person(id=membership.user_id, experience=membership.experience)
        for membership in memberships
    ]


def history_for(week: Week) -> list[PastGroup]:
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


def generate(
    week: Week, *, seed: int | None = None, by: User | None = None, room: Room | None = None
) -> Pairing:
    """(Re)build the week's pairing (of one room, for a cohort with rooms) from the people
    present; returns the Pairing. Earlier sessions in every room count as history, so
    nobody meets again whenever that can be avoided.

    A locked pairing is returned unchanged.
    """
    seed = new_seed() if seed is None else seed
    with transaction.atomic():
        # The row first (two first clicks at once: one row), then hold it while rebuilding.
        Pairing.objects.get_or_create(week=week, room=room, defaults={"seed": seed})
        pairing = Pairing.objects.select_for_update().get(week=week, room=room)
        if pairing.locked:
            return pairing
        groups = make_groups(people_for(week, room), history_for(week), seed)
        pairing.seed = seed
        pairing.generated_by = by
        pairing.generated_at = timezone.now()
        pairing.save()
        pairing.groups.all().delete()
        PairGroup.objects.bulk_create(
            PairGroup.from_members(pairing, number, members)
            for number, members in enumerate(groups, start=1)
        )
        SessionTimer.touch(week, room)
        if in_session_window(week):
            # Pairs made in the room record who was there: the facilitator tapped the
            # absent, everyone else paired is present.
            Attendance.mark_present(week, [m for group in groups for m in group], by)
    return pairing
