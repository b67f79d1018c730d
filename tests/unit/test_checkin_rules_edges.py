"""Check-in rules at their edges: every way of typing a schedule, what an error names,
the exact reminder instant in a spring-forward gap, and a host clock in another zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checkins.rules import (
    ALL_DAYS,
    ReminderRule,
    local_slot,
    low_mood_run_start,
    missed_scheduled_days,
    next_due,
    note_too_long,
    parse_schedule,
    parse_weekdays,
)
from bot.core.parsing import ArgumentError

CPH = ZoneInfo("Europe/Copenhagen")
NEW_YORK = ZoneInfo("America/New_York")
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11


# ---------------------------------------------------------------- typing a schedule


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        (["man., tor."], {0, 3}),  # abbreviations with a full stop
        (["mon and thu"], {0, 3}),
        (["mandag samt torsdag"], {0, 3}),
        (["man og fredag"], {0, 4}),  # one argument holding "og"
        (["mon, weekend"], {0, 5, 6}),  # a day and a group add up
        (["weekend", "mon"], {0, 5, 6}),
        # Plurals: Danish "mandage", Norwegian "mandager", definite "tirsdagene".
        (["mandage"], {0}),
        (["mandager og torsdager"], {0, 3}),
        (["tirsdagene"], {1}),
        (["lørdagene, søndagene"], {5, 6}),
    ],
)
def test_days_as_people_type_them(typed: list[str], days: set[int]) -> None:
    assert parse_weekdays(typed) == frozenset(days)


@pytest.mark.parametrize("typed", [["free"], ["e"], ["mone"], ["manx"], ["dage"]])
def test_words_that_are_not_days(typed: list[str]) -> None:
    assert parse_weekdays(typed) is None


def test_a_leading_separator_is_not_a_day_and_not_the_end() -> None:
    assert parse_weekdays([",mon"]) == frozenset({0})


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("daily, 08:30", ReminderRule(ALL_DAYS, 8, 30)),
        ("hver dag, kl. 8", ReminderRule(ALL_DAYS, 8, 0)),
        ("mon,thu,19:00", ReminderRule(frozenset({0, 3}), 19, 0)),
        ("tirsdagene 18:15", ReminderRule(frozenset({1}), 18, 15)),
    ],
)
def test_commas_and_plurals_in_a_schedule(text: str, rule: ReminderRule) -> None:
    assert parse_schedule(text) == rule


def test_an_error_repeats_what_was_typed() -> None:
    with pytest.raises(ArgumentError) as error:
        parse_schedule("weekly mon 25:61")
    assert error.value.values == {"value": "25:61"}
    with pytest.raises(ArgumentError) as error:
        parse_schedule("Weekly Mon Someday 10:00")
    assert error.value.key == "checkin.bad_days"
    assert error.value.values == {"value": "mon someday"}


def test_a_rule_without_days_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        next_due(ReminderRule(frozenset(), 9, 0), CPH, datetime(2026, 1, 1, tzinfo=UTC))


# ---------------------------------------------------------------- reminder instants


@pytest.mark.parametrize(
    ("zone", "day", "moment"),
    [
        (CPH, date(2026, 3, 29), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (NEW_YORK, date(2026, 3, 8), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("minute", [0, 1, 10, 29, 31, 47, 59])
def test_every_time_in_the_gap_fires_exactly_when_the_clocks_jump(
    zone: ZoneInfo, day: date, moment: datetime, minute: int
) -> None:
    assert local_slot(day, 2, minute, zone) == moment


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from([CPH, NEW_YORK, PAGO_PAGO, ZoneInfo("Pacific/Kiritimati")]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_due_skips_no_earlier_reminder(
    naive: datetime, zone: ZoneInfo, hour: int, minute: int, days: frozenset[int]
) -> None:
    after = naive.replace(tzinfo=UTC)
    rule = ReminderRule(days, hour, minute)
    due = next_due(rule, zone, after)
    day = after.astimezone(zone).date() - timedelta(days=1)
    while day < due.astimezone(zone).date():
        if day.weekday() in days:
            assert local_slot(day, hour, minute, zone) <= after, day
        day += timedelta(days=1)


def test_a_weekly_reminder_just_missed_today_comes_next_week() -> None:
    monday_nine = ReminderRule(frozenset({0}), 9, 0)
    after = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Copenhagen
    assert next_due(monday_nine, CPH, after) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.mark.usefixtures("host_in_kiritimati")
def test_the_servers_own_zone_changes_nothing() -> None:
    # 23:00 on Monday 5 January in Pago Pago is already Wednesday 00:00 in Kiritimati.
    after = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    rule = ReminderRule(ALL_DAYS, 23, 30)
    due = next_due(rule, PAGO_PAGO, after)
    assert due == datetime(2026, 1, 6, 10, 30, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)
    gap = local_slot(date(2026, 3, 29), 2, 30, CPH)
    assert gap == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert gap.utcoffset() == timedelta(0)
    assert local_slot(date(2026, 7, 1), 9, 0, CPH).utcoffset() == timedelta(0)
    # Made Monday 08:00 in Pago Pago, quiet until Thursday 09:00 there: Mon, Tue, Wed missed.
    daily_nine = ReminderRule(ALL_DAYS, 9, 0)
    made = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)
    now = datetime(2026, 1, 8, 20, 0, tzinfo=UTC)
    assert (
        missed_scheduled_days(
            daily_nine, PAGO_PAGO, scheduled_since=made, last_checkin=None, now=now, cap=10
        )
        == 3
    )
    # A check-in late on Tuesday there (already Thursday in Kiritimati) leaves only Wednesday.
    late_tuesday = datetime(2026, 1, 7, 10, 30, tzinfo=UTC)
    assert (
        missed_scheduled_days(
            daily_nine, PAGO_PAGO, scheduled_since=made, last_checkin=late_tuesday, now=now, cap=10
        )
        == 1
    )


# ---------------------------------------------------------------- missed days


def test_a_reminder_made_minutes_after_its_local_time_does_not_count_that_day() -> None:
    rule = ReminderRule(ALL_DAYS, 8, 30)  # 07:30 UTC in winter
    made = datetime(2026, 11, 23, 7, 45, tzinfo=UTC)  # 08:45 in Copenhagen, after the reminder
    now = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
    count = missed_scheduled_days(
        rule, CPH, scheduled_since=made, last_checkin=None, now=now, cap=9
    )
    assert count == 1  # Tuesday only; Monday's reminder was never sent


def test_a_schedule_made_at_the_very_minute_of_its_reminder_does_not_count_that_day() -> None:
    rule = ReminderRule(ALL_DAYS, 9, 0)
    made = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # exactly 09:00 in Copenhagen
    # The first reminder is the next one, strictly after the schedule was made ...
    assert next_due(rule, CPH, made) == made + timedelta(days=1)
    # ... so on Tuesday, Monday is not a day whose reminder went unanswered.
    tuesday = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    count = missed_scheduled_days(
        rule, CPH, scheduled_since=made, last_checkin=None, now=tuesday, cap=9
    )
    assert count == 0


# ---------------------------------------------------------------- small rules


def test_low_mood_needs_at_least_one_low_checkin() -> None:
    assert low_mood_run_start([], low_max=2, streak=1) is None
    assert low_mood_run_start([(5, "a")], low_max=2, streak=1) is None
    assert low_mood_run_start([(2, "b"), (5, "a")], low_max=2, streak=1) == "b"


def test_a_note_may_be_exactly_the_limit() -> None:
    assert not note_too_long("x" * 200, 200)
    assert note_too_long("x" * 201, 200)
    assert not note_too_long("", 200)
