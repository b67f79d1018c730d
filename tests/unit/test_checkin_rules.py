"""Check-in rules: schedule parsing, DST-correct reminder times, missed days, low-mood runs."""

import itertools
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
    missed_episode_start,
    missed_scheduled_days,
    next_due,
    parse_schedule,
    parse_time,
    parse_weekdays,
    week_label,
)
from bot.core.parsing import ArgumentError

CPH = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")
DAILY_0230 = ReminderRule(ALL_DAYS, 2, 30)


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "days", "time"),
    [
        ("daily 08:30", ALL_DAYS, (8, 30)),
        ("dagligt 8.30", ALL_DAYS, (8, 30)),
        ("daglig kl. 9", ALL_DAYS, (9, 0)),
        ("hver dag 21:00", ALL_DAYS, (21, 0)),
        ("07:15", ALL_DAYS, (7, 15)),
        ("weekly mon,thu 19:00", frozenset({0, 3}), (19, 0)),
        ("ugentligt man,tor 19:00", frozenset({0, 3}), (19, 0)),
        ("ukentlig man, tor 19:00", frozenset({0, 3}), (19, 0)),
        ("man og fredag 10:00", frozenset({0, 4}), (10, 0)),
        ("weekly lør,søn 11:00", frozenset({5, 6}), (11, 0)),
        ("hverdage 08:00", frozenset(range(5)), (8, 0)),
    ],
)
def test_schedules_in_every_language(
    text: str, days: frozenset[int], time: tuple[int, int]
) -> None:
    rule = parse_schedule(text)
    assert rule == ReminderRule(days, *time)


@pytest.mark.parametrize("text", ["off", "fra", "av", "stop", "Stopp"])
def test_off_in_every_language(text: str) -> None:
    assert parse_schedule(text) is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("daily 25:00", "checkin.bad_time"),
        ("daily 12:60", "checkin.bad_time"),
        ("weekly mon,thu", "checkin.bad_time"),
        ("weekly 10:00", "checkin.need_days"),
        ("weekly mon,xyz 10:00", "checkin.bad_days"),
        ("", "checkin.schedule_help"),
    ],
)
def test_bad_schedules_name_what_to_type(text: str, key: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_schedule(text)
    assert error.value.key == key


def test_times_and_days() -> None:
    assert parse_time("23:59") == (23, 59)
    assert parse_time("24:00") is None
    assert parse_time("noon") is None
    assert parse_weekdays(["tirsdag", "onsdag"]) == frozenset({1, 2})
    assert parse_weekdays(["someday"]) is None
    rule = ReminderRule(frozenset({0, 3}), 9, 5)
    assert ReminderRule.from_stored(rule.days_code, rule.local_time) == rule
    assert not rule.is_daily


# ---------------------------------------------------------------- DST


@pytest.mark.parametrize("zone", [CPH, OSLO])
def test_spring_forward_fires_at_the_first_valid_instant(zone: ZoneInfo) -> None:
    # 29 March 2026: 02:00 local jumps to 03:00, so 02:30 doesn't exist.
    slot = local_slot(date(2026, 3, 29), 2, 30, zone)
    assert slot == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert slot.astimezone(zone).strftime("%H:%M") == "03:00"


@pytest.mark.parametrize("zone", [CPH, OSLO])
def test_fall_back_fires_at_the_first_occurrence(zone: ZoneInfo) -> None:
    # 25 October 2026: 02:30 local happens twice; the first is 00:30 UTC.
    slot = local_slot(date(2026, 10, 25), 2, 30, zone)
    assert slot == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("zone", [CPH, OSLO])
@pytest.mark.parametrize(("month", "day"), [(3, 29), (10, 25)])
def test_daily_0230_fires_once_per_local_day_across_dst(
    zone: ZoneInfo, month: int, day: int
) -> None:
    start = datetime(2026, month, day, tzinfo=zone) - timedelta(days=3)
    fired = []
    when = start.astimezone(UTC)
    for _ in range(7):
        when = next_due(DAILY_0230, zone, when)
        fired.append(when)
    local_days = [f.astimezone(zone).date() for f in fired]
    assert local_days == sorted(set(local_days)), "one reminder per local day"
    assert len(local_days) == 7
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(local_days))


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from([CPH, OSLO, ZoneInfo("UTC"), ZoneInfo("America/New_York")]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_due_is_always_later_and_on_a_chosen_day(
    naive: datetime, zone: ZoneInfo, hour: int, minute: int, days: frozenset[int]
) -> None:
    after = naive.replace(tzinfo=UTC)
    rule = ReminderRule(days, hour, minute)
    due = next_due(rule, zone, after)
    assert after < due <= after + timedelta(days=8)
    local = due.astimezone(zone)
    assert local.weekday() in days
    # Never before the wall time asked for (a gap moves it later, never earlier).
    assert (local.hour, local.minute) >= (hour, minute) or local.date() != naive.date()
    # Nothing was skipped: the local day before the due one had no slot after ``after``.
    assert next_due(rule, zone, after) == due


# ---------------------------------------------------------------- missed days


def test_missed_days_count_scheduled_days_that_are_over() -> None:
    rule = ReminderRule(ALL_DAYS, 9, 0)
    made = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Copenhagen
    at = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00
    count = missed_scheduled_days(
        rule, CPH, scheduled_since=made, last_checkin=None, now=at, cap=10
    )
    assert count == 3  # Monday, Tuesday, Wednesday
    checked_in = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # Tuesday evening
    count = missed_scheduled_days(
        rule, CPH, scheduled_since=made, last_checkin=checked_in, now=at, cap=10
    )
    assert count == 1  # only Wednesday
    assert (
        missed_scheduled_days(rule, CPH, scheduled_since=made, last_checkin=None, now=at, cap=2)
        == 2
    )


def test_weekly_missed_days_only_count_chosen_days() -> None:
    rule = ReminderRule(frozenset({0, 3}), 19, 0)
    made = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    at = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # the next Thursday 19:00
    count = missed_scheduled_days(
        rule, CPH, scheduled_since=made, last_checkin=None, now=at, cap=10
    )
    assert count == 3  # Mon 23, Thu 26, Mon 30


def test_a_reminder_made_after_its_time_does_not_count_that_day() -> None:
    rule = ReminderRule(ALL_DAYS, 9, 0)
    made = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # after 09:00 local
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert (
        missed_scheduled_days(rule, CPH, scheduled_since=made, last_checkin=None, now=at, cap=5)
        == 0
    )


def test_episode_starts_at_last_checkin_or_schedule() -> None:
    made = datetime(2026, 11, 23, tzinfo=UTC)
    assert missed_episode_start(made, None) == made
    assert missed_episode_start(made, made - timedelta(days=3)) == made
    assert missed_episode_start(made, made + timedelta(days=1)) == made + timedelta(days=1)


# ---------------------------------------------------------------- low mood


def _moods(*values: int) -> list[tuple[int, datetime]]:
    base = datetime(2026, 11, 23, tzinfo=UTC)
    # Newest first, one day apart.
    return [(mood, base - timedelta(days=i)) for i, mood in enumerate(values)]


def test_low_mood_run_needs_the_streak() -> None:
    assert low_mood_run_start(_moods(2), low_max=2, streak=2) is None
    assert low_mood_run_start(_moods(2, 4, 1), low_max=2, streak=2) is None
    start = low_mood_run_start(_moods(1, 2, 5), low_max=2, streak=2)
    assert start == datetime(2026, 11, 22, tzinfo=UTC)


def test_a_longer_run_keeps_the_same_episode() -> None:
    two = low_mood_run_start(_moods(1, 2, 4), low_max=2, streak=2)
    three = low_mood_run_start(
        [(1, datetime(2026, 11, 24, tzinfo=UTC)), *_moods(1, 2, 4)], low_max=2, streak=2
    )
    assert two == three


def test_week_label() -> None:
    assert week_label(datetime(2026, 11, 23, tzinfo=UTC)) == "2026-W48"
    assert week_label(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
