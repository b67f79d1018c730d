"""Buddy pairing through the real dispatcher, outbox and database."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from bot.buddies.models import BuddyBlock, BuddyPair, BuddyProfile
from bot.core.events import ChoicePrompt, OpenPrivateSpace, Role
from bot.core.tables import by_name
from bot.db.models import Dialog
from tests.conftest import START
from tests.helpers import Chat, text_of

ALICE = (
    "buddy join consent=yes languages=da,en contact=text,video times=weekday-evenings"
    ' kind=volunteer interests=cooking,walks about="I love tea"'
)
BOB = "buddy join consent=yes languages=ar,da contact=voice times=weekend kind=volunteer"
VERA = (
    "buddy volunteer capacity 2 consent=yes languages=dansk,engelsk contact=text"
    " times=weekday-evenings,weekend interests=cooking"
)


def _prompts(chat: Chat, user: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt)]


async def _pairs(chat: Chat) -> list[SimpleNamespace]:
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(BuddyPair).order_by(BuddyPair.id))).scalars()
        return [
            SimpleNamespace(status=p.status, space_id=p.space_id, participant_id=p.participant_id)
            for p in rows
        ]


async def _setup_pool(chat: Chat) -> None:
    chat.roles["vera"] = Role.VOLUNTEER
    chat.roles["olga"] = Role.ORGANISER
    assert "on the list" in await chat.text("alice", "!" + ALICE)
    assert "on the list" in await chat.text("bob", "!" + BOB)
    assert "Thank you for offering" in await chat.text("vera", "!" + VERA)


async def test_done_means_join_match_accept_space_followup_block_report(chat: Chat) -> None:
    await _setup_pool(chat)
    await chat.say("olga", "!whoami")
    answer = await chat.text("olga", "!admin match now")
    assert "2 proposed, 0 still waiting" in answer
    await chat.tick()
    proposals = _prompts(chat, "alice")
    assert proposals, chat.inbox_texts("alice")
    text = proposals[-1].text
    assert "Languages: Danish, English" in text or "Languages: English, Danish" in text
    assert "Vera" not in text  # no names before both say yes
    assert [o.label for o in proposals[-1].options] == ["Yes, let's try", "No thanks"]
    vera_prompts = _prompts(chat, "vera")
    assert len(vera_prompts) == 2
    # The "about me" line is never in a proposal: only in the introduction.
    assert not any("I love tea" in p.text for p in [*vera_prompts, *proposals])
    alice_pair = next(p for p in vera_prompts if "cooking" in p.text)

    # Both accept, by tapping the buttons.
    answer = await chat.press("alice", proposals[-1].options[0].value)
    assert "as soon as the other person answers" in text_of(answer[0])
    answer = await chat.press("vera", alice_pair.options[0].value)
    assert "You both said yes" in text_of(answer[0])
    await chat.tick()
    spaces = [m for m in chat.adapter.sent if isinstance(m, OpenPrivateSpace)]
    assert len(spaces) == 1
    space = spaces[0]
    assert set(space.members) == {"alice", "vera"}
    assert "Alice" in space.intro
    assert "Vera" in space.intro
    assert "buddy block" in space.intro
    assert "buddy report" in space.intro
    assert "A question to start with" in space.intro
    assert "Alice about themself: “I love tea”" in space.intro
    assert any("buddies now with Vera" in t for t in chat.inbox_texts("alice"))
    assert any("buddies now with Alice" in t for t in chat.inbox_texts("vera"))
    pairs = await _pairs(chat)
    active = [p for p in pairs if p.status == "active"]
    assert len(active) == 1
    assert active[0].space_id == "space-1"

    # A week later each side is asked how it goes.
    chat.clear()
    chat.clock.advance(timedelta(days=7))
    await chat.tick()
    followups = [p for p in _prompts(chat, "alice") if "How is it going" in p.text]
    assert followups
    assert "Vera" in followups[0].text
    assert [o.label for o in followups[0].options] == ["Good", "Okay", "Not working"]
    assert any("How is it going" in p.text for p in _prompts(chat, "vera"))
    answer = await chat.press("alice", followups[0].options[0].value)
    assert "wonderful" in text_of(answer[0])

    # A report reaches the organisers confidentially; the reporter gets a receipt.
    chat.clear()
    receipt = await chat.text("alice", "!buddy report She asked for my address")
    assert "R-1" in receipt
    await chat.tick()
    organiser = chat.inbox_texts("olga")
    assert any("R-1" in t and "She asked for my address" in t for t in organiser)
    assert "R-1" in await chat.text("olga", "!admin reports")
    assert "closed" in await chat.text("olga", "!admin report close 1 talked to both")
    assert "no open" in await chat.text("olga", "!admin reports")

    # A block ends the pairing, tells the other only that it ended, and is permanent.
    chat.clear()
    assert "never be paired" in await chat.text("alice", "!buddy block")
    await chat.tick()
    assert any("has ended" in t for t in chat.inbox_texts("vera"))
    assert not any("block" in t.casefold() for t in chat.inbox_texts("vera"))
    assert "on the list" in await chat.text("alice", "!" + ALICE)
    summary = await chat.text("olga", "!admin match now")
    assert "0 proposed" in summary
    async with chat.app.uow() as uow:
        blocks = (await uow.session.execute(select(BuddyBlock))).scalars().all()
        assert len(blocks) == 1


async def test_decline_is_no_fault_and_never_reproposed(chat: Chat) -> None:
    await _setup_pool(chat)
    assert "2 proposed" in await chat.text("olga", "!admin match now")
    assert "completely fine" in await chat.text("bob", "!buddy decline")
    await chat.tick()
    assert any("didn't work out" in t for t in chat.inbox_texts("vera"))
    assert "no proposal" in await chat.text("bob", "!buddy accept")
    summary = await chat.text("olga", "!admin match now")
    assert "0 proposed, 1 still waiting" in summary
    assert "volunteer" in summary


async def test_waiting_reasons_name_the_language(chat: Chat) -> None:
    chat.roles["olga"] = Role.ORGANISER
    await chat.text(
        "sami",
        "!buddy join consent=yes languages=arabisk contact=text times=anytime kind=volunteer",
    )
    answer = await chat.text("olga", "!admin match now")
    assert "0 proposed, 1 still waiting" in answer
    assert "1 waiting for a volunteer who speaks Arabic" in answer


async def test_profile_dialog_one_question_at_a_time_and_cancel_saves_nothing(chat: Chat) -> None:
    answers = await chat.say("alice", "!buddy join")
    assert isinstance(answers[0], ChoicePrompt)
    assert "keep your answers" in answers[0].text
    answers = await chat.press("alice", answers[0].options[0].value)
    assert any("Which languages" in text_of(m) for m in answers)
    assert "don't know the language" in await chat.text("alice", "blabla")
    assert "What do you like" in await chat.text("alice", "dansk, english")
    assert "keep in touch" in await chat.text("alice", "cooking, walks")
    assert "usually free" in await chat.text("alice", "video")
    assert "weekday-evenings" in await chat.text("alice", "sometimes")
    assert "volunteer, a peer" in await chat.text("alice", "weekend evenings")
    assert "Cancelled" in await chat.text("alice", "cancel")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(BuddyProfile))).first() is None
        assert (await uow.session.execute(select(Dialog))).first() is None
    # Answers given at once: only what is still needed is asked.
    assert "keep in touch" in await chat.text("alice", "!buddy join languages=da")
    await chat.say("alice", "text")
    await chat.say("alice", "hverdag aften")
    assert "on the list" in await chat.text("alice", "any")
    async with chat.app.uow() as uow:
        profile = (await uow.session.execute(select(BuddyProfile))).scalar_one()
        assert profile.languages == ["da"]
        assert profile.times == ["weekday-evening"]
        assert profile.kind == "any"


async def test_bad_input_and_roles(chat: Chat) -> None:
    chat.roles["vera"] = Role.VOLUNTEER
    assert "buddy volunteer" in await chat.text("vera", "!buddy join")
    assert "for volunteers" in await chat.text("alice", "!buddy volunteer")
    answer = await chat.text("alice", "!buddy join consent=yes languages=xx")
    assert "don't know the language “xx”" in answer
    assert "Type:" in answer
    answer = await chat.text("alice", "!buddy join consent=yes times=lunchtime")
    assert "weekday-evenings" in answer
    assert "no proposal" in await chat.text("alice", "!buddy accept")
    answer = await chat.text("bo", "!makker tilmeld capacity 2", locale="da")
    assert "kun frivillige" in answer.casefold()
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(BuddyProfile))).first() is None


async def test_proposal_timeout_withdraws_politely(chat: Chat) -> None:
    await _setup_pool(chat)
    await chat.text("olga", "!admin match now")
    chat.clock.advance(timedelta(days=3, minutes=1))
    await chat.tick()
    assert any("withdrew a buddy proposal" in t for t in chat.inbox_texts("alice"))
    assert all(p.status == "withdrawn" for p in await _pairs(chat))


async def test_pause_status_leave_and_admin_volunteers(chat: Chat) -> None:
    await _setup_pool(chat)
    assert "break has started" in await chat.text("alice", "!buddy pause")
    assert "taking a break" in await chat.text("alice", "!buddy status")
    assert "1 proposed" in await chat.text("olga", "!admin match now")
    volunteers = await chat.text("olga", "!admin volunteers")
    assert "Vera: 1/2, 1 free" in volunteers
    assert "Welcome back" in await chat.text("alice", "!buddy resume")
    assert "left the waiting list" in await chat.text("bob", "!buddy leave")


async def test_forget_ends_pairing_and_tells_only_that_it_ended(chat: Chat) -> None:
    await _setup_pool(chat)
    await chat.text("olga", "!admin match now")
    await chat.say("alice", "!buddy accept")
    await chat.tick()
    with_alice = next(p for p in _prompts(chat, "vera") if "cooking" in p.text)
    await chat.press("vera", with_alice.options[0].value)
    await chat.tick()
    chat.clear()
    await chat.say("alice", "!forget")
    assert "erased" in await chat.text("alice", "yes")
    await chat.tick()
    vera = chat.inbox_texts("vera")
    assert any("has ended" in t for t in vera)
    assert not any("Alice" in t for t in vera)
    async with chat.app.uow() as uow:
        pairs = (await uow.session.execute(select(BuddyPair))).scalars().all()
        assert all(p.participant_id != 1 for p in pairs)


async def test_scheduled_round_runs_daily_at_match_time(chat: Chat) -> None:
    # The round runs at [buddies] match_at (10:00 in Copenhagen), once a day.
    chat.clock.set(START - timedelta(hours=2))  # 08:00 in Copenhagen
    await _setup_pool(chat)
    await chat.tick()
    assert await _pairs(chat) == []  # not before the match time
    chat.clock.set(START + timedelta(minutes=1))
    await chat.tick()
    first = await _pairs(chat)
    assert len(first) == 2  # the round ran: Alice and Bob are each proposed a match
    await chat.tick()
    chat.clock.advance(timedelta(hours=3))
    await chat.tick()
    assert len(await _pairs(chat)) == 2  # and not again the same day
    # Someone new joins; they are matched at the next day's round, not before.
    assert "Thank you for offering" in await chat.text("vic", "!" + VERA, role=Role.VOLUNTEER)
    assert "on the list" in await chat.text("cleo", "!" + BOB)
    await chat.tick()
    assert len(await _pairs(chat)) == 2
    chat.clock.set(START + timedelta(days=1, minutes=1))
    await chat.tick()
    assert len(await _pairs(chat)) == 3


async def test_statistics_are_counts_only(chat: Chat) -> None:
    await _setup_pool(chat)
    await chat.text("olga", "!admin match now")
    provider = chat.app.services.registry.statistics["buddies"]
    async with chat.app.uow() as uow:
        tables = by_name(
            await provider(uow.session, chat.clock.now() - timedelta(days=30), chat.clock.now())
        )
    statuses = {row["status"]: row["count"] for row in tables["buddy_pairs"]}
    assert statuses["proposed"] == 2
    assert statuses["waiting"] == 0
    assert "alice" not in str(tables).casefold()


async def test_help_and_cancel_work_at_a_proposal_sent_later(chat: Chat) -> None:
    """Help at a question the outbox delivered explains it and asks it again; cancel
    leaves it with nothing answered."""
    await _setup_pool(chat)
    await chat.text("olga", "!admin match now")
    await chat.tick()
    proposal = _prompts(chat, "alice")[-1]
    helped = await chat.say("alice", "help")
    again = [m for m in helped if isinstance(m, ChoicePrompt)]
    assert again, [text_of(m) for m in helped]
    assert again[0].options == proposal.options
    assert "not sure what you mean" not in text_of(helped[0])
    assert "nothing was saved" in (await chat.text("alice", "cancel")).casefold()
    async with chat.app.uow() as uow:
        pairs = (await uow.session.execute(select(BuddyPair))).scalars().all()
        assert all(p.participant_answer is None and p.partner_answer is None for p in pairs)


async def test_a_proposal_sent_later_is_answered_by_typing_yes(chat: Chat) -> None:
    """The proposal arrives from the outbox, not as an answer; "ja" typed back accepts
    it, and a sentence that picks no choice is not taken for one."""
    await _setup_pool(chat)
    await chat.text("olga", "!admin match now")
    await chat.tick()
    assert _prompts(chat, "alice")
    # Not an answer to it: what to type instead.
    assert "not sure what you mean" in await chat.text("alice", "what is this?")
    answer = await chat.text("alice", "ja")
    assert "as soon as the other person answers" in answer
    async with chat.app.uow() as uow:
        pairs = (await uow.session.execute(select(BuddyPair))).scalars().all()
        assert any(p.participant_answer == "yes" or p.partner_answer == "yes" for p in pairs)
