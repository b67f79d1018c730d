"""Scoring a pair, one at a time (``pair_score``) or for whole groups at once.

The score adds shared free times, shared contact modes and shared interests
to a base of one, plus a fairness bonus that grows with the days someone has
waited, so long waits win ties and nobody waits forever.

Scores are computed for all pairs at once: each person's times, contact modes
and interests are rows of 0/1 columns, so what two people share is one matrix
product (float32 holds these half-unit sums exactly), and pairs without a
shared language, excluded pairs and anyone with themself are set to -inf.

A wish for the buddy's gender or age band is a hard rule, never a score: a
pair is allowed only when each side's stated wish fits the other (an unknown
gender or age never fits a stated wish), and a wish never changes the score
of a pair it allows. Befriending services match this way: someone who asks
for a woman of their own age is not helped by a well-scored man of another.
When nobody in a round has a wish, the check costs nothing.
The rounds that use these are in ``volunteer_matching``, ``peer_matching``
and ``matching``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

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
GENDERS = ("woman", "man", "nonbinary")  # what a wish may name
UNSAID = "unsaid"  # "prefer not to say": a gender no wish names
AGE_BANDS = ("18-29", "30-49", "50-66", "67+")

TIME_WEIGHT = 2.0
CONTACT_WEIGHT = 1.5
INTEREST_WEIGHT = 1.0
INTEREST_CAP = 5
BASE_SCORE = 1.0
FAIRNESS_PER_DAY = 0.25
FAIRNESS_CAP_DAYS = 60.0


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
    gender: str = ""  # one of GENDERS, UNSAID or "" (not answered)
    age: str = ""  # one of AGE_BANDS or ""
    wish_gender: frozenset[str] = frozenset()  # empty: any
    wish_age: frozenset[str] = frozenset()  # empty: any

    @property
    def wishes(self) -> bool:
        return bool(self.wish_gender or self.wish_age)


@dataclass(frozen=True)
class Proposal:
    """A pair to propose: the participant and the volunteer or peer."""

    participant: int
    partner: int
    kind: str  # "volunteer" or "peer"
    score: float


def fairness(candidate: Candidate) -> float:
    return FAIRNESS_PER_DAY * min(max(candidate.waited_days, 0.0), FAIRNESS_CAP_DAYS)


def fits(wish: frozenset[str], value: str) -> bool:
    """No wish takes anyone; a stated wish only what it names (never the unknown)."""
    return not wish or value in wish


def wishes_fit(a: Candidate, b: Candidate) -> bool:
    """Each side's wish for the buddy's gender and age band fits the other."""
    return (
        fits(a.wish_gender, b.gender)
        and fits(b.wish_gender, a.gender)
        and fits(a.wish_age, b.age)
        and fits(b.wish_age, a.age)
    )


def pair_score(participant: Candidate, partner: Candidate, partner_is_peer: bool) -> float | None:
    """The score of one pair, or None when the rules forbid it (exclusions aside)."""
    if participant.person_id == partner.person_id:
        return None
    if not participant.languages & partner.languages:
        return None
    if not wishes_fit(participant, partner):
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
    wishes: _Wishes | None = None  # None when nobody in the round has a wish


@dataclass
class _Wishes:
    """Who each person is (one-hot over the wished values plus "anything else") and
    whom they accept (all columns without a wish): A accepts B when A's accepted row
    meets B's own row."""

    gender: NDArray[np.float32]
    accepts_gender: NDArray[np.float32]
    age: NDArray[np.float32]
    accepts_age: NDArray[np.float32]
    wishing: NDArray[np.bool_]  # who has a wish at all

    def rejects(
        self, rows: NDArray[np.intp], other: _Wishes, other_rows: slice
    ) -> NDArray[np.bool_]:
        """Whom in ``other[other_rows]`` the people at ``rows`` turn down by their wish."""
        gender = (self.accepts_gender[rows] @ other.gender[other_rows].T) < 0.5
        age = (self.accepts_age[rows] @ other.age[other_rows].T) < 0.5
        turned_down: NDArray[np.bool_] = gender | age
        return turned_down


def _own_and_accepted(
    values: Sequence[str], wishes: Sequence[frozenset[str]], vocabulary: dict[str, int]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    other = len(vocabulary)  # a value nobody wished for, or unknown
    own = np.zeros((len(values), other + 1), dtype=np.float32)
    own[np.arange(len(values)), [vocabulary.get(v, other) for v in values]] = 1.0
    accepts = np.ones_like(own)
    for row, wish in enumerate(wishes):
        if wish:
            accepts[row] = 0.0
            accepts[row, [vocabulary[v] for v in wish]] = 1.0
    return own, accepts


def _wish_features(
    people: Sequence[Candidate], vocabularies: dict[str, dict[str, int]]
) -> _Wishes | None:
    if not vocabularies.get("wish_gender") and not vocabularies.get("wish_age"):
        return None
    gender, accepts_gender = _own_and_accepted(
        [p.gender for p in people], [p.wish_gender for p in people], vocabularies["wish_gender"]
    )
    age, accepts_age = _own_and_accepted(
        [p.age for p in people], [p.wish_age for p in people], vocabularies["wish_age"]
    )
    wishing = np.array([p.wishes for p in people], dtype=bool)
    return _Wishes(gender, accepts_gender, age, accepts_age, wishing)


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
        wishes=_wish_features(people, vocabularies),
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
    if left.wishes is not None and right.wishes is not None:
        _forbid_unwished(fit, left.wishes, rows, right.wishes)
    return fit


def _forbid_unwished(fit: NDArray[np.float32], left: _Wishes, rows: slice, right: _Wishes) -> None:
    """Mark pairs of left[rows] × right that a stated wish turns down (either way).

    Only the rows and columns of people who have a wish are looked at (most have
    none), so the cost follows the number of wishes, not the size of the matrix.
    """
    start = rows.start or 0  # rows is a block of consecutive rows
    wishing_rows = np.nonzero(left.wishing[rows])[0]
    if wishing_rows.size:
        turned_down = left.rejects(wishing_rows + start, right, slice(None))
        block = fit[wishing_rows]
        block[turned_down] = -np.inf
        fit[wishing_rows] = block
    wishing_columns = np.nonzero(right.wishing)[0]
    if wishing_columns.size:
        turned_down = right.rejects(wishing_columns, left, rows).T
        block = fit[:, wishing_columns]
        block[turned_down] = -np.inf
        fit[:, wishing_columns] = block


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


def _vocabularies(*groups: Sequence[Candidate]) -> dict[str, dict[str, int]]:
    """The columns of each feature; ``wish_gender`` and ``wish_age`` hold only the values
    somebody wished for (empty when nobody has a wish)."""
    return {
        name: _vocabulary(groups, name)
        for name in ("languages", "times", "contact", "interests", "wish_gender", "wish_age")
    }
