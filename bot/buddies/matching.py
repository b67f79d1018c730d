"""Who is proposed to whom: a pure function of the waiting pool.

Rules (never broken): a pair shares at least one language; a volunteer gets
no more new buddies than their free capacity; people who blocked each other
or were paired before (in any outcome) are never proposed again; a
participant who asked for a volunteer gets a volunteer, one who asked for a
peer gets a peer, ``any`` may get either.

The score adds shared free times, shared contact modes and shared interests
to a base of one, plus a fairness bonus that grows with the days someone has
waited, so long waits win ties and nobody waits forever.

Method. The volunteer round is an assignment of participants to volunteer
capacity slots that maximises the total score. When the instance is small
the assignment uses every compatible edge and is exact; beyond
``EXACT_EDGE_LIMIT`` edges each volunteer keeps only its best
``VOLUNTEER_CANDIDATES`` × capacity participants and each participant its best
``PARTICIPANT_CANDIDATES`` volunteers, and the assignment is solved exactly on
that pruned graph (scipy's sparse LAPJV). Participants left over who accept a
peer are then paired among themselves: exactly (blossom algorithm) while that
is affordable, otherwise greedily on each person's best ``PEER_CANDIDATES``
neighbours, improved by local exchanges (re-pair two pairs crosswise; let a
waiting person take a partner whose old partner can pair with another waiting
person) until no exchange gains. ``bench/buddies_matching.py`` reports the
quality of both against the exact optimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
VOLUNTEER_CANDIDATES = 150
PARTICIPANT_CANDIDATES = 25
PEER_EXACT_LIMIT = 60
PEER_CANDIDATES = 12
BLOCK_ROWS = 1024


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
    matrix = np.zeros((len(sets), max(len(vocabulary), 1)), dtype=np.float32)
    for row, values in enumerate(sets):
        for value in values:
            column = vocabulary.get(value)
            if column is not None:
                matrix[row, column] = 1.0
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


def _block_scores(
    left: _Features, rows: slice, right: _Features, right_fairness: bool
) -> NDArray[np.float64]:
    """Scores of left[rows] × right; -inf where no language is shared."""
    shared_language = left.languages[rows] @ right.languages.T
    scores: NDArray[np.float64] = (
        BASE_SCORE
        + TIME_WEIGHT * (left.times[rows] @ right.times.T)
        + CONTACT_WEIGHT * (left.contact[rows] @ right.contact.T)
        + INTEREST_WEIGHT * np.minimum(left.interests[rows] @ right.interests.T, INTEREST_CAP)
    ).astype(np.float64)
    scores += left.fairness[rows, None]
    if right_fairness:
        scores += right.fairness[None, :]
    scores[shared_language < 0.5] = -np.inf
    return scores


def _exclude(
    scores: NDArray[np.float64],
    row_ids: Sequence[int],
    column_ids: Sequence[int],
    excluded: set[frozenset[int]],
    row_offset: int = 0,
) -> None:
    """Forbid excluded pairs in a block of rows (ids may repeat, e.g. capacity slots)."""
    if not excluded:
        return
    row_index: dict[int, list[int]] = {}
    for i, pid in enumerate(row_ids):
        if 0 <= i - row_offset < scores.shape[0]:
            row_index.setdefault(pid, []).append(i - row_offset)
    column_index: dict[int, list[int]] = {}
    for j, pid in enumerate(column_ids):
        column_index.setdefault(pid, []).append(j)
    for pair in excluded:
        if len(pair) != 2:
            continue
        first, second = tuple(pair)
        for a, b in ((first, second), (second, first)):
            for i in row_index.get(a, ()):
                for j in column_index.get(b, ()):
                    scores[i, j] = -np.inf


def _tie_break(rows: NDArray[np.int64], columns: int) -> NDArray[np.float64]:
    """A tiny deterministic pair-specific jitter, used only to choose candidates.

    People with equal scores would otherwise all pick the same few candidates
    (the lowest indices), leaving the rest of the graph bare.
    """
    mixed = (rows[:, None] * 2654435761 + np.arange(columns)[None, :] * 40503) % 9973
    jitter: NDArray[np.float64] = mixed.astype(np.float64) * 1e-7
    return jitter


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

    rows: list[NDArray[np.int64]] = []  # participant index
    cols: list[NDArray[np.int64]] = []  # volunteer index
    weights: list[NDArray[np.float64]] = []
    keep_per_volunteer = np.minimum(capacities * VOLUNTEER_CANDIDATES, len(seekers))
    best_for_volunteer: list[tuple[NDArray[np.float64], NDArray[np.float64], NDArray[Any]]] = []
    for start in range(0, len(seekers), BLOCK_ROWS):
        block = slice(start, min(start + BLOCK_ROWS, len(seekers)))
        scores = _block_scores(left, block, right, right_fairness=False)
        _exclude(
            scores,
            [p.person_id for p in seekers],
            [v.person_id for v in offering],
            excluded,
            row_offset=start,
        )
        if use_all:
            i, j = np.nonzero(np.isfinite(scores))
            rows.append(i + start)
            cols.append(j)
            weights.append(scores[i, j])
            continue
        # Each participant's best few volunteers.
        choose = scores + _tie_break(np.arange(block.start, block.stop), scores.shape[1])
        k = min(PARTICIPANT_CANDIDATES, scores.shape[1])
        top = np.argpartition(-choose, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(scores, top, axis=1)
        finite = np.isfinite(values)
        i = np.nonzero(finite)[0]
        rows.append(i + start)
        cols.append(top[finite])
        weights.append(values[finite])
        # Keep each volunteer's best in this block; merged below.
        kb = min(int(keep_per_volunteer.max()), scores.shape[0])
        top_rows = np.argpartition(-choose, kb - 1, axis=0)[:kb, :]
        best_for_volunteer.append(
            (
                np.take_along_axis(choose, top_rows, axis=0),
                np.take_along_axis(scores, top_rows, axis=0),
                top_rows + start,
            )
        )
    if not use_all and best_for_volunteer:
        chosen = np.vstack([c for c, _, _ in best_for_volunteer])
        values = np.vstack([v for _, v, _ in best_for_volunteer])
        indices = np.vstack([r for _, _, r in best_for_volunteer])
        for volunteer in range(len(offering)):
            keep = int(keep_per_volunteer[volunteer])
            column = chosen[:, volunteer]
            pick = np.argpartition(-column, min(keep, len(column)) - 1)[:keep]
            pick = pick[np.isfinite(column[pick])]
            rows.append(indices[pick, volunteer])
            cols.append(np.full(len(pick), volunteer, dtype=np.int64))
            weights.append(values[pick, volunteer])
    if not rows:
        return []
    edge_rows = np.concatenate(rows)
    edge_cols = np.concatenate(cols)
    edge_weights = np.concatenate(weights)
    if edge_rows.size == 0:
        return []
    # Deduplicate edges found twice by the two pruning directions.
    key = edge_rows * len(offering) + edge_cols
    key, first = np.unique(key, return_index=True)
    edge_rows, edge_cols, edge_weights = edge_rows[first], edge_cols[first], edge_weights[first]

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
    edge_keys = zip(edge_rows.tolist(), edge_cols.tolist(), strict=True)
    weight_of = dict(zip(edge_keys, edge_weights.tolist(), strict=True))
    proposals = []
    for slot, p_index in zip(slot_index.tolist(), participant_index.tolist(), strict=False):
        if p_index >= len(seekers):
            continue
        v_index = int(slot_owner[slot])
        proposals.append(
            Proposal(
                participant=seekers[p_index].person_id,
                partner=offering[v_index].person_id,
                kind="volunteer",
                score=weight_of[(p_index, v_index)],
            )
        )
    return proposals


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
    scores = _block_scores(
        _features(seekers, vocabularies),
        slice(0, len(seekers)),
        _features(slots, vocabularies),
        right_fairness=False,
    )
    _exclude(scores, [p.person_id for p in seekers], [v.person_id for v in slots], excluded)
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
) -> dict[tuple[int, int], float]:
    """Candidate peer edges (i < j) with scores: all of them, or each person's best ``keep``."""
    features = _features(peers, vocabularies)
    ids = [p.person_id for p in peers]
    edges: dict[tuple[int, int], float] = {}
    for start in range(0, len(peers), BLOCK_ROWS):
        block = slice(start, min(start + BLOCK_ROWS, len(peers)))
        scores = _block_scores(features, block, features, right_fairness=True)
        _exclude(scores, ids, ids, excluded, row_offset=start)
        local = np.arange(scores.shape[0])
        scores[local, local + start] = -np.inf
        if keep is None:
            i, j = np.nonzero(np.isfinite(scores))
        else:
            # Choose neighbours by what the two share: the waiting bonus is the
            # same for everyone a person could pair with, and would otherwise
            # send everybody to the same few long-waiters.
            fit = scores - features.fairness[None, :]
            fit += _tie_break(np.arange(block.start, block.stop), scores.shape[1])
            k = min(keep, scores.shape[1])
            top = np.argpartition(-fit, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(scores, top, axis=1)
            i, jj = np.nonzero(np.isfinite(values))
            j = top[i, jj]
        for a, b in zip((i + start).tolist(), j.tolist(), strict=False):
            low, high = (a, b) if a < b else (b, a)
            if (low, high) not in edges:
                edges[(low, high)] = float(scores[a - start, b])
    return edges


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
        edges = _peer_edges(peers, excluded, vocabularies, keep=None)
        graph = nx.Graph()
        graph.add_weighted_edges_from((a, b, w) for (a, b), w in edges.items())
        chosen = [tuple(sorted(e)) for e in nx.max_weight_matching(graph)]
    else:
        edges = _peer_edges(peers, excluded, vocabularies, keep=PEER_CANDIDATES)
        chosen = _greedy_with_exchanges(peers, edges, excluded, vocabularies)
    proposals = []
    for a, b in chosen:
        first, second = (a, b) if peers[a].waited_days >= peers[b].waited_days else (b, a)
        proposals.append(
            Proposal(
                participant=peers[first].person_id,
                partner=peers[second].person_id,
                kind="peer",
                score=edges[(min(a, b), max(a, b))],
            )
        )
    return proposals


def _greedy_with_exchanges(
    peers: Sequence[Candidate],
    edges: dict[tuple[int, int], float],
    excluded: set[frozenset[int]],
    vocabularies: dict[str, dict[str, int]],
) -> list[tuple[int, int]]:
    partner: dict[int, int] = {}
    for (a, b), _weight in sorted(edges.items(), key=lambda item: -item[1]):
        if a not in partner and b not in partner:
            partner[a], partner[b] = b, a

    def weight(a: int, b: int) -> float | None:
        key = (a, b) if a < b else (b, a)
        if key in edges:
            return edges[key]
        if frozenset((peers[a].person_id, peers[b].person_id)) in excluded:
            return None
        value = pair_score(peers[a], peers[b], partner_is_peer=True)
        if value is not None:
            edges[key] = value
        return value

    neighbours: dict[int, list[int]] = {}
    for a, b in list(edges):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    for _ in range(10):
        improved = False
        for (u, v), w_uv in list(edges.items()):
            pu, pv = partner.get(u), partner.get(v)
            if pu == v:
                continue
            if pu is None and pv is None:
                partner[u], partner[v] = v, u
                improved = True
                continue
            if pu is not None and pv is not None:
                # Re-pair u–pu, v–pv crosswise as u–v, pu–pv.
                w_cross = weight(pu, pv)
                if w_cross is not None and w_uv + w_cross > weight(u, pu) + weight(v, pv) + 1e-9:  # type: ignore[operator]
                    partner[u], partner[v], partner[pu], partner[pv] = v, u, pv, pu
                    improved = True
                continue
            # One of them waits: the waiting one takes the other's partner
            # if the freed person can pair with someone else who waits.
            free, taken = (u, v) if pu is None else (v, u)
            old = partner[taken]
            w_old = weight(taken, old) or 0.0
            best_gain, best_other = w_uv - w_old, None
            for other in neighbours.get(old, ()):
                if other in partner or other == free:
                    continue
                w_other = weight(old, other)
                if w_other is not None and w_uv + w_other - w_old > best_gain:
                    best_gain, best_other = w_uv + w_other - w_old, other
            if best_gain > 1e-9:
                del partner[old]
                partner[free], partner[taken] = taken, free
                if best_other is not None:
                    partner[old], partner[best_other] = best_other, old
                improved = True
        if not improved:
            break
    # Those still waiting may fit each other outside their best neighbours.
    waiting = sorted(
        (i for i in range(len(peers)) if i not in partner), key=lambda i: -peers[i].waited_days
    )
    for position, a in enumerate(waiting):
        if a in partner:
            continue
        options = [
            (w, b) for b in waiting[position + 1 :] if b not in partner and (w := weight(a, b))
        ]
        if options:
            _, b = max(options)
            partner[a], partner[b] = b, a
    return sorted({(min(a, b), max(a, b)) for a, b in partner.items()})


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
    used: Counter[int] = Counter(p.partner for p in result.proposals if p.kind == "volunteer")
    for person in participants:
        if person.person_id not in matched:
            result.waiting[person.person_id] = why_waiting(
                person, participants, volunteers, excluded, used
            )
    return result


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
