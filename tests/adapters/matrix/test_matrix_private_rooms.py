"""Hostile tests on a real Synapse: a checked direct room stays trusted only while nothing changes.

The bot asks the homeserver whether a direct room is private the first time it
uses it, and afterwards trusts its live sync until the sync shows any state
change in that room. These tests change the room between two reminders, the
ways a person (or someone they let in) can, and check that the second reminder
never lands there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from nio import RoomPutStateResponse

from bot.adapters.matrix import MatrixAdapter
from bot.app import App
from bot.core.events import Direct, SendResult, TextMessage
from tests.adapters.matrix.conftest import DEADLINE, MatrixUser, MatrixWorld, bot_message, text_from

pytestmark = pytest.mark.synapse


class StateQuestions:
    """Counts the bot's questions for a room's full state (the questions still go out)."""

    def __init__(self, adapter: MatrixAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = adapter.client.room_get_state

        async def counted(room_id: str) -> Any:
            self.count += 1
            return await original(room_id)

        monkeypatch.setattr(adapter.client, "room_get_state", counted)


async def _until(check: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


def _joined(adapter: MatrixAdapter, room_id: str, user_id: str) -> bool:
    room = adapter.client.rooms.get(room_id)
    return room is not None and user_id in room.users and user_id not in room.invited_users


async def _remind(app: App, person: MatrixUser, text: str) -> SendResult:
    return await app.send(TextMessage(Direct("matrix", person.user_id), text))


async def _direct_chat_in_use(
    world: MatrixWorld, monkeypatch: pytest.MonkeyPatch
) -> tuple[App, MatrixAdapter, MatrixUser, str, StateQuestions]:
    """A bot, Alice, and the direct chat the bot opened with her, checked and in use."""
    app, adapter = await world.start_bot()
    alice = await world.person("alice")
    first = await _remind(app, alice, "Reminder SECRET-1")
    assert first.ok
    dm = first.extra["room_id"]
    assert await alice.wait_for_invite() == dm
    await alice.client.join(dm)
    await alice.wait_for(bot_message(world.bot.user_id, dm, "SECRET-1"), "the first reminder")
    await _until(lambda: _joined(adapter, dm, alice.user_id), "the bot syncing her join")
    # Her joining changed the room: the second reminder checks it with the homeserver…
    second = await _remind(app, alice, "Reminder SECRET-2")
    assert second.extra["room_id"] == dm
    # …and the next ones take the synced view, with no question per message.
    asked = StateQuestions(adapter, monkeypatch)
    for number in (3, 4):
        steady = await _remind(app, alice, f"Reminder STEADY-{number}")
        assert steady.extra["room_id"] == dm
    assert asked.count == 0
    await alice.wait_for(bot_message(world.bot.user_id, dm, "STEADY-4"), "the steady reminders")
    return app, adapter, alice, dm, asked


async def _put_state(user: MatrixUser, room_id: str, kind: str, content: dict[str, Any]) -> None:
    answer = await user.client.room_put_state(room_id, kind, content)
    assert isinstance(answer, RoomPutStateResponse), answer


async def _make_public(
    world: MatrixWorld, adapter: MatrixAdapter, alice: MatrixUser, dm: str
) -> None:
    await _put_state(alice, dm, "m.room.join_rules", {"join_rule": "public"})
    await _until(lambda: adapter.client.rooms[dm].join_rule == "public", "the bot syncing it")


async def _make_world_readable(
    world: MatrixWorld, adapter: MatrixAdapter, alice: MatrixUser, dm: str
) -> None:
    content = {"history_visibility": "world_readable"}
    await _put_state(alice, dm, "m.room.history_visibility", content)
    await _until(
        lambda: adapter.client.rooms[dm].history_visibility == "world_readable",
        "the bot syncing it",
    )


async def _third_member_comes_and_goes(
    world: MatrixWorld, adapter: MatrixAdapter, alice: MatrixUser, dm: str
) -> None:
    # Afterwards the room holds the bot and Alice again, as it did when it was checked.
    bob = await world.person("bob")
    await alice.client.room_invite(dm, bob.user_id)
    assert await bob.wait_for_invite() == dm
    await bob.client.join(dm)
    await _until(lambda: _joined(adapter, dm, bob.user_id), "the bot syncing bob's join")
    await bob.client.room_leave(dm)
    await _until(lambda: bob.user_id not in adapter.client.rooms[dm].users, "bob gone")


CHANGES = {
    "made-public": _make_public,
    "history-world-readable": _make_world_readable,
    "third-member-joined-and-left": _third_member_comes_and_goes,
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_direct_room_changed_between_two_reminders_gets_no_more_private_text(
    world: MatrixWorld, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    app, adapter, alice, dm, asked = await _direct_chat_in_use(world, monkeypatch)
    await CHANGES[change](world, adapter, alice, dm)
    third = await _remind(app, alice, "Reminder SECRET-3")

    # Refused there: the homeserver was asked again, and a fresh direct chat opened.
    assert asked.count >= 1
    assert third.ok
    fresh = third.extra["room_id"]
    assert fresh != dm
    assert await alice.wait_for_invite() == fresh
    await alice.client.join(fresh)
    await alice.wait_for(bot_message(world.bot.user_id, fresh, "SECRET-3"), "the third reminder")
    await alice.sync()
    in_dm = [text_from(e) for r, e in alice.events if r == dm and "SECRET-3" in text_from(e)]
    assert in_dm == []


async def test_a_stale_sync_makes_the_bot_ask_the_homeserver_again(
    world: MatrixWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, adapter, alice, dm, asked = await _direct_chat_in_use(world, monkeypatch)
    # The running long-poll looks older than its timeout allows: the sync may be stuck.
    later = time.monotonic() + adapter.sync_timeout + 60
    adapter.monotonic = lambda: later
    again = await _remind(app, alice, "Reminder SECRET-4")
    assert again.ok
    assert again.extra["room_id"] == dm  # still private, as the homeserver said
    assert asked.count == 1
    await alice.wait_for(bot_message(world.bot.user_id, dm, "SECRET-4"), "the fourth reminder")


async def test_a_room_the_person_opens_anew_is_checked_before_its_first_use(
    world: MatrixWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, adapter, alice, dm, asked = await _direct_chat_in_use(world, monkeypatch)
    # Alice leaves and opens a new direct chat with the bot: that one is hers now,
    # and it is asked about before anything private goes there.
    await alice.client.room_leave(dm)
    await _until(lambda: alice.user_id not in adapter.client.rooms[dm].users, "her leaving")
    new = await alice.create_room([world.bot.user_id], direct=True)
    await alice.wait_joined(new, world.bot.user_id)
    await _until(lambda: adapter.state.directs.get(alice.user_id) == new, "the new chat recorded")
    sent = await _remind(app, alice, "Reminder SECRET-5")
    assert sent.ok
    assert sent.extra["room_id"] == new
    assert asked.count == 1
    await alice.wait_for(bot_message(world.bot.user_id, new, "SECRET-5"), "the fifth reminder")
