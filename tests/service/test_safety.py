"""The crisis path everywhere a person types, honest alerts, and the safety plan."""

from datetime import timedelta

from sqlalchemy import select

from bot.adapters.recording import RecordingAdapter
from bot.buddies.models import BuddyProfile
from bot.checkins.models import CheckinAlert
from bot.core.events import Direct, MessageIn, Role, Room, Sender
from bot.db.models import Dialog
from bot.safety.models import SafetyPlan
from tests.helpers import PLATFORM, Chat, text_of
from tests.service.test_linking import OTHER, code_in, linked, people, say_on

CRISIS_DA = "jeg orker ikke at leve sådan her"


def _told_nobody_can_be_reached(chat: Chat, user: str) -> None:
    texts = chat.inbox_texts(user)
    assert not any("has now been told" in t for t in texts)
    assert any("no volunteer can be reached right now" in t for t in texts)


async def test_norwegian_speaker_gets_norwegian_text_and_norwegian_lines(chat: Chat) -> None:
    await chat.say("ola", "!language nb")
    answers = await chat.say("ola", "jeg vil drepe meg selv")
    reply = text_of(answers[0])
    assert "Kirkens SOS" in reply
    assert "Livslinien" not in reply
    assert "snakk med noen" in reply


async def test_the_platform_language_is_used_before_anything_is_known(chat: Chat) -> None:
    answers = await chat.say("nora", "eg vil ikkje leve lenger", locale="nb-NO")
    assert "Kirkens SOS" in text_of(answers[0])


async def test_crisis_words_in_a_shared_room_are_answered_privately(chat: Chat) -> None:
    answers = await chat.say("alice", "honestly I want to die", room="lounge")
    private = [m for m in answers if getattr(m, "to", None) == Direct(PLATFORM, "alice")]
    in_room = [m for m in answers if getattr(m, "to", None) == Room(PLATFORM, "lounge")]
    assert private
    assert "70 201 201" in text_of(private[0])
    # The room sees one neutral line at most: never the lines, never the words.
    assert len(in_room) <= 1
    for message in in_room:
        assert "70 201 201" not in text_of(message)
        assert "die" not in text_of(message)


async def test_ordinary_room_chatter_gets_no_answer(chat: Chat) -> None:
    assert await chat.say("alice", "this heat is killing me", room="lounge") == []


async def test_crisis_in_a_dialog_is_not_stored_and_the_question_waits(chat: Chat) -> None:
    await chat.say("bo", "!language da")
    await chat.say("bo", "!consent buddies yes")
    await chat.say("bo", "!buddy join languages=da contact=text times=weekend")
    answers = await chat.say("bo", CRISIS_DA)
    texts = [text_of(m) for m in answers]
    assert any("70 201 201" in t for t in texts)
    # Only the crisis reply: the next question is not asked straight after it.
    assert len(answers) == 1
    async with chat.app.uow() as uow:
        profiles = (await uow.session.execute(select(BuddyProfile))).scalars().all()
        for profile in profiles:
            assert "orker" not in str(profile.interests)
    # When the person writes again, the question comes back; that message is no answer.
    again = "\n".join(text_of(m) for m in await chat.say("bo", "ok"))
    assert "ingen hast" in again
    async with chat.app.uow() as uow:
        profiles = (await uow.session.execute(select(BuddyProfile))).scalars().all()
        for profile in profiles:
            assert "ok" not in [str(i) for i in profile.interests]


async def test_a_crisis_in_a_checkin_note_gets_the_lines(chat: Chat) -> None:
    answers = await chat.say("alice", "!checkin 2 I keep thinking about ending my life")
    assert "70 201 201" in text_of(answers[0])


async def test_an_edit_with_crisis_words_is_answered_and_never_run(chat: Chat) -> None:
    event = MessageIn(
        Sender(PLATFORM, "alice", "Alice"),
        Room(PLATFORM, "lounge"),
        "!forget — no, actually I want to end my life",
        is_direct=False,
        event_id="edit-1",
        is_edit=True,
    )
    answers = await chat.app.handle(event)
    assert any("70 201 201" in text_of(m) for m in answers)
    assert not any("erase" in text_of(m).casefold() for m in answers)


async def test_no_volunteer_reachable_is_said_plainly_never_told(chat: Chat) -> None:
    # Sharing consented, but there is no volunteers room and no volunteer at all.
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "I want to end my life")
    await chat.tick()
    _told_nobody_can_be_reached(chat, "alice")


async def test_a_former_volunteer_gets_no_alert_and_the_person_hears_the_truth(
    chat: Chat,
) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    # Vera is removed from the volunteer role on the platform and never writes again.
    chat.adapter.roles["vera"] = Role.PARTICIPANT
    chat.clear()
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "I want to end my life")
    await chat.tick()
    assert not [t for t in chat.inbox_texts("vera") if "Alert" in t]
    chat.clock.advance(timedelta(minutes=6))
    await chat.tick()
    _told_nobody_can_be_reached(chat, "alice")


async def test_a_current_volunteer_gets_the_alert_and_only_then_the_person_hears_so(
    chat: Chat,
) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    chat.clear()
    await chat.say("alice", "!checkin share on")
    answers = await chat.say("alice", "I want to end my life")
    assert not any("volunteer" in text_of(m) for m in answers)
    await chat.tick()
    assert [t for t in chat.inbox_texts("vera") if "Alert #1" in t]
    assert any("A volunteer has now been told" in t for t in chat.inbox_texts("alice"))


async def test_an_alert_nobody_takes_goes_to_the_organisers(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("olga", "!help", role=Role.ORGANISER)
    chat.clear()
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "I want to end my life")
    await chat.tick()
    assert not [t for t in chat.inbox_texts("olga") if "No volunteer has taken" in t]
    chat.clock.advance(timedelta(hours=2, minutes=1))
    await chat.tick()
    escalated = [t for t in chat.inbox_texts("olga") if "No volunteer has taken alert #1" in t]
    assert len(escalated) == 1
    chat.clock.advance(timedelta(hours=3))
    await chat.tick()
    assert len([t for t in chat.inbox_texts("olga") if "No volunteer has taken" in t]) == 1
    async with chat.app.uow() as uow:
        alert = (await uow.session.execute(select(CheckinAlert))).scalar_one()
        assert alert.escalated_at is not None


async def test_a_safety_plan_is_written_shown_offered_first_and_forgotten(chat: Chat) -> None:
    answers = await chat.say("alice", "!plan")
    assert "health" in text_of(answers[-1])
    await chat.say("alice", "yes")
    await chat.say("alice", "I stop answering the phone")
    await chat.say("alice", "A walk with my dog")
    saved = await chat.text("alice", "My sister Lene 12 34 56 78")
    assert "Lene" in saved
    shown = await chat.text("alice", "!plan")
    assert "A walk with my dog" in shown
    crisis = await chat.say("alice", "I want to die")
    reply = text_of(crisis[0])
    # The person's own plan comes before the lines.
    assert reply.index("A walk with my dog") < reply.index("70 201 201")
    exported = await chat.say("alice", "!mydata")
    assert any(b"A walk with my dog" in getattr(m, "content", b"") for m in exported)
    await chat.say("alice", "!forget")
    await chat.say("alice", "yes")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(SafetyPlan))).first() is None


async def test_a_crisis_while_confirming_forget_erases_nothing(chat: Chat) -> None:
    await chat.say("alice", "!checkin consent yes 3")
    await chat.say("alice", "!forget")
    await chat.say("alice", "yes I want to die")
    # Back later: "yes" now only brings the question back; nothing was erased.
    again = await chat.text("alice", "yes")
    assert "erase" in again.casefold()
    history = await chat.text("alice", "!checkin history")
    assert "3" in history


async def test_a_crisis_during_a_link_confirmation_sets_it_aside(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter(OTHER))
    code = code_in(await chat.text("alice", "!link"))
    assert "Alice" in await say_on(chat, "ally", f"!link {code}")
    assert "70 201 201" in await say_on(chat, "ally", "ok I want to end my life")
    # "ok" after the crisis lines is no yes: the question is put aside, nothing joined.
    assert "aside" in await say_on(chat, "ally", "ok")
    assert len(await people(chat)) == 2


async def test_a_volunteer_demoted_mid_dialog_cannot_finish_creating_a_meal(chat: Chat) -> None:
    await chat.say("vera", "!meal schedule", role=Role.VOLUNTEER)
    await chat.say("vera", "Fredagsspisning")
    chat.roles["vera"] = Role.PARTICIPANT
    answer = await chat.text("vera", "2026-12-04")
    assert "volunteers" in answer.casefold()
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(Dialog))).first() is None


async def test_a_wall_of_text_is_not_taken_as_an_answer(chat: Chat) -> None:
    await chat.say("alice", "!plan")
    await chat.say("alice", "yes")
    answer = await chat.text("alice", "x" * 5000)
    assert "very long" in answer
    assert "5000" in answer


async def test_unknown_words_are_not_echoed_in_full(chat: Chat) -> None:
    answer = await chat.text("alice", "!" + "blah" * 2000)
    assert len(answer) < 400


async def test_dialogs_per_person_are_bounded(chat: Chat) -> None:
    for index in range(6):
        await chat.say("alice", "!plan", room=f"room-{index}")
    async with chat.app.uow() as uow:
        assert len((await uow.session.execute(select(Dialog))).all()) <= 3


async def test_a_nul_in_a_name_or_note_locks_nobody_out(chat: Chat) -> None:
    event = MessageIn(
        Sender(PLATFORM, "nul", "Nu\x00l"),
        Room(PLATFORM, "dm:nul"),
        "!checkin 3 a\x00b",
        True,
        "nul-1",
    )
    answers = await chat.app.handle(event)
    assert not any("memory" in text_of(m) for m in answers)
    assert await chat.text("nul", "!help")


# ---------------------------------------------------------------- found in review


async def _alerts(chat: Chat) -> int:
    async with chat.app.uow() as uow:
        return len((await uow.session.execute(select(CheckinAlert))).all())


async def test_words_both_languages_share_are_read_in_the_communitys_language(
    chat: Chat,
) -> None:
    services = chat.app.services
    community = services.config.community.model_copy(update={"language": "nb", "country": "no"})
    services.config = services.config.model_copy(update={"community": community})
    answers = await chat.say("kari", "jeg tenker på selvmord")
    reply = text_of(answers[0])
    assert "Kirkens SOS" in reply
    assert "Livslinien" not in reply


async def test_crisis_words_right_after_a_dialog_expired_still_alert(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "!plan")
    chat.clock.advance(timedelta(days=2))
    await chat.say("alice", "I want to end my life")
    assert await _alerts(chat) == 1


async def test_crisis_words_in_a_refused_command_still_alert(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    answers = await chat.say("alice", "!checkin 1 I want to end my life " + "and more " * 80)
    assert "70 201 201" in text_of(answers[0])
    assert await _alerts(chat) == 1


async def test_crisis_words_while_rate_limited_still_alert(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    for _ in range(15):
        await chat.say("alice", "hello?")
    answers = await chat.say("alice", "I want to end my life")
    assert "70 201 201" in text_of(answers[0])
    assert await _alerts(chat) == 1


async def test_crisis_words_in_an_edit_alert_with_consent(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    event = MessageIn(
        Sender(PLATFORM, "alice", "Alice"),
        Room(PLATFORM, "dm:alice"),
        "actually I want to end my life",
        is_direct=True,
        event_id="edit-2",
        is_edit=True,
    )
    await chat.app.handle(event)
    assert await _alerts(chat) == 1


async def test_a_crisis_command_typed_in_a_room_echoes_nothing_there(chat: Chat) -> None:
    answers = await chat.say("alice", "!suicide", room="lounge")
    in_room = [m for m in answers if getattr(m, "to", None) == Room(PLATFORM, "lounge")]
    assert len(in_room) <= 1
    assert not any("suicide" in text_of(m) for m in in_room)


async def test_a_role_that_cannot_be_read_now_keeps_the_alert_for_later(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    chat.clear()
    calls = 0
    lookup = chat.adapter.current_role

    async def flaky(user_id: str) -> Role | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the platform did not answer")
        return await lookup(user_id)

    chat.adapter.current_role = flaky  # type: ignore[method-assign]
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "I want to end my life")
    await chat.tick()  # the lookup fails: nothing is lost
    assert not [t for t in chat.inbox_texts("vera") if "Alert #1" in t]
    chat.clock.advance(timedelta(minutes=2))
    await chat.tick()
    assert [t for t in chat.inbox_texts("vera") if "Alert #1" in t]
    assert any("A volunteer has now been told" in t for t in chat.inbox_texts("alice"))


async def test_a_linked_person_hears_about_their_alert_where_they_wrote(chat: Chat) -> None:
    await linked(chat)  # alice (test) and ally (console) are one person
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await say_on(chat, "ally", "!checkin share on")
    chat.clock.advance(timedelta(days=2))  # ally's account is the one seen last
    await say_on(chat, "ally", "I want to end my life")
    await chat.tick()
    other = chat.app.adapters[OTHER]
    assert isinstance(other, RecordingAdapter)
    told = [m for m in other.sent if "now been told" in text_of(m)]
    assert told
    assert not any("now been told" in t for t in chat.inbox_texts("alice"))
