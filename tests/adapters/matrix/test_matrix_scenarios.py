"""The features as people use them on a real homeserver: check-ins, meals, buddies, forget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nio import JoinedMembersResponse
from sqlalchemy import func, select

from bot.app import App
from bot.buddies.models import BuddyPair
from bot.core.clock import FakeClock
from bot.db.models import Account
from tests.adapters.matrix.conftest import MatrixUser, MatrixWorld, bot_message, text_from

pytestmark = pytest.mark.synapse


async def _open_dm(person: MatrixUser, bot_id: str) -> str:
    dm = await person.create_room([bot_id], direct=True)
    await person.wait_joined(dm, bot_id)
    return dm


async def _join_room_the_bot_opens(person: MatrixUser) -> str:
    room_id = await person.wait_for_invite()
    await person.client.join(room_id)
    return room_id


def _clock(app: App) -> FakeClock:
    clock = app.services.clock
    assert isinstance(clock, FakeClock)
    return clock


async def test_checkin_in_a_shared_room_is_answered_privately(world: MatrixWorld) -> None:
    alice = await world.person("alice")
    bob = await world.person("bob")
    room = await alice.create_room([world.bot.user_id, bob.user_id])
    await world.start_bot(world.config(rooms={"checkins": [f"matrix:{room}"]}))
    await alice.wait_joined(room, world.bot.user_id)
    dm = await _open_dm(alice, world.bot.user_id)
    await alice.say(dm, "!consent checkins on")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "check-in"), "the consent answer")

    await alice.say(room, "!checkin 4")
    await alice.wait_for(bot_message(world.bot.user_id, room, "private message"), "the note")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "4 · good"), "the check-in reply")
    from_bot_in_room = [
        text_from(e)
        for r, e in alice.events
        if r == room and e.get("sender") == world.bot.user_id and e.get("type") == "m.room.message"
    ]
    assert from_bot_in_room
    assert all("4 · good" not in text for text in from_bot_in_room)


async def test_meal_scheduled_joined_by_poll_vote_and_reminded(world: MatrixWorld) -> None:
    vera = await world.person("vera")
    anna = await world.person("anna")
    room = await vera.create_room([world.bot.user_id, anna.user_id])
    await anna.wait_for_invite()
    await anna.client.join(room)
    config = world.config(rooms={"meals": [f"matrix:{room}"]}, roles={"volunteers": [vera.user_id]})
    app, _adapter = await world.start_bot(config)
    await vera.wait_joined(room, world.bot.user_id)
    anna_dm = await _open_dm(anna, world.bot.user_id)

    await vera.say(room, '!meal schedule "Curry" tomorrow 18:00')
    _r, announcement = await anna.wait_for(
        bot_message(world.bot.user_id, room, "Curry"), "the announcement"
    )
    # A poll for everyone in the room: nobody's answer is shown to the room as a result.
    poll = announcement["content"]["org.matrix.msc3381.poll.start"]
    assert poll["kind"] == "org.matrix.msc3381.poll.undisclosed"
    await anna.vote(room, announcement["event_id"], "1")
    await anna.wait_for(bot_message(world.bot.user_id, anna_dm, "You're in!"), "the seat")

    # Tomorrow 18:00 Copenhagen is 17:00 UTC; the day-before reminder is due at 17:00 UTC today.
    _clock(app).set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    await app.tick()
    await app.tick()
    _r, reminder = await anna.wait_for(
        bot_message(world.bot.user_id, anna_dm, "Reminder"), "the reminder"
    )
    assert "https://meet.jit.si/Samvaer-" in text_from(reminder)


VOLUNTEER = (
    "!buddy volunteer capacity 1 consent=yes languages=da,en contact=text"
    " times=weekday-evenings interests=cooking"
)
PARTICIPANT = (
    "!buddy join consent=yes languages=da,en contact=text times=weekday-evenings"
    " kind=volunteer interests=cooking"
)


async def test_buddies_accept_and_meet_in_a_new_private_room(world: MatrixWorld) -> None:
    vera = await world.person("vera")
    alice = await world.person("alice")
    olga = await world.person("olga")
    config = world.config(roles={"volunteers": [vera.user_id], "organisers": [olga.user_id]})
    app, _adapter = await world.start_bot(config)
    dms = {}
    for person in (vera, alice, olga):
        dms[person.user_id] = await _open_dm(person, world.bot.user_id)
    await vera.say(dms[vera.user_id], VOLUNTEER)
    await vera.wait_for(
        bot_message(world.bot.user_id, dms[vera.user_id], "Thank you for offering"), "thanks"
    )
    await alice.say(dms[alice.user_id], PARTICIPANT)
    await alice.wait_for(
        bot_message(world.bot.user_id, dms[alice.user_id], "on the list"), "on the list"
    )
    await olga.say(dms[olga.user_id], "!admin match now")
    await olga.wait_for(bot_message(world.bot.user_id, dms[olga.user_id], "1 proposed"), "match")
    await app.tick()
    for person in (alice, vera):
        dm = dms[person.user_id]
        await person.wait_for(bot_message(world.bot.user_id, dm, "buddy"), "the proposal")
        await person.say(dm, "!buddy accept")
    await vera.wait_for(
        bot_message(world.bot.user_id, dms[vera.user_id], "You both said yes"), "both said yes"
    )
    await app.tick()

    async with app.uow() as uow:
        status, space_id = (
            await uow.session.execute(select(BuddyPair.status, BuddyPair.space_id))
        ).one()
    assert status == "active"
    assert space_id
    for person in (alice, vera):
        assert await _join_room_the_bot_opens(person) == space_id
    await alice.wait_for(bot_message(world.bot.user_id, space_id, "buddy block"), "the intro")
    members = await alice.client.joined_members(space_id)
    assert isinstance(members, JoinedMembersResponse), members
    assert {m.user_id for m in members.members} == {
        alice.user_id,
        vera.user_id,
        world.bot.user_id,
    }


async def test_forget_with_yes_leaves_no_account(world: MatrixWorld) -> None:
    app, _adapter = await world.start_bot()
    alice = await world.person("alice")
    dm = await _open_dm(alice, world.bot.user_id)
    await alice.say(dm, "!consent checkins on")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "check-in"), "the consent answer")
    await alice.say(dm, "!forget")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "cannot be undone"), "the question")
    await alice.say(dm, "yes")
    await alice.wait_for(bot_message(world.bot.user_id, dm, "Everything about you is erased"))
    async with app.uow() as uow:
        left = await uow.session.execute(
            select(func.count()).select_from(Account).where(Account.external_id == alice.user_id)
        )
        assert left.scalar() == 0
