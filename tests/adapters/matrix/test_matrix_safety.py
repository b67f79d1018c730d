"""The crisis path on a real Synapse: words typed in a shared room get a private reply."""

from __future__ import annotations

import pytest

from tests.adapters.matrix.conftest import MatrixWorld, text_from

pytestmark = pytest.mark.synapse


async def test_crisis_words_in_a_shared_room_are_answered_in_a_direct_chat(
    world: MatrixWorld,
) -> None:
    alice = await world.person("alice")
    bob = await world.person("bob")
    room = await alice.create_room([world.bot.user_id, bob.user_id])
    await bob.wait_for_invite()
    await bob.client.join(room)
    await world.start_bot(world.config(rooms={"checkins": [f"matrix:{room}"]}))
    await alice.wait_joined(room, world.bot.user_id)

    # Plain chatter in the room, no command prefix.
    await alice.say(room, "honestly some nights i just want to die")
    dm = await alice.wait_for_invite()
    await alice.client.join(dm)
    _r, reply = await alice.wait_for(
        lambda r, e: (
            r == dm and e.get("sender") == world.bot.user_id and e["type"] == "m.room.message"
        ),
        "the crisis reply",
    )
    assert "70 201 201" in text_from(reply)
    # The room sees one neutral line at most: never the lines, never the words.
    _r, note = await bob.wait_for(
        lambda r, e: (
            r == room and e.get("sender") == world.bot.user_id and e["type"] == "m.room.message"
        ),
        "the neutral line in the room",
    )
    assert "70 201 201" not in text_from(note)
    assert "die" not in text_from(note)
    await bob.sync()
    in_room = [
        e
        for r, e in bob.events
        if r == room and e.get("sender") == world.bot.user_id and e["type"] == "m.room.message"
    ]
    assert len(in_room) == 1
