"""Pure meal rules: dates in three languages, times, recurrence across DST, tables."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.parsing import ArgumentError
from bot.meals.answers import is_no, is_yes, pick, read_number
from bot.meals.rules import (
    Limits,
    Seat,
    is_link,
    local_start,
    occurrence_starts,
    parse_date,
    parse_repeat,
    parse_schedule,
    parse_time,
    read_date,
    video_choice,
)
from bot.meals.seating import split_tables

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CPH = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")
LIMITS = Limits(title_max_length=80, default_capacity=12, default_minutes=60)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03", date(2026, 12, 3)),
        ("3/12", date(2026, 12, 3)),
        ("3.12.", date(2026, 12, 3)),
        ("3/1", date(2027, 1, 3)),
        ("thu", date(2026, 11, 26)),
        ("torsdag", date(2026, 11, 26)),
        ("tor", date(2026, 11, 26)),
        ("Monday", MONDAY),
        ("søndag", date(2026, 11, 29)),
        ("tomorrow", date(2026, 11, 24)),
        ("i morgen", date(2026, 11, 24)),
        ("i morgon", date(2026, 11, 24)),
    ],
)
def test_dates_in_english_danish_and_norwegian(text: str, expected: date) -> None:
    assert parse_date(text, MONDAY) == expected


@pytest.mark.parametrize("text", ["31/02", "someday", "2026-13-01", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_date(text, MONDAY)
    assert error.value.key == "meal.bad_date"


def test_times() -> None:
    assert parse_time("18:00") == time(18, 0)
    assert parse_time("7.30") == time(7, 30)
    for bad in ("24:30", "18:75", "18", "six"):
        with pytest.raises(ArgumentError):
            parse_time(bad)


@pytest.mark.parametrize("zone", [CPH, OSLO])
def test_weekly_meal_stays_at_18_across_both_dst_changes(zone: ZoneInfo) -> None:
    starts = occurrence_starts(
        date(2026, 3, 19),
        time(18, 0),
        zone,
        1,
        after=datetime(2026, 3, 1, tzinfo=UTC),
        until=datetime(2026, 11, 30, tzinfo=UTC),
    )
    local = [s.astimezone(zone) for s in starts]
    assert all((d.hour, d.minute) == (18, 0) for d in local)
    assert all(d.weekday() == 3 for d in local)
    # 17:00 UTC in winter, 16:00 UTC in summer.
    assert starts[0] == datetime(2026, 3, 19, 17, 0, tzinfo=UTC)
    assert starts[2] == datetime(2026, 4, 2, 16, 0, tzinfo=UTC)
    assert datetime(2026, 10, 29, 17, 0, tzinfo=UTC) in starts
    assert all(
        b - a in (timedelta(days=7, hours=h) for h in (-1, 0, 1))
        for a, b in itertools.pairwise(starts)
    )


@pytest.mark.parametrize("zone", [CPH, OSLO])
def test_a_time_that_happens_twice_means_the_first(zone: ZoneInfo) -> None:
    # 25 October 2026: clocks go back from 03:00 to 02:00.
    assert local_start(date(2026, 10, 25), time(2, 30), zone) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # 29 March 2026: 02:30 does not exist; it is read as 03:30 summer time.
    assert local_start(date(2026, 3, 29), time(2, 30), zone) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_fortnightly_and_one_off() -> None:
    after = datetime(2026, 11, 1, tzinfo=UTC)
    until = datetime(2027, 1, 1, tzinfo=UTC)
    fortnightly = occurrence_starts(
        date(2026, 11, 5), time(18, 0), CPH, 2, after=after, until=until
    )
    assert [s.date().day for s in fortnightly] == [5, 19, 3, 17, 31]
    once = occurrence_starts(date(2026, 11, 5), time(18, 0), CPH, 0, after=after, until=until)
    assert len(once) == 1


@pytest.mark.parametrize(
    ("words", "weeks"),
    [
        (["every", "week"], 1),
        (["every", "2", "weeks"], 2),
        (["hver", "uge"], 1),
        (["hver", "2.", "uge"], 2),
        (["hver", "anden", "uge"], 2),
        (["hver", "annen", "uke"], 2),
        (["weekly"], 1),
    ],
)
def test_repeat_words(words: list[str], weeks: int) -> None:
    assert parse_repeat(words)[0] == weeks


def test_schedule_line_with_options() -> None:
    request = parse_schedule(
        "Thursday dinner thu 18:00 every 2 weeks capacity 30 minutes 90 video https://x.example/r",
        today=MONDAY,
        now=NOW,
        zone=CPH,
        can_voice=False,
        limits=LIMITS,
    )
    assert request.title == "Thursday dinner"
    assert request.first_date == date(2026, 11, 26)
    assert (request.every_weeks, request.capacity, request.minutes) == (2, 30, 90)
    assert (request.video_kind, request.video_url) == ("url", "https://x.example/r")
    danish = parse_schedule(
        '"Fællesspisning" i morgen kl. 18:00 hver uge pladser 8',
        today=MONDAY,
        now=NOW,
        zone=CPH,
        can_voice=False,
        limits=LIMITS,
    )
    assert (danish.first_date, danish.every_weeks, danish.capacity) == (date(2026, 11, 24), 1, 8)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('"Supper" 2026-11-01 18:00', "meal.date_past"),
        ('"Supper" tomorrow 24:30', "meal.bad_time"),
        ('"Supper" tomorrow 18:00 capacity 0', "meal.bad_capacity"),
        ('"Supper" tomorrow 18:00 video zoom', "meal.bad_video"),
        ('"Supper" tomorrow 18:00 video discord', "meal.discord_only"),
        ('"Supper" tomorrow', "meal.time_missing"),
        ('"Supper" tomorrow 18:00 dessert', "meal.bad_option"),
        ("Supper", "meal.when_missing"),
    ],
)
def test_schedule_line_errors(line: str, key: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_schedule(line, today=MONDAY, now=NOW, zone=CPH, can_voice=False, limits=LIMITS)
    assert error.value.key == key


def test_video_choice_goes_by_what_the_platform_can_do() -> None:
    assert video_choice("Jitsi", False) == ("jitsi", "")
    # A voice channel where the platform can make one, whatever the platform is called.
    assert video_choice("discord", True) == ("voice", "")
    assert video_choice("voice", True) == ("voice", "")
    with pytest.raises(ArgumentError):
        video_choice("voice", False)


def test_a_passed_day_and_month_is_a_guess_to_ask_about() -> None:
    sunday = date(2026, 11, 29)
    assert read_date("1/11", sunday) == (date(2027, 11, 1), True)
    assert read_date("3/12", sunday) == (date(2026, 12, 3), False)
    assert read_date("1/11/2027", sunday) == (date(2027, 11, 1), False)
    assert read_date("torsdag", sunday) == (date(2026, 12, 3), False)
    request = parse_schedule(
        '"Supper" 1/11 18:00', today=sunday, now=NOW, zone=CPH, can_voice=False, limits=LIMITS
    )
    assert request.date_guessed
    assert request.first_date == date(2027, 11, 1)


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("3 seats", 3), ("12 pladser", 12), ("ca. 8", 8), (" 90 min", 90)]
)
def test_a_number_is_a_number(text: str, value: int) -> None:
    assert read_number(text, 1, 1000, "meal.bad_capacity") == value


@pytest.mark.parametrize("text", ["three", "3-4", "2 or 3", "0", "", "every 2 weeks", "3 dage"])
def test_what_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(ArgumentError) as error:
        read_number(text, 1, 1000, "meal.bad_capacity")
    assert error.value.key == "meal.bad_capacity"


@pytest.mark.parametrize(
    ("text", "index"),
    [("2", 1), ("ret datoen", 2), ("Ret Datoen!", 2), ("ret d", 2), ("pladser", 5), ("9", None)],
)
def test_an_option_is_picked_by_number_label_or_beginning(text: str, index: int | None) -> None:
    labels = [
        "Opret det",
        "Ret titlen",
        "Ret datoen",
        "Ret tidspunktet",
        "Ret hvor tit",
        "Ret antal pladser",
        "Ret varigheden",
        "Ret videostedet",
    ]
    assert pick(text, labels) == index
    assert is_yes("Ja!")
    assert is_yes("jep")
    assert is_no("nei")
    assert not is_yes("nej")


@pytest.mark.parametrize(("people", "sizes"), [(6, [6]), (7, [4, 3]), (13, [5, 4, 4]), (0, [0])])
def test_tables_are_balanced(people: int, sizes: list[int]) -> None:
    tables = split_tables([Seat(i) for i in range(people)], 6)
    assert [len(t.seats) for t in tables] == sizes


def test_volunteers_are_spread_as_hosts() -> None:
    seats = [Seat(1, True), Seat(2, True)] + [Seat(i) for i in range(3, 14)]
    tables = split_tables(seats, 6)
    assert [t.host for t in tables] == [1, 2, None]
    assert sorted(s.person_id for t in tables for s in t.seats) == list(range(1, 14))


def test_a_link_is_a_web_address() -> None:
    assert is_link("https://meet.example/soup")
    assert is_link("HTTP://meet.example")
    assert not is_link("zoom please")
    assert not is_link("ftp://meet.example")
    assert not is_link("https://meet example")
