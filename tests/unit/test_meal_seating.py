"""Tables of a split meal: buddies and companions sit together, no table is too big."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.meals.companions import MOST as MOST_COMPANIONS
from bot.meals.rules import Seat
from bot.meals.seating import load, split_tables


def test_buddies_who_joined_far_apart_sit_at_one_table() -> None:
    seats = [Seat(i) for i in range(1, 13)]
    tables = split_tables(seats, 6, pairs=[(1, 12)])
    table_of = {s.person_id: t.number for t in tables for s in t.seats}
    assert table_of[1] == table_of[12]
    assert [len(t.seats) for t in tables] == [6, 6]


def test_a_companion_takes_a_seat_at_the_same_table() -> None:
    seats = [Seat(1, companions=1)] + [Seat(i) for i in range(2, 7)]
    tables = split_tables(seats, 6)
    assert [load(t.seats) for t in tables] == [4, 3]


def test_volunteer_buddy_hosts_the_table_of_their_buddy() -> None:
    seats = [Seat(1, True), Seat(2, True)] + [Seat(i) for i in range(3, 14)]
    tables = split_tables(seats, 6, pairs=[(13, 2)])
    host_of = {s.person_id: t.host for t in tables for s in t.seats}
    assert host_of[13] == 2


@st.composite
def meals(draw: st.DrawFn) -> tuple[list[Seat], list[tuple[int, int]], int]:
    size = draw(st.integers(2, 10))
    people = draw(st.integers(0, 40))
    seats = [
        # Up to the most companions one may bring, even where that is more than a table.
        Seat(i, draw(st.booleans()), draw(st.integers(0, MOST_COMPANIONS)))
        for i in range(people)
    ]
    ids = [s.person_id for s in seats]
    pairs = []
    if len(ids) >= 2:
        # Each person has at most one active buddy here (the common case).
        shuffled = draw(st.permutations(ids))
        count = draw(st.integers(0, len(ids) // 2))
        pairs = [(shuffled[2 * i], shuffled[2 * i + 1]) for i in range(count)]
    return seats, pairs, size


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meals())
def test_everyone_seated_once_within_size_and_pairs_never_split_when_they_fit(
    case: tuple[list[Seat], list[tuple[int, int]], int],
) -> None:
    seats, pairs, size = case
    tables = split_tables(seats, size, pairs)
    placed = [s for t in tables for s in t.seats]
    assert sorted(s.person_id for s in placed) == [s.person_id for s in seats]
    # Only one person whose companions alone overfill a table sits at a bigger one.
    assert all(load(t.seats) <= size or len(t.seats) == 1 for t in tables)
    table_of = {s.person_id: t.number for t in tables for s in t.seats}
    by_id = {s.person_id: s for s in seats}
    for one, other in pairs:
        if load([by_id[one], by_id[other]]) <= size:
            assert table_of[one] == table_of[other]
    assert split_tables(seats, size, pairs) == tables  # deterministic
    for table in tables:  # a volunteer at a table is its host
        volunteers = [s.person_id for s in table.seats if s.is_volunteer]
        assert table.host == (volunteers[0] if volunteers else None)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 60), st.integers(2, 10))
def test_without_pairs_or_companions_tables_stay_balanced(people: int, size: int) -> None:
    tables = split_tables([Seat(i) for i in range(people)], size)
    sizes = [len(t.seats) for t in tables]
    assert max(sizes) - min(sizes) <= 1
    assert max(sizes) <= size


def test_tables_are_numbered_from_one() -> None:
    tables = split_tables([Seat(i) for i in range(13)], 6)
    assert [t.number for t in tables] == [1, 2, 3]


def test_volunteers_beyond_one_per_table_are_spread_in_turn() -> None:
    # Two tables; the first volunteer brings two companions. The next volunteers still
    # go to the tables in turn rather than all to the one with fewer seats taken.
    seats = [Seat(1, True, companions=2), Seat(2, True), Seat(3, True), Seat(4, True)]
    seats += [Seat(i) for i in range(5, 10)]
    tables = split_tables(seats, 6)
    volunteers = [[s.person_id for s in t.seats if s.is_volunteer] for t in tables]
    assert volunteers == [[1, 3], [2, 4]]
    assert [t.host for t in tables] == [1, 2]


def test_a_buddy_who_is_not_at_the_meal_changes_nothing() -> None:
    seats = [Seat(i) for i in range(1, 8)]
    assert split_tables(seats, 6, pairs=[(1, 99), (98, 2), (3, 3)]) == split_tables(seats, 6)
    # ...and the pairs after it are still seated together.
    tables = split_tables(seats, 6, pairs=[(1, 99), (3, 3), (2, 7)])
    table_of = {s.person_id: t.number for t in tables for s in t.seats}
    assert table_of[2] == table_of[7]


def test_buddies_who_fill_a_table_exactly_sit_together_at_a_new_one() -> None:
    # Four seats a table; the two volunteers host the two tables first. Buddies 1 and 2
    # (with a companion each) fill a table exactly and neither table has room for them:
    # another table is opened rather than parting them.
    seats = [Seat(10, True), Seat(11, True), Seat(1, companions=1), Seat(2, companions=1)]
    tables = split_tables(seats, 4, pairs=[(1, 2)])
    assert [[s.person_id for s in t.seats] for t in tables] == [[10], [11], [1, 2]]


def test_the_biggest_groups_are_seated_first() -> None:
    # A person with three companions joined last; seated first, they still find room,
    # and nobody is left alone at a third table.
    seats = [Seat(i) for i in range(1, 6)] + [Seat(6, companions=3)]
    tables = split_tables(seats, 5)
    assert [load(t.seats) for t in tables] == [5, 4]
    assert [s.person_id for s in tables[0].seats] == [6, 5]


def test_a_person_whose_companions_overfill_a_table_gets_one_of_their_own() -> None:
    # Tables of three, and someone bringing three companions: they are not parted
    # from their companions, and the others are seated as usual (this used to never end).
    seats = [Seat(1), Seat(2, companions=3), Seat(3), Seat(4, True)]
    tables = split_tables(seats, 3)
    assert [[s.person_id for s in t.seats] for t in tables] == [[4], [1], [3], [2]]
    assert tables[0].host == 4


def test_a_pair_too_big_for_a_table_does_not_stop_the_next_pair() -> None:
    # 1 and 2 (two companions each) cannot share a table of four; 3 and 4 can.
    seats = [Seat(3), Seat(5), Seat(6), Seat(7), Seat(4)]
    seats += [Seat(1, companions=2), Seat(2, companions=2)]
    tables = split_tables(seats, 4, pairs=[(1, 2), (3, 4)])
    table_of = {s.person_id: t.number for t in tables for s in t.seats}
    assert table_of[3] == table_of[4]
    assert table_of[1] != table_of[2]
    assert all(load(t.seats) <= 4 for t in tables)
