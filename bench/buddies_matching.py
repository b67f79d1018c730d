"""Benchmark of the buddy matching round (bot.buddies.matching).

    .venv/bin/python bench/buddies_matching.py            # full run
    .venv/bin/python bench/buddies_matching.py --quick    # smaller sizes

Prints, for seeded realistic random pools: the time of a round, the total
score against the exact optimum where an exact solver is affordable, and the
peak memory (RSS) of the process.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.buddies.matching import (
    CONTACT_MODES,
    TIME_SLOTS,
    Candidate,
    assign_volunteers,
    exact_peer_optimum,
    exact_volunteer_optimum,
    match_round,
    pair_peers,
)

INTERESTS = [
    "walks", "cooking", "baking", "knitting", "music", "football", "reading", "films",
    "gardening", "chess", "cards", "history", "nature", "dogs", "cats", "travel", "art",
    "photography", "fishing", "cycling", "games", "crafts", "theatre", "singing", "religion",
    "politics", "science", "computers", "birds", "coffee",
]  # fmt: skip
SECOND_LANGUAGES = [("en", 0.55), ("de", 0.08), ("sv", 0.05), ("nb", 0.05)]
FIRST_LANGUAGES = [
    ("da", 0.62), ("nb", 0.08), ("ar", 0.08), ("uk", 0.05), ("fa", 0.04), ("so", 0.03),
    ("tr", 0.03), ("pl", 0.03), ("en", 0.04),
]  # fmt: skip


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w for w, _ in weighted], [p for _, p in weighted])[0]


def person(rng: random.Random, person_id: int, volunteer: bool) -> Candidate:
    first = "da" if volunteer and rng.random() < 0.8 else _pick(rng, FIRST_LANGUAGES)
    languages = {first}
    for language, chance in SECOND_LANGUAGES:
        if rng.random() < chance:
            languages.add(language)
    if first not in ("da", "nb") and rng.random() < 0.5:
        languages.add("da")
    weights = [1.0 / (i + 1) for i in range(len(INTERESTS))]
    interests = set(rng.choices(INTERESTS, weights, k=rng.randint(0, 5)))
    times = set(rng.sample(TIME_SLOTS, rng.randint(1, 4)))
    contact = set(rng.sample(CONTACT_MODES, rng.randint(1, 3)))
    kind = rng.choices(["volunteer", "any", "peer"], [0.5, 0.35, 0.15])[0]
    return Candidate(
        person_id=person_id,
        languages=frozenset(languages),
        times=frozenset(times),
        contact=frozenset(contact),
        interests=frozenset(interests),
        kind=kind,
        waited_days=0.0 if volunteer else rng.expovariate(1 / 10),
        capacity=rng.randint(1, 3) if volunteer else 1,
    )


def pool(
    seed: int, participants: int, volunteers: int
) -> tuple[list[Candidate], list[Candidate], set[frozenset[int]]]:
    rng = random.Random(seed)
    people = [person(rng, i, False) for i in range(participants)]
    helpers = [person(rng, 1_000_000 + i, True) for i in range(volunteers)]
    everyone = [p.person_id for p in people] + [v.person_id for v in helpers]
    excluded = {
        frozenset(rng.sample(everyone, 2)) for _ in range((participants + volunteers) // 10)
    }
    return people, helpers, excluded


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def volunteer_quality(sizes: list[tuple[int, int]]) -> None:
    print("volunteer round vs exact optimum (dense linear_sum_assignment)")
    print(f"{'participants':>12} {'volunteers':>10} {'pruned s':>9} {'exact s':>8} {'ratio':>8}")
    for participants, volunteers in sizes:
        people, helpers, excluded = pool(participants, participants, volunteers)
        pruned, seconds = timed(partial(assign_volunteers, exact=False), people, helpers, excluded)
        optimum, exact_seconds = timed(exact_volunteer_optimum, people, helpers, excluded)
        total = sum(p.score for p in pruned)
        print(
            f"{participants:>12} {volunteers:>10} {seconds:>9.3f} {exact_seconds:>8.2f} "
            f"{total / optimum:>8.4f}"
        )


def peer_quality(sizes: list[int]) -> None:
    print("peer pairing (greedy + exchanges on best neighbours) vs exact (blossom)")
    print(f"{'peers':>12} {'heuristic s':>11} {'exact s':>8} {'ratio':>8}")
    for size in sizes:
        rng = random.Random(size)
        peers = [person(rng, i, False) for i in range(size)]
        peers = [Candidate(**{**p.__dict__, "kind": rng.choice(["peer", "any"])}) for p in peers]
        excluded = {frozenset(rng.sample(range(size), 2)) for _ in range(size // 10)}
        found, seconds = timed(partial(pair_peers, exact=False), peers, excluded)
        optimum, exact_seconds = timed(exact_peer_optimum, peers, excluded)
        total = sum(p.score for p in found)
        print(f"{size:>12} {seconds:>11.3f} {exact_seconds:>8.2f} {total / optimum:>8.4f}")


def full_round(participants: int, volunteers: int) -> None:
    people, helpers, excluded = pool(7, participants, volunteers)
    slots = sum(v.capacity for v in helpers)
    result, seconds = timed(match_round, people, helpers, excluded)
    volunteer_pairs = sum(1 for p in result.proposals if p.kind == "volunteer")
    print(
        f"round: {participants} waiting, {volunteers} volunteers ({slots} slots): "
        f"{seconds:.2f} s, {volunteer_pairs} with volunteers, "
        f"{len(result.proposals) - volunteer_pairs} peer pairs, "
        f"{len(result.waiting)} still waiting"
    )


def peer_round(size: int) -> None:
    rng = random.Random(size)
    peers = [Candidate(**{**person(rng, i, False).__dict__, "kind": "peer"}) for i in range(size)]
    excluded = {frozenset(rng.sample(range(size), 2)) for _ in range(size // 10)}
    found, seconds = timed(match_round, peers, [], excluded)
    print(f"peer round: {size} waiting (kind=peer): {seconds:.2f} s, {len(found.proposals)} pairs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        volunteer_quality([(500, 100), (1000, 200)])
        peer_quality([200, 400])
        full_round(2000, 400)
        peer_round(1000)
    else:
        volunteer_quality([(500, 100), (1000, 200), (2000, 400), (3000, 600)])
        peer_quality([100, 200, 300])
        full_round(10_000, 2_000)
        peer_round(5_000)
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
