"""Outgoing messages, private spaces, video places, roles and command sync via the recorder."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.adapters.discord import DiscordAdapter, RoleRules
from bot.config import parse_config
from bot.core.events import (
    CreateVideoPlace,
    Direct,
    Invoke,
    OpenPrivateSpace,
    Role,
    TextMessage,
)
from tests.adapters.discord.support import (
    ALICE,
    BOB,
    BUDDY_CHANNEL_ID,
    GUILD_ID,
    ORGANISER_ROLE,
    Recorder,
    command_interaction,
    feed,
)


async def test_closed_dms_are_kept_for_retry(adapter: DiscordAdapter, recorder: Recorder) -> None:
    recorder.closed_dms.add(ALICE)
    result = await adapter.send(TextMessage(Direct("discord", str(ALICE)), "Time to check in"))
    assert not result.ok
    assert result.retry
    assert result.reason == "dm_closed"
    ok = await adapter.send(TextMessage(Direct("discord", str(BOB)), "Time to check in"))
    assert ok.ok


async def test_private_space_is_a_private_thread(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    result = await adapter.send(
        OpenPrivateSpace("discord", (str(ALICE), str(BOB)), "Alice & Bob", "Welcome, you two!")
    )
    assert result.ok
    assert result.value
    thread = recorder.named("POST", f"/channels/{BUDDY_CHANNEL_ID}/threads")
    assert thread
    assert thread[0].json["type"] == 12
    assert len(recorder.named("PUT", "/thread-members/")) == 2
    assert recorder.named("POST", f"/channels/{result.value}/messages")


async def test_private_space_falls_back_to_a_channel(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    recorder.forbidden_paths.add("/channels/{channel_id}/threads")
    result = await adapter.send(
        OpenPrivateSpace("discord", (str(ALICE), str(BOB)), "Alice & Bob", "Welcome!")
    )
    assert result.ok
    assert result.extra["kind"] == "channel"
    created = recorder.named("POST", f"/guilds/{GUILD_ID}/channels")[0].json
    hidden = [o for o in created["permission_overwrites"] if str(o["id"]) == str(GUILD_ID)]
    assert hidden
    assert int(hidden[0]["deny"]) & 1024
    # The organisers' channel was told which permission is missing, once.
    notices = [c for c in recorder.named("POST", "/messages") if "permission" in c.content]
    assert len(notices) == 1


async def test_video_place_makes_voice_channel_and_event(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    result = await adapter.send(
        CreateVideoPlace(
            "discord",
            "discord",
            "Soup evening",
            datetime.fromisoformat("2026-11-26T17:00:00+00:00"),
            90,
        )
    )
    assert result.ok
    assert result.value.startswith("https://discord.com/channels/")
    assert recorder.named("POST", f"/guilds/{GUILD_ID}/channels")[0].json["type"] == 2
    event = recorder.named("POST", "/scheduled-events")[0].json
    assert event["scheduled_start_time"].startswith("2026-11-26T17:00:00")
    assert event["entity_type"] == 2
    assert result.extra["event_id"]


async def test_video_place_degrades_to_a_link(adapter: DiscordAdapter, recorder: Recorder) -> None:
    recorder.forbidden_paths.add("/guilds/{guild_id}/channels")
    result = await adapter.send(CreateVideoPlace("discord", "discord", "Soup evening"))
    assert result.ok
    assert result.value.startswith("https://meet.jit.si/")


def test_roles_resolve_from_config() -> None:
    config = parse_config(
        {
            "roles": {
                "organisers": ["discord-role:Organiser", "discord-user:42"],
                "volunteers": ["discord-role:555"],
            }
        }
    )
    rules = RoleRules.from_config(config.roles)
    assert rules.resolve("42", (), False) is Role.ORGANISER
    assert rules.resolve("1", [("9", "Organiser")], False) is Role.ORGANISER
    assert rules.resolve("1", [("555", "Frivillig")], False) is Role.VOLUNTEER
    assert rules.resolve("1", [], True) is Role.PARTICIPANT  # an organiser role is configured
    assert RoleRules().resolve("1", [], True) is Role.ORGANISER  # a served guild's owner


async def test_member_roles_come_from_the_interaction(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    seen: list[object] = []

    async def record(event: object) -> None:
        seen.append(event)

    adapter.attach(record)
    await feed(adapter, command_interaction("help", [], roles=(ORGANISER_ROLE,)))
    await feed(adapter, command_interaction("help", [], user=BOB))
    assert [e.sender.role for e in seen] == [Role.ORGANISER, Role.PARTICIPANT]  # type: ignore[attr-defined]
    assert seen[0].invoke == Invoke("help")  # type: ignore[attr-defined]


async def test_sync_is_idempotent_across_reconnects(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await adapter.on_ready()
    puts = recorder.named("PUT", "/commands")
    assert len(puts) == 1
    assert f"/guilds/{GUILD_ID}/" in puts[0].path
    await adapter.on_ready()  # a reconnect
    assert len(recorder.named("PUT", "/commands")) == 1
    # A new process with the same commands compares and does not sync again.
    assert await adapter.sync_commands() == []


async def test_missing_token_names_the_variable(
    adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import ConfigError

    monkeypatch.delenv("SAMVAER_DISCORD_TOKEN", raising=False)

    async def ignore(event: object) -> None:
        return None

    with pytest.raises(ConfigError, match="SAMVAER_DISCORD_TOKEN"):
        await adapter.start(ignore)
