"""The edges of the meal rules a host or guest meets: the last accepted value and the
first refused one, what an error tells the person, recurring meals read from any
point in their series, and a meal's own times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.parsing import ArgumentError
from bot.meals.models import Meal, MealOccurrence
from bot.meals.rules import (
    MAX_DAYS_AHEAD,
    Limits,
    MealRequest,
    check_title,
    check_when,
    ends_at,
    is_occurrence_date,
    local_start,
    meal_time,
    meal_zone,
    normalise_code,
    occurrence_starts,
    parse_date,
    parse_minimum,
    parse_number,
    parse_repeat,
    parse_schedule,
    parse_time,
    read_date,
    table_count,
    video_choice,
    video_link,
)

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CPH = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")
LIMITS = Limits(title_max_length=20, default_capacity=12, default_minutes=60)


def schedule(line: str, *, can_voice: bool = False, now: datetime = NOW) -> MealRequest:
    return parse_schedule(
        line, today=now.date(), now=now, zone=CPH, can_voice=can_voice, limits=LIMITS
    )


def refused(line: str, *, now: datetime = NOW) -> ArgumentError:
    with pytest.raises(ArgumentError) as error:
        schedule(line, now=now)
    return error.value


# ---------------------------------------------------------------- dates and times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12.26", date(2026, 12, 3)),  # a two-digit year is this century
        ("3/12/99", date(2099, 12, 3)),
        ("3/12/2027", date(2027, 12, 3)),
        ("23/11", MONDAY),  # today's own date is today, not next year
        ("torsdag,", date(2026, 11, 26)),  # "Supper torsdag, 18:00"
        ("tor.", date(2026, 11, 26)),
        ("  I   MORGEN ", date(2026, 11, 24)),
        ("today", MONDAY),
    ],
)
def test_more_ways_to_write_a_date(text: str, expected: date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_today_s_date_is_not_a_guess_but_yesterday_s_is() -> None:
    assert read_date("23/11", MONDAY) == (MONDAY, False)
    assert read_date("22/11", MONDAY) == (date(2027, 11, 22), True)


def test_a_bad_date_repeats_what_was_typed() -> None:
    for text in ("31/02", "someday"):
        with pytest.raises(ArgumentError) as error:
            parse_date(text, MONDAY)
        assert error.value.values == {"value": text}


@pytest.mark.parametrize(("text", "expected"), [("23:59", time(23, 59)), (" 0.00 ", time(0))])
def test_the_last_minute_of_the_day_and_midnight_are_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "23:60", "12:5"])
def test_a_time_past_the_day_is_refused_and_repeated(text: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_time(text)
    assert (error.value.key, error.value.values) == ("meal.bad_time", {"value": text})


# ---------------------------------------------------------------- recurrence


@pytest.mark.parametrize("zone", [CPH, OSLO])
def test_a_one_off_meal_counts_after_strictly_and_until_inclusively(zone: ZoneInfo) -> None:
    start = local_start(date(2026, 12, 3), time(18), zone)
    once = date(2026, 12, 3)
    assert occurrence_starts(once, time(18), zone, 0, after=start, until=start) == []
    assert occurrence_starts(
        once, time(18), zone, 0, after=start - timedelta(seconds=1), until=start
    ) == [start]
    assert (
        occurrence_starts(
            once, time(18), zone, 0, after=start - timedelta(days=1), until=start - timedelta(1)
        )
        == []
    )


def test_a_weekly_meal_counts_after_strictly_and_until_inclusively() -> None:
    first = date(2026, 11, 5)
    starts = [local_start(first + timedelta(weeks=n), time(18), CPH) for n in range(6)]
    # From the second start (not included) up to the fourth (included).
    assert occurrence_starts(first, time(18), CPH, 1, after=starts[1], until=starts[3]) == [
        starts[2],
        starts[3],
    ]


@settings(max_examples=150, deadline=None)
@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    every=st.integers(1, 4),
    hour=st.integers(0, 23),
    later=st.integers(-60, 800),
    span=st.integers(0, 120),
    zone=st.sampled_from([CPH, OSLO, ZoneInfo("UTC")]),
)
def test_a_series_read_from_any_day_lists_exactly_its_dates_in_that_span(
    first: date, every: int, hour: int, later: int, span: int, zone: ZoneInfo
) -> None:
    at = time(hour, 30)
    after = local_start(first, at, zone) + timedelta(days=later, hours=hour % 5)
    until = after + timedelta(days=span)
    starts = occurrence_starts(first, at, zone, every, after=after, until=until)
    # Every occurrence in the span, counted one by one from the first.
    expected = []
    day = first
    while (start := local_start(day, at, zone)) <= until:
        if start > after:
            expected.append(start)
        day += timedelta(weeks=every)
    assert starts == expected
    assert all(is_occurrence_date(first, every, s.astimezone(zone).date()) for s in starts)


def test_which_local_dates_a_meal_falls_on() -> None:
    first = date(2026, 11, 5)
    assert is_occurrence_date(first, 0, first)
    assert not is_occurrence_date(first, 0, first + timedelta(weeks=1))
    assert is_occurrence_date(first, 1, first)
    assert is_occurrence_date(first, 1, first + timedelta(weeks=3))
    assert not is_occurrence_date(first, 1, first + timedelta(days=1))
    assert not is_occurrence_date(first, 1, first - timedelta(weeks=1))  # before the first
    assert is_occurrence_date(first, 2, first + timedelta(weeks=2))
    assert not is_occurrence_date(first, 2, first + timedelta(weeks=1))


# ---------------------------------------------------------------- video places


def test_generated_call_links() -> None:
    assert (
        video_link("jitsi", jitsi_base="https://meet.jit.si/", element_base="x", room_name="r1")
        == "https://meet.jit.si/r1"
    )
    assert (
        video_link(
            "element", jitsi_base="x", element_base="https://call.element.io/", room_name="r2"
        )
        == "https://call.element.io/room/#/r2"
    )
    with pytest.raises(ValueError, match="url"):
        video_link("url", jitsi_base="x", element_base="y", room_name="r")


def test_video_places_by_name_in_any_case_and_a_bad_one_repeated() -> None:
    assert video_choice(" Element ", False) == ("element", "")
    assert video_choice(" https://x.example/r ", False) == ("url", "https://x.example/r")
    with pytest.raises(ArgumentError) as error:
        video_choice("zoom please", True)
    assert (error.value.key, error.value.values) == ("meal.bad_video", {"value": "zoom please"})


# ---------------------------------------------------------------- scheduling


def test_a_title_may_be_as_long_as_the_limit_and_no_longer() -> None:
    assert check_title("  a   " + "b" * 18 + " ", LIMITS) == "a " + "b" * 18
    with pytest.raises(ArgumentError) as error:
        check_title("a" * 21, LIMITS)
    assert (error.value.key, error.value.values) == ("meal.title_too_long", {"limit": 20})
    with pytest.raises(ArgumentError) as error:
        check_title("   ", LIMITS)
    assert error.value.key == "meal.title_missing"


def test_a_meal_can_start_from_a_moment_from_now_up_to_a_year_ahead() -> None:
    start = local_start(date(2026, 12, 3), time(18), CPH)
    assert check_when(date(2026, 12, 3), time(18), CPH, start - timedelta(seconds=1)) == start
    with pytest.raises(ArgumentError) as error:
        check_when(date(2026, 12, 3), time(18), CPH, start)
    assert error.value.key == "meal.date_past"
    furthest = start - timedelta(days=MAX_DAYS_AHEAD)
    assert check_when(date(2026, 12, 3), time(18), CPH, furthest) == start
    with pytest.raises(ArgumentError) as error:
        check_when(date(2026, 12, 3), time(18), CPH, furthest - timedelta(seconds=1))
    assert (error.value.key, error.value.values) == ("meal.date_far", {"days": MAX_DAYS_AHEAD})


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("1000", 1000), (" 30. ", 30)])
def test_seat_counts_from_one_to_a_thousand(text: str, value: int) -> None:
    assert parse_number(text, 1, 1000, "meal.bad_capacity") == value


@pytest.mark.parametrize("text", ["0", "1001", "x", ""])
def test_seat_counts_outside_say_the_range(text: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_number(text, 1, 1000, "meal.bad_capacity")
    assert (error.value.key, error.value.values) == ("meal.bad_capacity", {"low": 1, "high": 1000})


def test_a_minimum_from_none_up_to_every_seat() -> None:
    assert parse_minimum("0", 8) == 0
    assert parse_minimum("8", 8) == 8
    with pytest.raises(ArgumentError) as error:
        parse_minimum("9", 8)
    assert (error.value.key, error.value.values) == ("meal.bad_minimum", {"low": 0, "high": 8})


@pytest.mark.parametrize(
    ("words", "result"),
    [
        (["every", "4", "weeks"], (4, 3)),
        (["every", "1", "week"], (1, 3)),
        (["Every", "Week", "seats"], (1, 2)),
        (["every", "other", "WEEK"], (2, 3)),
        (["fortnightly"], (2, 1)),
        (["Weekly"], (1, 1)),
    ],
)
def test_repeats_say_how_many_words_they_used(words: list[str], result: tuple[int, int]) -> None:
    assert parse_repeat(words) == result


@pytest.mark.parametrize(
    "words",
    [["every", "5", "weeks"], ["every", "0", "weeks"], ["every"], [], ["every", "2"], ["often"]],
)
def test_repeats_that_are_not_refused(words: list[str]) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_repeat(words)
    assert error.value.key == "meal.bad_repeat"


def test_options_in_any_order_each_read_whole() -> None:
    request = schedule('"Soup" tomorrow 18:00 video jitsi minimum 2 every other week seats 8')
    assert (request.video_kind, request.minimum, request.every_weeks, request.capacity) == (
        "jitsi",
        2,
        2,
        8,
    )
    request = schedule('"Soup" tomorrow 18:00 weekly minutes 10 seats 8 minimum 8')
    assert (request.every_weeks, request.minutes, request.capacity, request.minimum) == (
        1,
        10,
        8,
        8,
    )
    request = schedule('"Soup" tomorrow 18:00 minutes 600 video voice', can_voice=True)
    assert (request.minutes, request.video_kind) == (600, "voice")


def test_a_schedule_line_with_the_date_and_time_as_typed() -> None:
    request = schedule("Soup i morgen 18:00")
    assert (request.title, request.first_date, request.at) == (
        "Soup",
        date(2026, 11, 24),
        time(18),
    )
    request = schedule("Soup torsdag, KL. 18.30")
    assert (request.first_date, request.at) == (date(2026, 11, 26), time(18, 30))
    request = schedule("Suppe 3.12. 18:00")
    assert request.first_date == date(2026, 12, 3)
    assert not request.date_guessed


@pytest.mark.parametrize(
    ("line", "key", "values"),
    [
        ('"Soup" tomorrow 18:00 seats', "meal.bad_capacity", {"low": 1, "high": 1000}),
        ('"Soup" tomorrow 18:00 minutes 9', "meal.bad_minutes", {"low": 10, "high": 600}),
        ('"Soup" tomorrow 18:00 minutes', "meal.bad_minutes", {"low": 10, "high": 600}),
        ('"Soup" tomorrow 18:00 video', "meal.bad_video", {"value": ""}),
        ('"Soup" tomorrow 18:00 minimum', "meal.bad_minimum", {"low": 0, "high": 12}),
        ('"Soup" tomorrow 18:00 seats 6 minimum 7', "meal.bad_minimum", {"low": 0, "high": 6}),
        ('"Soup" tomorrow 18:00 minimum 7 seats 6', "meal.bad_minimum", {"low": 0, "high": 6}),
        ('"Soup" tomorrow 18:00 Dessert', "meal.bad_option", {"value": "Dessert"}),
        ('"Soup" tomorrow 18:00 every 9 weeks', "meal.bad_repeat", {}),
        ('"Soup" tomorrow at', "meal.time_missing", {}),
        ('"" tomorrow 18:00', "meal.title_missing", {}),
        ("tomorrow", "meal.title_missing", {}),
        ("", "", {}),
    ],
)
def test_what_a_wrong_schedule_line_is_told(line: str, key: str, values: dict[str, object]) -> None:
    error = refused(line)
    assert (error.key, error.values) == (key, values)


# ---------------------------------------------------------------- tables and a meal's times


@pytest.mark.parametrize(
    ("people", "size", "tables"),
    [(0, 6, 1), (1, 6, 1), (6, 6, 1), (7, 6, 2), (12, 6, 2), (13, 6, 3)],
)
def test_as_few_tables_as_keep_each_within_size(people: int, size: int, tables: int) -> None:
    assert table_count(people, size) == tables


def test_a_meal_s_zone_time_and_end() -> None:
    meal = Meal(timezone="Europe/Oslo", local_time="18:30", minutes=90)
    starts = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    occurrence = MealOccurrence(starts_at=starts)
    assert meal_zone(meal) == OSLO
    assert meal_time(meal) == time(18, 30)
    assert ends_at(meal, occurrence) == datetime(2026, 12, 3, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "code"), [("#K7QF", "k7qf"), (" k7qf ", "k7qf"), ("##Ab2", "ab2")]
)
def test_a_meal_id_as_typed(typed: str, code: str) -> None:
    assert normalise_code(typed) == code


@pytest.mark.usefixtures("host_in_kiritimati")
def test_the_server_s_own_zone_changes_no_meal_time() -> None:
    start = local_start(date(2026, 12, 3), time(18), CPH)
    assert start == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    starts = occurrence_starts(
        date(2026, 11, 5),
        time(18),
        CPH,
        1,
        after=datetime(2026, 12, 3, 16, 59, tzinfo=UTC),
        until=datetime(2026, 12, 10, 17, 0, tzinfo=UTC),
    )
    assert starts == [start, start + timedelta(weeks=1)]


def test_only_a_passed_day_and_month_is_a_guess() -> None:
    assert read_date("tomorrow", MONDAY) == (date(2026, 11, 24), False)
    assert read_date("2026-12-03", MONDAY) == (date(2026, 12, 3), False)
    assert read_date("2026-11-01", MONDAY) == (date(2026, 11, 1), False)  # refused later as past


def test_a_call_link_keeps_the_base_path_as_configured() -> None:
    assert (
        video_link("jitsi", jitsi_base="https://v.example/BOX/", element_base="", room_name="r")
        == "https://v.example/BOX/r"
    )
    assert (
        video_link("element", jitsi_base="", element_base="https://v.example/X", room_name="r")
        == "https://v.example/X/room/#/r"
    )


def test_letters_after_a_number_are_not_a_number() -> None:
    for text in ("12X", "12x", "1.2"):
        with pytest.raises(ArgumentError):
            parse_number(text, 1, 1000, "meal.bad_capacity")


def test_a_two_word_line_is_a_title_and_a_date() -> None:
    # "Fredag" is the meal's name here, not its day: what is missing is the time.
    assert refused("Fredag tomorrow").key == "meal.time_missing"
    assert refused("Soup i morgen").key == "meal.time_missing"


def test_the_start_is_read_in_the_meal_s_zone_when_refusing_the_past() -> None:
    # 17:30 UTC is 18:30 in Copenhagen: a meal at 18:00 there today has started.
    now = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    assert refused("Soup 3/12 18:00", now=now).key == "meal.date_past"
    assert schedule("Soup 3/12 19:00", now=now).first_date == date(2026, 12, 3)


def test_what_is_not_said_comes_from_the_config() -> None:
    request = schedule("Soup tomorrow 18:00")
    assert (request.capacity, request.minutes, request.every_weeks, request.minimum) == (
        12,
        60,
        0,
        0,
    )
    assert (request.video_kind, request.video_url, request.date_guessed) == ("jitsi", "", False)


def test_a_meal_id_typed_with_capitals() -> None:
    assert normalise_code("#XK7Q") == "xk7q"
