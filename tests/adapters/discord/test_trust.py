"""Trust boundaries on Discord, tried as an outsider would: through discord.py's own parsing.

Only members of the served guilds get in; roles come only from their member
objects, by role id; nothing the bot echoes pings anyone; private answers
leave no public trace; an expired button says so instead of acting.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.adapters.base import KnowsRoles
from bot.adapters.discord import CHOICE_HASHED, DiscordAdapter, RoleRules, choice_custom_id
from bot.app import App
from bot.bootstrap import build_registry
from bot.config import Config, parse_config
from bot.core.events import Direct, OpenPrivateSpace, Role, Room, Sender, TextMessage
from bot.core.i18n import Translator
from bot.db.models import Person
from tests.adapters.discord.support import (
    ALICE,
    APP_ID,
    BOB,
    CHANNEL_ID,
    FOREIGN_GUILD_ID,
    GUILD_ID,
    MALLORY,
    MANAGER_ROLE,
    ORGANISER_ROLE,
    VOLUNTEER_ROLE,
    Recorder,
    button_interaction,
    command_interaction,
    feed,
    feed_message,
    gateway_message,
    member_payload,
    wire,
)

EPHEMERAL = 64
DEFERRED_CHANNEL_MESSAGE = 5
FOREIGN_ORGANISER_ROLE = 810000000000000010
FOREIGN_ROLE_NAMED_LIKE_OUR_ID = 810000000000000011


def _recording(adapter: DiscordAdapter) -> list[Any]:
    seen: list[Any] = []

    async def record(event: Any) -> None:
        seen.append(event)

    adapter.attach(record)
    return seen


def _sent_messages(recorder: Recorder) -> list[Any]:
    return [c for c in recorder.named("POST", "/messages") if not c.webhook]


# ---------------------------------------------------------------- 1. only the community


async def test_messages_from_a_foreign_guild_are_ignored(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    seen = _recording(adapter)
    await feed_message(
        adapter,
        gateway_message(
            "!admin reports",
            user=MALLORY,
            guild=FOREIGN_GUILD_ID,
            roles=(FOREIGN_ORGANISER_ROLE,),
        ),
    )
    assert seen == []
    assert _sent_messages(recorder) == []


async def test_slash_command_from_a_foreign_guild_is_refused(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    seen = _recording(adapter)
    await feed(
        adapter,
        command_interaction(
            "help",
            [],
            user=MALLORY,
            guild=FOREIGN_GUILD_ID,
            roles=(FOREIGN_ORGANISER_ROLE,),
            permissions=0x20,
        ),
    )
    assert seen == []
    # Whatever Discord is told is for the person alone, never the foreign channel.
    assert all(
        c.flags & EPHEMERAL or (c.json or {}).get("data", {}).get("flags", 0) & EPHEMERAL
        for c in recorder.callbacks() + recorder.followups()
    )


async def test_button_from_a_foreign_guild_is_refused(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    seen = _recording(adapter)
    await feed(
        adapter,
        button_interaction(
            choice_custom_id("cmd:checkin alerts"),
            "Alerts",
            user=MALLORY,
            guild=FOREIGN_GUILD_ID,
            roles=(FOREIGN_ORGANISER_ROLE,),
        ),
    )
    assert seen == []
    assert not any("alert" in c.content.casefold() for c in recorder.followups())


async def test_autocomplete_from_a_foreign_guild_offers_nothing(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    asked: list[str] = []

    async def suggest(sender: Sender, command: str, param: str, typed: str) -> list[Any]:
        asked.append(sender.user_id)
        return [("Soup evening — Thursday", "M1")]

    adapter.use_suggestions(suggest)
    payload = command_interaction(
        "meal",
        [
            {
                "type": 1,
                "name": "join",
                "options": [{"type": 3, "name": "code", "value": "", "focused": True}],
            }
        ],
        user=MALLORY,
        guild=FOREIGN_GUILD_ID,
    )
    payload["type"] = 4
    await feed(adapter, payload)
    assert asked == []
    for call in recorder.callbacks():
        assert not (call.json.get("data") or {}).get("choices")


async def test_a_dm_from_a_non_member_gets_one_polite_line(
    adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    seen = _recording(adapter)
    await feed_message(adapter, gateway_message("!buddy join", user=MALLORY, guild=None))
    await feed_message(adapter, gateway_message("!meal list", user=MALLORY, guild=None))
    assert seen == []
    sent = _sent_messages(recorder)
    assert [c.content for c in sent] == [translator.text("en", "discord.not_member")]
    assert not recorder.named("GET", f"/guilds/{FOREIGN_GUILD_ID}/")  # only served guilds asked


async def test_a_dm_slash_or_button_from_a_non_member_is_refused_in_their_language(
    adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    seen = _recording(adapter)
    await feed(
        adapter, button_interaction("sv:cmd:buddy join", "Join", user=MALLORY, in_guild=False)
    )
    payload = command_interaction("help", [], user=MALLORY, in_guild=False, locale="da")
    await feed(adapter, payload)
    assert seen == []
    texts = [c.content for c in recorder.followups()] + [
        str(((c.json or {}).get("data") or {}).get("content", "")) for c in recorder.callbacks()
    ]
    assert translator.text("da", "discord.not_member") in texts


async def test_a_dm_from_a_member_is_served_with_their_role(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    recorder.members[(GUILD_ID, ALICE)] = member_payload(ALICE, "alice", (ORGANISER_ROLE,))
    seen = _recording(adapter)
    await feed_message(adapter, gateway_message("!help", user=ALICE, guild=None))
    assert len(seen) == 1
    assert seen[0].is_direct
    assert seen[0].sender.role is Role.ORGANISER


async def test_unknown_guilds_are_left_on_join_and_on_ready(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    foreign = adapter.client.get_guild(FOREIGN_GUILD_ID)
    assert foreign is not None
    await adapter.on_guild_join(foreign)
    assert recorder.named("DELETE", f"/users/@me/guilds/{FOREIGN_GUILD_ID}")
    recorder.calls.clear()
    await adapter.on_ready()
    assert recorder.named("DELETE", f"/users/@me/guilds/{FOREIGN_GUILD_ID}")
    assert not recorder.named("DELETE", f"/users/@me/guilds/{GUILD_ID}")


async def test_commands_are_synced_to_guilds_only_and_global_ones_removed(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    global_url = f"https://discord.com/api/v10/applications/{APP_ID}/commands"
    recorder.commands[global_url] = [{"id": "1", "name": "help", "description": "old", "type": 1}]
    await adapter.on_ready()
    puts = recorder.named("PUT", "/commands")
    global_puts = [c for c in puts if "/guilds/" not in c.path]
    guild_puts = [c for c in puts if f"/guilds/{GUILD_ID}/" in c.path]
    assert [c.json for c in global_puts] == [[]]
    assert guild_puts
    assert guild_puts[0].json
    assert not [c for c in puts if f"/guilds/{FOREIGN_GUILD_ID}/" in c.path]


async def test_without_guild_ids_nobody_is_served(
    translator: Translator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config({"community": {"language": "en"}, "discord": {"guild_ids": []}})
    made = DiscordAdapter(
        config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    seen = _recording(made)
    with caplog.at_level(logging.ERROR, logger="samvaer.discord"):
        await feed_message(made, gateway_message("!help", user=ALICE, guild=GUILD_ID))
        await feed_message(made, gateway_message("!help", user=ALICE, guild=None))
        await feed(made, command_interaction("help", [], user=BOB, permissions=0x20))
    assert seen == []
    assert any("guild_ids" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- 2. roles by id, from members


def test_roles_match_ids_to_ids_and_names_exactly() -> None:
    config = parse_config(
        {
            "roles": {
                "organisers": ["discord-role:Organiser"],
                "volunteers": [f"discord-role:{VOLUNTEER_ROLE}"],
            }
        }
    )
    rules = RoleRules.from_config(config.roles)
    assert rules.resolve("1", [(str(VOLUNTEER_ROLE), "anything")], False) is Role.VOLUNTEER
    # A role *named* like the configured id is somebody else's role.
    assert rules.resolve("1", [("123", str(VOLUNTEER_ROLE))], False) is Role.PARTICIPANT
    # Names are the documented fallback: exact and case-sensitive.
    assert rules.resolve("1", [("9", "Organiser")], False) is Role.ORGANISER
    assert rules.resolve("1", [("9", "organiser")], False) is Role.PARTICIPANT
    assert rules.resolve("1", [("9", "ORGANISER ")], False) is Role.PARTICIPANT


def test_only_a_served_guilds_owner_is_organiser_by_default() -> None:
    assert RoleRules().resolve("1", [], owns_served_guild=True) is Role.ORGANISER
    assert RoleRules().resolve("1", [], owns_served_guild=False) is Role.PARTICIPANT
    configured = RoleRules(organiser_users=frozenset({"42"}))
    assert configured.resolve("1", [], owns_served_guild=True) is Role.PARTICIPANT


async def test_manage_server_in_a_served_guild_is_not_organiser(
    adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    config = parse_config(
        {"community": {"language": "en"}, "discord": {"guild_ids": [GUILD_ID]}, "roles": {}}
    )
    made = DiscordAdapter(
        config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    seen = _recording(made)
    await feed(made, command_interaction("help", [], user=ALICE, roles=(MANAGER_ROLE,)))
    await feed(made, command_interaction("help", [], user=BOB))  # BOB owns the served guild
    assert [e.sender.role for e in seen] == [Role.PARTICIPANT, Role.ORGANISER]


async def test_a_foreign_guilds_member_object_gives_no_role(adapter: DiscordAdapter) -> None:
    foreign = adapter.client.get_guild(FOREIGN_GUILD_ID)
    assert foreign is not None
    data = member_payload(ALICE, "alice", (FOREIGN_ORGANISER_ROLE, FOREIGN_ROLE_NAMED_LIKE_OUR_ID))
    import discord

    member = discord.Member(data=data, guild=foreign, state=adapter.client._connection)  # type: ignore[arg-type]
    assert await adapter.role_of(member) is Role.PARTICIPANT


@pytest.fixture
def volunteer_config() -> Config:
    return parse_config(
        {
            "community": {"language": "en"},
            "discord": {"guild_ids": [GUILD_ID]},
            "roles": {
                "organisers": [f"discord-role:{ORGANISER_ROLE}"],
                "volunteers": [f"discord-role:{VOLUNTEER_ROLE}"],
            },
        }
    )


async def test_current_role_is_read_from_the_member_now(
    volunteer_config: Config, translator: Translator, recorder: Recorder
) -> None:
    made = DiscordAdapter(
        volunteer_config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    assert isinstance(made, KnowsRoles)
    # Not cached: fetched from Discord.
    recorder.members[(GUILD_ID, ALICE)] = member_payload(ALICE, "alice", (VOLUNTEER_ROLE,))
    assert await made.current_role(str(ALICE)) is Role.VOLUNTEER
    # Cached, then the role is taken away on the server (GUILD_MEMBER_UPDATE).
    guild = made.client.get_guild(GUILD_ID)
    assert guild is not None
    state = made.client._connection
    state.parse_guild_member_add(  # type: ignore[arg-type]
        {**member_payload(BOB, "bob", (VOLUNTEER_ROLE,)), "guild_id": str(GUILD_ID)}
    )
    assert await made.current_role(str(BOB)) is Role.VOLUNTEER
    state.parse_guild_member_update(  # type: ignore[arg-type]
        {**member_payload(BOB, "bob", ()), "guild_id": str(GUILD_ID)}
    )
    assert await made.current_role(str(BOB)) is Role.PARTICIPANT
    # Someone in no served guild holds no role at all: a role-gated message is dropped.
    assert await made.current_role(str(MALLORY)) is Role.PARTICIPANT


async def test_an_alert_does_not_reach_a_removed_volunteer_who_never_writes(
    engine: Any,
    clock: Any,
    volunteer_config: Config,
    translator: Translator,
    recorder: Recorder,
) -> None:
    from bot.bootstrap import bootstrap

    made = DiscordAdapter(
        volunteer_config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    app = await bootstrap(
        volunteer_config,
        clock=clock,
        engine=engine,
        adapters=[made],
        migrate=False,
        translator=translator,
        registry=made.registry,
    )
    alert = TextMessage(
        Direct("discord", str(ALICE)), "Someone may need a call", recipient_role=Role.VOLUNTEER
    )
    recorder.members[(GUILD_ID, ALICE)] = member_payload(ALICE, "alice", (VOLUNTEER_ROLE,))
    assert (await app.send(alert)).ok
    recorder.members[(GUILD_ID, ALICE)] = member_payload(ALICE, "alice", ())
    recorder.calls.clear()
    result = await app.send(alert)
    assert not result.ok
    assert not _sent_messages(recorder)
    assert not recorder.named("POST", "/users/@me/channels")


# ---------------------------------------------------------------- 3. no pings


async def test_echoed_mentions_ping_nobody(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed_message(
        adapter,
        gateway_message(f"!@everyone <@&{ORGANISER_ROLE}> <@{BOB}> @here", user=ALICE),
    )
    await adapter.send(TextMessage(Room("discord", str(CHANNEL_ID)), f"@everyone <@{BOB}>"))
    sent = _sent_messages(recorder)
    assert len(sent) >= 2
    for call in sent:
        assert call.json["allowed_mentions"] == {"parse": []}, call.json
    await feed(
        adapter,
        command_interaction(
            "help", [{"name": "topic", "type": 3, "value": f"@everyone <@&{ORGANISER_ROLE}>"}]
        ),
    )
    followups = recorder.followups()
    assert followups
    for call in followups:
        assert call.json["allowed_mentions"] == {"parse": []}, call.json


# ---------------------------------------------------------------- 4. private stays private


async def test_crisis_words_in_a_slash_option_are_deferred_ephemerally(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed(
        adapter,
        command_interaction(
            "help", [{"name": "topic", "type": 3, "value": "I want to end my life"}]
        ),
    )
    defer = recorder.callbacks()[0].json
    assert defer["type"] == DEFERRED_CHANNEL_MESSAGE
    assert defer["data"]["flags"] & EPHEMERAL
    followups = recorder.followups()
    assert followups
    assert all(c.flags & EPHEMERAL for c in followups)
    assert not _sent_messages(recorder)  # nothing in the channel


async def test_private_slash_command_leaves_no_public_line(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    await feed(
        adapter,
        command_interaction(
            "checkin",
            [{"name": "now", "type": 1, "options": [{"name": "mood", "type": 4, "value": 4}]}],
        ),
    )
    line = translator.text("en", "reply.answered_privately")
    assert recorder.followups()
    assert all(c.flags & EPHEMERAL for c in recorder.followups())
    assert line not in [c.content for c in recorder.followups()]
    assert not _sent_messages(recorder)


async def test_private_button_in_a_channel_leaves_no_public_trace(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    await feed(adapter, button_interaction(choice_custom_id("cmd:checkin 4"), "4"))
    defer = recorder.callbacks()[0].json
    assert defer["type"] == DEFERRED_CHANNEL_MESSAGE
    assert defer["data"]["flags"] & EPHEMERAL
    followups = recorder.followups()
    assert followups
    assert all(c.flags & EPHEMERAL for c in followups)
    assert translator.text("en", "reply.answered_privately") not in [c.content for c in followups]
    assert not _sent_messages(recorder)


# ---------------------------------------------------------------- 5. expired buttons


async def test_an_expired_button_cannot_confirm_forget(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder, translator: Translator
) -> None:
    await feed_message(adapter, gateway_message("!forget", user=ALICE, guild=None))
    assert any("yes_erase" not in c.content for c in _sent_messages(recorder))
    recorder.calls.clear()
    stale = CHOICE_HASHED + "0" * 40  # a long value from before a restart
    await feed(adapter, button_interaction(stale, "Yes", in_guild=False))
    async with discord_app.uow() as uow:
        people = await uow.session.scalar(select(func.count()).select_from(Person))
    assert people == 1  # not erased
    answers = recorder.callbacks()
    assert [c.json["data"]["content"] for c in answers] == [
        translator.text("en", "discord.button_expired", prefix="!")
    ]
    assert answers[0].json["data"]["flags"] & EPHEMERAL
    assert not recorder.followups()  # nothing else: no "erased", no label typed


async def test_a_private_space_is_never_made_outside_the_served_guilds(
    translator: Translator, recorder: Recorder
) -> None:
    # The served guild is unavailable; the bot still sits in other servers.
    config = parse_config({"community": {"language": "en"}, "discord": {"guild_ids": [42]}})
    made = DiscordAdapter(
        config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    result = await made.send(
        OpenPrivateSpace("discord", (str(ALICE), str(BOB)), "Alice & Bob", "Welcome, you two!")
    )
    assert not result.ok
    assert not recorder.named("POST", "/guilds/")
    assert not recorder.named("POST", "/threads")
