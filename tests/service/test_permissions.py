"""Every command × every role: what the platform says decides, never what is typed."""

import pytest

from bot.bootstrap import build_registry
from bot.core.events import Role
from tests.helpers import Chat

REGISTRY = build_registry(strict=True)
RESTRICTED = sorted(
    (name, command.role)
    for name, command in REGISTRY.commands.items()
    if command.role > Role.PARTICIPANT
)


def test_volunteer_and_organiser_commands_exist() -> None:
    roles = {role for _name, role in RESTRICTED}
    assert roles == {Role.VOLUNTEER, Role.ORGANISER}


@pytest.mark.parametrize(("name", "needed"), RESTRICTED, ids=[n for n, _ in RESTRICTED])
async def test_lower_roles_are_refused_whatever_they_type(
    chat: Chat, name: str, needed: Role
) -> None:
    for role in Role:
        if role >= needed:
            continue
        answer = await chat.text(f"{role.name.lower()}-user", f"!{name} organiser now 1", role=role)
        assert "that is for" in answer, (name, role, answer)


@pytest.mark.parametrize(("name", "needed"), RESTRICTED, ids=[n for n, _ in RESTRICTED])
async def test_the_needed_role_gets_past_the_check(chat: Chat, name: str, needed: Role) -> None:
    answer = await chat.text("holder", f"!{name}", role=needed)
    assert "that is for" not in answer


PARTICIPANT_COMMANDS = sorted(
    name for name, command in REGISTRY.commands.items() if command.role == Role.PARTICIPANT
)


async def test_nobody_reads_another_persons_check_ins_or_profile(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    await chat.say("alice", "!consent buddies on")
    await chat.say("alice", "!checkin 2 secretnote-alice")
    await chat.say(
        "alice",
        "!buddy join languages=da interests=knitting contact=text times=weekday-evenings"
        " kind=any about=secretabout-alice",
    )
    own = await chat.say("alice", "!mydata")
    assert "secretnote-alice" in repr(own)  # stored, so there is something to leak
    assert "secretabout-alice" in repr(own)
    chat.clear()
    for name in PARTICIPANT_COMMANDS:
        if name in {"forget"}:
            continue
        for tail in ("", " alice", " 1", " Alice secretnote"):
            await chat.say("bob", f"!{name}{tail}")
    for role in (Role.VOLUNTEER, Role.ORGANISER):
        for name, needed in RESTRICTED:
            if needed <= role:
                await chat.say(f"staff-{role.name}", f"!{name}", role=role)
    leaked = [
        m
        for m in chat.adapter.sent
        if "secretnote-alice" in repr(m) or "secretabout-alice" in repr(m)
    ]
    assert leaked == []
