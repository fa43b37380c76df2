"""Pairing: everyone in exactly one group, at most one trio, deterministic, and no repeats
whenever a repeat-free arrangement exists (checked against brute force)."""

from itertools import combinations

import networkx as nx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from discussions import pairing
from discussions.models import Attendance, Pairing
from discussions.pairing import (
    PastGroup,
    Person,
    Weights,
    count_repeats,
    explaining_order,
    make_groups,
    pair_key,
    pairings_in,
    turns,
)

LEVELS = ["new", "some", "experienced"]


@st.composite
def sessions(draw, min_people=0, max_people=14, max_weeks=6):
    """People with experience levels, and earlier sessions' groups among some of them."""
    levels = draw(st.lists(st.sampled_from(LEVELS), min_size=min_people, max_size=max_people))
    people = [Person(id=10 + i, experience=level) for i, level in enumerate(levels)]
    ids = [person.id for person in people]
    history = []
    for weeks_ago in range(1, draw(st.integers(0, max_weeks)) + 1):
        order = draw(st.permutations(ids))
        present = order[: draw(st.integers(0, len(order)))]
        groups = [tuple(present[i : i + 2]) for i in range(0, len(present) - 1, 2)]
        if len(present) % 2 and groups:
            groups[-1] += (present[-1],)
        history += [PastGroup(weeks_ago, group) for group in groups]
    seed = draw(st.integers(0, 2**31))
    return people, history, seed


def arrangements(ids):
    """Every split of `ids` into pairs, plus one trio when the count is odd (brute force)."""
    if not ids:
        yield []
        return
    if len(ids) == 1:
        yield [tuple(ids)]
        return
    if len(ids) == 3:
        yield [tuple(ids)]
        return
    first, rest = ids[0], ids[1:]
    for partner in rest:
        remaining = [x for x in rest if x != partner]
        if len(remaining) != 1:
            for tail in arrangements(remaining):
                yield [(first, partner), *tail]
    if len(ids) % 2:
        for a, b in combinations(rest, 2):
            remaining = [x for x in rest if x not in (a, b)]
            for tail in arrangements(remaining):
                if all(len(group) == 2 for group in tail):
                    yield [(first, a, b), *tail]


def check_shape(groups, people):
    members = [member for group in groups for member in group]
    assert sorted(members) == sorted(person.id for person in people), "everyone exactly once"
    sizes = sorted(len(group) for group in groups)
    if len(people) == 1:
        assert sizes == [1]
    elif people:
        assert set(sizes) <= {2, 3}
        assert sizes.count(3) == len(people) % 2, "a trio exactly when the count is odd"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions())
def test_everyone_is_in_exactly_one_group_of_two_or_one_trio(session):
    people, history, seed = session
    check_shape(make_groups(people, history, seed), people)


@settings(max_examples=60, deadline=None)
@given(sessions(max_people=11))
def test_same_seed_same_groups_whatever_the_input_order(session):
    people, history, seed = session
    first = make_groups(people, history, seed)
    assert make_groups(list(reversed(people)), list(reversed(history)), seed) == first
    assert make_groups(people, history, seed) == first


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(min_people=2, max_people=9, max_weeks=5))
def test_fewest_possible_repeats_checked_by_brute_force(session):
    people, history, seed = session
    groups = make_groups(people, history, seed)
    ids = sorted(person.id for person in people)
    fewest = min(count_repeats(option, history) for option in arrangements(ids))
    assert count_repeats(groups, history) == fewest
    if fewest == 0:
        assert count_repeats(groups, history) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(min_people=2, max_people=8, max_weeks=4))
def test_small_groups_get_the_best_arrangement_on_every_level(session):
    """Up to 17 people every trio is tried, so the result is the exact optimum."""
    people, history, seed = session
    weights = Weights(people, history, seed)
    groups = make_groups(people, history, seed)
    ids = sorted(person.id for person in people)
    best = max(sum(weights.group_weight(g) for g in option) for option in arrangements(ids))
    assert sum(weights.group_weight(group) for group in groups) == best


def test_repeat_free_week_after_week_while_possible():
    """Eight people can meet seven different partners: seven repeat-free weeks."""
    people = [Person(i, LEVELS[i % 3]) for i in range(8)]
    history = []
    for week in range(1, 8):
        groups = make_groups(people, [PastGroup(week - w, g) for w, g in history], seed=week)
        assert count_repeats(groups, [PastGroup(1, g) for _, g in history]) == 0, week
        history += [(week, group) for group in groups]
    met = {pair for _, group in history for pair in pairings_in(group)}
    assert len(met) == 28  # everyone has met everyone


def test_recent_partners_are_avoided_more_than_old_ones():
    # Four people who have all met: 0–1 and 2–3 last week, 0–2 and 1–3 five weeks ago,
    # 0–3 and 1–2 six weeks ago. Every arrangement repeats; the oldest one should win.
    people = [Person(i) for i in range(4)]
    history = [
        PastGroup(1, (0, 1)),
        PastGroup(1, (2, 3)),
        PastGroup(5, (0, 2)),
        PastGroup(5, (1, 3)),
        PastGroup(6, (0, 3)),
        PastGroup(6, (1, 2)),
    ]
    for seed in range(20):
        groups = make_groups(people, history, seed)
        assert {frozenset(g) for g in groups} == {frozenset((0, 3)), frozenset((1, 2))}


def test_experience_levels_are_mixed():
    people = [
        Person(1, "new"),
        Person(2, "new"),
        Person(3, "experienced"),
        Person(4, "experienced"),
    ]
    for seed in range(20):
        for group in make_groups(people, [], seed):
            levels = {person.experience for person in people if person.id in group}
            assert levels == {"new", "experienced"}


def test_odd_count_makes_one_trio_and_leaves_nobody_out():
    people = [Person(i) for i in range(7)]
    groups = make_groups(people, [], seed=3)
    assert sorted(len(group) for group in groups) == [2, 2, 3]
    assert groups[-1] == max(groups, key=len), "the trio gets the last table"
    assert make_groups([Person(1)], [], 0) == [(1,)]
    assert make_groups([], [], 0) == []


def test_who_explains_first_alternates():
    history = [PastGroup(1, (1, 2))]  # 1 explained first last week
    assert explaining_order((1, 3), history, seed=0)[0] == 3
    assert explaining_order((3, 1), history, seed=99)[0] == 3
    # Two people who both explained first last week: whoever did so less often overall.
    history = [PastGroup(1, (1, 5)), PastGroup(1, (2, 6)), PastGroup(2, (1, 7))]
    assert explaining_order((1, 2), history, seed=0) == (2, 1)


def test_turns_alternate_in_pairs_and_rotate_in_a_trio():
    # (prompt, explainer, listener)
    assert turns(2, 3) == [(0, 0, 1), (1, 1, 0), (2, 0, 1)]
    assert turns(3, 3) == [(0, 0, 1), (1, 1, 2), (2, 2, 0)]
    assert turns(1, 2) == [(0, 0, None), (1, 0, None)]
    assert turns(2, 0) == []


def test_every_member_of_a_trio_explains_even_with_fewer_prompts():
    # Two prompts: the trio takes a third turn on the first prompt, so C explains too.
    assert turns(3, 2) == [(0, 0, 1), (1, 1, 2), (0, 2, 0)]
    assert turns(3, 1) == [(0, 0, 1), (0, 1, 2), (0, 2, 0)]
    # The pairs in the same room follow the room's three turns: A, B, then A again.
    assert turns(2, 2, rounds=3) == [(0, 0, 1), (1, 1, 0), (0, 0, 1)]
    for prompts in range(1, 6):
        explainers = {slot.explainer for slot in turns(3, prompts)}
        assert explainers == {0, 1, 2}


# --- The heaviest arrangement, checked against plain searches --------------------------


def heaviest_pairs_by_networkx(weights, ids):
    """networkx.max_weight_matching on every pairing of `ids` (an even number)."""
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_weighted_edges_from((u, v, weights.weight(u, v)) for u, v in combinations(ids, 2))
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    assert 2 * len(matching) == len(ids)
    return sum(weights.weight(u, v) for u, v in matching)


def heaviest_with_a_trio_by_trying_every_merge(weights):
    """The exhaustive trio search, as (weight, groups): for every two people (t, a), one
    node standing for both, whose pairing with a third person b weighs
    weight(t, b) + weight(a, b); the heaviest matching with it; the best over all (t, a)."""
    ids, merged, best = weights.ids, -1, (None, None)
    for t, a in combinations(ids, 2):
        rest = [u for u in ids if u not in (t, a)]
        graph = nx.Graph()
        graph.add_weighted_edges_from(
            (u, v, weights.weight(u, v)) for u, v in combinations(rest, 2)
        )
        graph.add_weighted_edges_from(
            (merged, b, weights.weight(t, b) + weights.weight(a, b)) for b in rest
        )
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        total = weights.weight(t, a) + sum(graph[u][v]["weight"] for u, v in matching)
        if best[0] is None or total > best[0]:
            groups = [
                (u, v) if merged not in (u, v) else (t, a, u + v - merged) for u, v in matching
            ]
            best = (total, groups)
    return best


def total_weight(groups, weights):
    return sum(weights.group_weight(group) for group in groups)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(min_people=2, max_people=40, max_weeks=14))
def test_an_even_count_gets_the_heaviest_pairs_as_networkx_finds_them(session):
    people, history, seed = session
    people = people[: len(people) // 2 * 2]
    weights = Weights(people, history, seed)
    groups = make_groups(people, history, seed)
    check_shape(groups, people)
    assert total_weight(groups, weights) == heaviest_pairs_by_networkx(weights, weights.ids)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(min_people=3, max_people=15, max_weeks=14))
def test_an_odd_count_gets_what_the_exhaustive_trio_search_gets(session):
    people, history, seed = session
    people = people[: (len(people) - 1) // 2 * 2 + 1]
    weights = Weights(people, history, seed)
    groups = make_groups(people, history, seed)
    check_shape(groups, people)
    best_weight, best_groups = heaviest_with_a_trio_by_trying_every_merge(weights)
    check_shape(best_groups, people)
    assert total_weight(groups, weights) == best_weight
    assert count_repeats(groups, history) == count_repeats(best_groups, history)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(min_people=20, max_people=60, max_weeks=14), st.data())
def test_the_relaxation_bounds_every_pairing_and_is_tight_on_its_own_answer(session, data):
    """From 20 people on, some pairings outside everyone's first few partners need pricing."""
    people, history, seed = session
    weights = Weights(people, history, seed)
    matrix, n = weights.matrix, len(weights.ids)
    relaxation = pairing._Relaxation(matrix, range(n), weights.kind)
    gone = data.draw(st.sets(st.integers(0, n - 1), max_size=3))
    if n - len(gone) == 1:
        gone.discard(min(gone))
    for current, left in [
        (relaxation, list(range(n))),
        (relaxation.without(gone), sorted(set(range(n)) - gone)),
    ]:
        assert current.people == left
        duals = current.duals()
        for i, j in combinations(left, 2):
            assert duals[i] + duals[j] >= 2 * matrix[i][j]
        assert sorted(current.column_of[i] for i in left) == left, "a permutation of them"
        assert current.bound() == sum(matrix[i][current.column_of[i]] for i in left)


@st.composite
def weight_matrices(draw, min_size=2, max_size=12, top=60):
    """A symmetric matrix of small positive weights: many ties and far-off optima."""
    n = draw(st.integers(min_size, max_size))
    matrix = [[0] * n for _ in range(n)]
    for i, j in combinations(range(n), 2):
        matrix[i][j] = matrix[j][i] = draw(st.integers(1, top))
    return matrix


class PlainWeights:
    """A bare matrix in the shape _best_trio_arrangement reads: everyone of one kind."""

    def __init__(self, matrix):
        self.matrix = matrix
        self.kind = [0] * len(matrix)
        self.kind_ceiling = [[max(max(row) for row in matrix)]]
        self.ids = list(range(len(matrix)))

    def weight(self, u, v):
        return self.matrix[u][v]

    def group_weight(self, group):
        return sum(self.matrix[u][v] for u, v in pairings_in(group))


# Its relaxation has an odd cycle, and the first few pairings added back already allow
# whole pairs that are not the heaviest.
FAR_OFF = [
    [0, 38, 35, 10, 90, 77, 54, 85],
    [38, 0, 90, 77, 75, 13, 79, 52],
    [35, 90, 0, 77, 15, 10, 39, 4],
    [10, 77, 77, 0, 32, 70, 70, 65],
    [90, 75, 15, 32, 0, 16, 79, 94],
    [77, 13, 10, 70, 16, 0, 91, 82],
    [54, 79, 39, 70, 79, 91, 0, 50],
    [85, 52, 4, 65, 94, 82, 50, 0],
]


def uneven_split(crowd, few):
    """Everyone's best partners are on the other side of an uneven split: the first
    partners the relaxation looks at cannot pair everyone, so it must look further."""
    n = crowd + few
    matrix = [[0] * n for _ in range(n)]
    for i, j in combinations(range(n), 2):
        if j < crowd:
            weight = 50 + (i + j) % 5
        elif i >= crowd:
            weight = 10
        else:
            weight = 100 + (i * j) % 7
        matrix[i][j] = matrix[j][i] = weight
    return matrix


@settings(max_examples=150, deadline=None)
@given(weight_matrices())
@example(FAR_OFF)
@example([row[:7] for row in FAR_OFF[:7]])
@example(uneven_split(14, 10))
@example(uneven_split(13, 10))
def test_any_matrix_gets_the_heaviest_arrangement(matrix):
    weights = PlainWeights(matrix)
    if len(matrix) % 2 == 0:
        relaxation = pairing._Relaxation(matrix, weights.ids, weights.kind)
        groups = pairing._best_pairs(relaxation)
        assert total_weight(groups, weights) == heaviest_pairs_by_networkx(weights, weights.ids)
    else:
        groups = pairing._best_trio_arrangement(weights)
        best_weight, _ = heaviest_with_a_trio_by_trying_every_merge(weights)
        assert total_weight(groups, weights) == best_weight
    assert sorted(member for group in groups for member in group) == weights.ids


def test_an_odd_cycle_in_the_relaxation_is_still_paired_at_the_best():
    # Everyone has met everyone except inside {0, 1, 2} and inside {3, 4, 5}: halves around
    # the two triangles would be repeat-free, whole pairs cannot be.
    people = [Person(i, LEVELS[i % 3]) for i in range(6)]
    fresh = {(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)}
    history = [PastGroup(2, pair) for pair in combinations(range(6), 2) if pair not in fresh]
    weights = Weights(people, history, seed=4)
    relaxation = pairing._Relaxation(weights.matrix, range(6), weights.kind)
    assert relaxation.pairs() is None, "the relaxation's answer has an odd cycle"
    groups = make_groups(people, history, seed=4)
    assert total_weight(groups, weights) == max(
        total_weight(option, weights) for option in arrangements(list(range(6)))
    )
    assert count_repeats(groups, history) == 1


def round_robin(ids):
    """Rounds in which everyone meets everyone else once (the circle method)."""
    ids = list(ids)
    rounds = []
    for _ in range(len(ids) - 1):
        rounds.append([pair_key(ids[i], ids[-1 - i]) for i in range(len(ids) // 2)])
        ids = [ids[0], ids[-1], *ids[1:-1]]
    return rounds


@pytest.mark.parametrize("present", [120, 119])
def test_a_large_cohort_stays_repeat_free_after_eleven_weeks(present):
    people = [Person(i, LEVELS[i % 3]) for i in range(120)]
    rounds = round_robin(person.id for person in people)
    history = [PastGroup(11 - week, pair) for week in range(11) for pair in rounds[week]]
    groups = make_groups(people[:present], history, seed=present)
    check_shape(groups, people[:present])
    assert count_repeats(groups, history) == 0


# --- Stored pairings --------------------------------------------------------------------


@pytest.mark.django_db
def test_generate_pairs_the_people_present_and_is_reproducible(week_in_session, participants):
    absent = participants[1]
    Attendance.objects.create(week=week_in_session, user=absent, present=False)
    first = pairing.generate(week_in_session, seed=1234)
    groups = [group.member_ids for group in first.groups.all()]
    paired = sorted(member for group in groups for member in group)
    assert paired == sorted(user.pk for user in participants if user != absent)
    assert sorted(len(group) for group in groups) == [2, 3]
    again = pairing.generate(week_in_session, seed=1234)
    assert again.pk == first.pk
    assert [group.member_ids for group in again.groups.all()] == groups


@pytest.mark.django_db
def test_history_comes_from_earlier_weeks_of_the_same_cohort(
    cohort, other_cohort, week_in_session, participants
):
    later = cohort.weeks.get(number=3)
    pairing.generate(week_in_session, seed=1)
    pairing.generate(later, seed=2)
    week_two = cohort.weeks.get(number=2)
    history = pairing.history_for(week_two)
    assert {past.weeks_ago for past in history} == {1}
    assert sum(len(past.members) for past in history) == len(participants)
    assert pairing.history_for(other_cohort.weeks.get(number=2)) == []
    # Week two avoids week one's partners.
    groups = [g.member_ids for g in pairing.generate(week_two, seed=5).groups.all()]
    assert count_repeats(groups, history) == 0


@pytest.mark.django_db
def test_locked_pairing_is_not_regenerated_or_swapped(week_in_session, participants):
    result = pairing.generate(week_in_session, seed=7)
    before = [group.member_ids for group in result.groups.all()]
    result.locked = True
    result.save()
    assert pairing.generate(week_in_session, seed=8).seed == 7
    assert not result.swap(before[0][0], before[1][0])
    assert [group.member_ids for group in result.groups.all()] == before


@pytest.mark.django_db
def test_swap_between_groups_and_within_a_group(week_in_session, participants):
    result = pairing.generate(week_in_session, seed=11)
    groups = [group.member_ids for group in result.groups.all()]
    a, b = groups[0][0], groups[1][1]
    assert result.swap(a, b)
    after = [group.member_ids for group in Pairing.objects.get(pk=result.pk).groups.all()]
    assert after[0][0] == b and after[1][1] == a
    # Two people at one table: who explains first changes.
    first, second = after[0][0], after[0][1]
    assert result.swap(first, second)
    flipped = Pairing.objects.get(pk=result.pk).groups.first().member_ids
    assert flipped[:2] == (second, first)
    assert not result.swap(first, 999_999)
