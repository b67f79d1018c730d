"""How the adapter reads nio's own event objects: who may answer a prompt, edits, direct rooms.

No homeserver: the adapter is built from a config, its rooms are nio ``MatrixRoom``
objects and its events come from nio's own parsing of event JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nio import Event, MatrixRoom, ReactionEvent, RoomMessageText

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.matrix_rules import PendingPrompt
from bot.config import parse_config
from bot.core.events import ChoiceIn, MessageIn, Option

BOT = "@samvaer:example.org"
ALICE = "@alice:example.org"
MALLORY = "@mallory:example.org"
ROOM = "!meals:example.org"
DM = "!dm:example.org"
OPTIONS = (Option("Join", "meal join 7"), Option("No", "meal no 7"))


def _adapter(tmp_path: Path, **rooms: list[str]) -> MatrixAdapter:
    config = parse_config(
        {
            "matrix": {
                "homeserver": "http://127.0.0.1:1",
                "user_id": BOT,
                "password_env": "SAMVAER_UNUSED_PASSWORD",
                "store_path": str(tmp_path / "store"),
            },
            "rooms": rooms,
        }
    )
    adapter = MatrixAdapter(config)
    adapter.client.user_id = BOT
    return adapter


def _room(adapter: MatrixAdapter, room_id: str, *members: str) -> MatrixRoom:
    room = MatrixRoom(room_id, BOT)
    for member in (BOT, *members):
        room.add_member(member, None, None)
    adapter.client.rooms[room_id] = room
    return room


def _event(cls: Any, sender: str, content: dict[str, Any], number: int) -> Event:
    source = {
        "type": "m.reaction" if cls is ReactionEvent else "m.room.message",
        "event_id": f"$e{number}",
        "sender": sender,
        "origin_server_ts": 1,
        "content": content,
    }
    event = cls.from_dict(source)
    assert isinstance(event, cls), event
    return event


def _text(sender: str, body: str, number: int = 1, **extra: Any) -> Event:
    return _event(RoomMessageText, sender, {"msgtype": "m.text", "body": body, **extra}, number)


def _reaction(sender: str, key: str, number: int = 1) -> Event:
    relates = {"rel_type": "m.annotation", "event_id": "$prompt", "key": key}
    return _event(ReactionEvent, sender, {"m.relates_to": relates}, number)


def test_typed_digit_after_an_announcement_does_nothing(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    room = _room(adapter, ROOM, ALICE, MALLORY)
    adapter.state.remember_prompt(ROOM, "$prompt", PendingPrompt(OPTIONS))
    typed = adapter._translate(_text(MALLORY, "1"), room)
    assert isinstance(typed, MessageIn)
    assert typed.text == "1"
    # Reactions to an announcement: anyone, each for themselves.
    for number, person in enumerate((ALICE, MALLORY), 2):
        picked = adapter._translate(_reaction(person, "1️⃣", number), room)
        assert isinstance(picked, ChoiceIn)
        assert (picked.sender.user_id, picked.value) == (person, "meal join 7")


def test_a_prompt_for_one_person_is_answered_only_by_them(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    room = _room(adapter, ROOM, ALICE, MALLORY)
    adapter.state.remember_prompt(ROOM, "$prompt", PendingPrompt(OPTIONS, ALICE))
    assert isinstance(adapter._translate(_text(MALLORY, "1"), room), MessageIn)
    assert adapter._translate(_reaction(MALLORY, "1️⃣", 2), room) is None
    picked = adapter._translate(_reaction(ALICE, "2️⃣", 3), room)
    assert isinstance(picked, ChoiceIn)
    assert picked.value == "meal no 7"
    typed = adapter._translate(_text(ALICE, "1", 4), room)
    assert isinstance(typed, ChoiceIn)
    assert (typed.sender.user_id, typed.value) == (ALICE, "meal join 7")


def _vote(sender: str, answers: list[Any], number: int = 1, *, stable: bool = False) -> Event:
    relates = {"rel_type": "m.reference", "event_id": "$prompt"}
    if stable:
        content: dict[str, Any] = {"m.relates_to": relates, "m.selections": answers}
    else:
        block = {"answers": answers}
        content = {"m.relates_to": relates, "org.matrix.msc3381.poll.response": block}
    event = Event.parse_event(
        {
            "type": "m.poll.response" if stable else "org.matrix.msc3381.poll.response",
            "event_id": f"$v{number}",
            "sender": sender,
            "origin_server_ts": 1,
            "content": content,
        }
    )
    assert isinstance(event, Event)
    return event


def test_a_poll_vote_picks_the_same_option_as_its_reaction_and_number(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    room = _room(adapter, DM, ALICE)
    adapter.state.remember_prompt(DM, "$prompt", PendingPrompt(OPTIONS, ALICE))
    for number, vote in enumerate((_vote(ALICE, ["2"]), _vote(ALICE, ["2"], 2, stable=True))):
        picked = adapter._translate(vote, room)
        assert isinstance(picked, ChoiceIn), number
        assert (picked.sender.user_id, picked.value) == (ALICE, "meal no 7")
    by_reaction = adapter._translate(_reaction(ALICE, "2️⃣", 3), room)
    assert isinstance(by_reaction, ChoiceIn)
    assert by_reaction.value == "meal no 7"


def test_poll_votes_that_are_not_answers_do_nothing(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    room = _room(adapter, ROOM, ALICE, MALLORY)
    adapter.state.remember_prompt(ROOM, "$prompt", PendingPrompt(OPTIONS, ALICE))
    assert adapter._translate(_vote(MALLORY, ["1"]), room) is None  # someone else's prompt
    assert adapter._translate(_vote(ALICE, []), room) is None  # a vote taken back
    assert adapter._translate(_vote(ALICE, ["3"], 2), room) is None  # no such option
    assert adapter._translate(_vote(ALICE, ["0"], 3), room) is None
    assert adapter._translate(_vote(ALICE, [1], 4), room) is None  # not an answer id
    # A vote on a poll the bot never sent (or long forgot) is nobody's answer.
    adapter.state.prompts.clear()
    assert adapter._translate(_vote(ALICE, ["1"], 5), room) is None


def test_an_edit_is_delivered_as_an_edit_with_its_new_text(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    room = _room(adapter, ROOM, ALICE)
    adapter.state.remember_prompt(ROOM, "$prompt", PendingPrompt(OPTIONS, ALICE))
    edit = _text(
        ALICE,
        "* !meal join 7",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "1"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
        },
    )
    core = adapter._translate(edit, room)
    assert isinstance(core, MessageIn)
    assert core.is_edit
    assert core.text == "1"  # the new text, not the "* …" fallback; and not a choice


def test_direct_only_for_the_person_it_was_recorded_for(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path, checkins=[f"matrix:{ROOM}"])
    dm = _room(adapter, DM, ALICE)
    adapter._creators[DM] = frozenset({ALICE})
    adapter.state.directs[ALICE] = DM
    assert adapter._is_direct(dm, ALICE)
    assert not adapter._is_direct(dm, MALLORY)
    # Someone was in it once: no longer private.
    adapter._ever_members[DM] = {BOT, ALICE, MALLORY}
    assert not adapter._is_direct(dm, ALICE)
    # Two members, but a room bound to a feature: never direct.
    bound = _room(adapter, ROOM, ALICE)
    adapter._creators[ROOM] = frozenset({ALICE})
    adapter.state.directs[ALICE] = ROOM
    assert not adapter._is_direct(bound, ALICE)
    # Two members, not recorded as anyone's direct chat: not direct either.
    other = _room(adapter, "!two:example.org", ALICE)
    adapter._creators["!two:example.org"] = frozenset({ALICE})
    assert not adapter._is_direct(other, ALICE)


def test_outgoing_text_mentions_nobody_and_links_cannot_carry_attributes(
    tmp_path: Path,
) -> None:
    adapter = _adapter(tmp_path)
    content = adapter._text_content('@room see https://x.org/"onmouseover="alert(1) *now*')
    assert content["m.mentions"] == {}
    html = content["formatted_body"]
    assert 'href="https://x.org/&quot;onmouseover=&quot;alert(1"' in html
    assert '"onmouseover' not in html
    assert "<strong>now</strong>" in html
