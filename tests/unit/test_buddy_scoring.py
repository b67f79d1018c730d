"""How a pair is scored: the weights people feel as "who I am matched with", the rules that
forbid a pair, and the whole-group scores agreeing with the one-by-one score."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buddies.scoring import (
    CONTACT_MODES,
    TIME_SLOTS,
    Candidate,
    _features,
    _fit,
    _forbid,
    _vocabularies,
    fairness,
    pair_score,
)

DA = frozenset({"da"})


def _volunteer_score(seeker: Candidate, volunteer: Candidate) -> float:
    score = pair_score(seeker, volunteer, partner_is_peer=False)
    assert score is not None
    return score


# ---------------------------------------------------------------- one pair


def test_a_pair_with_only_a_language_in_common_scores_the_base() -> None:
    assert _volunteer_score(Candidate(1, DA), Candidate(2, DA)) == 1.0


def test_what_two_people_share_adds_up_by_its_weight() -> None:
    seeker = Candidate(
        1,
        frozenset({"da", "en"}),
        times=frozenset(TIME_SLOTS[:3]),
        contact=frozenset({"text", "video"}),
        interests=frozenset({"chess", "walks", "films"}),
    )
    volunteer = Candidate(
        2,
        frozenset({"en"}),
        times=frozenset(TIME_SLOTS[1:4]),  # two shared times
        contact=frozenset({"video", "voice"}),  # one shared way to talk
        interests=frozenset({"walks"}),  # one shared interest
    )
    # base 1 + 2 × 2.0 for times + 1 × 1.5 for contact + 1 × 1.0 for interests
    assert _volunteer_score(seeker, volunteer) == 1.0 + 4.0 + 1.5 + 1.0


def test_a_shared_time_outweighs_a_shared_way_to_talk_which_outweighs_an_interest() -> None:
    seeker = Candidate(
        1,
        DA,
        times=frozenset({TIME_SLOTS[0]}),
        contact=frozenset({"text"}),
        interests=frozenset({"x"}),
    )
    by_time = Candidate(2, DA, times=frozenset({TIME_SLOTS[0]}))
    by_contact = Candidate(3, DA, contact=frozenset({"text"}))
    by_interest = Candidate(4, DA, interests=frozenset({"x"}))
    scores = [_volunteer_score(seeker, v) for v in (by_time, by_contact, by_interest)]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3


def test_shared_interests_count_up_to_five() -> None:
    many = frozenset(f"i{n}" for n in range(8))
    seeker = Candidate(1, DA, interests=many)
    five = Candidate(2, DA, interests=frozenset(sorted(many)[:5]))
    four = Candidate(3, DA, interests=frozenset(sorted(many)[:4]))
    assert _volunteer_score(seeker, Candidate(4, DA, interests=many)) == 1.0 + 5.0
    assert _volunteer_score(seeker, five) == 1.0 + 5.0
    assert _volunteer_score(seeker, four) == 1.0 + 4.0


@pytest.mark.parametrize(
    ("days", "bonus"),
    [(-3.0, 0.0), (0.0, 0.0), (0.5, 0.125), (10.0, 2.5), (60.0, 15.0), (400.0, 15.0)],
)
def test_waiting_earns_a_quarter_point_a_day_for_up_to_sixty_days(
    days: float, bonus: float
) -> None:
    seeker = Candidate(1, DA, waited_days=days)
    assert fairness(seeker) == bonus
    assert _volunteer_score(seeker, Candidate(2, DA)) == 1.0 + bonus


def test_a_volunteers_waiting_does_not_count_but_both_peers_do() -> None:
    seeker = Candidate(1, DA, kind="any", waited_days=4)
    other = Candidate(2, DA, kind="any", waited_days=8)
    assert pair_score(seeker, other, partner_is_peer=False) == 1.0 + 1.0
    assert pair_score(seeker, other, partner_is_peer=True) == 1.0 + 1.0 + 2.0


@pytest.mark.parametrize(
    ("seeker_kind", "partner_kind", "peer", "allowed"),
    [
        ("volunteer", "any", False, True),
        ("any", "any", False, True),
        ("peer", "any", False, False),  # asked for a peer, not a volunteer
        ("peer", "peer", True, True),
        ("any", "peer", True, True),
        ("peer", "any", True, True),
        ("any", "any", True, True),
        ("volunteer", "peer", True, False),  # asked for a volunteer, not a peer
        ("peer", "volunteer", True, False),
        ("any", "volunteer", True, False),
    ],
)
def test_a_pair_respects_what_each_person_asked_for(
    seeker_kind: str, partner_kind: str, peer: bool, allowed: bool
) -> None:
    seeker = Candidate(1, DA, kind=seeker_kind)
    partner = Candidate(2, DA, kind=partner_kind)
    assert (pair_score(seeker, partner, partner_is_peer=peer) is not None) == allowed


def test_no_pair_without_a_language_or_with_oneself() -> None:
    me = Candidate(1, frozenset({"da", "ar"}), times=frozenset(TIME_SLOTS))
    assert pair_score(me, Candidate(2, frozenset({"en"})), partner_is_peer=False) is None
    assert pair_score(me, Candidate(2, frozenset({"ar"})), partner_is_peer=False) == 1.0
    assert pair_score(me, me, partner_is_peer=True) is None
    assert pair_score(me, Candidate(1, DA), partner_is_peer=False) is None


# ---------------------------------------------------------------- whole groups


def _candidates(ids: st.SearchStrategy[int]) -> st.SearchStrategy[Candidate]:
    return st.builds(
        Candidate,
        person_id=ids,
        languages=st.frozensets(st.sampled_from(["da", "no", "en", "ar"]), max_size=2),
        times=st.frozensets(st.sampled_from(TIME_SLOTS), max_size=4),
        contact=st.frozensets(st.sampled_from(CONTACT_MODES), max_size=3),
        # Up to eight of eight interests, so the cap of five is sometimes reached.
        interests=st.frozensets(st.sampled_from([f"i{n}" for n in range(8)]), max_size=8),
        kind=st.just("any"),
        waited_days=st.floats(-5, 90),
    )


def _expected(
    row: Candidate, column: Candidate, peer: bool, excluded: set[frozenset[int]]
) -> float:
    if frozenset((row.person_id, column.person_id)) in excluded:
        return -math.inf
    score = pair_score(row, column, partner_is_peer=peer)
    return -math.inf if score is None else score


@st.composite
def _groups(
    draw: st.DrawFn,
) -> tuple[list[Candidate], list[Candidate], slice, set[frozenset[int]]]:
    ids = st.integers(0, 12)  # small, so people repeat (a volunteer's capacity slots)
    rows = draw(st.lists(_candidates(ids), min_size=1, max_size=10))
    columns = draw(st.lists(_candidates(ids), min_size=1, max_size=10))
    start = draw(st.integers(0, len(rows) - 1))
    stop = draw(st.integers(start + 1, len(rows)))
    # (a, a) gives a one-person "pair": it must be ignored, not crash.
    excluded = {frozenset(pair) for pair in draw(st.lists(st.tuples(ids, ids), max_size=8))}
    return rows, columns, slice(start, stop), excluded


@settings(max_examples=200, deadline=None)
@given(_groups())
def test_group_scores_equal_the_one_by_one_scores(
    groups: tuple[list[Candidate], list[Candidate], slice, set[frozenset[int]]],
) -> None:
    rows, columns, block, excluded = groups
    vocabularies = _vocabularies(rows, columns)
    left, right = _features(rows, vocabularies), _features(columns, vocabularies)
    fit = _fit(left, block, right)
    _forbid(
        fit,
        [r.person_id for r in rows],
        [c.person_id for c in columns],
        excluded,
        row_offset=block.start,
    )
    assert fit.dtype == np.float32
    assert fit.shape == (block.stop - block.start, len(columns))
    volunteer = fit.astype(np.float64) + left.fairness[block, None]
    peer = volunteer + right.fairness[None, :]
    for i, row in enumerate(rows[block]):
        for j, column in enumerate(columns):
            want = _expected(row, column, False, excluded)
            assert volunteer[i, j] == pytest.approx(want, abs=1e-9), (i, j)
            want = _expected(row, column, True, excluded)
            assert peer[i, j] == pytest.approx(want, abs=1e-9), (i, j)


def test_group_features_ignore_unknown_words_and_keep_fairness_exact() -> None:
    people = [
        Candidate(1, DA, times=frozenset({"weekday-morning"}), waited_days=3),
        Candidate(2, frozenset({"en"}), interests=frozenset({"tea"}), waited_days=100),
    ]
    vocabularies = _vocabularies(people[:1])  # built without the second person's words
    features = _features(people, vocabularies)
    assert features.languages.tolist() == [[1.0], [0.0]]
    assert features.interests.tolist() == [[0.0], [0.0]]  # no interest known: one empty column
    assert features.fairness.tolist() == [0.75, 15.0]
    assert features.fairness.dtype == np.float64


def test_excluding_a_person_from_themself_or_a_stranger_changes_nothing() -> None:
    people = [Candidate(1, DA), Candidate(2, DA), Candidate(3, DA)]
    features = _features(people, _vocabularies(people))
    fit = _fit(features, slice(0, 3), features)
    _forbid(fit, [1, 2, 3], [1, 2, 3], {frozenset({2}), frozenset({4, 1})})
    allowed = np.isfinite(fit)
    assert allowed.tolist() == [
        [False, True, True],
        [True, False, True],
        [True, True, False],
    ]


def test_an_excluded_pair_is_forbidden_both_ways_and_in_every_slot() -> None:
    seekers = [Candidate(1, DA), Candidate(2, DA)]
    slots = [Candidate(9, DA), Candidate(9, DA), Candidate(8, DA)]  # volunteer 9 has two slots
    vocabularies = _vocabularies(seekers, slots)
    fit = _fit(_features(seekers, vocabularies), slice(0, 2), _features(slots, vocabularies))
    _forbid(fit, [1, 2], [9, 9, 8], {frozenset({9, 2})})
    assert np.isfinite(fit).tolist() == [[True, True, True], [False, False, True]]


def test_more_than_five_shared_interests_count_as_five_in_a_group_too() -> None:
    many = frozenset(f"i{n}" for n in range(8))
    seekers = [Candidate(1, DA, interests=many), Candidate(2, DA, interests=frozenset({"i0"}))]
    volunteers = [Candidate(9, DA, interests=many), Candidate(8, DA)]
    vocabularies = _vocabularies(seekers, volunteers)
    fit = _fit(_features(seekers, vocabularies), slice(0, 2), _features(volunteers, vocabularies))
    assert fit.tolist() == [[1.0 + 5.0, 1.0], [1.0 + 1.0, 1.0]]


@pytest.mark.parametrize("interests", [1, 8])
@pytest.mark.parametrize(("rows", "columns"), [(0, 2), (2, 0), (0, 0)])
def test_an_empty_side_gives_an_empty_table(rows: int, columns: int, interests: int) -> None:
    listed = frozenset(f"i{n}" for n in range(interests))
    people = [Candidate(n, DA, interests=listed) for n in range(2)]
    left, right = people[:rows] or people[:1], people[:columns]
    vocabularies = _vocabularies(left, right)
    fit = _fit(_features(left, vocabularies), slice(0, rows), _features(right, vocabularies))
    assert fit.shape == (rows, columns)


def test_one_person_exclusions_are_skipped_and_the_rest_still_apply() -> None:
    people = [Candidate(n, DA) for n in range(1, 5)]
    features = _features(people, _vocabularies(people))
    fit = _fit(features, slice(0, 4), features)
    excluded = {frozenset({n}) for n in range(1, 5)} | {frozenset({1, 2}), frozenset({3, 4})}
    _forbid(fit, [1, 2, 3, 4], [1, 2, 3, 4], excluded)
    assert np.isfinite(fit).tolist() == [
        [False, False, True, True],
        [False, False, True, True],
        [True, True, False, False],
        [True, True, False, False],
    ]
