"""The Matrix adapter's pure decisions and its state file, without a homeserver."""

from __future__ import annotations

from pathlib import Path

from nio import MatrixRoom

from bot.adapters.matrix_rules import (
    NUMBER_KEYS,
    InviteBudget,
    PendingPrompt,
    Session,
    StateStore,
    SyncState,
    creators_outrank_all,
    edited_text,
    facts_from_room,
    facts_from_state,
    invite_allowed,
    invite_refusal,
    may_answer,
    option_number,
    power_level_of,
    private_with,
    prompt_text,
    role_from,
    room_creators,
    strip_reply_fallback,
    to_html,
    to_plain,
    typed_option,
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


def test_a_typed_number_is_a_number_where_the_options_are_numbers() -> None:
    assert typed_option("4", ["2", "4", "6"]) == 1  # four seats, not the fourth option
    assert typed_option("3", ["2", "4", "6"]) is None
    assert typed_option("2.", ["Ja", "Nej"]) == 1
    assert typed_option("ja", ["Ja", "Nej"]) is None  # words go to the dialog as text


def test_typed_numbers_must_be_in_range() -> None:
    labels = ["one", "two", "three"]
    assert typed_option(" 2 ", labels) == 1
    assert typed_option("2.", labels) == 1
    assert typed_option("4", labels) is None
    assert typed_option("0", labels) is None
    assert typed_option("two", labels) is None


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


# ---------------------------------------------------------------- direct rooms

VICTIM = "@victim:example.org"
MALLORY = "@mallory:example.org"


def _state(creator: str, members: dict[str, str], **extra: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = [
        {"type": "m.room.create", "sender": creator, "state_key": "", "content": {}},
        {
            "type": "m.room.join_rules",
            "state_key": "",
            "content": {"join_rule": extra.get("join_rule", "invite")},
        },
        {
            "type": "m.room.history_visibility",
            "state_key": "",
            "content": {"history_visibility": extra.get("history", "shared")},
        },
    ]
    events += [
        {"type": "m.room.member", "state_key": user, "content": {"membership": membership}}
        for user, membership in members.items()
    ]
    return events


def test_a_room_private_to_the_two_is_direct() -> None:
    # The person opened it and the bot joined; or the bot made it and the person is invited.
    facts = facts_from_state(_state(VICTIM, {VICTIM: "join", BOT: "join"}))
    assert private_with(facts, BOT, VICTIM)
    made = facts_from_state(_state(BOT, {BOT: "join", VICTIM: "invite"}))
    assert private_with(made, BOT, VICTIM)
    assert not private_with(made, BOT, MALLORY)


def test_the_attackers_trap_is_not_direct_even_after_they_left() -> None:
    left = {MALLORY: "leave", VICTIM: "join", BOT: "join"}
    assert not private_with(facts_from_state(_state(MALLORY, left)), BOT, VICTIM)
    # Made by the attacker, never joined by them (state edited away): still not theirs to give.
    assert not private_with(
        facts_from_state(_state(MALLORY, {VICTIM: "join", BOT: "join"})), BOT, VICTIM
    )
    # The victim merely invited to a room the victim did not make and the bot did not make.
    assert not private_with(
        facts_from_state(_state(VICTIM, {VICTIM: "invite", BOT: "join"})), BOT, VICTIM
    )


def test_public_or_world_readable_rooms_and_extra_members_are_not_direct() -> None:
    pair = {VICTIM: "join", BOT: "join"}
    assert not private_with(facts_from_state(_state(VICTIM, pair, join_rule="public")), BOT, VICTIM)
    assert not private_with(facts_from_state(_state(VICTIM, pair, join_rule="knock")), BOT, VICTIM)
    assert not private_with(
        facts_from_state(_state(VICTIM, pair, history="world_readable")), BOT, VICTIM
    )
    for extra in ("invite", "leave", "ban", "knock", "join"):
        members = {**pair, MALLORY: extra}
        assert not private_with(facts_from_state(_state(VICTIM, members)), BOT, VICTIM), extra
    assert not private_with(
        facts_from_state(_state(VICTIM, {VICTIM: "join", BOT: "invite"})), BOT, VICTIM
    )
    assert not private_with(
        facts_from_state(_state(VICTIM, {VICTIM: "leave", BOT: "join"})), BOT, VICTIM
    )


def test_synced_room_objects_give_the_same_answer() -> None:
    room = MatrixRoom("!dm:example.org", BOT)
    room.add_member(BOT, None, None)
    room.add_member(VICTIM, None, None)
    assert private_with(facts_from_room(room, {VICTIM}, ()), BOT, VICTIM)
    # nio forgets those who left; the adapter remembers them.
    assert not private_with(facts_from_room(room, {MALLORY}, {MALLORY}), BOT, VICTIM)
    assert not private_with(facts_from_room(room, {VICTIM}, {MALLORY}), BOT, VICTIM)
    room.history_visibility = "world_readable"
    assert not private_with(facts_from_room(room, {VICTIM}, ()), BOT, VICTIM)
    group = MatrixRoom("!group:example.org", BOT)
    for user in (BOT, VICTIM):
        group.add_member(user, None, None)
    group.add_member(MALLORY, None, None, invited=True)
    assert not private_with(facts_from_room(group, {VICTIM}, ()), BOT, VICTIM)


def test_creators_include_the_creator_named_in_old_room_versions() -> None:
    event = {"sender": "@a:x", "content": {"creator": "@a:x", "room_version": "10"}}
    assert room_creators(event) == {"@a:x"}
    assert room_creators({"sender": "@a:x", "content": "garbage"}) == {"@a:x"}


def test_power_level_from_the_levels_event() -> None:
    content = {"users": {"@a:x": 50, "@b:x": "junk"}, "users_default": 10}
    assert power_level_of(content, "@a:x") == 50
    assert power_level_of(content, "@c:x") == 10
    assert power_level_of(content, "@b:x") == 0
    assert power_level_of({}, "@a:x") == 0


def test_room_invites_need_a_volunteer_direct_chats_an_allowed_server() -> None:
    common = {"own_user_id": BOT, "allowed_servers": ("partner.dk",), "room_bound": False}
    participant = {"inviter_role": Role.PARTICIPANT}
    assert invite_refusal(inviter=MALLORY, as_direct=False, **common, **participant) == "role"
    assert invite_refusal(inviter=MALLORY, as_direct=True, **common, **participant) is None
    assert (
        invite_refusal(inviter=MALLORY, as_direct=False, inviter_role=Role.VOLUNTEER, **common)
        is None
    )
    assert (
        invite_refusal(
            inviter="@x:evil.test", as_direct=True, inviter_role=Role.ORGANISER, **common
        )
        == "server"
    )
    bound = {**common, "room_bound": True}
    assert invite_refusal(inviter=MALLORY, as_direct=False, **bound, **participant) is None


def test_invite_budget_per_inviter_and_overall_over_a_day() -> None:
    budget = InviteBudget(per_inviter=2, overall=3)
    assert budget.take("@a:x", 0)
    assert budget.take("@a:x", 1)
    assert not budget.take("@a:x", 2)
    assert budget.take("@b:x", 3)
    assert not budget.take("@c:x", 4)  # three in all today
    assert budget.take("@c:x", 86_400.5)  # the first two are a day old
    assert budget.take("@a:x", 86_401.5)


def test_unused_rooms_survive_a_restart(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = SyncState(unused_rooms={"!r:x": 12.5})
    store.save_sync(state)
    assert store.load_sync().unused_rooms == {"!r:x": 12.5}


def test_html_escapes_quotes_and_links_cannot_break_out_of_href() -> None:
    hostile = 'Meal "x" \'y\' <b>z</b> https://a.org/?q="><script>1</script> \ue0000\ue001'
    html = to_html(hostile)
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&quot;x&quot;" in html
    assert "&#x27;y&#x27;" in html
    assert html.count("<a ") == 1
    href = html.split('href="', 1)[1].split('"', 1)[0]
    assert '"' not in href
    assert "<" not in href
    assert ">" not in href
    assert "\ue000" not in html  # the marks used for links cannot be smuggled in


def test_only_the_addressee_answers_a_prompt_and_nobody_types_into_an_announcement() -> None:
    for_alice = PendingPrompt((Option("Yes", "y"),), "@a:x")
    everyone = PendingPrompt((Option("Yes", "y"),))
    assert may_answer(for_alice, "@a:x", typed=True)
    assert may_answer(for_alice, "@a:x", typed=False)
    assert not may_answer(for_alice, "@m:x", typed=True)
    assert not may_answer(for_alice, "@m:x", typed=False)
    assert may_answer(everyone, "@m:x", typed=False)
    assert not may_answer(everyone, "@m:x", typed=True)


def test_edits_are_recognised_by_their_relation() -> None:
    edit = {
        "body": "* hi",
        "m.new_content": {"body": "hello"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$1"},
    }
    assert edited_text(edit) == "hello"
    assert edited_text({"body": "hi"}) is None
    assert edited_text({"m.relates_to": {"m.in_reply_to": {"event_id": "$1"}}}) is None
    assert edited_text({"m.relates_to": {"rel_type": "m.replace"}}) == ""


# ---------------------------------------------------------------- polls


def test_a_prompt_is_one_poll_with_numbered_answers_and_a_text_fallback() -> None:
    from bot.adapters.matrix_polls import POLL_START, poll_content

    options = (Option("*Good*", "checkin 4"), Option("Low", "checkin 2"))
    content = poll_content("How are *you*?", options, disclosed=True)
    poll = content[POLL_START]
    assert poll["question"] == {"org.matrix.msc1767.text": "How are you?"}
    assert poll["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert poll["max_selections"] == 1
    assert poll["answers"] == [
        {"id": "1", "org.matrix.msc1767.text": "Good"},
        {"id": "2", "org.matrix.msc1767.text": "Low"},
    ]
    fallback = content["org.matrix.msc1767.text"]
    assert fallback == content["body"] == "How are you?\n\n1️⃣ Good\n2️⃣ Low"
    assert [a["m.id"] for a in content["m.poll"]["answers"]] == ["1", "2"]
    assert content["m.mentions"] == {}
    in_room = poll_content("Join?", options, disclosed=False)
    assert in_room[POLL_START]["kind"] == "org.matrix.msc3381.poll.undisclosed"


def test_poll_votes_are_read_from_both_response_shapes() -> None:
    from bot.adapters.matrix_polls import answer_number, poll_vote

    relates = {"rel_type": "m.reference", "event_id": "$poll"}
    unstable = {"m.relates_to": relates, "org.matrix.msc3381.poll.response": {"answers": ["2"]}}
    assert poll_vote(unstable) == ("$poll", "2")
    assert poll_vote({"m.relates_to": relates, "m.selections": ["1", "2"]}) == ("$poll", "1")
    assert poll_vote({"m.relates_to": relates, "m.selections": []}) is None
    assert poll_vote({"m.relates_to": {**relates, "rel_type": "m.annotation"}}) is None
    assert poll_vote({"m.selections": ["1"]}) is None
    assert poll_vote({"m.relates_to": "x", "m.selections": ["1"]}) is None
    assert [answer_number(a, 3) for a in ("1", "3", "4", "0", "", "²", "1.5")] == [
        1,
        3,
        None,
        None,
        None,
        None,
        None,
    ]


# ---------------------------------------------------------------- saving the sync state


async def test_many_changes_make_one_write_and_stop_writes_what_is_left(tmp_path: Path) -> None:
    from bot.adapters.matrix_sync_state import StateSaver

    store = StateStore(tmp_path / "store")
    state = SyncState(next_batch="s1")
    saver = StateSaver(store, lambda: state, interval=3600)
    for number in range(500):  # a busy sync: every event marks the state changed
        state.mark_seen(f"$e{number}")
        saver.touch()
    assert saver.writes == 0  # nothing written on the event loop meanwhile
    assert not (tmp_path / "store" / "sync.json").exists()
    state.next_batch = "s2"
    saver.touch()
    await saver.close()
    assert saver.writes == 1
    again = store.load_sync()
    assert again.next_batch == "s2"
    assert not again.mark_seen("$e499")
    await saver.close()
    assert saver.writes == 1  # nothing changed since


async def test_the_timer_writes_a_snapshot_and_later_changes_wait_for_the_next(
    tmp_path: Path,
) -> None:
    from bot.adapters.matrix_sync_state import StateSaver

    store = StateStore(tmp_path / "store")
    state = SyncState(next_batch="s1")
    saver = StateSaver(store, lambda: state, interval=0)
    saver.touch()
    await saver.flush()  # what the timer does when it fires
    assert store.load_sync().next_batch == "s1"
    state.next_batch = "s2"  # changed after the snapshot: not in that file
    assert store.load_sync().next_batch == "s1"
    saver.touch()
    await saver.close()
    assert store.load_sync().next_batch == "s2"
    assert not list((tmp_path / "store").glob("*.tmp"))  # written aside, then renamed
    assert (tmp_path / "store" / "sync.json").stat().st_mode & 0o077 == 0


async def test_a_failed_write_is_tried_again(tmp_path: Path) -> None:
    from bot.adapters.matrix_sync_state import StateSaver

    store = StateStore(tmp_path / "store")
    state = SyncState(next_batch="s1")
    saver = StateSaver(store, lambda: state, interval=3600)
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "sync.tmp").mkdir()  # the temporary file cannot be made
    saver.touch()
    await saver.close()
    assert saver.writes == 0
    assert saver.dirty
    (tmp_path / "store" / "sync.tmp").rmdir()
    await saver.close()
    assert store.load_sync().next_batch == "s1"


async def test_refusals_of_sends_in_flight_together_slow_the_pace_once() -> None:
    from bot.adapters.matrix import SendPacer

    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    pacer = SendPacer(sleep)
    for _ in range(10):  # ten sends in flight, all refused with the same answer
        pacer.slow_down(0.5)
    assert pacer._gap == 0.05
    await pacer.wait_turn()
    assert 0.4 < waited[0] <= 0.5  # the homeserver's delay, once
