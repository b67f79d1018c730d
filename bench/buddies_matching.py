"""Benchmark of the buddy matching round (bot.buddies.matching).

    .venv/bin/python bench/buddies_matching.py            # full run
    .venv/bin/python bench/buddies_matching.py --quick    # smaller sizes
    .venv/bin/python bench/buddies_matching.py --wishes 0.1  # rounds only, 10% wish

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
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from bot.buddies.matching import match_round
from bot.buddies.peer_matching import exact_peer_optimum, pair_peers
from bot.buddies.scoring import (
    AGE_BANDS,
    CONTACT_MODES,
    TIME_SLOTS,
    Candidate,
    _features,
    _fit,
    _forbid,
    _vocabularies,
)
from bot.buddies.volunteer_matching import assign_volunteers, exact_volunteer_optimum

T = TypeVar("T")

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


def with_wishes(people: list[Candidate], share: float, seed: int) -> list[Candidate]:
    """The same people with a gender and age band each (a few unsaid), and ``share`` of
    them wishing for a buddy's gender (mostly a woman) or age band (theirs and the next)."""
    rng = random.Random(seed)
    found = []
    for candidate in people:
        gender = rng.choices(["woman", "man", "nonbinary", "unsaid", ""], [55, 38, 2, 2, 3])[0]
        band = rng.randrange(len(AGE_BANDS))
        wish_gender: frozenset[str] = frozenset()
        wish_age: frozenset[str] = frozenset()
        if rng.random() < share:
            if rng.random() < 0.7:
                wish_gender = frozenset({"woman"})
            if rng.random() < 0.5:
                wish_age = frozenset(AGE_BANDS[band : band + 2])
        found.append(
            replace(
                candidate,
                gender=gender,
                age=AGE_BANDS[band],
                wish_gender=wish_gender,
                wish_age=wish_age,
            )
        )
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function: Callable[..., T], *args: Any) -> tuple[T, float]:
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def exact_optimum_rectangular(
    participants: list[Candidate], volunteers: list[Candidate], excluded: set[frozenset[int]]
) -> float:
    """The exact optimum of the volunteer round, without padding the matrix.

    ``exact_volunteer_optimum`` adds a zero column per seeker so anyone may stay
    unmatched, which makes the matrix seekers × (slots + seekers). scipy's
    ``linear_sum_assignment`` solves the rectangular seekers × slots matrix as it
    is; with negative profits raised to 0 (a pair worth less than nothing is the
    same as no pair) its optimum is the padded one's, on a matrix about a third
    the size.
    """
    seekers = [p for p in participants if p.kind in ("volunteer", "any")]
    slots = [v for v in volunteers for _ in range(v.capacity)]
    if not seekers or not slots:
        return 0.0
    vocabularies = _vocabularies(seekers, slots)
    left = _features(seekers, vocabularies)
    fit = _fit(left, slice(0, len(seekers)), _features(slots, vocabularies))
    _forbid(fit, [p.person_id for p in seekers], [v.person_id for v in slots], excluded)
    scores = fit.astype(np.float64) + left.fairness[:, None]
    profit = np.maximum(np.where(np.isfinite(scores), scores, 0.0), 0.0)
    rows, columns = linear_sum_assignment(profit, maximize=True)
    return float(profit[rows, columns].sum())


def volunteer_quality(sizes: list[tuple[int, int]], padded_up_to: int = 3000) -> None:
    """The auction against the exact optimum (rectangular assignment, the baseline).

    The padded solver (the earlier baseline) runs too up to ``padded_up_to``
    participants, to show both find the same optimum.
    """
    print("volunteer round (auction) vs exact optimum (rectangular linear_sum_assignment)")
    print(
        f"{'participants':>12} {'volunteers':>10} {'auction s':>9} {'exact s':>8} "
        f"{'exact/auction':>13} {'ratio':>8} {'padded s':>9} {'same optimum':>12}"
    )
    for participants, volunteers in sizes:
        seed = 7 if participants == 10_000 else participants  # the full round's pool
        people, helpers, excluded = pool(seed, participants, volunteers)
        found, seconds = timed(partial(assign_volunteers, exact=False), people, helpers, excluded)
        optimum, exact_seconds = timed(exact_optimum_rectangular, people, helpers, excluded)
        padded_text, same = "-", "-"
        if participants <= padded_up_to:
            padded, padded_seconds = timed(exact_volunteer_optimum, people, helpers, excluded)
            padded_text = f"{padded_seconds:.2f}"
            same = "yes" if abs(padded - optimum) <= 1e-6 * max(1.0, optimum) else "NO"
        total = sum(p.score for p in found)
        print(
            f"{participants:>12} {volunteers:>10} {seconds:>9.3f} {exact_seconds:>8.2f} "
            f"{exact_seconds / seconds:>12.1f}x {total / optimum:>8.4f} {padded_text:>9} "
            f"{same:>12}",
            flush=True,
        )


def peer_pool(size: int, kinds: list[str]) -> tuple[list[Candidate], set[frozenset[int]]]:
    rng = random.Random(size)
    peers = [person(rng, i, False) for i in range(size)]
    peers = [Candidate(**{**p.__dict__, "kind": rng.choice(kinds)}) for p in peers]
    excluded = {frozenset(rng.sample(range(size), 2)) for _ in range(size // 10)}
    return peers, excluded


def relaxation_bound(peers: list[Candidate], excluded: set[frozenset[int]]) -> float:
    """Half the best assignment where i may pick j while j picks k: at least the optimum."""
    vocabularies = _vocabularies(peers)
    features = _features(peers, vocabularies)
    fit = _fit(features, slice(0, len(peers)), features)
    ids = [p.person_id for p in peers]
    _forbid(fit, ids, ids, excluded)
    profit = fit.astype(np.float64) + features.fairness[:, None] + features.fairness[None, :]
    profit[~np.isfinite(profit)] = 0.0
    rows, columns = linear_sum_assignment(profit, maximize=True)
    return float(profit[rows, columns].sum()) / 2


def peer_quality(exact_sizes: list[int], bound_sizes: list[int]) -> None:
    print("peer pairing (grouped assignment relaxation) vs exact (blossom)")
    print(f"{'peers':>12} {'heuristic s':>11} {'exact s':>8} {'ratio':>8}")
    for size in exact_sizes:
        peers, excluded = peer_pool(size, ["peer", "any"])
        found, seconds = timed(partial(pair_peers, exact=False), peers, excluded)
        optimum, exact_seconds = timed(exact_peer_optimum, peers, excluded)
        total = sum(p.score for p in found)
        print(f"{size:>12} {seconds:>11.3f} {exact_seconds:>8.2f} {total / optimum:>8.4f}")
    print("peer pairing vs an upper bound (relaxation / 2; the optimum lies between)")
    print(f"{'peers':>12} {'heuristic s':>11} {'bound s':>8} {'ratio':>8}")
    for size in bound_sizes:
        peers, excluded = peer_pool(size, ["peer"])
        found, seconds = timed(partial(pair_peers, exact=False), peers, excluded)
        bound, bound_seconds = timed(relaxation_bound, peers, excluded)
        total = sum(p.score for p in found)
        print(f"{size:>12} {seconds:>11.3f} {bound_seconds:>8.2f} {total / bound:>8.4f}")


def full_round(participants: int, volunteers: int, runs: int, wishes: float = 0.0) -> None:
    people, helpers, excluded = pool(7, participants, volunteers)
    if wishes:
        people, helpers = with_wishes(people, wishes, 8), with_wishes(helpers, wishes, 9)
    slots = sum(v.capacity for v in helpers)
    for _ in range(runs):
        result, seconds = timed(match_round, people, helpers, excluded)
        volunteer_pairs = sum(1 for p in result.proposals if p.kind == "volunteer")
        print(
            f"round: {participants} waiting, {volunteers} volunteers ({slots} slots)"
            + (f", {wishes:.0%} with a wish: " if wishes else ": ")
            + f"{seconds:.2f} s, {volunteer_pairs} with volunteers, "
            f"{len(result.proposals) - volunteer_pairs} peer pairs, "
            f"{len(result.waiting)} still waiting"
        )


def peer_round(size: int, runs: int) -> None:
    peers, excluded = peer_pool(size, ["peer"])
    for _ in range(runs):
        found, seconds = timed(match_round, peers, [], excluded)
        print(
            f"peer round: {size} waiting (kind=peer): {seconds:.2f} s, {len(found.proposals)} pairs"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--volunteer-quality-only",
        action="store_true",
        help="only the volunteer round against its exact optimum (all sizes)",
    )
    parser.add_argument(
        "--wishes",
        type=float,
        default=0.0,
        help="only the full round, with this share of people wishing for a gender or age",
    )
    args = parser.parse_args()
    if args.wishes:
        full_round(10_000, 2_000, runs=3, wishes=args.wishes)
        return
    if args.volunteer_quality_only:
        volunteer_quality([(500, 100), (1000, 200), (2000, 400), (3000, 600), (10_000, 2_000)])
        return
    # The rounds come first so that the peak RSS is theirs, not the exact solvers'.
    if args.quick:
        full_round(2000, 400, runs=1)
        peer_round(1000, runs=1)
        print(f"peak RSS of the rounds: {peak_rss_mb():.0f} MB")
        volunteer_quality([(500, 100), (1000, 200)])
        peer_quality([200], [1000])
    else:
        full_round(10_000, 2_000, runs=3)
        peer_round(5_000, runs=3)
        print(f"peak RSS of the rounds: {peak_rss_mb():.0f} MB")
        volunteer_quality([(500, 100), (1000, 200), (2000, 400), (3000, 600), (10_000, 2_000)])
        peer_quality([100, 200, 300], [1000, 2000, 5000])


if __name__ == "__main__":
    main()
