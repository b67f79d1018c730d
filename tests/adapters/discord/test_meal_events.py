"""Meals as Discord's own scheduled events: the exact JSON sent to Discord's routes
(through discord.py's HTTP client), repeating meals with a recurrence rule, changes
PATCHed in place, cancelling, and Discord saying no."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.events import MessageIn, Role, Room, Sender
from bot.meals.models import Meal, MealTable
from tests.adapters.discord.support import ALICE, CHANNEL_ID, GUILD_ID, Call, Recorder

EVENTS = "/guilds/{guild_id}/scheduled-events"
ONE_EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
THURSDAY = 3  # Discord's weekdays start at Monday = 0


async def _type(app: App, text: str, user: int = ALICE) -> None:
    sender = Sender("discord", str(user), f"user{user}", Role.VOLUNTEER, "en-GB")
    await app.handle(MessageIn(sender, Room("discord", str(CHANNEL_ID)), text, False))


async def _meal(app: App, title: str) -> Meal:
    async with app.uow() as uow:
        meal = (await uow.session.execute(select(Meal).where(Meal.title == title))).scalar_one()
        uow.session.expunge(meal)
        return meal


async def _table_links(app: App) -> list[str]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(MealTable.video_url))).scalars())


def _sent(recorder: Recorder, method: str) -> list[Call]:
    """Calls to the scheduled-event routes with ``method`` (not the GET listings)."""
    return [
        c
        for c in recorder.calls
        if c.method == method and f"/guilds/{GUILD_ID}/scheduled-events" in c.path
    ]


def _dm_texts(recorder: Recorder) -> list[str]:
    dm_channels = {str(channel) for channel in recorder.dm_channels.values()}
    return [
        c.content
        for c in recorder.named("POST", "/messages")
        if c.path.split("/")[-2] in dm_channels
    ]


async def test_a_weekly_link_meal_is_one_repeating_external_event(
    discord_app: App, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 every week')
    await discord_app.tick()
    created = _sent(recorder, "POST")
    assert len(created) == 1
    meal = await _meal(discord_app, "Soup evening")
    body: dict[str, Any] = created[0].json
    location = body.pop("entity_metadata")["location"]
    description = body.pop("description")
    # 18:00 in Copenhagen in November is 17:00 UTC; the rule repeats on Thursdays.
    assert body == {
        "name": "Soup evening",
        "privacy_level": 2,
        "scheduled_start_time": "2026-11-26T17:00:00+00:00",
        "scheduled_end_time": "2026-11-26T18:00:00+00:00",
        "recurrence_rule": {
            "start": "2026-11-26T17:00:00+00:00",
            "frequency": 2,
            "interval": 1,
            "by_weekday": [THURSDAY],
        },
        "entity_type": 3,
        "channel_id": None,
    }
    # The meal's own unguessable call link, the same one table 1 meets at on every date.
    assert location.startswith("https://meet.jit.si/Samvaer-")
    assert location == meal.place_url
    assert set(await _table_links(discord_app)) >= {location}
    assert f"!meal join {meal.code}" in description
    # The event's id is kept with the meal, with its server.
    assert meal.native_event_id == f"{GUILD_ID}/{recorder.events[0]['id']}"


async def test_every_other_week_and_a_one_off(discord_app: App, recorder: Recorder) -> None:
    await _type(discord_app, '!meal schedule "Walk and talk" 2026-11-24 10:30 every 2 weeks')
    await _type(discord_app, '!meal schedule "Pancakes" 2026-11-29 11:30')
    await discord_app.tick()
    bodies = {c.json["name"]: c.json for c in _sent(recorder, "POST")}
    assert bodies["Walk and talk"]["recurrence_rule"] == {
        "start": "2026-11-24T09:30:00+00:00",
        "frequency": 2,
        "interval": 2,
        "by_weekday": [1],  # Tuesday
    }
    assert bodies["Pancakes"]["recurrence_rule"] is None
    assert bodies["Pancakes"]["scheduled_start_time"] == "2026-11-29T10:30:00+00:00"


async def test_a_voice_meal_is_an_event_in_its_voice_channel(
    discord_app: App, recorder: Recorder
) -> None:
    await _type(
        discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 every week video discord'
    )
    await discord_app.tick()  # the voice channel is made; its delivery shows the meal
    await discord_app.tick()
    channels = [c for c in recorder.named("POST", "/channels") if c.json.get("type") == 2]
    assert len(channels) == 1
    created = _sent(recorder, "POST")
    assert len(created) == 1  # one event for the series, none per date
    body = created[0].json
    voice_id = recorder.events[0]["channel_id"]
    assert body["entity_type"] == 2
    assert body["channel_id"] == voice_id
    assert body["entity_metadata"] is None
    assert body["recurrence_rule"]["by_weekday"] == [THURSDAY]
    links = await _table_links(discord_app)
    assert f"https://discord.com/channels/{GUILD_ID}/{voice_id}" in links


async def test_edits_patch_the_same_event(discord_app: App, recorder: Recorder) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 every week')
    await discord_app.tick()
    meal = await _meal(discord_app, "Soup evening")
    event_id = recorder.events[0]["id"]

    await _type(discord_app, f"!meal edit {meal.code} time 19:30 all")
    await _type(discord_app, f'!meal edit {meal.code} title "Soup and stories"')
    await discord_app.tick()
    patched = _sent(recorder, "PATCH")
    assert [c.path.rsplit("/", 1)[1] for c in patched] == [event_id, event_id]
    moved, renamed = (c.json for c in patched)
    assert moved["scheduled_start_time"] == "2026-11-26T18:30:00+00:00"
    assert moved["scheduled_end_time"] == "2026-11-26T19:30:00+00:00"
    assert moved["recurrence_rule"]["start"] == "2026-11-26T18:30:00+00:00"
    assert renamed["name"] == "Soup and stories"
    assert len(_sent(recorder, "POST")) == 1  # never a second event

    await _type(discord_app, f"!meal edit {meal.code} link https://meet.example/soup all")
    await discord_app.tick()
    relinked = _sent(recorder, "PATCH")[-1].json
    assert relinked["entity_type"] == 3
    assert relinked["entity_metadata"] == {"location": "https://meet.example/soup"}


async def test_a_change_before_the_event_exists_leaves_one_event_with_the_change(
    discord_app: App, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    meal = await _meal(discord_app, "Soup evening")
    await _type(discord_app, f'!meal edit {meal.code} title "Soup night"')
    await discord_app.tick()  # both are sent before the first event's id is known
    assert [event["name"] for event in recorder.events] == ["Soup night"]
    kept = await _meal(discord_app, "Soup night")
    assert kept.native_event_id == f"{GUILD_ID}/{recorder.events[0]['id']}"


async def test_one_cancelled_date_stays_in_the_series_and_is_named(
    discord_app: App, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 every week')
    await discord_app.tick()
    meal = await _meal(discord_app, "Soup evening")
    await _type(discord_app, f"!meal cancel {meal.code} 2026-12-03 yes")
    await discord_app.tick()
    assert not _sent(recorder, "DELETE")
    patched = _sent(recorder, "PATCH")
    assert len(patched) == 1
    assert "Cancelled on Thursday 3 December 2026." in patched[0].json["description"]
    assert patched[0].json["recurrence_rule"]["start"] == "2026-11-26T17:00:00+00:00"


async def test_cancelling_the_meal_deletes_its_event(discord_app: App, recorder: Recorder) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 every week')
    await discord_app.tick()
    meal = await _meal(discord_app, "Soup evening")
    event_id = recorder.events[0]["id"]
    await _type(discord_app, f"!meal cancel {meal.code} all yes")
    await discord_app.tick()
    deleted = _sent(recorder, "DELETE")
    assert [c.path.rsplit("/", 1)[1] for c in deleted] == [event_id]
    assert recorder.events == []
    assert (await _meal(discord_app, "Soup evening")).native_event_id == ""


async def test_without_manage_events_the_host_is_told_and_the_link_still_works(
    discord_app: App, recorder: Recorder
) -> None:
    recorder.forbidden_paths.add(EVENTS)
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    await discord_app.tick()
    await discord_app.tick()
    assert recorder.events == []
    told = [t for t in _dm_texts(recorder) if "could not be added" in t]
    assert len(told) == 1
    assert "Soup evening" in told[0]
    organisers = [c for c in recorder.named("POST", "/messages") if "Manage Events" in c.content]
    assert len(organisers) == 1
    meal = await _meal(discord_app, "Soup evening")
    assert meal.native_event_id == ""
    assert (await _table_links(discord_app))[0].startswith("https://meet.jit.si/Samvaer-")

    # A later change tries again and is refused again, but the host hears it only once.
    await _type(discord_app, f'!meal edit {meal.code} title "Soup night"')
    await discord_app.tick()
    assert len([t for t in _dm_texts(recorder) if "could not be added" in t]) == 1


async def test_a_bad_request_is_told_to_the_host_too(discord_app: App, recorder: Recorder) -> None:
    recorder.rejected_paths.add(EVENTS)
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    await discord_app.tick()
    await discord_app.tick()
    assert [t for t in _dm_texts(recorder) if "could not be added" in t]
    assert (await _meal(discord_app, "Soup evening")).native_event_id == ""


async def test_an_event_deleted_by_hand_is_made_again_on_the_next_change(
    discord_app: App, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    await discord_app.tick()
    recorder.events.clear()  # someone deleted it in Discord
    meal = await _meal(discord_app, "Soup evening")
    await _type(discord_app, f'!meal edit {meal.code} title "Soup night"')
    await discord_app.tick()
    assert len(_sent(recorder, "POST")) == 2
    assert recorder.events[0]["name"] == "Soup night"
    again = await _meal(discord_app, "Soup night")
    assert again.native_event_id == f"{GUILD_ID}/{recorder.events[0]['id']}"


async def test_after_each_date_the_series_moves_on_right_across_summer_time(
    discord_app: App, recorder: Recorder
) -> None:
    # Thursdays 18:00 in Copenhagen: 17:00 UTC in winter, 16:00 UTC from 29 March 2027.
    await _type(discord_app, '!meal schedule "Soup evening" 2027-03-25 18:00 every week')
    await discord_app.tick()
    assert _sent(recorder, "POST")[0].json["scheduled_start_time"] == "2027-03-25T17:00:00+00:00"
    clock = discord_app.services.clock
    assert isinstance(clock, FakeClock)
    clock.set(datetime(2027, 3, 25, 18, 30, tzinfo=UTC))  # the first date is over
    await discord_app.tick()
    moved = _sent(recorder, "PATCH")[-1].json
    assert moved["scheduled_start_time"] == "2027-04-01T16:00:00+00:00"
    assert moved["recurrence_rule"]["start"] == "2027-04-01T16:00:00+00:00"
    assert moved["recurrence_rule"]["by_weekday"] == [THURSDAY]
