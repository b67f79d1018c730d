"""Reading when a person wants meal reminders, and which reminder is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.meals.companions import MOST as MOST_COMPANIONS
from bot.meals.companions import BadCompanions, seats_for, split_companions
from bot.meals.reminder_times import (
    DEFAULT,
    LONGEST,
    OFF,
    SHORTEST,
    BadReminders,
    default_minutes,
    describe,
    due_reminder,
    from_stored,
    parse_reminders,
    stored,
)

START = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1d 30m", (1440, 30)),
        ("30m 1d", (1440, 30)),
        ("2h", (120,)),
        ("1 dag og 30 min", (1440, 30)),
        ("1 time", (60,)),
        ("dagen før", (1440,)),
        ("dagen før og 15 minutter før", (1440, 15)),
        ("en dag, 2 timer", (1440, 120)),
        ("1 day and 1 hour before", (1440, 60)),
        ("3 dager", (4320,)),
        ("1 uge", (10080,)),
        ("90 min", (90,)),
    ],
)
def test_reminder_times_are_read_in_every_language(text: str, minutes: tuple[int, ...]) -> None:
    assert parse_reminders(text) == minutes


@pytest.mark.parametrize("text", ["off", "fra", "av", "ingen påmindelser", "none"])
def test_off_words(text: str) -> None:
    assert parse_reminders(text) == OFF


@pytest.mark.parametrize("text", ["default", "standard", "som før", "normal"])
def test_default_words(text: str) -> None:
    assert parse_reminders(text) == DEFAULT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("tomorrow", "word"),
        ("30", "number"),
        ("1 2 d", "number"),
        ("2m", "range"),
        ("8 dage", "range"),
        ("1d 2d 3d 4d 5d", "many"),
        ("og", "empty"),
    ],
)
def test_what_cannot_be_read_says_why(text: str, reason: str) -> None:
    with pytest.raises(BadReminders) as caught:
        parse_reminders(text)
    assert caught.value.reason == reason


def test_stored_and_shown() -> None:
    assert stored([30, 1440, 30]) == "1440,30"
    assert from_stored("1440,30") == (1440, 30)
    assert from_stored("") == ()
    assert default_minutes([timedelta(minutes=15), timedelta(hours=24)]) == (1440, 15)
    assert describe((1440, 120, 90)) == [("day", 1), ("hour", 2), ("minute", 90)]


def test_only_the_latest_due_reminder_is_sent() -> None:
    minutes = (1440, 30)
    assert due_reminder(START, minutes, START - timedelta(days=2), None) is None
    assert due_reminder(START, minutes, START - timedelta(hours=23), None) == 1440
    assert due_reminder(START, minutes, START - timedelta(hours=2), 1440) is None
    assert due_reminder(START, minutes, START - timedelta(minutes=30), 1440) == 30
    # joined ten minutes before: one reminder, not two
    assert due_reminder(START, minutes, START - timedelta(minutes=10), None) == 30
    assert due_reminder(START, minutes, START, None) is None


def test_a_held_reminder_gives_way_to_the_one_due_by_then() -> None:
    minutes = (120, 60)
    now = START - timedelta(hours=2)
    assert due_reminder(START, minutes, now, None, now + timedelta(minutes=70)) == 60
    assert due_reminder(START, minutes, now, None, START) is None


choices = st.lists(st.integers(SHORTEST, LONGEST), min_size=1, max_size=4, unique=True).map(
    lambda found: tuple(sorted(found, reverse=True))
)


@settings(max_examples=200, deadline=None)
@given(minutes=choices, steps=st.lists(st.integers(1, 6 * 60), min_size=1, max_size=60))
def test_each_reminder_at_most_once_in_order_and_never_early(
    minutes: tuple[int, ...], steps: list[int]
) -> None:
    now = START - timedelta(minutes=LONGEST + 60)
    reminded: int | None = None
    sent: list[int] = []
    for step in steps:
        now += timedelta(minutes=step)
        which = due_reminder(START, minutes, now, reminded)
        if which is None:
            continue
        assert which in minutes
        assert START - timedelta(minutes=which) <= now < START
        sent.append(which)
        reminded = which
    assert sent == sorted(set(sent), reverse=True)  # each once, nearer the start each time


@pytest.mark.parametrize(
    ("text", "rest", "companions"),
    [
        ("", "", None),
        ("+1", "", 1),
        ("+ 2", "", 2),
        ("2026-12-03 +1", "2026-12-03", 1),
        ("med 1", "", 1),
        ("med en", "", 1),
        ("with 2", "", 2),
        ("3/12 pluss 1", "3/12", 1),
        ("+0", "", 0),
        ("alle", "alle", None),
    ],
)
def test_companions_are_read_in_every_language(
    text: str, rest: str, companions: int | None
) -> None:
    assert split_companions(text) == (rest, companions)


@pytest.mark.parametrize("text", ["+4", "med", "with many", "+2 +2"])
def test_too_many_or_unreadable_companions_are_refused(text: str) -> None:
    with pytest.raises(BadCompanions):
        split_companions(text)


@given(st.integers(0, MOST_COMPANIONS))
def test_a_person_with_companions_takes_a_seat_for_each(companions: int) -> None:
    assert split_companions(f"+{companions}") == ("", companions)
    assert seats_for(companions) == companions + 1


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("5 min", (5,)),
        ("1d+30m", (1440, 30)),
        ("the day before and 30 minutes", (1440, 30)),
        ("the evening before", (1440,)),
        ("dag og time", (1440, 60)),
        ("an hour", (60,)),
        ("1 week", (10080,)),
        ("1d 2d 3d 4d", (5760, 4320, 2880, 1440)),
        ("1 dag, 1 dag", (1440,)),
    ],
)
def test_the_edges_of_what_is_read(text: str, minutes: tuple[int, ...]) -> None:
    assert parse_reminders(text) == minutes


@pytest.mark.parametrize(
    ("text", "reason", "word"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("4 min", "range", "4"),
        ("1 week 1 min", "range", "1"),
        ("8 days", "range", "11520"),
        ("2 an hour", "word", "an"),
        ("soon", "word", "soon"),
        ("2 3 hours", "number", "3"),
        ("1 day 2", "number", "2"),
    ],
)
def test_what_an_unreadable_choice_points_at(text: str, reason: str, word: str) -> None:
    with pytest.raises(BadReminders) as caught:
        parse_reminders(text)
    assert (caught.value.reason, caught.value.word) == (reason, word)


def test_a_reminder_is_due_at_its_own_minute_and_not_before() -> None:
    assert due_reminder(START, (60,), START - timedelta(minutes=60), None) == 60
    assert due_reminder(START, (60,), START - timedelta(minutes=61), None) is None
    # Held by quiet hours until the start: too late for any reminder.
    held = START - timedelta(minutes=60)
    assert due_reminder(START, (60,), held, None, START - timedelta(seconds=1)) == 60
    assert due_reminder(START, (60,), held, None, START) is None
    # A reminder already sent is not sent again, however late it is asked.
    assert due_reminder(START, (60,), START - timedelta(minutes=1), 60) is None


def test_kept_choices_read_back_leaving_out_what_is_not_a_number() -> None:
    assert from_stored("1440, 30,x,") == (1440, 30)
    assert stored([]) == ""
    assert stored(default_minutes([timedelta(minutes=15, seconds=59), timedelta(days=1)])) == (
        "1440,15"
    )


def test_each_reminder_shown_in_its_largest_whole_unit() -> None:
    assert describe((10080, 2880, 1500, 60, 5)) == [
        ("day", 7),
        ("day", 2),
        ("hour", 25),
        ("hour", 1),
        ("minute", 5),
    ]


@pytest.mark.parametrize(
    ("text", "rest", "companions"),
    [
        ("with 1 2026-12-03", "2026-12-03", 1),
        ("med et alle", "alle", 1),
        ("+1 with 1", "", 2),
        ("3/12 +0", "3/12", 0),
        ("WITH 2", "", 2),
    ],
)
def test_companions_before_or_after_the_date(text: str, rest: str, companions: int) -> None:
    assert split_companions(text) == (rest, companions)


@pytest.mark.parametrize("text", ["with 2 +2", "med to", "+1 med"])
def test_companions_past_the_most_or_without_a_count(text: str) -> None:
    with pytest.raises(BadCompanions):
        split_companions(text)


@pytest.mark.parametrize(
    ("text", "reason", "word"), [("1 day an", "number", "1"), ("an 2 hours", "number", "2")]
)
def test_a_dangling_a_or_an_is_a_number_without_a_unit(text: str, reason: str, word: str) -> None:
    with pytest.raises(BadReminders) as caught:
        parse_reminders(text)
    assert (caught.value.reason, caught.value.word, str(caught.value)) == (reason, word, reason)


def test_reminders_are_shown_in_whole_numbers() -> None:
    # "2 days", never "2.0 days".
    assert all(type(count) is int for _, count in describe((10080, 2880, 120, 45)))


@pytest.mark.parametrize(("text", "word"), [("+4", "4"), ("med", "med"), ("+2 with 2", "4")])
def test_a_refused_companion_count_names_what_was_wrong(text: str, word: str) -> None:
    with pytest.raises(BadCompanions) as caught:
        split_companions(text)
    assert str(caught.value) == word


def test_a_date_of_two_words_is_left_whole() -> None:
    assert split_companions("i morgen +1") == ("i morgen", 1)
