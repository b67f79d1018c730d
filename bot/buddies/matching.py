"""Who is proposed to whom: a pure function of the waiting pool.

Rules (never broken): a pair shares at least one language; a volunteer gets
no more new buddies than their free capacity; people who blocked each other
or were paired before (in any outcome) are never proposed again; a
participant who asked for a volunteer gets a volunteer, one who asked for a
peer gets a peer, ``any`` may get either.

The score adds shared free times, shared contact modes and shared interests
to a base of one, plus a fairness bonus that grows with the days someone has
waited, so long waits win ties and nobody waits forever.

Method. Scores are computed for all pairs at once: each person's times,
contact modes and interests are rows of 0/1 columns, so what two people share
is one matrix product (float32 holds these half-unit sums exactly), and pairs
without a shared language, excluded pairs and anyone with themself are set
to -inf.

The volunteer round assigns participants to volunteer capacity so that the
total score is largest. Up to ``EXACT_EDGE_LIMIT`` possible pairs it is
solved exactly (scipy's sparse LAPJV on capacity slots). Beyond that it is a
forward auction on the full score matrix (``_auction``): participants bid for
volunteers, each bid raising a slot's price by the bidder's margin over their
next best option plus ``AUCTION_STEP``; vectorised, one round handles every
bidder at once. The result is within ``AUCTION_STEP`` per slot of the optimum
by construction and, on the benchmark pools, within 0.3% of it. Prices start
at ``AUCTION_START_PRICE`` times the worth of the marginal participant (most
rounds otherwise only raise prices from zero towards it); if that head start
overshoots, the auction starts again from zero.

Participants left over who accept a peer are then paired among themselves:
exactly (blossom algorithm) up to ``PEER_EXACT_LIMIT`` people; beyond that in
groups of at most ``PEER_CHUNK`` people placed by their most widely spoken
language. In each group the assignment relaxation (everyone picks one
partner; i may pick j while j picks k) is solved exactly by
``linear_sum_assignment``; its picks form paths and cycles, and the best
pairing along each one is found by dynamic programming, which keeps the full
share of every even cycle. People left unpaired (odd cycles, or nobody in
their group) are paired greedily across groups. ``bench/buddies_matching.py``
reports the quality of both against the exact optimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
    min_weight_full_bipartite_matching,
)

KINDS = ("volunteer", "peer", "any")
TIME_SLOTS = (
    "weekday-morning",
    "weekday-afternoon",
    "weekday-evening",
    "weekend-morning",
    "weekend-afternoon",
    "weekend-evening",
)
CONTACT_MODES = ("text", "voice", "video")

TIME_WEIGHT = 2.0
CONTACT_WEIGHT = 1.5
INTEREST_WEIGHT = 1.0
INTEREST_CAP = 5
BASE_SCORE = 1.0
FAIRNESS_PER_DAY = 0.25
FAIRNESS_CAP_DAYS = 60.0

EXACT_EDGE_LIMIT = 400_000
AUCTION_STEP = 0.5
AUCTION_START_PRICE = 0.5
AUCTION_SETTLING = 4
PEER_EXACT_LIMIT = 60
PEER_CANDIDATES = 12
BLOCK_ROWS = 1024
PEER_CHUNK = 500


@dataclass(frozen=True)
class Candidate:
    """Someone in the pool, as matching sees them (no names, no free text)."""

    person_id: int
    languages: frozenset[str]
    times: frozenset[str] = frozenset()
    contact: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    kind: str = "any"  # what a participant asked for; ignored for volunteers
    waited_days: float = 0.0
    capacity: int = 1  # free slots, for volunteers


@dataclass(frozen=True)
class Proposal:
    """A pair to propose: the participant and the volunteer or peer."""

    participant: int
    partner: int
    kind: str  # "volunteer" or "peer"
    score: float


@dataclass
class RoundResult:
    """What a round decided, and why the others still wait."""

    proposals: list[Proposal] = field(default_factory=list)
    waiting: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return float(sum(p.score for p in self.proposals))

    def reasons(self) -> Counter[tuple[str, str]]:
        """How many wait for each (reason, detail), e.g. ("no_volunteer_language", "ar")."""
        return Counter(self.waiting.values())


def fairness(candidate: Candidate) -> float:
    return FAIRNESS_PER_DAY * min(max(candidate.waited_days, 0.0), FAIRNESS_CAP_DAYS)


def pair_score(participant: Candidate, partner: Candidate, partner_is_peer: bool) -> float | None:
    """The score of one pair, or None when the rules forbid it (exclusions aside)."""
    if participant.person_id == partner.person_id:
        return None
    if not participant.languages & partner.languages:
        return None
    if partner_is_peer:
        if participant.kind == "volunteer" or partner.kind == "volunteer":
            return None
    elif participant.kind == "peer":
        return None
    score = (
        BASE_SCORE
        + TIME_WEIGHT * len(participant.times & partner.times)
        + CONTACT_WEIGHT * len(participant.contact & partner.contact)
        + INTEREST_WEIGHT * min(len(participant.interests & partner.interests), INTEREST_CAP)
        + fairness(participant)
    )
    if partner_is_peer:
        score += fairness(partner)
    return score


# ---------------------------------------------------------------- vectorised scores


@dataclass
class _Features:
    languages: NDArray[np.float32]
    times: NDArray[np.float32]
    contact: NDArray[np.float32]
    interests: NDArray[np.float32]
    fairness: NDArray[np.float64]


def _one_hot(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> NDArray[np.float32]:
    rows: list[int] = []
    columns: list[int] = []
    for row, values in enumerate(sets):
        for value in values:
            column = vocabulary.get(value)
            if column is not None:
                rows.append(row)
                columns.append(column)
    matrix = np.zeros((len(sets), max(len(vocabulary), 1)), dtype=np.float32)
    matrix[rows, columns] = 1.0
    return matrix


def _vocabulary(groups: Iterable[Sequence[Candidate]], attribute: str) -> dict[str, int]:
    words: set[str] = set()
    for group in groups:
        for candidate in group:
            words.update(getattr(candidate, attribute))
    return {word: index for index, word in enumerate(sorted(words))}


def _features(people: Sequence[Candidate], vocabularies: dict[str, dict[str, int]]) -> _Features:
    return _Features(
        languages=_one_hot([p.languages for p in people], vocabularies["languages"]),
        times=_one_hot([p.times for p in people], vocabularies["times"]),
        contact=_one_hot([p.contact for p in people], vocabularies["contact"]),
        interests=_one_hot([p.interests for p in people], vocabularies["interests"]),
        fairness=np.array([fairness(p) for p in people], dtype=np.float64),
    )


def _fit(left: _Features, rows: slice, right: _Features) -> NDArray[np.float32]:
    """What each pair of left[rows] × right shares (no waiting bonus); -inf without a language.

    All weights are halves, so float32 holds these sums exactly. The interest
    cap only matters when both sides list more interests than the cap; if no
    one does, interests join the single product of the other features.
    """
    cap_matters = (
        left.interests[rows].sum(axis=1).max(initial=0) > INTEREST_CAP
        and right.interests.sum(axis=1).max(initial=0) > INTEREST_CAP
    )
    left_parts = [TIME_WEIGHT * left.times[rows], CONTACT_WEIGHT * left.contact[rows]]
    right_parts = [right.times, right.contact]
    if not cap_matters:
        left_parts.append(INTEREST_WEIGHT * left.interests[rows])
        right_parts.append(right.interests)
    fit: NDArray[np.float32] = np.hstack(left_parts) @ np.hstack(right_parts).T
    fit += np.float32(BASE_SCORE)
    if cap_matters:
        shared = left.interests[rows] @ right.interests.T
        fit += np.float32(INTEREST_WEIGHT) * np.minimum(shared, np.float32(INTEREST_CAP))
    fit[(left.languages[rows] @ right.languages.T) < 0.5] = -np.inf
    return fit


def _forbid(
    fit: NDArray[np.float32],
    row_ids: Sequence[int],
    column_ids: Sequence[int],
    excluded: set[frozenset[int]],
    row_offset: int = 0,
) -> None:
    """Mark excluded pairs (and anyone with themself) as impossible in a block of rows."""
    row_index: dict[int, list[int]] = {}
    for i in range(row_offset, row_offset + fit.shape[0]):
        row_index.setdefault(row_ids[i], []).append(i - row_offset)
    column_index: dict[int, list[int]] = {}
    for j, pid in enumerate(column_ids):
        column_index.setdefault(pid, []).append(j)
    forbidden_rows: list[int] = []
    forbidden_columns: list[int] = []
    for pid, local_rows in row_index.items():
        for j in column_index.get(pid, ()):
            forbidden_rows.extend(local_rows)
            forbidden_columns.extend([j] * len(local_rows))
    for pair in excluded:
        if len(pair) != 2:
            continue
        first, second = tuple(pair)
        for a, b in ((first, second), (second, first)):
            for i in row_index.get(a, ()):
                for j in column_index.get(b, ()):
                    forbidden_rows.append(i)
                    forbidden_columns.append(j)
    if forbidden_rows:
        fit[np.array(forbidden_rows), np.array(forbidden_columns)] = -np.inf


def _jitter(shape: tuple[int, int], seed: int) -> NDArray[np.float32]:
    """Tiny deterministic pair-specific noise, used only to choose candidates.

    People with equal scores would otherwise all pick the same few candidates
    (the lowest indices), leaving the rest of the graph bare.
    """
    noise: NDArray[np.float32] = np.random.default_rng(seed).random(shape, dtype=np.float32)
    noise *= np.float32(1e-3)
    return noise


def _best_per_row(
    choice: NDArray[np.float32], keep: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(row, column) of each row's best ``keep`` finite entries."""
    keep = min(keep, choice.shape[1])
    if keep <= 0 or choice.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    top = np.argpartition(-choice, keep - 1, axis=1)[:, :keep]
    finite = np.isfinite(np.take_along_axis(choice, top, axis=1))
    rows = np.nonzero(finite)[0]
    return rows.astype(np.intp), top[finite].astype(np.intp)


# ---------------------------------------------------------------- volunteer round


def assign_volunteers(
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]] | None = None,
    *,
    exact: bool | None = None,
) -> list[Proposal]:
    """Participants (kind volunteer/any) to volunteer capacity, maximising the total score."""
    seekers = [p for p in participants if p.kind in ("volunteer", "any")]
    offering = [v for v in volunteers if v.capacity > 0]
    if not seekers or not offering:
        return []
    vocabularies = vocabularies or _vocabularies(seekers, offering)
    left, right = _features(seekers, vocabularies), _features(offering, vocabularies)
    capacities = np.array([v.capacity for v in offering], dtype=np.int64)
    slots = int(capacities.sum())
    use_all = exact if exact is not None else len(seekers) * slots <= EXACT_EDGE_LIMIT

    fit = _fit(left, slice(0, len(seekers)), right)
    _forbid(fit, [p.person_id for p in seekers], [v.person_id for v in offering], excluded)
    if not use_all:
        fit += left.fairness.astype(np.float32)[:, None]
        owner = _auction(fit, capacities, AUCTION_STEP)
        return [
            _volunteer_proposal(seekers[p_index], offering[v_index])
            for p_index, v_index in enumerate(owner.tolist())
            if v_index >= 0
        ]
    edge_rows, edge_cols = np.nonzero(np.isfinite(fit))
    if edge_rows.size == 0:
        return []
    edge_weights = fit[edge_rows, edge_cols].astype(np.float64) + left.fairness[edge_rows]
    del fit

    # Expand volunteers into capacity slots; every slot may also stay empty
    # (its own dummy column), so a full matching of slots always exists.
    slot_start = np.concatenate([[0], np.cumsum(capacities)[:-1]])
    slot_rows, slot_cols, slot_weights = [], [], []
    for extra in range(int(capacities.max())):
        mask = capacities[edge_cols] > extra
        slot_rows.append(slot_start[edge_cols[mask]] + extra)
        slot_cols.append(edge_rows[mask])
        slot_weights.append(edge_weights[mask])
    all_rows = np.concatenate([*slot_rows, np.arange(slots)])
    all_cols = np.concatenate([*slot_cols, len(seekers) + np.arange(slots)])
    big = float(edge_weights.max()) + 1.0
    all_costs = np.concatenate([big - np.concatenate(slot_weights), np.full(slots, big)])
    graph = csr_matrix((all_costs, (all_rows, all_cols)), shape=(slots, len(seekers) + slots))
    slot_index, participant_index = min_weight_full_bipartite_matching(graph)
    slot_owner = np.repeat(np.arange(len(offering)), capacities)
    return [
        _volunteer_proposal(seekers[p_index], offering[int(slot_owner[slot])])
        for slot, p_index in zip(slot_index.tolist(), participant_index.tolist(), strict=False)
        if p_index < len(seekers)
    ]


def _volunteer_proposal(seeker: Candidate, volunteer: Candidate) -> Proposal:
    score = pair_score(seeker, volunteer, partner_is_peer=False)
    assert score is not None  # only allowed pairs reach here
    return Proposal(
        participant=seeker.person_id, partner=volunteer.person_id, kind="volunteer", score=score
    )


def _auction(
    value: NDArray[np.float32], capacities: NDArray[np.int64], step: float
) -> NDArray[np.int64]:
    """Each participant's volunteer (index, or -1 for none) by a forward auction.

    Every volunteer slot has a price. In each round everyone without a slot
    bids for the volunteer worth most to them after price, raising the price
    of its cheapest slot by how much better it is than their next best option
    (staying unmatched is worth zero) plus ``step``. A volunteer takes its
    highest bids for its cheapest slots, and whoever held those slots bids
    again next round. Prices start at ``AUCTION_START_PRICE`` times the worth
    of the marginal participant, which saves most of the early rounds; slots
    left empty then drop back to zero and anyone no longer within ``step`` of
    their best bids again, so at the end every slot and participant satisfy
    the optimality conditions within ``step``.
    """
    n_participants = value.shape[0]
    best_worth = np.sort(value.max(axis=1))[::-1]
    marginal = float(best_worth[min(int(capacities.sum()), n_participants) - 1])
    owner = _settled_auction(value, capacities, step, AUCTION_START_PRICE * marginal)
    if owner is None:
        # The head start overshot (prices above what settles): begin at zero,
        # which needs no settling.
        owner = _settled_auction(value, capacities, step, 0.0)
    assert owner is not None
    return owner


def _settled_auction(
    value: NDArray[np.float32], capacities: NDArray[np.int64], step: float, start_price: float
) -> NDArray[np.int64] | None:
    """The auction from a start price; None if it does not settle in a few passes."""
    n_participants, n_volunteers = value.shape
    width = int(capacities.max())
    prices = np.full((n_volunteers, width), np.inf)
    for slot in range(width):
        prices[capacities > slot, slot] = max(start_price, 0.0)
    holder = np.full((n_volunteers, width), -1, dtype=np.int64)
    owner = np.full(n_participants, -1, dtype=np.int64)
    bidding = np.arange(n_participants)
    for _ in range(AUCTION_SETTLING):
        _bid_until_settled(value, prices, holder, owner, bidding, step)
        empty = (holder < 0) & np.isfinite(prices) & (prices > 0.0)
        prices[empty] = 0.0
        bidding = _not_content(value, prices, holder, owner, step)
        if not bidding.size:
            return owner
        # Those who would do better elsewhere give up their slot and bid again.
        holder[np.isin(holder, bidding)] = -1
        owner[bidding] = -1
    if start_price > 0.0:
        return None
    _bid_until_settled(value, prices, holder, owner, bidding, step)
    return owner


def _not_content(
    value: NDArray[np.float32],
    prices: NDArray[np.float64],
    holder: NDArray[np.int64],
    owner: NDArray[np.int64],
    step: float,
) -> NDArray[np.int64]:
    """Participants more than ``step`` below their best at the current prices."""
    cheapest = prices.min(axis=1)
    best = (value - cheapest.astype(np.float32)).max(axis=1).astype(np.float64)
    paid = np.zeros(len(owner))
    volunteer, slot = np.nonzero(holder >= 0)
    paid[holder[volunteer, slot]] = prices[volunteer, slot]
    held = owner >= 0
    current = np.zeros(len(owner))
    current[held] = value[np.nonzero(held)[0], owner[held]] - paid[held]
    # Bids leave a winner exactly ``step`` below their best; the margin absorbs rounding.
    unhappy = np.where(held, best > current + 2 * step, best > step)
    return np.nonzero(unhappy)[0]


def _bid_until_settled(
    value: NDArray[np.float32],
    prices: NDArray[np.float64],
    holder: NDArray[np.int64],
    owner: NDArray[np.int64],
    bidding: NDArray[np.int64],
    step: float,
) -> None:
    """Rounds of bidding until nobody is left bidding (updates the arrays in place)."""
    n_volunteers, width = prices.shape
    while bidding.size:
        slot_order = np.argsort(prices, axis=1)
        ordered = np.take_along_axis(prices, slot_order, axis=1)
        cheapest = ordered[:, 0]
        second_cheapest = ordered[:, 1] if width > 1 else np.full(n_volunteers, np.inf)
        worth = value[bidding]
        worth -= cheapest.astype(np.float32)
        rows = np.arange(bidding.size)
        best = np.argmax(worth, axis=1)
        first = worth[rows, best].astype(np.float64)
        worth[rows, best] = -np.inf
        second = worth.max(axis=1).astype(np.float64)
        # The next best may be another slot of the same volunteer.
        same = value[bidding, best].astype(np.float64) - second_cheapest[best]
        second = np.maximum(np.maximum(second, same), 0.0)
        # Those for whom no volunteer is worth more than waiting stop bidding:
        # prices only rise, so that stays true.
        active = first > 0.0
        bidding, best = bidding[active], best[active]
        bids = cheapest[best] + first[active] - second[active] + step
        order = np.lexsort((-bids, best))
        bidding, best, bids = bidding[order], best[order], bids[order]
        rank = np.arange(best.size) - np.searchsorted(best, best, side="left")
        won = rank < width
        won[won] = bids[won] > ordered[best[won], rank[won]]
        volunteer, slot = best[won], slot_order[best[won], rank[won]]
        previous = holder[volunteer, slot]
        displaced = previous[previous >= 0]
        owner[displaced] = -1
        holder[volunteer, slot] = bidding[won]
        prices[volunteer, slot] = bids[won]
        owner[bidding[won]] = volunteer
        bidding = np.concatenate([bidding[~won], displaced])


def exact_volunteer_optimum(
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
) -> float:
    """The optimal total by a dense assignment (small instances; used to check quality)."""
    seekers = [p for p in participants if p.kind in ("volunteer", "any")]
    slots = [v for v in volunteers for _ in range(v.capacity)]
    if not seekers or not slots:
        return 0.0
    vocabularies = _vocabularies(seekers, slots)
    left = _features(seekers, vocabularies)
    fit = _fit(left, slice(0, len(seekers)), _features(slots, vocabularies))
    _forbid(fit, [p.person_id for p in seekers], [v.person_id for v in slots], excluded)
    scores = fit.astype(np.float64) + left.fairness[:, None]
    profit = np.where(np.isfinite(scores), scores, 0.0)
    padded = np.hstack([profit, np.zeros((len(seekers), len(seekers)))])
    row, col = linear_sum_assignment(padded, maximize=True)
    return float(padded[row, col].sum())


# ---------------------------------------------------------------- peers


def _peer_edges(
    peers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]],
    keep: int | None,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Candidate peer edges (i < j) with scores: all of them, or each person's best ``keep``."""
    features = _features(peers, vocabularies)
    ids = [p.person_id for p in peers]
    found_rows: list[NDArray[np.intp]] = []
    found_cols: list[NDArray[np.intp]] = []
    for start in range(0, len(peers), BLOCK_ROWS):
        block = slice(start, min(start + BLOCK_ROWS, len(peers)))
        fit = _fit(features, block, features)
        _forbid(fit, ids, ids, excluded, row_offset=start)
        if keep is None:
            i, j = np.nonzero(np.isfinite(fit))
        else:
            # Choose neighbours by what the two share: the waiting bonus is the
            # same for everyone a person could pair with, and would otherwise
            # send everybody to the same few long-waiters.
            fit += _jitter(fit.shape, seed=start + len(peers))
            i, j = _best_per_row(fit, keep)
        found_rows.append(i + start)
        found_cols.append(j)
    rows, cols = np.concatenate(found_rows), np.concatenate(found_cols)
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    keys = np.unique(low * len(peers) + high)
    low, high = keys // len(peers), keys % len(peers)
    # Exact scores for the edges kept (the choice above carried noise).
    weights = (
        BASE_SCORE
        + TIME_WEIGHT * (features.times[low] * features.times[high]).sum(axis=1)
        + CONTACT_WEIGHT * (features.contact[low] * features.contact[high]).sum(axis=1)
        + INTEREST_WEIGHT
        * np.minimum((features.interests[low] * features.interests[high]).sum(axis=1), INTEREST_CAP)
    ).astype(np.float64)
    weights += features.fairness[low] + features.fairness[high]
    return low.astype(np.intp), high.astype(np.intp), weights


def pair_peers(
    peers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]] | None = None,
    *,
    exact: bool | None = None,
) -> list[Proposal]:
    """Pairs among participants who accept a peer, maximising the total score."""
    peers = [p for p in peers if p.kind in ("peer", "any")]
    if len(peers) < 2:
        return []
    vocabularies = vocabularies or _vocabularies(peers)
    use_exact = exact if exact is not None else len(peers) <= PEER_EXACT_LIMIT
    if use_exact:
        low, high, weights = _peer_edges(peers, excluded, vocabularies, keep=None)
        graph = nx.Graph()
        graph.add_weighted_edges_from(
            zip(low.tolist(), high.tolist(), weights.tolist(), strict=True)
        )
        chosen = [(int(a), int(b)) for a, b in nx.max_weight_matching(graph)]
    else:
        chosen = []
        for chunk in _peer_chunks(peers):
            chosen += _pairs_in_chunk(peers, chunk, excluded, vocabularies)
        chosen += _pair_the_rest(peers, chosen, excluded, vocabularies)
    proposals = []
    for a, b in chosen:
        first, second = (a, b) if peers[a].waited_days >= peers[b].waited_days else (b, a)
        score = pair_score(peers[first], peers[second], partner_is_peer=True)
        assert score is not None
        proposals.append(
            Proposal(
                participant=peers[first].person_id,
                partner=peers[second].person_id,
                kind="peer",
                score=score,
            )
        )
    return proposals


def _peer_chunks(peers: Sequence[Candidate]) -> list[list[int]]:
    """Groups of at most ``PEER_CHUNK`` people, each person placed by their most
    widely spoken language, so that those who can pair mostly share a group."""
    spoken = Counter(language for person in peers for language in person.languages)
    rank = {language: i for i, (language, _) in enumerate(spoken.most_common())}
    # Within a language, people with the same free times and contact modes sit
    # next to each other, so that each group holds partners who fit well.
    order = sorted(
        range(len(peers)),
        key=lambda i: (
            min((rank[x] for x in peers[i].languages), default=len(rank)),
            sorted(peers[i].times),
            sorted(peers[i].contact),
            i,
        ),
    )
    count = -(-len(order) // PEER_CHUNK)
    # Equal sizes rather than a small last group.
    return [chunk.tolist() for chunk in np.array_split(np.array(order), count)]


def _pairs_in_chunk(
    peers: Sequence[Candidate],
    chunk: list[int],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]],
) -> list[tuple[int, int]]:
    """Pairs within one group, from the assignment relaxation solved exactly.

    Everyone picks a partner (or nobody) so that the total of the picked
    scores is largest, where i may pick j while j picks k. That total is at
    least twice the best pairing's; the picks form paths and cycles, and the
    best pairing along each one (by dynamic programming) keeps every even
    cycle's full share.
    """
    members = [peers[i] for i in chunk]
    features = _features(members, vocabularies)
    fit = _fit(features, slice(0, len(members)), features)
    ids = [p.person_id for p in members]
    _forbid(fit, ids, ids, excluded)
    profit = fit.astype(np.float64)
    profit += features.fairness[:, None]
    profit += features.fairness[None, :]
    profit[~np.isfinite(profit)] = 0.0  # picking a forbidden pair means picking nobody
    rows, columns = linear_sum_assignment(profit, maximize=True)
    successor = [-1] * len(members)
    for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
        if profit[i, j] > 0.0:
            successor[i] = j

    def weight(a: int, b: int) -> float:
        return float(profit[a, b])

    return [(chunk[a], chunk[b]) for a, b in _pairs_along_picks(successor, weight)]


def _pairs_along_picks(
    successor: list[int], weight: Callable[[int, int], float]
) -> list[tuple[int, int]]:
    """The best pairing along the paths and cycles that the picks form."""
    size = len(successor)
    has_predecessor = [False] * size
    for j in successor:
        if j >= 0:
            has_predecessor[j] = True
    seen = [False] * size
    chains: list[tuple[list[int], bool]] = []
    for start in range(size):  # paths first: they begin where nobody picked
        if has_predecessor[start] or seen[start]:
            continue
        chain = [start]
        seen[start] = True
        while successor[chain[-1]] >= 0 and not seen[successor[chain[-1]]]:
            chain.append(successor[chain[-1]])
            seen[chain[-1]] = True
        chains.append((chain, False))
    for start in range(size):  # what is left lies on cycles
        if seen[start]:
            continue
        chain = [start]
        seen[start] = True
        while not seen[successor[chain[-1]]]:
            chain.append(successor[chain[-1]])
            seen[chain[-1]] = True
        chains.append((chain, True))

    pairs: list[tuple[int, int]] = []
    for chain, cyclic in chains:
        if len(chain) < 2:
            continue
        if len(chain) == 2:
            pairs.append((chain[0], chain[1]))
            continue
        options = [_best_on_path(chain, weight)]
        if cyclic:
            # Either the closing edge is unused (a path) or it is used and its
            # two ends leave the rest of the cycle.
            rest = _best_on_path(chain[1:-1], weight)
            closing = (chain[-1], chain[0])
            options.append((weight(*closing) + rest[0], [closing, *rest[1]]))
        pairs.extend(max(options, key=lambda option: option[0])[1])
    return pairs


def _best_on_path(
    path: Sequence[int], weight: Callable[[int, int], float]
) -> tuple[float, list[tuple[int, int]]]:
    """The heaviest pairing of consecutive people along a path."""
    # best[i]: the best total using the first i people.
    best = [0.0] * (len(path) + 1)
    took = [False] * (len(path) + 1)
    for i in range(2, len(path) + 1):
        with_edge = best[i - 2] + weight(path[i - 2], path[i - 1])
        if with_edge > best[i - 1]:
            best[i], took[i] = with_edge, True
        else:
            best[i] = best[i - 1]
    pairs = []
    i = len(path)
    while i >= 2:
        if took[i]:
            pairs.append((path[i - 2], path[i - 1]))
            i -= 2
        else:
            i -= 1
    return best[-1], pairs


def _pair_the_rest(
    peers: Sequence[Candidate],
    chosen: list[tuple[int, int]],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]],
) -> list[tuple[int, int]]:
    """Those the candidate graph left alone may still fit each other: pair them
    greedily, longest-waiting first, on all their possible pairs."""
    paired = {i for pair in chosen for i in pair}
    rest = [i for i in range(len(peers)) if i not in paired]
    if len(rest) < 2:
        return []
    rest.sort(key=lambda i: -peers[i].waited_days)
    keep = None if len(rest) <= 2 * PEER_CHUNK else PEER_CANDIDATES
    low, high, weights = _peer_edges([peers[i] for i in rest], excluded, vocabularies, keep)
    order = np.argsort(-weights, kind="stable")
    taken: set[int] = set()
    pairs = []
    for a, b in zip(low[order].tolist(), high[order].tolist(), strict=True):
        if a not in taken and b not in taken:
            taken.update((a, b))
            pairs.append((rest[a], rest[b]))
    return pairs


def exact_peer_optimum(peers: Sequence[Candidate], excluded: set[frozenset[int]]) -> float:
    """The optimal peer total by the blossom algorithm (small instances)."""
    return sum(p.score for p in pair_peers(peers, excluded, exact=True))


# ---------------------------------------------------------------- a whole round


def _vocabularies(*groups: Sequence[Candidate]) -> dict[str, dict[str, int]]:
    return {
        name: _vocabulary(groups, name) for name in ("languages", "times", "contact", "interests")
    }


def match_round(
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
) -> RoundResult:
    """One matching round: volunteers first, then peers among those left, then reasons."""
    vocabularies = _vocabularies(participants, volunteers)
    result = RoundResult()
    result.proposals.extend(assign_volunteers(participants, volunteers, excluded, vocabularies))
    matched = {p.participant for p in result.proposals}
    left = [p for p in participants if p.person_id not in matched]
    result.proposals.extend(pair_peers(left, excluded, vocabularies))
    matched = {p.participant for p in result.proposals}
    matched |= {p.partner for p in result.proposals if p.kind == "peer"}
    still = [person for person in participants if person.person_id not in matched]
    result.waiting = waiting_reasons(still, participants, volunteers, excluded)
    return result


def _language_masks(people: Iterable[Candidate], codes: dict[str, int]) -> list[int]:
    return [sum(1 << codes[language] for language in person.languages) for person in people]


def waiting_reasons(
    waiting: Sequence[Candidate],
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
) -> dict[int, tuple[str, str]]:
    """``why_waiting`` for many people at once, by groups of language sets.

    Who could pair with whom depends on the languages (a set, so a bitmask),
    kinds, exclusions and identity; counting the possible partners per
    language set and subtracting each person's own exclusions avoids
    comparing everybody with everybody.
    """
    codes = _vocabulary([participants, volunteers, waiting], "languages")
    peerish = [p for p in participants if p.kind in ("peer", "any")]
    peer_masks = Counter(_language_masks(peerish, codes))
    volunteer_masks = Counter(_language_masks(volunteers, codes))
    peer_ids: dict[int, list[int]] = {}
    for person, mask in zip(peerish, _language_masks(peerish, codes), strict=True):
        peer_ids.setdefault(person.person_id, []).append(mask)
    volunteer_ids: dict[int, list[int]] = {}
    for person, mask in zip(volunteers, _language_masks(volunteers, codes), strict=True):
        volunteer_ids.setdefault(person.person_id, []).append(mask)
    partners_of: dict[int, set[int]] = {}
    for pair in excluded:
        if len(pair) == 2:
            first, second = tuple(pair)
            partners_of.setdefault(first, set()).add(second)
            partners_of.setdefault(second, set()).add(first)

    def sharing(masks: Counter[int], mask: int) -> int:
        return sum(count for other, count in masks.items() if other & mask)

    sharing_peers: dict[int, int] = {}
    sharing_volunteers: dict[int, int] = {}
    reasons = {}
    for person, mask in zip(waiting, _language_masks(waiting, codes), strict=True):
        if mask not in sharing_peers:
            sharing_peers[mask] = sharing(peer_masks, mask)
            sharing_volunteers[mask] = sharing(volunteer_masks, mask)
        language = min(person.languages) if person.languages else ""
        # Partners ruled out for this person: themself and their exclusions.
        ruled_out = {person.person_id} | partners_of.get(person.person_id, set())
        if person.kind in ("volunteer", "any"):
            speaking = sharing_volunteers[mask]
            if person.kind == "volunteer":
                if not speaking:
                    reasons[person.person_id] = ("no_volunteer_language", language)
                    continue
                barred = sum(
                    1 for pid in ruled_out for other in volunteer_ids.get(pid, ()) if other & mask
                )
                if speaking - barred <= 0:
                    reasons[person.person_id] = ("only_previous", language)
                else:
                    reasons[person.person_id] = ("no_volunteer_capacity", language)
                continue
        barred = sum(1 for pid in ruled_out for other in peer_ids.get(pid, ()) if other & mask)
        has_peers = sharing_peers[mask] - barred > 0
        if person.kind == "peer" and not has_peers:
            reasons[person.person_id] = ("no_peer_language", language)
        elif person.kind == "any" and not has_peers and not sharing_volunteers[mask]:
            reasons[person.person_id] = ("no_language", language)
        else:
            reasons[person.person_id] = ("no_capacity", language)
    return reasons


def why_waiting(
    person: Candidate,
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    used: Counter[int],
) -> tuple[str, str]:
    """A short reason code and detail (a language code) for someone not proposed."""
    language = sorted(person.languages)[0] if person.languages else ""

    def allowed(other: Candidate, peer: bool) -> bool:
        return (
            frozenset((person.person_id, other.person_id)) not in excluded
            and pair_score(person, other, partner_is_peer=peer) is not None
        )

    if person.kind in ("volunteer", "any"):
        speaking = [v for v in volunteers if v.languages & person.languages]
        if not speaking and person.kind == "volunteer":
            return ("no_volunteer_language", language)
        if speaking and person.kind == "volunteer":
            if not any(allowed(v, False) for v in speaking):
                return ("only_previous", language)
            return ("no_volunteer_capacity", language)
    peers = [p for p in participants if p.kind in ("peer", "any") and allowed(p, True)]
    if person.kind == "peer" and not peers:
        return ("no_peer_language", language)
    if (
        person.kind == "any"
        and not peers
        and not any(v.languages & person.languages for v in volunteers)
    ):
        return ("no_language", language)
    return ("no_capacity", language)
