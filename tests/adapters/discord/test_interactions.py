"""Slash commands and buttons through discord.py's own parsing, answered via the recorder."""

from __future__ import annotations

from bot.adapters.discord import DiscordAdapter, choice_custom_id
from bot.app import App
from tests.adapters.discord.support import (
    ALICE,
    Recorder,
    button_interaction,
    command_interaction,
    feed,
)

EPHEMERAL = 64


async def test_slash_language_reaches_the_dispatcher(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed(
        adapter, command_interaction("language", [{"name": "code", "type": 3, "value": "en"}])
    )
    callbacks = recorder.named("POST", "/callback")
    assert callbacks
    assert callbacks[0].json["type"] == 5
    followups = [
        c for c in recorder.calls if c.webhook and c.method == "POST" and "/webhooks/" in c.path
    ]
    assert followups, recorder.calls
    assert "English" in followups[0].content or followups[0].content
    assert not followups[0].flags & EPHEMERAL


def _followups(recorder: Recorder) -> list:
    return [
        c for c in recorder.calls if c.webhook and c.method == "POST" and "/webhooks/" in c.path
    ]


async def test_private_command_answers_ephemerally(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed(adapter, command_interaction("privacy", []))
    defer = recorder.named("POST", "/callback")[0]
    assert defer.json["data"]["flags"] & EPHEMERAL
    followups = _followups(recorder)
    assert followups
    assert all(c.flags & EPHEMERAL for c in followups)
    # Nothing was posted in the channel and no DM was opened.
    assert not recorder.named("POST", "/channels/")
    assert not recorder.named("POST", "/users/@me/channels")


async def test_button_press_becomes_a_choice(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)
        await discord_app.on_event(event)  # type: ignore[arg-type]

    adapter.attach(record)
    custom_id = choice_custom_id("cmd:consent checkins on")
    await feed(adapter, button_interaction(custom_id, "Yes", in_guild=False))
    from bot.core.events import ChoiceIn

    assert len(seen) == 1
    assert isinstance(seen[0], ChoiceIn)
    assert seen[0].value == "cmd:consent checkins on"
    assert seen[0].sender.user_id == str(ALICE)
    assert recorder.named("POST", "/callback")[0].json["type"] == 6  # deferred update
    assert _followups(recorder)


async def test_button_works_after_a_restart(
    discord_app: App, discord_config, translator, recorder: Recorder
) -> None:
    from bot.bootstrap import build_registry
    from tests.adapters.discord.support import wire

    fresh = DiscordAdapter(discord_config, registry=build_registry(), translator=translator, rate=0)
    await wire(fresh, recorder)
    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)

    fresh.attach(record)
    await feed(fresh, button_interaction(choice_custom_id("cmd:checkin 4"), "4"))
    assert [getattr(e, "value", None) for e in seen] == ["cmd:checkin 4"]


async def _checkins(discord_app: App) -> list[tuple[int, str | None]]:
    from sqlalchemy import select

    from bot.checkins.models import CheckinEntry

    async with discord_app.uow() as uow:
        rows = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        return [(row.mood, row.note) for row in rows]


def _checkin_now(options: list[dict[str, object]]) -> dict[str, object]:
    return command_interaction("checkin", [{"name": "now", "type": 1, "options": options}])


async def test_slash_option_values_reach_the_handler_unchanged(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    """A value in double quotes, with runs of spaces, arrives as typed in Discord's box
    (written into a command line and parsed again, its quotes were taken off)."""
    consent = [
        {"name": "what", "type": 3, "value": "checkins"},
        {"name": "state", "type": 3, "value": "on"},
    ]
    await feed(adapter, command_interaction("consent", consent))
    note = '"come over"  my sister said, "now"'
    await feed(
        adapter,
        _checkin_now(
            [{"name": "mood", "type": 4, "value": 4}, {"name": "note", "type": 3, "value": note}]
        ),
    )
    assert await _checkins(discord_app) == [(4, note)]


async def test_a_wrong_slash_value_gets_the_error_and_the_usage(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    mood = [{"name": "now", "type": 1, "options": [{"name": "mood", "type": 4, "value": 9}]}]
    await feed(adapter, command_interaction("checkin", mood, locale="da"))
    said = "\n".join(c.content for c in _followups(recorder))
    assert "Vælg et tal fra 1 til 5" in said, said
    assert "tjekind [1-5] [note]" in said, said
    assert await _checkins(discord_app) == []


async def test_a_button_with_a_typed_action_runs_it_and_a_private_one_answers_privately(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    from bot.core.events import ChoiceIn, Invoke, invoke

    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)
        await discord_app.on_event(event)  # type: ignore[arg-type]

    adapter.attach(record)
    custom_id = choice_custom_id(invoke("buddy status"))
    assert custom_id == 'sv:run:["buddy status"]'
    await feed(adapter, button_interaction(custom_id, "Status"))
    assert isinstance(seen[0], ChoiceIn)
    assert seen[0].value == Invoke("buddy status")
    # buddy status is a private command: the press is deferred ephemerally, in the guild.
    defer = recorder.named("POST", "/callback")[0]
    assert defer.json["data"]["flags"] & EPHEMERAL
    assert all(c.flags & EPHEMERAL for c in _followups(recorder))
