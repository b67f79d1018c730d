"""The pure parts of showing meals natively: which dates of a series differ from its rule,
Discord's event JSON and recurrence rule, and the Matrix call widget."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord_events import event_body, recurrence_rule
from bot.adapters.matrix_widgets import widget_content, widget_id
from bot.core.codec import decode, encode
from bot.core.events import PublishEvent, WithdrawEvent, outgoing_platform
from bot.meals.native import Departure, departures
from bot.meals.rules import local_start

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")
AT = time(18, 0)


def _series(first: date, weeks: int, zone: ZoneInfo) -> list[datetime]:
    return [local_start(first + timedelta(weeks=n), AT, zone) for n in range(weeks)]


@given(
    first=st.dates(date(2026, 1, 1), date(2028, 12, 31)),
    count=st.integers(1, 30),
    cancelled=st.sets(st.integers(0, 29)),
    moved=st.dictionaries(st.integers(0, 29), st.integers(-5, 5).filter(bool)),
    zone=st.sampled_from([COPENHAGEN, OSLO]),
)
def test_departures_are_exactly_the_cancelled_and_moved_dates(
    first: date, count: int, cancelled: set[int], moved: dict[int, int], zone: ZoneInfo
) -> None:
    dates = []
    for n, start in enumerate(_series(first, count, zone)):
        if n in moved and n not in cancelled:
            start += timedelta(hours=moved[n])
        dates.append((start, n in cancelled))
    found = departures(list(reversed(dates)), AT, zone)
    expected_days = {
        first + timedelta(weeks=n) for n in range(count) if n in cancelled or n in moved
    }
    # A date moved by hours can land on another local day only near midnight, never here.
    assert {d.day for d in found} == expected_days
    assert [d.day for d in found] == sorted(d.day for d in found)
    for departure in found:
        n = (departure.day - first).days // 7
        assert (departure.moved_to is None) == (n in cancelled)


def test_a_series_on_its_rule_across_summer_time_has_no_departures() -> None:
    # Thursdays 18:00 in Copenhagen from winter into summer time: 17:00 UTC, then 16:00 UTC.
    starts = _series(date(2027, 3, 18), 4, COPENHAGEN)
    assert {s.hour for s in starts} == {17, 16}
    assert departures([(s, False) for s in starts], AT, COPENHAGEN) == []
    assert departures([(starts[1], True)], AT, COPENHAGEN) == [Departure(date(2027, 3, 25), None)]


def test_recurrence_rule_weekly_and_fortnightly() -> None:
    start = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert recurrence_rule(start, 0) is None
    assert recurrence_rule(start, 1) == {
        "start": "2026-11-26T17:00:00+00:00",
        "frequency": 2,
        "interval": 1,
        "by_weekday": [3],
    }
    rule = recurrence_rule(start, 2)
    assert rule is not None
    assert rule["interval"] == 2
    # Discord's weekly rules go no further apart: such a meal's event is its next date.
    assert recurrence_rule(start, 3) is None


def test_a_late_evening_meal_repeats_on_its_utc_weekday() -> None:
    # 00:30 on a Friday in Copenhagen is 23:30 on Thursday in UTC, as Discord reads it.
    start = local_start(date(2026, 11, 27), time(0, 30), COPENHAGEN)
    rule = recurrence_rule(start, 1)
    assert rule is not None
    assert rule["by_weekday"] == [3]
    assert rule["start"] == "2026-11-26T23:30:00+00:00"


def _message(**changes: object) -> PublishEvent:
    values: dict[str, object] = {
        "platform": "discord",
        "reference": "meal:7",
        "name": "Soup evening",
        "starts_at": datetime.fromisoformat("2026-11-26T18:00:00+01:00"),
        "minutes": 90,
        "every_weeks": 0,
        "place": "https://meet.jit.si/Samvaer-abc",
        "description": "A shared meal.",
    }
    values.update(changes)
    return PublishEvent(**values)  # type: ignore[arg-type]


def test_an_external_event_in_utc_with_its_location() -> None:
    body = event_body(_message(), None)
    assert body == {
        "name": "Soup evening",
        "description": "A shared meal.",
        "privacy_level": 2,
        "scheduled_start_time": "2026-11-26T17:00:00+00:00",
        "scheduled_end_time": "2026-11-26T18:30:00+00:00",
        "recurrence_rule": None,
        "entity_type": 3,
        "channel_id": None,
        "entity_metadata": {"location": "https://meet.jit.si/Samvaer-abc"},
    }


def test_voice_and_stage_channels() -> None:
    voice = event_body(_message(place="https://discord.com/channels/1/2"), (2, 2))
    assert (voice["entity_type"], voice["channel_id"], voice["entity_metadata"]) == (2, "2", None)
    stage = event_body(_message(), (5, 13))
    assert stage["entity_type"] == 1


def test_long_names_and_locations_are_cut_to_discords_limits() -> None:
    body = event_body(_message(name="x" * 300, place="https://x.example/" + "y" * 300), None)
    assert len(body["name"]) == 100
    assert len(body["entity_metadata"]["location"]) == 100


def test_jitsi_widget_carries_the_conference_of_the_link() -> None:
    content = widget_content(
        "https://meet.jit.si/Samvaer-Q3x_9", "Soup evening", "@bot:hs", "samvaer-meal-7"
    )
    assert content["type"] == "jitsi"
    assert content["data"]["domain"] == "meet.jit.si"
    assert content["data"]["conferenceId"] == "Samvaer-Q3x_9"
    assert content["data"]["isAudioOnly"] is False
    assert content["id"] == "samvaer-meal-7"
    assert content["creatorUserId"] == "@bot:hs"
    assert "$conferenceId" in content["url"]


def test_element_call_widget_opens_the_call_link() -> None:
    link = "https://call.element.io/room/#/Samvaer-abc"
    content = widget_content(link, "Soup", "@bot:hs", "samvaer-meal-7")
    assert content["type"] == "m.custom"
    assert content["url"] == link


def test_widget_ids_are_the_meals_own() -> None:
    assert widget_id("meal:12") == "samvaer-meal-12"


def test_publish_and_withdraw_go_through_the_outbox_codec() -> None:
    message = _message(every_weeks=2, room_id="!r:hs", event_id="1/2")
    assert decode(encode(message)) == message
    withdraw = WithdrawEvent("matrix", "meal:7", "!r:hs samvaer-meal-7")
    assert decode(encode(withdraw)) == withdraw
    assert outgoing_platform(withdraw) == "matrix"
