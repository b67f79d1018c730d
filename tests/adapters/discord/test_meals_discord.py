"""Meals on Discord: meal ids autocomplete, and cancelling takes the scheduled event away."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
from sqlalchemy import select

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from bot.core.codec import decode, encode
from bot.core.events import (
    CancelVideoPlace,
    CreateVideoPlace,
    MessageIn,
    PlaceRef,
    Role,
    Room,
    Sender,
    outgoing_platform,
)
from bot.meals.models import Meal, MealTable
from tests.adapters.discord.support import (
    ALICE,
    BOB,
    CHANNEL_ID,
    GUILD_ID,
    Recorder,
    command_interaction,
    feed,
)

CANCELLED_STATUS = 4  # Discord's GuildScheduledEventStatus.CANCELED
AUTOCOMPLETE_RESULT = 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT


async def _type(app: App, text: str, user: int = ALICE) -> None:
    sender = Sender("discord", str(user), f"user{user}", Role.VOLUNTEER, "en-GB")
    await app.handle(MessageIn(sender, Room("discord", str(CHANNEL_ID)), text, False))


async def _codes(app: App) -> dict[str, str]:
    async with app.uow() as uow:
        rows = await uow.session.execute(select(Meal.title, Meal.code))
        return {title: code for title, code in rows}


def autocomplete_interaction(
    sub: str, option: str, typed: str, *, user: int = ALICE, locale: str = "en-GB"
) -> dict[str, Any]:
    """A type 4 APPLICATION_COMMAND_AUTOCOMPLETE interaction for ``/meal <sub>``."""
    payload = command_interaction(
        "meal",
        [
            {
                "type": 1,
                "name": sub,
                "options": [{"type": 3, "name": option, "value": typed, "focused": True}],
            }
        ],
        user=user,
        locale=locale,
    )
    payload["type"] = 4
    return payload


def _offered(recorder: Recorder) -> list[dict[str, str]]:
    answers = [c for c in recorder.named("POST", "/callback") if c.json["type"] == 8]
    assert len(answers) == 1, recorder.calls
    choices: list[dict[str, str]] = answers[0].json["data"]["choices"]
    return choices


async def test_meal_ids_autocomplete_to_titles_and_local_times(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    await _type(discord_app, '!meal schedule "Pancake Sunday" 2026-11-29 11:30')
    codes = await _codes(discord_app)
    recorder.calls.clear()

    await feed(adapter, autocomplete_interaction("join", "code", ""))
    offered = _offered(recorder)
    assert [c["value"] for c in offered] == [codes["Soup evening"], codes["Pancake Sunday"]]
    # Shown in the community's zone (Copenhagen): 18:00 local, not 17:00 UTC.
    assert offered[0]["name"] == "Soup evening — Thursday 26 November at 18:00"
    # Nothing else happened: no command ran, nobody new was met.
    assert not recorder.named("POST", "/channels/")


async def test_autocomplete_filters_by_what_is_typed_and_speaks_the_locale(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00')
    await _type(discord_app, '!meal schedule "Pancake Sunday" 2026-11-29 11:30')
    codes = await _codes(discord_app)
    recorder.calls.clear()

    await feed(adapter, autocomplete_interaction("cancel", "code", "panc", user=BOB, locale="da"))
    offered = _offered(recorder)
    assert [c["value"] for c in offered] == [codes["Pancake Sunday"]]
    assert offered[0]["name"] == "Pancake Sunday — søndag 29. november kl. 11:30"


async def test_autocomplete_without_meals_offers_nothing(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed(adapter, autocomplete_interaction("ics", "code", "x"))
    assert _offered(recorder) == []


async def test_meal_options_are_marked_for_autocomplete(adapter: DiscordAdapter) -> None:
    meal = adapter.client.tree.get_command("meal", guild=discord.Object(GUILD_ID))
    assert meal is not None
    payload = meal.to_dict(adapter.client.tree)
    subs = {option["name"]: option for option in payload["options"]}
    for sub in ("join", "leave", "cancel", "ics", "here", "feedback"):
        code = next(o for o in subs[sub]["options"] if o["name"] == "code")
        assert code["autocomplete"] is True, sub
    rating = next(o for o in subs["feedback"]["options"] if o["name"] == "rating")
    assert not rating.get("autocomplete")


async def test_cancelling_a_meal_deletes_its_scheduled_event(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 video discord')
    await discord_app.tick()  # the outbox makes the voice channel, then the meal's event
    created = recorder.named("POST", "/scheduled-events")
    assert len(created) == 1
    assert created[0].json["scheduled_start_time"].startswith("2026-11-26T17:00:00")
    assert created[0].json["entity_type"] == 2  # in the voice channel
    async with discord_app.uow() as uow:
        links = list((await uow.session.execute(select(MealTable.video_url))).scalars())
    assert links
    assert links[0].startswith(f"https://discord.com/channels/{GUILD_ID}/")

    code = (await _codes(discord_app))["Soup evening"]
    await _type(discord_app, f"!meal cancel {code}")
    await discord_app.tick()
    assert not recorder.named("DELETE", "/scheduled-events/")  # asked first, not done
    await _type(discord_app, "yes")
    await discord_app.tick()
    assert len(recorder.named("DELETE", "/scheduled-events/")) == 1
    assert recorder.events == []

    await discord_app.tick()  # delivered once, not again
    assert len(recorder.named("DELETE", "/scheduled-events/")) == 1


async def test_cancelling_one_date_of_a_series_leaves_the_others(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    voice = "https://discord.com/channels/{g}/{c}"
    for day in ("2026-11-26", "2026-12-03"):
        made = await adapter.send(
            CreateVideoPlace(
                "discord",
                "voice",
                "Soup evening",
                datetime.fromisoformat(f"{day}T17:00:00+00:00"),
                60,
            )
        )
        assert made.ok
    channel_id = recorder.events[0]["channel_id"]
    place = voice.format(g=GUILD_ID, c=channel_id)
    result = await adapter.send(
        CancelVideoPlace(
            "discord",
            PlaceRef("meal_table", (1, 1)),
            place,
            datetime.fromisoformat("2026-12-03T17:00:00+00:00"),
        )
    )
    assert result.ok
    assert [e["status"] for e in recorder.events] == [1, CANCELLED_STATUS]


async def test_cancelling_a_link_or_a_vanished_event_is_harmless(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    link = await adapter.send(
        CancelVideoPlace(
            "discord", PlaceRef("meal_table", (1, 1)), "https://meet.jit.si/SamvaerSoup1"
        )
    )
    assert link.ok
    gone = await adapter.send(
        CancelVideoPlace(
            "discord",
            PlaceRef("meal_table", (1, 1)),
            f"https://discord.com/channels/{GUILD_ID}/1",
            None,
        )
    )
    assert gone.ok
    assert not recorder.named("PATCH", "/scheduled-events/")


async def test_without_manage_events_the_organisers_are_told(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    recorder.forbidden_paths.add("/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    await adapter.send(
        CreateVideoPlace(
            "discord", "voice", "Soup", datetime.fromisoformat("2026-11-26T17:00:00+00:00"), 60
        )
    )
    place = f"https://discord.com/channels/{GUILD_ID}/{recorder.events[0]['channel_id']}"
    result = await adapter.send(CancelVideoPlace("discord", PlaceRef("meal_table", (1, 1)), place))
    assert not result.ok
    assert not result.retry
    notices = [c for c in recorder.named("POST", "/messages") if "permission" in c.content]
    assert len(notices) == 1


def test_cancel_video_place_goes_through_the_outbox_codec() -> None:
    starts = datetime.fromisoformat("2026-12-03T17:00:00+00:00")
    message = CancelVideoPlace("discord", PlaceRef("meal_table", (3, 1)), "https://x", starts)
    assert decode(encode(message)) == message
    assert outgoing_platform(message) == "discord"


def test_video_place_rows_written_before_typed_references_still_decode() -> None:
    old_row = {
        "type": "CreateVideoPlace",
        "platform": "discord",
        "kind": "voice",
        "name": "Soup",
        "starts_at_iso": "2026-12-03T17:00:00+00:00",
        "minutes": 60,
        "reference": "meal_table:3:1",
    }
    message = decode(old_row)
    assert isinstance(message, CreateVideoPlace)
    assert message.reference == PlaceRef("meal_table", (3, 1))
    assert message.starts_at == datetime(2026, 12, 3, 17, tzinfo=UTC)
    undated = decode({**old_row, "type": "CancelVideoPlace", "place_id": "x", "starts_at_iso": ""})
    assert isinstance(undated, CancelVideoPlace)
    assert undated.starts_at is None


async def test_the_fallback_link_cannot_be_worked_out_from_the_title(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    # Without the right to make voice channels the meal meets at a Jitsi link: one that
    # a stranger who knows the meal's title cannot guess, different each time.
    recorder.forbidden_paths.add("/guilds/{guild_id}/channels")
    links = [
        (await adapter.send(CreateVideoPlace("discord", "voice", "Soup evening"))).value
        for _ in range(2)
    ]
    assert all(link.startswith("https://meet.jit.si/Samvaer-") for link in links)
    assert links[0] != links[1]
    assert not any("soup" in link.casefold() for link in links)
    assert all(len(link.removeprefix("https://meet.jit.si/Samvaer-")) >= 20 for link in links)


async def test_a_new_link_moves_the_event_out_of_the_voice_channel(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await _type(discord_app, '!meal schedule "Soup evening" 2026-11-26 18:00 video discord')
    await discord_app.tick()
    assert len(recorder.named("POST", "/scheduled-events")) == 1
    code = (await _codes(discord_app))["Soup evening"]
    await _type(discord_app, f"!meal edit {code} link https://meet.example/soup")
    await discord_app.tick()
    patched = recorder.named("PATCH", "/scheduled-events/")
    assert len(patched) == 1
    assert patched[0].json["entity_type"] == 3
    assert patched[0].json["channel_id"] is None
    assert patched[0].json["entity_metadata"] == {"location": "https://meet.example/soup"}
    async with discord_app.uow() as uow:
        links = list((await uow.session.execute(select(MealTable.video_url))).scalars())
    assert links == ["https://meet.example/soup"]
