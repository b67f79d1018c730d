"""When a direct room's earlier verification still stands (pure rules, no homeserver)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.matrix_trust import (
    AFTER_ANSWER,
    POLL_GRACE,
    VERIFIED_FOR,
    SyncWatch,
    VerifiedRooms,
)

ROOM, ALICE = "!dm:example.org", "@alice:example.org"


def _listening(now: float = 0.0) -> SyncWatch:
    watch = SyncWatch(30.0)
    watch.polling(now, 30.0)
    return watch


def test_a_verified_room_is_trusted_while_the_sync_listens_and_nothing_changed() -> None:
    rooms, watch = VerifiedRooms(), _listening()
    rooms.confirm(ROOM, ALICE, rooms.generation(ROOM), 1.0)
    assert rooms.trusted(ROOM, ALICE, 2.0, watch)
    # For her only: the same room is nobody else's direct chat.
    assert not rooms.trusted(ROOM, "@bob:example.org", 2.0, watch)


def test_any_synced_state_change_ends_the_verification_for_good() -> None:
    rooms, watch = VerifiedRooms(), _listening()
    rooms.confirm(ROOM, ALICE, rooms.generation(ROOM), 1.0)
    rooms.changed({ROOM: ["$new"]})
    assert not rooms.trusted(ROOM, ALICE, 2.0, watch)
    assert not rooms.trusted(ROOM, ALICE, 3.0, watch)


def test_a_change_synced_while_the_homeserver_was_asked_is_not_covered_by_its_answer() -> None:
    rooms, watch = VerifiedRooms(), _listening()
    asked_at = rooms.generation(ROOM)
    rooms.changed({ROOM: ["$new"]})  # the sync brought a change while the question was on its way
    rooms.confirm(ROOM, ALICE, asked_at, 1.0)
    assert not rooms.trusted(ROOM, ALICE, 2.0, watch)


def test_a_stuck_poll_or_an_old_answer_is_not_live() -> None:
    watch = SyncWatch(30.0)
    assert not watch.live(0.0)  # never synced
    watch.polling(0.0, 30.0)
    assert watch.live(30.0 + POLL_GRACE)
    assert not watch.live(30.0 + POLL_GRACE + 0.1)
    watch.answered(50.0)
    assert watch.live(50.0 + AFTER_ANSWER)
    assert not watch.live(50.0 + AFTER_ANSWER + 0.1)
    watch.polling(60.0, 30.0)
    watch.failed()  # the homeserver went away: the old answer is all there is
    assert not watch.live(60.0)


def test_a_verification_expires_even_without_changes() -> None:
    rooms, watch = VerifiedRooms(), _listening()
    rooms.confirm(ROOM, ALICE, rooms.generation(ROOM), 0.0)
    watch.polling(VERIFIED_FOR, 30.0)
    assert rooms.trusted(ROOM, ALICE, VERIFIED_FOR, watch)
    watch.polling(VERIFIED_FOR + 1, 30.0)
    assert not rooms.trusted(ROOM, ALICE, VERIFIED_FOR + 1, watch)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("confirm"), st.sampled_from(["!a", "!b"])),
        st.tuples(st.just("changed"), st.sampled_from(["!a", "!b"])),
        st.tuples(st.just("ask"), st.sampled_from(["!a", "!b"])),
    ),
    max_size=30,
)


# Generation time depends on the machine's load and says nothing about the rule.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(steps)
def test_trust_needs_a_confirmation_asked_after_the_last_change(
    plan: list[tuple[str, str]],
) -> None:
    """Trusted exactly when some answer was asked for after the room's last synced change."""
    rooms, watch = VerifiedRooms(), _listening()
    asked: dict[str, list[int]] = {"!a": [], "!b": []}
    last_change: dict[str, int] = {"!a": -1, "!b": -1}
    good_answer: dict[str, bool] = {"!a": False, "!b": False}
    for tick, (step, room) in enumerate(plan):
        if step == "ask":
            asked[room].append(rooms.generation(room))
            asked[room].append(tick)
        elif step == "confirm" and asked[room]:
            asked_tick = asked[room].pop()
            generation = asked[room].pop()
            rooms.confirm(room, ALICE, generation, 1.0)
            if asked_tick > last_change[room]:
                good_answer[room] = True
        elif step == "changed":
            rooms.changed({room: [f"$change{tick}"]})
            last_change[room] = tick
            good_answer[room] = False
    for room in ("!a", "!b"):
        assert rooms.trusted(room, ALICE, 2.0, watch) == good_answer[room]


def test_a_lagging_sync_that_catches_up_on_checked_state_changes_nothing() -> None:
    rooms, watch = VerifiedRooms(), _listening()
    rooms.confirm(ROOM, ALICE, rooms.generation(ROOM), 1.0, ["$create", "$alice-joins"])
    rooms.changed({ROOM: ["$alice-joins"]})  # the sync delivers what the check already saw
    assert rooms.trusted(ROOM, ALICE, 2.0, watch)
    rooms.changed({ROOM: ["$alice-joins", "$bob-invited"]})  # and then something new
    assert not rooms.trusted(ROOM, ALICE, 3.0, watch)
    # Once changed, even old events do not bring the trust back.
    rooms.changed({ROOM: ["$create"]})
    rooms.confirm(ROOM, ALICE, rooms.generation(ROOM) - 1, 4.0, ["$create"])
    assert not rooms.trusted(ROOM, ALICE, 5.0, watch)
