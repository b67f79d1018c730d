"""The volunteer round: participants who accept a volunteer, assigned to volunteer
capacity so that the total score is largest.

Up to ``EXACT_EDGE_LIMIT`` possible pairs it is solved exactly (scipy's sparse
LAPJV on capacity slots). Beyond that it is a forward auction on the full
score matrix (``_auction``), within ``AUCTION_STEP`` per slot of the optimum
by construction. ``exact_volunteer_optimum`` is the dense reference the tests
and ``bench/buddies_matching.py`` check the quality against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from bot.buddies.scoring import (
    Candidate,
    Proposal,
    _features,
    _fit,
    _forbid,
    _vocabularies,
    pair_score,
)

EXACT_EDGE_LIMIT = 400_000
AUCTION_STEP = 0.5
AUCTION_START_PRICE = 0.5
AUCTION_SETTLING = 4


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
    # Imported here: scipy/networkx cost seconds at start-up, and this runs once a day.
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
        min_weight_full_bipartite_matching,
    )

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
    # Imported here: scipy/networkx cost seconds at start-up, and this runs once a day.
    from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

    row, col = linear_sum_assignment(padded, maximize=True)
    return float(padded[row, col].sum())
