"""Typed actions: how an option's action is written, read back (old forms too) and bound."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord import CHOICE_HASHED, CHOICE_PREFIX, CUSTOM_ID_LIMIT, choice_custom_id
from bot.core.codec import command_of, decode, decode_action, encode, encode_action
from bot.core.events import ChoicePrompt, Direct, Invoke, Option, PlaceRef, invoke
from bot.core.parsing import ArgumentError, IntRange, Rest
from bot.core.registry import CommandRegistry

args = st.lists(st.one_of(st.text(max_size=30), st.integers()), max_size=4)
commands = st.text(min_size=1, max_size=20)


@given(commands, args)
def test_an_invoke_is_read_back_as_it_was_written(command: str, values: list[str | int]) -> None:
    action = Invoke(command, tuple(values))
    assert decode_action(encode_action(action)) == action


@given(st.text(max_size=60))
def test_a_plain_answer_is_read_back_as_it_was_written(answer: str) -> None:
    # Even one that looks like an encoded action ("run:[...]") stays a plain answer.
    assert decode_action(encode_action(answer)) == answer


def test_named_values_are_read_back() -> None:
    action = Invoke("checkin", named=(("mood", 3), ("note", 'a "quoted" note')))
    assert decode_action(encode_action(action)) == action


def test_an_old_command_line_stays_a_command_line() -> None:
    # Buttons and stored rows from before actions were typed carry "cmd:" and a line.
    assert decode_action("cmd:meal join K7XQ") == "cmd:meal join K7XQ"
    assert command_of(decode_action("cmd:meal join K7XQ")) == "meal join K7XQ"
    assert command_of("yes") is None
    assert command_of(invoke("meal join", "K7XQ")) == Invoke("meal join", ("K7XQ",))


def test_an_outbox_row_written_before_typed_actions_still_decodes() -> None:
    old_row = {
        "type": "ChoicePrompt",
        "to": {"user": "alice", "platform": "test"},
        "text": "How are you?",
        "options": [{"label": "4", "value": "cmd:checkin 4"}, {"label": "No", "value": "no"}],
        "reply_to": "",
        "recipient_role": 0,
    }
    prompt = decode(old_row)
    assert isinstance(prompt, ChoicePrompt)
    assert [o.value for o in prompt.options] == ["cmd:checkin 4", "no"]


def test_a_prompt_with_actions_goes_through_the_outbox_unchanged() -> None:
    prompt = ChoicePrompt(
        Direct("test", "alice"),
        "Join?",
        (Option("Join", invoke("meal join", "K7XQ", "2026-12-03")), Option("No", "no")),
    )
    assert decode(encode(prompt)) == prompt


def test_the_longest_buttons_the_features_make_fit_a_custom_id() -> None:
    widest = [
        invoke("meal join", "K7XQ2M", "2026-12-31"),
        invoke("meal cancel", "K7XQ2M", "2026-12-31 yes"),
        invoke("meal attended", "K7XQ2M", "25"),
        invoke("impact answer", 2_147_483_647, "loneliness", "hardly_ever"),
        invoke("impact pulse", 2_147_483_647, "skip"),
        invoke("buddy feedback", "not_working", 2_147_483_647),
        invoke("buddy pause", "until 2026-12-31"),
    ]
    for action in widest:
        custom_id = choice_custom_id(action)
        assert custom_id.startswith(CHOICE_PREFIX), action
        assert len(custom_id) <= CUSTOM_ID_LIMIT


@given(st.one_of(st.text(max_size=300), st.builds(Invoke, commands, st.tuples(st.text()))))
def test_a_custom_id_is_never_over_the_limit(action: str | Invoke) -> None:
    custom_id = choice_custom_id(action)
    assert len(custom_id) <= CUSTOM_ID_LIMIT
    assert custom_id.startswith((CHOICE_PREFIX, CHOICE_HASHED))


# ---------------------------------------------------------------- binding to a handler


def _note_command() -> CommandRegistry:
    registry = CommandRegistry()

    @registry.command("note")
    async def note(
        ctx: object,
        mood: Annotated[int, IntRange(1, 5)] | None = None,
        text: Annotated[str, Rest(max_length=20)] = "",
    ) -> None:
        return None

    return registry


def test_values_given_apart_reach_the_handler_as_they_were() -> None:
    command = _note_command().commands["note"]
    assert command.bind(Invoke("note", (3, 'she said "hi"  there'))) == [3, 'she said "hi"  there']
    assert command.bind(Invoke("note", named=(("text", '"quoted"'),))) == [None, '"quoted"']
    # A number given as text goes through the same converter as a typed one.
    assert command.bind(Invoke("note", ("4",))) == [4, ""]


def test_wrong_values_given_apart_are_refused_like_typed_ones() -> None:
    command = _note_command().commands["note"]
    with pytest.raises(ArgumentError) as range_error:
        command.bind(Invoke("note", (9,)))
    assert range_error.value.key == "error.number_range"
    with pytest.raises(ArgumentError) as long_error:
        command.bind(Invoke("note", named=(("text", "x" * 21),)))
    assert long_error.value.key == "error.too_long"
    with pytest.raises(ArgumentError):
        command.bind(Invoke("note", named=(("colour", "blue"),)))
    with pytest.raises(ArgumentError):
        command.bind(Invoke("note", (1, "a", "b")))


# ---------------------------------------------------------------- video-place references


@given(
    st.text(alphabet=st.characters(blacklist_characters=":"), max_size=20),
    st.lists(st.integers(min_value=0, max_value=10**12), max_size=3),
)
def test_a_place_reference_is_read_back_from_its_text(kind: str, ids: list[int]) -> None:
    reference = PlaceRef(kind, tuple(ids))
    assert PlaceRef.parse(str(reference)) == reference


def test_a_place_reference_keeps_its_old_text() -> None:
    assert str(PlaceRef("meal_table", (12, 3))) == "meal_table:12:3"
    # Text that is not kind:numbers (a Matrix room id) is kept whole.
    assert str(PlaceRef.parse("!room:example.org")) == "!room:example.org"
