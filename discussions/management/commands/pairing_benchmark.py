"""Simulate a cohort's sessions and compare repeated pairings: matching vs. random pairs.

    manage.py pairing_benchmark                 # 16 people, 12 weeks, 80% attendance, 20 runs
    manage.py pairing_benchmark --people 20 --weeks 12 --attendance 0.75 --runs 50

With --timing it times make_groups instead: for each of --sizes people (default 200, 199,
40 and 41), with --history-weeks weeks of history (default 11; each week the people
present, at --attendance, were grouped at random), over --timing-runs seeds:

    manage.py pairing_benchmark --timing
    manage.py pairing_benchmark --timing --sizes 120 121 --history-weeks 20

Nothing touches the database. This is a report, not a timed test.
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from discussions.pairing import (
    EXPERIENCE_RANK,
    PastGroup,
    Person,
    count_repeats,
    make_groups,
    pairings_in,
)


def random_groups(people, rng):
    """The baseline: shuffle and cut into pairs, the odd one out joining the last pair."""
    ids = [person.id for person in people]
    rng.shuffle(ids)
    groups = [tuple(ids[i : i + 2]) for i in range(0, len(ids) - 1, 2)]
    if len(ids) % 2:
        if groups:
            groups[-1] = groups[-1] + (ids[-1],)
        else:
            groups = [(ids[-1],)]
    return groups


def simulate(strategy, people, weeks, attendance, rng):
    """One cohort; returns (repeats, most meetings of one pair, mixed share, alternation share)."""
    history = []  # PastGroup, weeks_ago relative to the session being paired
    log = []  # (week, group)
    repeats = 0
    for week in range(1, weeks + 1):
        present = [person for person in people if rng.random() < attendance]
        if len(present) < 2:
            continue
        history = [PastGroup(week - w, group) for w, group in log]
        if strategy == "matching":
            groups = make_groups(present, history, seed=rng.randrange(2**31))
        else:
            groups = random_groups(present, rng)
        repeats += count_repeats(groups, history)
        log.extend((week, group) for group in groups)
    met = {}
    for _, group in log:
        for pair in pairings_in(group):
            met[pair] = met.get(pair, 0) + 1
    rank = {person.id: EXPERIENCE_RANK[person.experience] for person in people}
    pairings = [pair for _, group in log for pair in pairings_in(group)]
    mixed = sum(rank[a] != rank[b] for a, b in pairings) / max(1, len(pairings))
    # Alternation: of the people who explained first in one session, how many went
    # second at their next session.
    last_first, switched, chances = {}, 0, 0
    for _, group in log:
        for position, member in enumerate(group):
            if last_first.get(member):
                chances += 1
                switched += position != 0
            last_first[member] = position == 0
    return repeats, max(met.values(), default=0), mixed, switched / max(1, chances)


class Command(BaseCommand):
    help = "Simulate a cohort and print repeated pairings: max-weight matching vs. random."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=16)
        parser.add_argument("--weeks", type=int, default=12)
        parser.add_argument("--attendance", type=float, default=0.8)
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--timing", action="store_true", help="Time make_groups instead.")
        parser.add_argument("--sizes", type=int, nargs="+", default=[200, 199, 40, 41])
        parser.add_argument("--history-weeks", type=int, default=11)
        parser.add_argument("--timing-runs", type=int, default=3)

    def handle(self, *args, people, weeks, attendance, runs, seed, **options):
        if options["timing"]:
            self.timing(
                options["sizes"], options["history_weeks"], attendance, options["timing_runs"], seed
            )
            return
        if people < 2 or weeks < 1 or runs < 1 or not 0 < attendance <= 1:
            raise CommandError("Need at least 2 people, 1 week, 1 run and 0 < attendance ≤ 1.")
        levels = list(EXPERIENCE_RANK)
        results = {"matching": [], "random": []}
        started = time.perf_counter()
        for run in range(runs):
            level_rng = random.Random(f"{seed}:levels:{run}")
            cohort = [Person(i, level_rng.choice(levels)) for i in range(1, people + 1)]
            for strategy in results:
                # Both strategies see the same attendance, week by week.
                rng = random.Random(f"{seed}:{run}")
                results[strategy].append(simulate(strategy, cohort, weeks, attendance, rng))
        elapsed = time.perf_counter() - started

        self.stdout.write(
            f"{runs} simulated cohorts: {people} people, {weeks} weeks, "
            f"{attendance:.0%} attendance (seed {seed})\n"
        )
        header = (
            f"{'strategy':<10} {'repeats/cohort':>15} {'min':>5} {'max':>5} "
            f"{'most meetings':>14} {'mixed levels':>13} {'A→B next time':>14}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for strategy, rows in results.items():
            repeats = [row[0] for row in rows]
            self.stdout.write(
                f"{strategy:<10} {statistics.mean(repeats):>15.1f} {min(repeats):>5} "
                f"{max(repeats):>5} {max(row[1] for row in rows):>14} "
                f"{statistics.mean(row[2] for row in rows):>13.0%} "
                f"{statistics.mean(row[3] for row in rows):>14.0%}"
            )
        self.stdout.write(
            "\nrepeats: pairings that had happened in an earlier week (a trio holds three); "
            "most meetings: the most times any two people were grouped; A→B next time: of "
            "those who explained first, how many went second at their next session."
        )
        self.stdout.write(f"Took {elapsed:.1f} s.")

    def timing(self, sizes, history_weeks, attendance, runs, seed):
        if min(sizes) < 2 or history_weeks < 0 or runs < 1 or not 0 < attendance <= 1:
            raise CommandError("Need at least 2 people, 1 run and 0 < attendance ≤ 1.")
        self.stdout.write(
            f"make_groups with {history_weeks} weeks of history ({attendance:.0%} attendance, "
            f"grouped at random), {runs} seeds per size (seed {seed})\n"
        )
        header = (
            f"{'people':>6} {'wall median':>12} {'wall max':>9} {'CPU median':>11} "
            f"{'CPU max':>8} {'repeats':>8}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for size in sizes:
            rng = random.Random(f"{seed}:timing:{size}")
            levels = list(EXPERIENCE_RANK)
            cohort = [Person(i, rng.choice(levels)) for i in range(1, size + 1)]
            history = []
            for weeks_ago in range(history_weeks, 0, -1):
                present = [person for person in cohort if rng.random() < attendance]
                history += [PastGroup(weeks_ago, group) for group in random_groups(present, rng)]
            wall, cpu, repeats = [], [], []
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                groups = make_groups(cohort, history, seed=rng.randrange(2**31))
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                repeats.append(count_repeats(groups, history))
            self.stdout.write(
                f"{size:>6} {statistics.median(wall):>11.3f}s {max(wall):>8.3f}s "
                f"{statistics.median(cpu):>10.3f}s {max(cpu):>7.3f}s {max(repeats):>8}"
            )
        self.stdout.write(
            "\nwall: elapsed time (other processes on the machine slow it down); CPU: time this "
            "process spent computing; repeats: the most repeated pairings in one run."
        )
