"""Pure rules of the waiting list: offers and their deadlines, positions, "maybe" and the
minimum-size check, with properties that hold for any times and lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.parsing import ArgumentError
from bot.meals.rules import Limits, local_start, parse_schedule
from bot.meals.waiting import (
    OFFER_CUTOFF,
    OfferTimes,
    below_minimum,
    maybe_reminder_due,
    minimum_check_due,
    offer_deadline,
    offer_expired,
    offers_apply,
    position_changes,
    positions,
    who_gets_offers,
)

TIMES = OfferTimes(window=timedelta(hours=48), length=timedelta(hours=4))
START = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
CPH = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=10))
people = st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=40)


def test_offers_only_within_the_window_before_the_start() -> None:
    assert offers_apply(START, START - timedelta(hours=47), TIMES)
    assert offers_apply(START, START - timedelta(hours=48), TIMES)
    assert not offers_apply(START, START - timedelta(hours=49), TIMES)  # promoted as before
    assert not offers_apply(START, START, TIMES)  # started: nothing to offer


def test_the_deadline_is_the_offer_length_but_never_close_to_the_start() -> None:
    now = START - timedelta(hours=30)
    assert offer_deadline(now, START, TIMES) == now + timedelta(hours=4)
    now = START - timedelta(hours=2)
    assert offer_deadline(now, START, TIMES) == START - OFFER_CUTOFF
    now = START - timedelta(minutes=10)  # too close for the cutoff: until the start
    assert offer_deadline(now, START, TIMES) == START


@given(moments, spans, spans, spans)
def test_an_offer_never_outlives_the_start_and_always_has_time(
    now: datetime, ahead: timedelta, window: timedelta, length: timedelta
) -> None:
    starts_at = now + ahead
    deadline = offer_deadline(now, starts_at, OfferTimes(window=window, length=length))
    assert now < deadline <= starts_at
    assert deadline <= now + length or deadline == starts_at


@given(moments, spans)
def test_an_offer_expires_exactly_at_its_deadline(now: datetime, span: timedelta) -> None:
    assert not offer_expired(now + span, now)
    assert offer_expired(now, now)
    assert offer_expired(now - span, now)
    assert not offer_expired(None, now)


@given(st.integers(min_value=-5, max_value=50), people)
def test_never_more_offers_than_free_seats_and_first_come_first(
    free: int, waiting: list[int]
) -> None:
    offered = who_gets_offers(free, waiting)
    assert len(offered) <= max(0, free)
    assert len(offered) == min(max(0, free), len(waiting))
    assert offered == waiting[: len(offered)]  # nobody is skipped


@given(people)
def test_positions_are_one_to_n_without_gaps(waiting: list[int]) -> None:
    places = positions(waiting)
    assert sorted(places.values()) == list(range(1, len(waiting) + 1))
    assert [places[p] for p in waiting] == list(range(1, len(waiting) + 1))


@given(people, st.data())
def test_only_a_changed_place_is_told_and_told_once(
    waiting: list[int], data: st.DataObject
) -> None:
    # Some leave the list; those behind them move up.
    gone = set(data.draw(st.lists(st.sampled_from(waiting), unique=True)) if waiting else [])
    told: dict[int, int | None] = dict(positions(waiting))
    after = [p for p in waiting if p not in gone]
    changed = position_changes(told, after)
    for person, place in positions(after).items():
        assert (person in changed) == (told[person] != place)
        if person in changed:
            assert changed[person] == place < told[person]  # leaving only moves people up
    assert not set(changed) & gone
    # Once told, nothing more to tell: one message per change, not a storm.
    told.update(changed)
    assert position_changes(told, after) == {}


def test_someone_never_told_a_place_is_not_told_a_change() -> None:
    assert position_changes({1: None, 2: 3}, [1, 2]) == {2: 2}


def test_maybe_reminder_and_minimum_check_times() -> None:
    day = timedelta(hours=24)
    assert not maybe_reminder_due(START, START - day - timedelta(minutes=1), day)
    assert maybe_reminder_due(START, START - day, day)
    assert not maybe_reminder_due(START, START, day)
    assert minimum_check_due(START, START - timedelta(hours=3), day)
    assert not minimum_check_due(START, START - timedelta(hours=25), day)
    assert below_minimum(2, 4)
    assert not below_minimum(4, 4)
    assert not below_minimum(0, 0)  # no minimum


def test_the_day_before_is_counted_in_real_hours_across_daylight_saving() -> None:
    # Sunday 29 March 2026 18:00 in Copenhagen and Oslo: clocks went forward that night,
    # so 24 hours before is Saturday 17:00 local, and the deadline shows in local time.
    for zone in (CPH, OSLO):
        start = local_start(datetime(2026, 3, 29).date(), datetime(2026, 1, 1, 18).time(), zone)
        reminder_at = start - timedelta(hours=24)
        assert reminder_at.astimezone(zone).hour == 17
        assert maybe_reminder_due(start, reminder_at, timedelta(hours=24))
        now = start - timedelta(hours=20)
        deadline = offer_deadline(now, start, TIMES)
        assert deadline - now == timedelta(hours=4)


def test_schedule_reads_a_minimum_and_refuses_one_above_the_seats() -> None:
    limits = Limits(title_max_length=80, default_capacity=12, default_minutes=60)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    request = parse_schedule(
        '"Soup" tomorrow 18:00 seats 8 minimum 4',
        today=now.date(),
        now=now,
        zone=CPH,
        can_voice=False,
        limits=limits,
    )
    assert (request.capacity, request.minimum) == (8, 4)
    for line in ('"Soup" tomorrow 18:00 minimum 9 seats 8', '"Soup" tomorrow 18:00 minimum x'):
        with pytest.raises(ArgumentError) as raised:
            parse_schedule(
                line, today=now.date(), now=now, zone=CPH, can_voice=False, limits=limits
            )
        assert raised.value.key == "meal.bad_minimum"


def test_an_offer_made_in_quiet_hours_runs_from_when_it_can_be_seen() -> None:
    now = START - timedelta(hours=30)
    morning = now + timedelta(hours=8)
    assert offer_deadline(now, START, TIMES, seen_from=morning) == morning + timedelta(hours=4)
    # Seen only after the cutoff: it lasts until the start.
    late = START - timedelta(minutes=20)
    assert offer_deadline(now, START, TIMES, seen_from=late) == START
    # seen_from before now changes nothing.
    earlier = now - timedelta(hours=1)
    assert offer_deadline(now, START, TIMES, seen_from=earlier) == now + timedelta(hours=4)


def test_an_offer_made_exactly_at_the_cutoff_lasts_until_the_start() -> None:
    now = START - OFFER_CUTOFF
    assert offer_deadline(now, START, TIMES) == START
    just_before = now - timedelta(minutes=1)
    assert offer_deadline(just_before, START, TIMES) == now


def test_a_seat_freed_after_the_start_is_not_offered_and_its_deadline_is_not_past() -> None:
    after = START + timedelta(minutes=5)
    assert not offers_apply(START, after, TIMES)
    assert offer_deadline(after, START, TIMES) == after


def test_the_minimum_is_checked_from_its_moment_until_the_start() -> None:
    day = timedelta(hours=24)
    assert minimum_check_due(START, START - day, day)
    assert not minimum_check_due(START, START - day - timedelta(seconds=1), day)
    assert minimum_check_due(START, START - timedelta(seconds=1), day)
    assert not minimum_check_due(START, START, day)
    assert maybe_reminder_due(START, START - timedelta(seconds=1), day)


def test_a_minimum_of_one_is_a_minimum() -> None:
    assert below_minimum(0, 1)
    assert not below_minimum(1, 1)
    assert not below_minimum(5, 0)


def test_no_free_seat_no_offer() -> None:
    assert who_gets_offers(0, [1, 2, 3]) == []
    assert who_gets_offers(-1, [1, 2, 3]) == []
    assert who_gets_offers(1, [7, 2, 3]) == [7]
