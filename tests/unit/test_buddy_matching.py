"""The matching rules, checked on random pools (hypothesis) and against the exact optimum."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buddies import peer_matching, volunteer_matching
from bot.buddies.matching import match_round, why_waiting
from bot.buddies.peer_matching import pair_peers
from bot.buddies.rules import next_match_time
from bot.buddies.scoring import CONTACT_MODES, TIME_SLOTS, Candidate
from bot.buddies.volunteer_matching import assign_volunteers, exact_volunteer_optimum

LANGS = ["da", "no", "en", "ar"]


def people(first_id: int, volunteer: bool) -> st.SearchStrategy[list[Candidate]]:
    one = st.builds(
        Candidate,
        person_id=st.just(0),
        languages=st.frozensets(st.sampled_from(LANGS), min_size=1, max_size=2),
        times=st.frozensets(st.sampled_from(TIME_SLOTS), max_size=3),
        contact=st.frozensets(st.sampled_from(CONTACT_MODES), max_size=2),
        interests=st.frozensets(st.sampled_from(["a", "b", "c", "d"]), max_size=3),
        kind=st.sampled_from(["volunteer", "peer", "any"]),
        waited_days=st.floats(0, 90),
        capacity=st.integers(1, 3) if volunteer else st.just(1),
    )
    return st.lists(one, max_size=14).map(
        lambda found: [
            Candidate(**{**c.__dict__, "person_id": first_id + i}) for i, c in enumerate(found)
        ]
    )


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Candidate], list[Candidate], set[frozenset[int]]]:
    participants = draw(people(0, False))
    volunteers = draw(people(100, True))
    ids = [p.person_id for p in participants + volunteers]
    excluded: set[frozenset[int]] = set()
    if len(ids) >= 2:
        for a, b in draw(
            st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=10)
        ):
            if a != b:
                excluded.add(frozenset((a, b)))
    return participants, volunteers, excluded


@settings(max_examples=150, deadline=None)
@given(pools())
def test_round_never_breaks_a_rule(
    pool: tuple[list[Candidate], list[Candidate], set[frozenset[int]]],
) -> None:
    participants, volunteers, excluded = pool
    by_id = {c.person_id: c for c in participants + volunteers}
    result = match_round(participants, volunteers, excluded)
    used: Counter[int] = Counter()
    seen: set[int] = set()
    for proposal in result.proposals:
        a, b = by_id[proposal.participant], by_id[proposal.partner]
        assert frozenset((a.person_id, b.person_id)) not in excluded
        assert a.languages & b.languages
        if proposal.kind == "volunteer":
            assert b.person_id >= 100
            assert a.kind in ("volunteer", "any")
            used[b.person_id] += 1
        else:
            assert b.person_id < 100
            assert a.kind in ("peer", "any")
            assert b.kind in ("peer", "any")
            assert b.person_id not in seen
            seen.add(b.person_id)
        assert a.person_id not in seen
        seen.add(a.person_id)
    for volunteer_id, count in used.items():
        assert count <= by_id[volunteer_id].capacity
    assert set(result.waiting) == {p.person_id for p in participants} - seen


@settings(max_examples=60, deadline=None)
@given(pools())
def test_volunteer_assignment_is_optimal_on_small_pools(
    pool: tuple[list[Candidate], list[Candidate], set[frozenset[int]]],
) -> None:
    participants, volunteers, excluded = pool
    found = assign_volunteers(participants, volunteers, excluded)
    optimum = exact_volunteer_optimum(participants, volunteers, excluded)
    assert abs(sum(p.score for p in found) - optimum) < 1e-6


@settings(max_examples=100, deadline=None)
@given(pools())
def test_auction_never_breaks_a_rule(
    pool: tuple[list[Candidate], list[Candidate], set[frozenset[int]]],
) -> None:
    participants, volunteers, excluded = pool
    by_id = {c.person_id: c for c in participants + volunteers}
    found = assign_volunteers(participants, volunteers, excluded, exact=False)
    assert len({p.participant for p in found}) == len(found)
    for proposal in found:
        seeker, volunteer = by_id[proposal.participant], by_id[proposal.partner]
        assert seeker.kind in ("volunteer", "any")
        assert seeker.languages & volunteer.languages
        assert frozenset((seeker.person_id, volunteer.person_id)) not in excluded
    for volunteer_id, count in Counter(p.partner for p in found).items():
        assert count <= by_id[volunteer_id].capacity


@settings(max_examples=100, deadline=None)
@given(pools())
def test_waiting_reasons_agree_with_the_one_by_one_reasons(
    pool: tuple[list[Candidate], list[Candidate], set[frozenset[int]]],
) -> None:
    participants, volunteers, excluded = pool
    result = match_round(participants, volunteers, excluded)
    used: Counter[int] = Counter()
    for person_id, reason in result.waiting.items():
        person = next(p for p in participants if p.person_id == person_id)
        assert reason == why_waiting(person, participants, volunteers, excluded, used)


def random_pool(
    seed: int, participants: int, volunteers: int
) -> tuple[list[Candidate], list[Candidate], set[frozenset[int]]]:
    rng = random.Random(seed)

    def person(person_id: int, capacity: int) -> Candidate:
        return Candidate(
            person_id,
            frozenset(rng.sample(LANGS, rng.choice([1, 1, 2]))),
            times=frozenset(rng.sample(TIME_SLOTS, rng.randint(1, 4))),
            contact=frozenset(rng.sample(CONTACT_MODES, rng.randint(1, 3))),
            interests=frozenset(rng.sample("abcdefghij", rng.randint(0, 4))),
            kind=rng.choice(["volunteer", "any", "peer"]),
            waited_days=rng.expovariate(1 / 10),
            capacity=capacity,
        )

    people = [person(i, 1) for i in range(participants)]
    helpers = [person(10_000 + j, rng.randint(1, 3)) for j in range(volunteers)]
    ids = [c.person_id for c in people + helpers]
    excluded = {frozenset(rng.sample(ids, 2)) for _ in range(len(ids) // 10)}
    return people, helpers, excluded


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auction_is_within_one_percent_of_the_optimum(seed: int) -> None:
    participants, volunteers, excluded = random_pool(seed, 400, 80)
    found = assign_volunteers(participants, volunteers, excluded, exact=False)
    optimum = exact_volunteer_optimum(participants, volunteers, excluded)
    assert sum(p.score for p in found) >= 0.99 * optimum


def test_auction_recovers_when_its_head_start_overshoots(monkeypatch: pytest.MonkeyPatch) -> None:
    participants, volunteers, excluded = random_pool(4, 300, 60)
    optimum = exact_volunteer_optimum(participants, volunteers, excluded)
    monkeypatch.setattr(volunteer_matching, "AUCTION_START_PRICE", 3.0)
    found = assign_volunteers(participants, volunteers, excluded, exact=False)
    assert sum(p.score for p in found) >= 0.99 * optimum


def test_peer_groups_pair_each_person_once_with_a_shared_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(peer_matching, "PEER_CHUNK", 40)
    peers = [
        Candidate(
            i,
            frozenset({"ar"} if i % 4 == 0 else {"da", "en"} if i % 4 == 1 else {"da"}),
            times=frozenset({TIME_SLOTS[i % 6]}),
            kind="peer",
            waited_days=i % 9,
        )
        for i in range(200)
    ]
    excluded = {frozenset((0, 4)), frozenset((2, 3))}
    found = pair_peers(peers, excluded, exact=False)
    ids = [x for p in found for x in (p.participant, p.partner)]
    assert len(ids) == len(set(ids)) == 200  # 50 Arabic speakers, 150 Danish speakers
    for proposal in found:
        assert peers[proposal.participant].languages & peers[proposal.partner].languages
        assert frozenset((proposal.participant, proposal.partner)) not in excluded


def test_pruned_assignment_keeps_the_rules() -> None:
    participants = [
        Candidate(i, frozenset({"da"} if i % 3 else {"ar"}), kind="any", waited_days=i % 20)
        for i in range(300)
    ]
    volunteers = [Candidate(1000 + j, frozenset({"da", "en"}), capacity=2) for j in range(40)]
    found = assign_volunteers(participants, volunteers, set(), exact=False)
    assert len(found) == 80
    assert all(p.participant % 3 for p in found)  # Arabic-only speakers need an Arabic volunteer
    assert max(Counter(p.partner for p in found).values()) <= 2


def test_peer_heuristic_pairs_each_person_once() -> None:
    peers = [
        Candidate(i, frozenset({"da"}), times=frozenset({TIME_SLOTS[i % 6]}), kind="peer")
        for i in range(200)
    ]
    found = pair_peers(peers, {frozenset((0, 1))}, exact=False)
    ids = [x for p in found for x in (p.participant, p.partner)]
    assert len(ids) == len(set(ids)) == 200
    assert frozenset((0, 1)) not in {frozenset((p.participant, p.partner)) for p in found}


def test_long_waiters_go_first_when_capacity_is_short() -> None:
    patient = Candidate(1, frozenset({"da"}), kind="volunteer", waited_days=40)
    new = Candidate(2, frozenset({"da"}), kind="volunteer", waited_days=0)
    volunteer = Candidate(9, frozenset({"da"}))
    result = match_round([new, patient], [volunteer], set())
    assert [p.participant for p in result.proposals] == [1]
    assert result.waiting == {2: ("no_volunteer_capacity", "da")}


def test_reasons_name_the_missing_language() -> None:
    result = match_round(
        [Candidate(1, frozenset({"ar"}), kind="volunteer")],
        [Candidate(9, frozenset({"da"}))],
        set(),
    )
    assert result.waiting == {1: ("no_volunteer_language", "ar")}


def test_next_match_time_is_local_and_dst_correct() -> None:
    zone = "Europe/Copenhagen"
    # Winter (UTC+1): 10:00 local is 09:00 UTC.
    assert next_match_time(datetime(2026, 1, 5, 8, 0, tzinfo=UTC), "10:00", zone) == datetime(
        2026, 1, 5, 9, 0, tzinfo=UTC
    )
    # The day summer time begins: 10:00 local is 08:00 UTC.
    assert next_match_time(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "10:00", zone) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )
    # 02:30 repeats when summer time ends (Oslo): the round runs once, at the first.
    first = next_match_time(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), "02:30", "Europe/Oslo")
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    after = next_match_time(first, "02:30", "Europe/Oslo")
    assert after == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    # 02:30 does not exist when summer time begins: it runs at 03:30 summer time.
    gap = next_match_time(datetime(2026, 3, 29, 0, 0, tzinfo=UTC), "02:30", zone)
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
