"""The impact report's numbers: confidence intervals, suppression of small groups with
complementary cells, and the change among people with a first round and a follow-up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.impact import stats
from bot.impact.rules import add_months, read_answer, read_hours, round_due

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_mean_ci_matches_the_t_interval() -> None:
    values = [2.0, 4.0, 4.0, 5.0, 7.0, 8.0]
    ci = stats.mean_ci(values)
    assert ci.n == 6
    assert ci.mean == pytest.approx(5.0)
    # s = 2.19089, t(0.975, 5) = 2.570582 → half-width 2.29921
    assert ci.low == pytest.approx(5.0 - 2.29921, abs=1e-4)
    assert ci.high == pytest.approx(5.0 + 2.29921, abs=1e-4)
    assert stats.mean_ci([3.0]).low is None
    assert stats.mean_ci([]).mean is None


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    # Shown with their total (25): hiding only the 3 would give it away by subtraction.
    assert stats.suppress([3, 10, 12], 5) == [None, None, 12]


def test_two_small_cells_that_add_up_to_less_than_five_take_a_third() -> None:
    # 1 + 2 = 3 hidden: the reader would know both lie in 1..4 and sum to 3.
    assert stats.suppress([1, 2, 9, 20], 5) == [None, None, None, 20]


def test_nothing_small_nothing_hidden_and_zeros_stay() -> None:
    assert stats.suppress([0, 5, 9], 5) == [0, 5, 9]
    assert stats.suppress([0, 0, 0], 5) == [0, 0, 0]


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8))
def test_no_hidden_cell_can_be_worked_out_from_the_total(counts: list[int]) -> None:
    shown = stats.suppress(counts, 5)
    hidden = [i for i, c in enumerate(shown) if c is None]
    # Every small cell is hidden.
    assert all(shown[i] is None for i, c in enumerate(counts) if 0 < c < 5)
    if hidden:
        # More than one hidden, and what they add up to (total minus the shown) is not
        # small enough to pin a person down.
        assert len(hidden) >= 2 or sum(counts) == counts[hidden[0]]
        if len(hidden) >= 2:
            assert sum(counts[i] for i in hidden) >= 5 or len(hidden) == sum(
                1 for c in counts if c > 0
            )


def test_reach_hides_a_small_month_and_the_next_smallest_but_keeps_the_total() -> None:
    joined = [("buddies", "2026-01")] * 2 + [("buddies", "2026-02")] * 7
    joined += [("buddies", "2026-03")] * 6 + [("meals", "2026-01")] * 3
    table = stats.reach(joined, ["2026-01", "2026-02", "2026-03"], 5)
    assert table.rows["buddies"] == [None, 7, None, 15]
    # Three people in a whole programme: the total is hidden too.
    assert table.rows["meals"] == [None, 0, 0, None]


def _person(
    programmes: set[str], first: tuple[int, int], later: tuple[int, int] | None, month: int = 3
) -> stats.PersonRecord:
    rows = [(0, "answered", T0, T0, _answers(*first))]
    if later is not None:
        due = T0 + timedelta(days=30 * month)
        rows.append((month, "answered", due, due, _answers(*later)))
    return stats.record(frozenset(programmes), rows)


def _answers(ucla: int, lonely: int) -> dict[str, int | None]:
    # Split the 3–9 score over the three items.
    a = min(3, ucla - 2)
    b = min(3, ucla - a - 1)
    return {"companionship": a, "left_out": b, "isolated": ucla - a - b, "lonely": lonely}


def test_a_programme_with_four_people_shows_no_means() -> None:
    people = [_person({"meals"}, (8, 4), (6, 3)) for _ in range(4)]
    people += [_person({"buddies"}, (8, 4), (7, 3)) for _ in range(6)]
    found = stats.outcomes(people, [3], T0, T0 + timedelta(days=365), 5)
    meals = next(o for o in found if o.programme == "meals")
    assert meals.suppressed
    assert meals.change.mean is None
    assert meals.improved is None
    buddies = next(o for o in found if o.programme == "buddies")
    assert buddies.change.mean == pytest.approx(-1.0)
    assert buddies.improved == 6
    everyone = next(o for o in found if o.programme == "all")
    assert everyone.paired == 10
    # Nobody got worse or stayed the same: zeros are shown, the improved count too.
    assert (everyone.improved, everyone.same, everyone.worse) == (10, 0, 0)


def test_a_small_improved_count_is_hidden_with_a_neighbour() -> None:
    people = [_person({"buddies"}, (8, 4), (6, 3)) for _ in range(2)]
    people += [_person({"buddies"}, (6, 3), (6, 3)) for _ in range(6)]
    people += [_person({"buddies"}, (5, 3), (7, 3)) for _ in range(7)]
    outcome = stats.outcomes(people, [3], T0, T0 + timedelta(days=365), 5)[0]
    assert (outcome.improved, outcome.same, outcome.worse) == (None, None, 7)


def test_response_rate_counts_missed_and_skipped_follow_ups() -> None:
    people = []
    for status in ("answered",) * 6 + ("missed",) * 3 + ("skipped",):
        due = T0 + timedelta(days=30)
        answers = _answers(6, 3) if status == "answered" else _answers(6, 3) | {"lonely": None}
        people.append(
            stats.record(
                frozenset({"buddies"}),
                [(0, "answered", T0, T0, _answers(7, 3)), (1, status, due, due, answers)],
            )
        )
    outcome = stats.outcomes(people, [1], T0, T0 + timedelta(days=365), 5)[0]
    assert (outcome.due, outcome.answered) == (10, 6)
    assert outcome.response_rate == pytest.approx(0.6)


def test_a_synthetic_cohort_with_a_known_effect_is_recovered() -> None:
    """1,000 people whose score falls by 1 on average, with 30 % dropout."""
    rng = random.Random(20261129)
    people = []
    for _ in range(1000):
        first = rng.randint(5, 9)
        change = rng.choice([-2, -1, -1, 0])  # mean −1
        dropped = rng.random() < 0.3
        people.append(
            _person({"buddies"}, (first, 3), None if dropped else (max(3, first + change), 3))
        )
    # Floors at 3 would bias the mean upward; the draw keeps them away from it.
    outcome = stats.outcomes(people, [3], T0, T0 + timedelta(days=365), 5)[0]
    assert 650 <= outcome.paired <= 750
    assert outcome.change.low is not None
    assert outcome.change.high is not None
    assert outcome.change.low <= -1.0 <= outcome.change.high
    assert outcome.change.high - outcome.change.low < 0.15


def test_months_are_calendar_months_at_the_same_local_time_across_dst() -> None:
    assert add_months(datetime(2026, 1, 31).date(), 1) == datetime(2026, 2, 28).date()
    joined = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen (winter)
    due = round_due(joined, 3, "Europe/Copenhagen")
    assert due == datetime(2026, 5, 10, 8, 0, tzinfo=UTC)  # 10:00 summer time
    assert round_due(joined, 1, "Europe/Oslo") == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_answers_by_number_label_or_skip_word() -> None:
    labels = ["Hardly ever", "Some of the time", "Often"]
    skip = frozenset({"skip", "spring over"})
    assert read_answer("2", "companionship", labels, skip) == 2
    assert read_answer(" often ", "companionship", labels, skip) == 3
    assert read_answer("Spring over", "left_out", labels, skip) == "skip"
    assert read_answer("4", "companionship", labels, skip) == ""
    assert read_answer("5", "lonely", [], skip) == 5
    assert read_hours("2,5") == 2.5
    assert read_hours("0") is None
    assert read_hours("lots") is None


@pytest.mark.parametrize("size", [5, 6, 10])
def test_suppression_never_leaves_one_hidden_cell(size: int) -> None:
    for counts in combinations([1, 2, 3, 4, 6, 8, 12], 3):
        shown = stats.suppress(list(counts), size)
        assert [c for c in shown if c is None].__len__() != 1


def test_volunteer_load_hours_and_support_only_for_groups_of_five() -> None:
    pulses = [(4, "no", 2.0), (5, "anon", 3.0), (3, "named", 1.5), (4, "no", None), (2, None, 1)]
    figures = stats.volunteer_figures([1, 2, 2, 3, 1, 4], pulses, 5)
    assert figures.active == 6
    assert figures.median_load == 2.0
    assert figures.hours == 7.5
    assert figures.how.mean == pytest.approx(3.6)
    # Two asked for support: fewer than five, so hidden.
    assert figures.support is None
    few = stats.volunteer_figures([1, 2, 3], pulses[:3], 5)
    assert (few.active, few.median_load, few.hours, few.how.mean) == (None, None, None, None)
