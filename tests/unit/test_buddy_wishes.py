"""Wishes for the buddy's gender and age band: read from what people type, kept as a hard
rule both ways in every round (hypothesis), never changing a score, and named when they
are what keeps someone waiting."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buddies.matching import match_round, waiting_reasons, why_waiting, wish_reason
from bot.buddies.peer_matching import pair_peers
from bot.buddies.profile import (
    ProfileError,
    parse_age,
    parse_arguments,
    parse_gender,
    parse_wish_age,
    parse_wish_gender,
)
from bot.buddies.scoring import (
    AGE_BANDS,
    CONTACT_MODES,
    GENDERS,
    TIME_SLOTS,
    UNSAID,
    Candidate,
    _features,
    _fit,
    _vocabularies,
    pair_score,
    wishes_fit,
)
from bot.buddies.volunteer_matching import assign_volunteers
from bot.buddies.wishes import age_band

LANGS = ["da", "en", "ar"]


def no_wishes(candidate: Candidate) -> Candidate:
    return replace(candidate, wish_gender=frozenset(), wish_age=frozenset())


def people(first_id: int, volunteer: bool, size: int = 14) -> st.SearchStrategy[list[Candidate]]:
    one = st.builds(
        Candidate,
        person_id=st.just(0),
        languages=st.frozensets(st.sampled_from(LANGS), min_size=1, max_size=2),
        times=st.frozensets(st.sampled_from(TIME_SLOTS), max_size=3),
        contact=st.frozensets(st.sampled_from(CONTACT_MODES), max_size=2),
        interests=st.frozensets(st.sampled_from(["a", "b", "c"]), max_size=2),
        kind=st.sampled_from(["volunteer", "peer", "any"]),
        waited_days=st.floats(0, 90),
        capacity=st.integers(1, 3) if volunteer else st.just(1),
        gender=st.sampled_from(["", UNSAID, *GENDERS]),
        age=st.sampled_from(["", *AGE_BANDS]),
        # Most people wish nothing, as in life.
        wish_gender=st.one_of(
            st.just(frozenset()), st.frozensets(st.sampled_from(GENDERS), min_size=1)
        ),
        wish_age=st.one_of(
            st.just(frozenset()), st.frozensets(st.sampled_from(AGE_BANDS), min_size=1)
        ),
    )
    return st.lists(one, max_size=size).map(
        lambda found: [replace(c, person_id=first_id + i) for i, c in enumerate(found)]
    )


# ---------------------------------------------------------------- the rule


@settings(max_examples=200, deadline=None)
@given(people(0, False), people(100, True))
def test_a_stated_wish_is_never_broken_by_a_proposed_pair(
    participants: list[Candidate], volunteers: list[Candidate]
) -> None:
    by_id = {c.person_id: c for c in participants + volunteers}
    result = match_round(participants, volunteers, set())
    for proposal in result.proposals:
        a, b = by_id[proposal.participant], by_id[proposal.partner]
        for me, them in ((a, b), (b, a)):
            if me.wish_gender:
                assert them.gender in me.wish_gender
            if me.wish_age:
                assert them.age in me.wish_age


@settings(max_examples=60, deadline=None)
@given(people(0, False, size=30), people(100, True, size=12))
def test_the_auction_and_the_grouped_peer_pairing_keep_wishes_too(
    participants: list[Candidate], volunteers: list[Candidate]
) -> None:
    by_id = {c.person_id: c for c in participants + volunteers}
    proposals = assign_volunteers(participants, volunteers, set(), exact=False)
    proposals += pair_peers(participants, set(), exact=False)
    for proposal in proposals:
        assert wishes_fit(by_id[proposal.participant], by_id[proposal.partner])


@settings(max_examples=300, deadline=None)
@given(people(0, False, size=2), st.booleans())
def test_a_wish_never_changes_a_score_only_whether_a_pair_may_be(
    two: list[Candidate], peer: bool
) -> None:
    if len(two) < 2:
        return
    a, b = two
    with_wishes = pair_score(a, b, partner_is_peer=peer)
    without = pair_score(no_wishes(a), no_wishes(b), partner_is_peer=peer)
    assert with_wishes is None or with_wishes == without
    if without is not None:
        assert (with_wishes is None) == (not wishes_fit(a, b))


@settings(max_examples=150, deadline=None)
@given(people(0, False, size=10), people(100, True, size=10))
def test_wishes_leave_the_scores_of_people_without_one_as_they_were(
    left: list[Candidate], right: list[Candidate]
) -> None:
    """Pairs where neither side has a wish score the same whether or not others wish;
    every pair is allowed by the matrix exactly when the one-pair rule allows it."""
    if not left or not right:
        return
    bare_left, bare_right = [no_wishes(c) for c in left], [no_wishes(c) for c in right]

    def fit(one: list[Candidate], other: list[Candidate], first: int = 0) -> np.ndarray:
        vocabularies = _vocabularies(one, other)
        rows = _features(one, vocabularies)
        return _fit(rows, slice(first, len(one)), _features(other, vocabularies))

    wished, bare = fit(left, right), fit(bare_left, bare_right)
    # A block of rows further down (as the peer round computes it) is the same rows.
    half = len(left) // 2
    assert np.array_equal(fit(left, right, half), wished[half:])
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if not a.wishes and not b.wishes and wishes_fit(a, b):
                assert wished[i, j] == bare[i, j]
            assert np.isfinite(wished[i, j]) == (
                bool(a.languages & b.languages) and wishes_fit(a, b)
            )


def test_unknown_never_fits_a_stated_wish_and_no_wish_takes_anyone() -> None:
    wisher = Candidate(1, frozenset({"da"}), wish_gender=frozenset({"woman"}))
    for gender in ("", UNSAID, "man", "nonbinary"):
        assert not wishes_fit(wisher, Candidate(2, frozenset({"da"}), gender=gender))
        assert wishes_fit(Candidate(3, frozenset({"da"})), Candidate(2, frozenset({"da"})))
    assert wishes_fit(wisher, Candidate(2, frozenset({"da"}), gender="woman"))
    # Both directions: her wish is met, but his is not.
    picky = Candidate(2, frozenset({"da"}), gender="woman", wish_age=frozenset({"67+"}))
    assert not wishes_fit(wisher, picky)
    assert wishes_fit(wisher, replace(picky, wish_age=frozenset()))


# ---------------------------------------------------------------- waiting


def test_the_own_wish_is_named_when_it_is_what_keeps_someone_waiting() -> None:
    ida = Candidate(
        1, frozenset({"da"}), kind="volunteer", gender="woman", wish_gender=frozenset({"woman"})
    )
    men = [Candidate(100 + i, frozenset({"da"}), gender="man", capacity=1) for i in range(2)]
    result = match_round([ida], men, set())
    assert result.proposals == []
    assert result.waiting[1] == ("wish_gender", "da")
    assert why_waiting(ida, [ida], men, set(), Counter()) == ("wish_gender", "da")
    # Widened, she is matched at once.
    assert match_round([no_wishes(ida)], men, set()).proposals


def test_age_and_both_wishes_are_told_apart() -> None:
    old_man = Candidate(100, frozenset({"da"}), gender="man", age="67+")
    young_man = Candidate(101, frozenset({"da"}), gender="man", age="18-29")
    base = Candidate(1, frozenset({"da"}), kind="volunteer")
    age_only = replace(base, wish_age=frozenset({"50-66"}))
    assert wish_reason(age_only, [age_only], [old_man], set()) == "wish_age"
    both = replace(base, wish_gender=frozenset({"woman"}), wish_age=frozenset({"67+"}))
    # Widening the gender alone would do: the gender is named.
    assert wish_reason(both, [both], [old_man], set()) == "wish_gender"
    # Only widening both would do.
    assert wish_reason(both, [both], [young_man], set()) == "wish_both"
    # Nobody at all who speaks Arabic: the wish is not what keeps her waiting.
    arabic = replace(both, languages=frozenset({"ar"}))
    assert wish_reason(arabic, [arabic], [old_man], set()) is None
    reasons = waiting_reasons([arabic], [arabic], [old_man], set())
    assert reasons[1][0] == "no_volunteer_language"


def test_another_persons_wish_is_never_named() -> None:
    """A volunteer who wishes for women keeps a man waiting; he is not told of her wish."""
    man = Candidate(1, frozenset({"da"}), kind="volunteer", gender="man")
    volunteer = Candidate(100, frozenset({"da"}), gender="woman", wish_gender=frozenset({"woman"}))
    result = match_round([man], [volunteer], set())
    assert result.proposals == []
    assert not result.waiting[1][0].startswith("wish")


# ---------------------------------------------------------------- reading answers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kvinde", "woman"),
        ("Kvinne", "woman"),
        ("female", "woman"),
        ("mand", "man"),
        ("mann", "man"),
        ("ikke-binær", "nonbinary"),
        ("non-binary", "nonbinary"),
        ("vil helst ikke sige", UNSAID),
        ("vil ikke si", UNSAID),
        ("prefer not to say", UNSAID),
        ("spring over", ""),
        ("-", ""),
    ],
)
def test_gender_in_three_languages(text: str, expected: str) -> None:
    assert parse_gender(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72", "67+"),
        ("67+", "67+"),
        ("50–66", "50-66"),
        ("18 - 29", "18-29"),
        ("49", "30-49"),
        ("hopp over", ""),
    ],
)
def test_an_age_is_kept_only_as_its_band(text: str, expected: str) -> None:
    assert parse_age(text) == expected


def test_wishes_read_several_or_anyone() -> None:
    assert parse_wish_gender("kvinde eller ikke-binær") == ("woman", "nonbinary")
    assert parse_wish_gender("women, men") == ("woman", "man")
    for anyone in ("any", "lige meget", "spiller ingen rolle", "uanset", "skip"):
        assert parse_wish_gender(anyone) == ()
        assert parse_wish_age(anyone) == ()
    assert parse_wish_age("50-66, 67+") == ("50-66", "67+")


@pytest.mark.parametrize(
    ("parse", "text", "key"),
    [
        (parse_gender, "giraffe", "buddy.error.gender"),
        (parse_wish_gender, "prefer not to say", "buddy.error.wish_gender"),
        (parse_age, "12", "buddy.error.age"),
        (parse_age, "30-40", "buddy.error.age"),
        (parse_wish_age, "old", "buddy.error.wish_age"),
    ],
)
def test_wrong_answers_say_what_to_type(parse: object, text: str, key: str) -> None:
    with pytest.raises(ProfileError) as raised:
        parse(text)  # type: ignore[operator]
    assert raised.value.key == key


def test_all_at_once_with_danish_and_norwegian_keys() -> None:
    parsed = parse_arguments("køn=kvinde alder=71 ønske_køn=kvinde ønske-alder=50-66,67+", 3)
    profile = parsed.profile
    assert (profile.gender, profile.age) == ("woman", "67+")
    assert profile.wish_gender == ("woman",)
    assert profile.wish_age == ("50-66", "67+")
    english = parse_arguments("gender=man age=40 wish_gender=any wish_age=any", 3).profile
    assert (english.gender, english.age, english.wish_gender, english.wish_age) == (
        "man",
        "30-49",
        (),
        (),
    )
    assert {"gender", "age", "wish_gender", "wish_age"} <= english.answered


@given(st.integers(0, 130))
def test_every_adult_age_falls_in_exactly_one_band_and_a_child_in_none(years: int) -> None:
    band = age_band(str(years))
    if years < 18:
        assert band is None
        return
    assert band in AGE_BANDS
    low, _, high = band.replace("+", "-").partition("-")
    assert int(low) <= years
    assert not high or years <= int(high)
    # The band read back as itself.
    assert age_band(band) == band
