"""The peer round: pairs among participants who accept a peer, maximising the total score.

Exactly (blossom algorithm) up to ``PEER_EXACT_LIMIT`` people; beyond that in
groups of at most ``PEER_CHUNK`` people placed by their most widely spoken
language, each solved through its assignment relaxation and dynamic
programming along the paths and cycles it forms; people left over are paired
greedily across groups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from bot.buddies.scoring import (
    BASE_SCORE,
    CONTACT_WEIGHT,
    INTEREST_CAP,
    INTEREST_WEIGHT,
    TIME_WEIGHT,
    Candidate,
    Proposal,
    _features,
    _fit,
    _forbid,
    _vocabularies,
    pair_score,
)

PEER_EXACT_LIMIT = 60
PEER_CANDIDATES = 12
BLOCK_ROWS = 1024
PEER_CHUNK = 500


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
        # Imported here: scipy/networkx cost seconds at start-up, and this runs once a day.
        import networkx as nx  # type: ignore[import-untyped]

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
    # Imported here: scipy/networkx cost seconds at start-up, and this runs once a day.
    from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

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
