"""The Matrix adapter end to end: the real dispatcher and database, a real Synapse, real clients."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest
from nio import AsyncClient, DirectRoomsResponse, DownloadResponse, RoomGetStateEventResponse

from bot.adapters.matrix import MatrixAdapter, MatrixStartError, MatrixTokenRevoked
from bot.core.events import Direct, OpenPrivateSpace, Role, Room, TextMessage
from bot.core.outbox import enqueue_many
from tests.adapters.matrix.conftest import (
    POLL_START,
    MatrixWorld,
    bot_message,
    bot_poll,
    text_from,
)
from tests.adapters.matrix.synapse import free_port

pytestmark = pytest.mark.synapse


async def test_dm_help_is_answered_with_html_and_plain_text(world: MatrixWorld) -> None:
    _app, adapter = await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    await alice.say(dm, "!help")
    _room, reply = await alice.wait_for(
        bot_message(world.bot.user_id, dm, "Here is what I can do"), "the help"
    )
    content = reply["content"]
    assert content["format"] == "org.matrix.custom.html"
    assert "<br>" in content["formatted_body"]
    assert "*" not in content["body"].split("\n")[0]
    assert adapter.state.next_batch


async def test_room_commands_are_threaded_and_private_ones_go_to_a_dm(
    world: MatrixWorld,
) -> None:
    alice = await world.person("alice")
    bob = await world.person("bob")
    room = await alice.create_room([world.bot.user_id, bob.user_id])
    config = world.config(rooms={"checkins": [f"matrix:{room}"]})
    _app, adapter = await world.start_bot(config)
    await alice.wait_joined(room, world.bot.user_id)

    asked = await alice.say(room, "!help")
    _r, reply = await alice.wait_for(
        bot_message(world.bot.user_id, room, "Here is what I can do"), "the help in the room"
    )
    assert reply["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == asked

    # The creator of a room bound to the community has power level 100: an organiser.
    matrix_room = adapter.client.rooms[room]
    assert adapter._sender(matrix_room, alice.user_id).role == Role.ORGANISER
    assert adapter._sender(matrix_room, bob.user_id).role == Role.PARTICIPANT

    await alice.say(room, "!privacy")
    await alice.wait_for(bot_message(world.bot.user_id, room, "private message"), "the note")
    dm = await alice.wait_for_invite()
    assert dm != room
    await alice.client.join(dm)
    await alice.wait_for(bot_message(world.bot.user_id, dm, "What I keep about you"), "privacy")
    assert adapter.state.directs[alice.user_id] == dm


async def test_a_choice_prompt_is_one_poll_answered_by_vote_reaction_or_typed_number(
    world: MatrixWorld,
) -> None:
    await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    await alice.say(dm, "!start")
    _r, first = await alice.wait_for(bot_poll(world.bot.user_id, dm, "?"), "the first poll")
    poll = first["content"][POLL_START]
    numbers = [str(n) for n in range(1, len(poll["answers"]) + 1)]
    assert [a["id"] for a in poll["answers"]] == numbers
    assert poll["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert "1️⃣" in first["content"]["body"]  # the fallback lists the numbered options
    await alice.vote(dm, first["event_id"], "1")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "I'll keep your check-ins"), "yes")
    # The prompt is one event: no reactions are added under it any more.
    assert not [e for r, e in alice.events if r == dm and e.get("type") == "m.reaction"]

    # The latest prompt asked about buddies; typing its number answers it.
    _r, second = await alice.wait_for(
        lambda r, e: (
            bot_poll(world.bot.user_id, dm, "")(r, e) and e["event_id"] != first["event_id"]
        ),
        "the second poll",
    )
    await alice.say(dm, "1")
    await alice.wait_for(
        bot_message(world.bot.user_id, dm, "You can ask for a buddy"), "the typed answer"
    )
    # A number reaction (as on the prompts sent before polls) answers a prompt too.
    await alice.say(dm, "!checkin")
    _r, mood = await alice.wait_for(
        lambda r, e: (
            bot_poll(world.bot.user_id, dm, "")(r, e)
            and e["event_id"] not in (first["event_id"], second["event_id"])
        ),
        "the mood poll",
    )
    await alice.react(dm, mood["event_id"], "4️⃣")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "I've noted"), "the check-in saved")


async def test_mydata_arrives_as_a_file(world: MatrixWorld) -> None:
    await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    await alice.say(dm, "!mydata")
    _r, file_event = await alice.wait_for(
        lambda room, e: room == dm and e.get("content", {}).get("msgtype") == "m.file",
        "the export file",
    )
    content = file_event["content"]
    assert content["info"]["mimetype"] == "application/json"
    download = await alice.client.download(mxc=content["url"])
    assert isinstance(download, DownloadResponse)
    exported = json.loads(download.body)
    assert exported


async def test_private_space_is_invite_only_with_both_members(world: MatrixWorld) -> None:
    _app, adapter = await world.start_bot()
    alice = await world.person("alice")
    bob = await world.person("bob")
    result = await adapter.send(
        OpenPrivateSpace("matrix", (alice.user_id, bob.user_id), "Buddies", "Say *hello*!")
    )
    assert result.ok
    for person in (alice, bob):
        assert await person.wait_for_invite() == result.value
        await person.client.join(result.value)
    await bob.wait_for(bot_message(world.bot.user_id, result.value, "Say hello!"), "the intro")
    rules = await bob.client.room_get_state_event(result.value, "m.room.join_rules")
    assert isinstance(rules, RoomGetStateEventResponse)
    assert rules.content["join_rule"] == "invite"
    history = await bob.client.room_get_state_event(result.value, "m.room.history_visibility")
    assert isinstance(history, RoomGetStateEventResponse)
    assert history.content["history_visibility"] == "invited"


async def test_encrypted_message_gets_a_one_time_notice(world: MatrixWorld) -> None:
    await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    garbled = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEn",
        "device_id": "XYZ",
        "sender_key": "abc",
        "session_id": "def",
    }
    for _ in range(2):
        await alice.client.room_send(dm, "m.room.encrypted", garbled)
    await alice.say(dm, "!help")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "Here is what I can do"), "help")
    notices = [e for room, e in alice.events if room == dm and "was encrypted" in text_from(e)]
    assert len(notices) == 1


async def test_restart_never_answers_a_command_twice(world: MatrixWorld) -> None:
    _app, adapter = await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    asked = await alice.say(dm, "!help")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "Here is what I can do"), "help")
    await world.stop_bot(adapter)

    # Written while the bot was away: answered after the restart, exactly once.
    await alice.say(dm, "!language xx")
    _app, restarted = await world.start_bot()
    assert restarted.state.mark_seen(asked) is False
    await alice.say(dm, "!privacy")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "What I keep about you"), "privacy")
    helps = [
        e
        for room, e in alice.events
        if room == dm
        and e.get("sender") == world.bot.user_id
        and "Here is what I can do" in text_from(e)
    ]
    assert len(helps) == 1
    languages = [
        e
        for room, e in alice.events
        if room == dm and e.get("sender") == world.bot.user_id and "Danish" in text_from(e)
    ]
    assert len(languages) == 1


async def test_fresh_store_ignores_history(world: MatrixWorld) -> None:
    _app, adapter = await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    await world.stop_bot(adapter)
    await alice.say(dm, "!help")
    # A new store (a new device): what was said before it started is history, not a command.
    await world.start_bot(world.config(store="other-store"))
    await alice.say(dm, "!privacy")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "What I keep about you"), "privacy")
    assert not [
        e
        for room, e in alice.events
        if room == dm and e.get("sender") == world.bot.user_id and "Here is what" in text_from(e)
    ]


async def test_saved_login_is_reused(world: MatrixWorld) -> None:
    _app, first = await world.start_bot()
    device = first.client.device_id
    await world.stop_bot(first)
    _app, second = await world.start_bot()
    assert second.client.device_id == device


async def test_wrong_password_and_wrong_homeserver_name_the_key(world: MatrixWorld) -> None:
    config = world.config(store="bad")
    world.monkeypatch.setenv(config.matrix.password_env, "not-the-password")  # type: ignore[union-attr]
    refused = MatrixAdapter(config)
    with pytest.raises(MatrixStartError, match=r"matrix\.password_env: .*refused"):
        await refused.connect()
    await refused.client.close()
    unreachable = world.config(store="bad2", homeserver=f"http://127.0.0.1:{free_port()}")
    nobody_home = MatrixAdapter(unreachable)
    with pytest.raises(MatrixStartError, match=r"matrix\.homeserver: cannot reach"):
        await nobody_home.connect()
    await nobody_home.client.close()


async def test_reconnects_after_the_homeserver_restarts(world: MatrixWorld) -> None:
    await world.start_bot()
    alice = await world.person("alice")
    dm = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(dm, world.bot.user_id)
    world.synapse.stop()
    world.synapse.start()
    await alice.say(dm, "!help")
    await alice.wait_for(
        bot_message(world.bot.user_id, dm, "Here is what I can do"), "help after the restart"
    )


async def test_revoked_token_stops_the_adapter_with_a_clear_error(world: MatrixWorld) -> None:
    app, adapter = await world.start_bot()
    _app, _adapter, task = world.running.pop()
    other = AsyncClient(world.synapse.url, world.bot.user_id)
    other.access_token = adapter.client.access_token
    await other.logout()
    await other.close()
    with pytest.raises(MatrixTokenRevoked, match=r"matrix\.password_env: .*M_UNKNOWN_TOKEN"):
        await asyncio.wait_for(task, 30)
    await app.close()


async def test_writing_first_opens_a_direct_room_and_remembers_it(world: MatrixWorld) -> None:
    app, adapter = await world.start_bot()
    bob = await world.person("bob")
    first = await app.send(TextMessage(Direct("matrix", bob.user_id), "Meal at *18:00*"))
    assert first.ok
    dm = await bob.wait_for_invite()
    await bob.client.join(dm)
    await bob.wait_for(bot_message(world.bot.user_id, dm, "Meal at 18:00"), "the reminder")
    second = await app.send(TextMessage(Direct("matrix", bob.user_id), "See you soon"))
    assert second.extra["room_id"] == dm
    marked = await adapter.client.list_direct_rooms()
    assert isinstance(marked, DirectRoomsResponse)
    assert dm in marked.rooms[bob.user_id]


async def test_a_rate_limited_fan_out_arrives_in_order_with_one_warning_naming_the_fix(
    world: MatrixWorld, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await world.person("alice")
    app, _adapter = await world.start_bot(world.config(roles={"volunteers": [alice.user_id]}))
    room = await alice.create_room([world.bot.user_id])
    await alice.wait_joined(room, world.bot.user_id)
    admin = world.synapse.register(f"admin-{uuid.uuid4().hex[:6]}", admin=True)
    # The bot account gets a strict limit of its own: two messages, then five a second.
    world.synapse.limit_messages(admin, world.bot.user_id, per_second=5, burst_count=2)

    now = app.services.clock.now()
    rows: list[dict[str, object]] = [
        {"message": TextMessage(Room("matrix", room), f"Notice {n}"), "due_at": now, "kind": "t"}
        for n in range(8)
    ]
    async with app.uow() as uow:
        await enqueue_many(uow.session, rows, now=now)
        await uow.commit()
    with caplog.at_level(logging.INFO, logger="samvaer.matrix"):
        report = await app.deliver()
    assert report.sent == 8
    await alice.wait_for(bot_message(world.bot.user_id, room, "Notice 7"), "the last notice")
    notices = [
        text_from(e)
        for r, e in alice.events
        if r == room and e.get("sender") == world.bot.user_id and "Notice" in text_from(e)
    ]
    assert notices == [f"Notice {n}" for n in range(8)]  # each once, in order
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "matrix.rate_limited" in r.getMessage()
    ]
    assert len(warnings) == 1, warnings
    assert f"/_synapse/admin/v1/users/{world.bot.user_id}/override_ratelimit" in warnings[0]
    assert "docs/matrix.md" in warnings[0]
