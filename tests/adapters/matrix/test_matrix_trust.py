"""Hostile tests on a real Synapse: a bot, a victim and an attacker, each a real account.

What an attacker with an ordinary account on the community's homeserver can try
against the trust boundaries of the Matrix adapter: pass off a room of their own as
someone's direct chat, get private answers posted in a group room, flood the bot
with invites, answer other people's prompts, ping people through the bot, and
keep receiving alerts after losing the volunteer role.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import (
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomPreset,
    RoomPutStateResponse,
    RoomSendResponse,
)

from bot.core.events import Direct, Role, TextMessage
from tests.adapters.matrix.conftest import DEADLINE, MatrixUser, MatrixWorld, bot_message, text_from

pytestmark = pytest.mark.synapse

PRIVATE = "What I keep about you"  # the start of the `privacy` answer


def _from_bot(user: MatrixUser, bot_id: str, room_id: str) -> list[str]:
    return [
        text_from(e)
        for room, e in user.events
        if room == room_id and e.get("sender") == bot_id and e.get("type") == "m.room.message"
    ]


async def _bot_has_synced(adapter: Any, room_id: str) -> None:
    """Wait until the bot's own sync has the room (it gives no role in a room it lacks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while room_id not in adapter.client.rooms:
        assert loop.time() < deadline, f"the bot never synced {room_id}"
        await asyncio.sleep(0.05)


async def _trap(
    attacker: MatrixUser, invite: list[str], *, direct: bool = False, public: bool = True
) -> str:
    """A room the attacker controls: public and world-readable, so they can come back."""
    initial_state: list[dict[str, Any]] = []
    if public:
        initial_state.append(
            {
                "type": "m.room.history_visibility",
                "state_key": "",
                "content": {"history_visibility": "world_readable"},
            }
        )
    answer = await attacker.client.room_create(
        invite=invite,
        is_direct=direct,
        preset=RoomPreset.public_chat if public else RoomPreset.trusted_private_chat,
        initial_state=initial_state,
    )
    assert isinstance(answer, RoomCreateResponse), answer
    return str(answer.room_id)


async def _until(check: Any, what: str) -> None:
    """Wait (by yielding to the bot's sync loop) until ``check()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def _left(user: MatrixUser, room_id: str, who: str) -> None:
    await user.wait_for(
        lambda room, e: (
            room == room_id
            and e.get("type") == "m.room.member"
            and e.get("state_key") == who
            and e.get("content", {}).get("membership") == "leave"
        ),
        f"{who} leaving {room_id}",
    )


async def _open_dm(person: MatrixUser, bot_id: str) -> str:
    dm = await person.create_room([bot_id], direct=True)
    await person.wait_joined(dm, bot_id)
    return dm


@pytest.mark.parametrize("dm_invite", [False, True], ids=["room-invite", "dm-invite"])
async def test_attacker_room_never_becomes_the_victims_direct_chat(
    world: MatrixWorld, dm_invite: bool
) -> None:
    attacker = await world.person("mallory")
    victim = await world.person("victim")
    # A room invite needs a volunteer; a DM invite needs only an account on the server.
    roles = {} if dm_invite else {"volunteers": [attacker.user_id]}
    app, adapter = await world.start_bot(world.config(roles=roles))

    trap = await _trap(attacker, [victim.user_id, world.bot.user_id], direct=dm_invite)
    await attacker.wait_joined(trap, world.bot.user_id)
    assert await victim.wait_for_invite() == trap
    await victim.client.join(trap)
    await attacker.wait_joined(trap, victim.user_id)
    await attacker.client.room_leave(trap)
    await victim.wait_for(lambda r, e: r == trap and e.get("state_key") == attacker.user_id)
    await _until(
        lambda: attacker.user_id not in adapter.client.rooms[trap].users, "the bot seeing it"
    )
    # The trap now holds exactly the bot and the victim, both joined.

    reminder = await app.send(TextMessage(Direct("matrix", victim.user_id), "Reminder SECRET-1"))
    assert reminder.ok
    assert reminder.extra["room_id"] != trap
    dm = await victim.wait_for_invite()
    await victim.client.join(dm)
    await victim.wait_for(bot_message(world.bot.user_id, dm, "SECRET-1"), "the reminder")

    # A private command typed in the trap is answered in the real direct chat.
    await victim.say(trap, "!privacy")
    await victim.wait_for(
        lambda r, e: r != trap and e.get("sender") == world.bot.user_id and PRIVATE in text_from(e),
        "the private answer elsewhere",
    )

    # The attacker comes back (the room is public): still nothing private goes there.
    await attacker.client.join(trap)
    await _until(lambda: attacker.user_id in adapter.client.rooms[trap].users, "the rejoin")
    again = await app.send(TextMessage(Direct("matrix", victim.user_id), "Reminder SECRET-2"))
    assert again.ok
    assert again.extra["room_id"] == dm
    await victim.wait_for(bot_message(world.bot.user_id, dm, "SECRET-2"), "the second reminder")

    in_trap = _from_bot(victim, world.bot.user_id, trap)
    assert not [t for t in in_trap if "SECRET" in t or PRIVATE in t]
    # All the bot ever said there is that it answered privately.
    assert all("private message" in t for t in in_trap)


async def test_users_own_direct_chat_is_used_and_a_third_member_ends_it(
    world: MatrixWorld,
) -> None:
    app, _adapter = await world.start_bot()
    alice = await world.person("alice")
    bob = await world.person("bob")
    dm = await _open_dm(alice, world.bot.user_id)
    await alice.say(dm, "!help")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "Here is what I can do"), "help")
    # The room Alice opened as a direct chat is where the bot writes to her first.
    sent = await app.send(TextMessage(Direct("matrix", alice.user_id), "Meal SECRET-A"))
    assert sent.extra["room_id"] == dm

    # Once someone else is invited, it is no longer private: a new direct chat is opened.
    await alice.client.room_invite(dm, bob.user_id)
    await alice.wait_for(lambda r, e: r == dm and e.get("state_key") == bob.user_id, "bob's invite")
    moved = await app.send(TextMessage(Direct("matrix", alice.user_id), "Meal SECRET-B"))
    assert moved.ok
    assert moved.extra["room_id"] != dm
    assert await alice.wait_for_invite() == moved.extra["room_id"]
    await alice.client.join(moved.extra["room_id"])
    # Nor are answers to what she types there private any more.
    await alice.say(dm, "!privacy")
    await alice.wait_for(
        lambda r, e: r != dm and e.get("sender") == world.bot.user_id and PRIVATE in text_from(e),
        "the private answer in the new direct chat",
    )
    assert not [t for t in _from_bot(alice, world.bot.user_id, dm) if "SECRET-B" in t]
    assert not [t for t in _from_bot(alice, world.bot.user_id, dm) if PRIVATE in t]


async def test_bound_room_with_one_person_is_not_a_direct_chat(world: MatrixWorld) -> None:
    alice = await world.person("alice")
    room = await alice.create_room([world.bot.user_id])
    await world.start_bot(world.config(rooms={"checkins": [f"matrix:{room}"]}))
    await alice.wait_joined(room, world.bot.user_id)
    # Two members, the bot and Alice: still the community's room, not her direct chat.
    await alice.say(room, "!privacy")
    await alice.wait_for(bot_message(world.bot.user_id, room, "private message"), "the note")
    dm = await alice.wait_for_invite()
    assert dm != room
    await alice.client.join(dm)
    await alice.wait_for(
        lambda r, e: r != room and e.get("sender") == world.bot.user_id and PRIVATE in text_from(e),
        "the private answer in a direct chat",
    )
    assert not [t for t in _from_bot(alice, world.bot.user_id, room) if PRIVATE in t]


async def _set_level(owner: MatrixUser, room_id: str, user_id: str, level: int) -> None:
    current = await owner.client.room_get_state_event(room_id, "m.room.power_levels")
    assert isinstance(current, RoomGetStateEventResponse), current
    content = dict(current.content)
    content["users"] = {**content.get("users", {}), user_id: level}
    answer = await owner.client.room_put_state(room_id, "m.room.power_levels", content)
    assert isinstance(answer, RoomPutStateResponse), answer


async def test_alert_stops_reaching_a_volunteer_whose_level_was_lowered(
    world: MatrixWorld,
) -> None:
    olga = await world.person("olga")
    vera = await world.person("vera")
    room = await olga.create_room([world.bot.user_id, vera.user_id])
    await vera.wait_for_invite()
    await vera.client.join(room)
    await _set_level(olga, room, vera.user_id, 50)
    app, adapter = await world.start_bot(world.config(rooms={"volunteers": [f"matrix:{room}"]}))
    await olga.wait_joined(room, world.bot.user_id)
    await _bot_has_synced(adapter, room)
    assert await adapter.current_role(vera.user_id) == Role.VOLUNTEER
    assert await adapter.current_role(olga.user_id) == Role.ORGANISER

    alert = TextMessage(Direct("matrix", vera.user_id), "ALERT-1", recipient_role=Role.VOLUNTEER)
    assert (await app.send(alert)).ok
    dm = await vera.wait_for_invite()
    await vera.client.join(dm)
    await vera.wait_for(bot_message(world.bot.user_id, dm, "ALERT-1"), "the first alert")

    # Demoted: the very next alert is refused, before the bot has even synced the change.
    await _set_level(olga, room, vera.user_id, 0)
    assert await adapter.current_role(vera.user_id) == Role.PARTICIPANT
    second = TextMessage(Direct("matrix", vera.user_id), "ALERT-2", recipient_role=Role.VOLUNTEER)
    refused = await app.send(second)
    assert not refused.ok
    assert not refused.retry
    assert (await app.send(TextMessage(Direct("matrix", vera.user_id), "ORDINARY"))).ok
    await vera.wait_for(bot_message(world.bot.user_id, dm, "ORDINARY"), "an ordinary message")
    assert not [t for t in _from_bot(vera, world.bot.user_id, dm) if "ALERT-2" in t]

    # Promoted again, then gone from the volunteers' room: no role from its levels.
    await _set_level(olga, room, vera.user_id, 50)
    assert await adapter.current_role(vera.user_id) == Role.VOLUNTEER
    await vera.client.room_leave(room)
    assert await adapter.current_role(vera.user_id) == Role.PARTICIPANT


async def _bot_declined(owner: MatrixUser, room_id: str, bot_id: str) -> None:
    await _left(owner, room_id, bot_id)


async def test_room_invites_need_a_volunteer_and_all_invites_are_capped(
    world: MatrixWorld,
) -> None:
    mallory = await world.person("mallory")
    vera = await world.person("vera")
    anna = await world.person("anna")
    config = world.config(
        roles={"volunteers": [vera.user_id]}, invites_per_inviter_per_day=2, invites_per_day=3
    )
    _app, adapter = await world.start_bot(config)
    bot = world.bot.user_id

    # A participant cannot bring the bot into a room of theirs…
    room = await mallory.create_room([bot])
    await _bot_declined(mallory, room, bot)
    # …but anyone on the server may open a direct chat with it.
    dm = await mallory.create_room([bot], direct=True)
    await mallory.wait_joined(dm, bot)

    # A volunteer may invite it, up to the limit per person a day.
    first = await vera.create_room([bot])
    await vera.wait_joined(first, bot)
    second = await vera.create_room([bot])
    await vera.wait_joined(second, bot)
    third = await vera.create_room([bot])
    await _bot_declined(vera, third, bot)

    # Three joined today in all: even a direct chat waits until tomorrow.
    late = await anna.create_room([bot], direct=True)
    await _bot_declined(anna, late, bot)

    # A day later the limits start again.
    now = adapter.clock()
    adapter.clock = lambda: now + 86_401
    again = await anna.create_room([bot], direct=True)
    await anna.wait_joined(again, bot)
    await _until(lambda: again in adapter.client.rooms, "the bot syncing its join")
    assert set(adapter.client.rooms) >= {dm, first, second, again}
    assert not {room, third, late} & set(adapter.client.rooms)


async def test_a_room_nobody_uses_is_left_after_a_while(world: MatrixWorld) -> None:
    vera = await world.person("vera")
    config = world.config(roles={"volunteers": [vera.user_id]}, idle_room_days=3)
    _app, adapter = await world.start_bot(config)
    bot = world.bot.user_id
    idle = await vera.create_room([bot])
    await vera.wait_joined(idle, bot)
    used = await vera.create_room([bot])
    await vera.wait_joined(used, bot)
    await vera.say(used, "!help")
    await vera.wait_for(bot_message(bot, used, "Here is what I can do"), "help")
    await vera.say(idle, "just chatting, not to the bot")

    now = adapter.clock()
    adapter.clock = lambda: now + 2 * 86_400
    await vera.say(idle, "still chatting")  # wakes the bot's sync: too early to leave
    await vera.say(used, "chatting here too")
    await vera.wait_for(lambda r, e: r == used and "chatting here" in text_from(e))
    await _until(lambda: adapter.state.next_batch and idle in adapter.client.rooms, "a sync")
    assert idle in adapter.state.unused_rooms

    adapter.clock = lambda: now + 3 * 86_400 + 1
    await vera.say(idle, "anyone?")
    await _left(vera, idle, bot)
    await vera.say(used, "!privacy")
    await vera.wait_for(bot_message(bot, used, "private message"), "the bot still in use there")
    assert [e for r, e in vera.events if r == used and e.get("state_key") == bot][-1]["content"][
        "membership"
    ] == "join"


async def test_a_typed_digit_does_not_answer_a_meal_announcement(world: MatrixWorld) -> None:
    vera = await world.person("vera")
    anna = await world.person("anna")
    room = await vera.create_room([world.bot.user_id, anna.user_id])
    await anna.wait_for_invite()
    await anna.client.join(room)
    config = world.config(rooms={"meals": [f"matrix:{room}"]}, roles={"volunteers": [vera.user_id]})
    await world.start_bot(config)
    await vera.wait_joined(room, world.bot.user_id)
    anna_dm = await _open_dm(anna, world.bot.user_id)

    await vera.say(room, '!meal schedule "Curry" tomorrow 18:00')
    _r, announcement = await anna.wait_for(
        bot_message(world.bot.user_id, room, "Curry"), "the announcement"
    )
    assert announcement["content"]["m.mentions"] == {}
    await anna.say(room, "1")  # chat, not a sign-up
    await anna.react(room, announcement["event_id"], "1️⃣")
    await anna.wait_for(bot_message(world.bot.user_id, anna_dm, "You're in!"), "the seat")
    to_anna = _from_bot(anna, world.bot.user_id, anna_dm)
    assert len([t for t in to_anna if "You're in!" in t]) == 1
    assert not [t for t in to_anna if "already have a seat" in t]


async def test_edits_run_nothing_and_crisis_words_in_them_are_answered_privately(
    world: MatrixWorld,
) -> None:
    alice = await world.person("alice")
    bob = await world.person("bob")
    room = await alice.create_room([world.bot.user_id, bob.user_id])
    await bob.wait_for_invite()
    await bob.client.join(room)
    await world.start_bot(world.config(rooms={"checkins": [f"matrix:{room}"]}))
    await alice.wait_joined(room, world.bot.user_id)

    async def edit(original: str, new_text: str) -> None:
        content = {
            "msgtype": "m.text",
            "body": f"* {new_text}",
            "m.new_content": {"msgtype": "m.text", "body": new_text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        }
        answer = await alice.client.room_send(room, "m.room.message", content)
        assert isinstance(answer, RoomSendResponse), answer

    first = await alice.say(room, "hello all")
    await edit(first, "!privacy")
    await edit(first, "!checkin 1 I want to kill myself")
    dm = await alice.wait_for_invite()
    await alice.client.join(dm)
    _r, crisis = await alice.wait_for(
        lambda r, e: (
            r == dm and e.get("sender") == world.bot.user_id and e["type"] == "m.room.message"
        ),
        "the crisis reply",
    )
    assert crisis["content"]["m.mentions"] == {}
    await bob.sync()
    # The shared room sees one neutral line at most: never the lines, never the words.
    in_room = _from_bot(bob, world.bot.user_id, room)
    assert len(in_room) <= 1
    assert not [t for t in in_room if "70 201 201" in t or "kill" in t]
    # The edits ran nothing: no privacy answer, no check-in saved.
    assert not [e for r, e in alice.events if PRIVATE in text_from(e)]
    assert len(_from_bot(alice, world.bot.user_id, dm)) == 1
