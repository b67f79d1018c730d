"""The Matrix adapter's pure decisions and its state file, without a homeserver."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.matrix_rules import (
    NUMBER_KEYS,
    PendingPrompt,
    Session,
    StateStore,
    SyncState,
    creators_outrank_all,
    invite_allowed,
    option_number,
    prompt_text,
    role_from,
    room_creators,
    strip_reply_fallback,
    to_html,
    to_plain,
    typed_number,
)
from bot.core.events import Option, Role

BOT = "@samvaer:example.org"


def test_invites_from_own_and_allowed_servers_only() -> None:
    assert invite_allowed("@org:example.org", BOT, ())
    assert not invite_allowed("@stranger:evil.test", BOT, ())
    assert invite_allowed("@friend:partner.dk", BOT, ("partner.dk",))
    assert not invite_allowed("nonsense", BOT, ())


def test_role_is_the_higher_of_lists_and_power_level() -> None:
    levels = {"organiser_level": 100, "volunteer_level": 50}
    assert (
        role_from("@a:x", organisers=(), volunteers=(), power_level=0, **levels) == Role.PARTICIPANT
    )
    assert (
        role_from("@a:x", organisers=(), volunteers=(), power_level=50, **levels) == Role.VOLUNTEER
    )
    assert (
        role_from("@a:x", organisers=(), volunteers=("@a:x",), power_level=0, **levels)
        == Role.VOLUNTEER
    )
    assert (
        role_from("@a:x", organisers=("@a:x",), volunteers=(), power_level=0, **levels)
        == Role.ORGANISER
    )
    assert (
        role_from("@a:x", organisers=(), volunteers=(), power_level=100, **levels) == Role.ORGANISER
    )


def test_creators_of_new_room_versions_outrank_everyone() -> None:
    event = {"sender": "@a:x", "content": {"additional_creators": ["@b:x"]}}
    assert room_creators(event) == {"@a:x", "@b:x"}
    assert creators_outrank_all("12")
    assert not creators_outrank_all("10")
    assert not creators_outrank_all("org.example.custom")


def test_html_and_plain_bodies() -> None:
    text = "Hello *Alice* <3\nSee https://meet.jit.si/samvaer."
    html = to_html(text)
    assert "<strong>Alice</strong>" in html
    assert "&lt;3<br>" in html
    assert '<a href="https://meet.jit.si/samvaer">' in html
    assert to_plain(text).startswith("Hello Alice <3")


def test_prompts_number_their_options_and_reactions_pick_them() -> None:
    options = [Option("Yes", "cmd:yes"), Option("No", "cmd:no")]
    assert prompt_text("Keep it?", options) == "Keep it?\n\n1️⃣ Yes\n2️⃣ No"
    assert option_number("2️⃣") == 2
    assert option_number("2\u20e3") == 2  # without the variation selector
    assert option_number("🔟") == 10
    assert option_number("👍") is None
    assert len(NUMBER_KEYS) == 10


def test_typed_numbers_must_be_in_range() -> None:
    assert typed_number(" 2 ", 3) == 2
    assert typed_number("2.", 3) == 2
    assert typed_number("4", 3) is None
    assert typed_number("0", 3) is None
    assert typed_number("two", 3) is None


def test_reply_fallback_is_removed() -> None:
    body = "> <@bot:x> Keep it?\n> 1️⃣ Yes\n\n!help"
    assert strip_reply_fallback(body) == "!help"
    assert strip_reply_fallback("!help") == "!help"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "store")
    state = SyncState(next_batch="s72")
    assert state.mark_seen("$one")
    assert not state.mark_seen("$one")
    state.directs["@a:x"] = "!dm:x"
    state.remember_prompt("!dm:x", "$prompt", PendingPrompt((Option("Yes", "cmd:y"),), "@a:x"))
    store.save_sync(state)
    store.save_session(Session("https://hs", BOT, "DEV", "secret-token"))

    again = store.load_sync()
    assert again.next_batch == "s72"
    assert not again.mark_seen("$one")
    assert again.directs == {"@a:x": "!dm:x"}
    assert again.typed == {"!dm:x": "$prompt"}
    prompt = again.prompt("!dm:x", "$prompt")
    assert prompt is not None
    assert prompt.options[0].value == "cmd:y"
    assert prompt.for_user == "@a:x"
    session = store.load_session()
    assert session is not None
    assert session.device_id == "DEV"
    assert (tmp_path / "store" / "session.json").stat().st_mode & 0o077 == 0


def test_seen_ids_are_bounded() -> None:
    state = SyncState()
    for number in range(2500):
        state.mark_seen(f"${number}")
    assert len(state.seen) == 2000
    assert state.mark_seen("$0")  # the oldest were forgotten
