"""help, start, language, consent, privacy, mydata and forget through the real dispatcher."""

import json
from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.core.events import ChoicePrompt, FileMessage, Role, TextMessage
from bot.db.models import Account, ConsentEvent, Dialog, Person
from bot.db.registry import all_metadata
from tests.helpers import Chat


async def test_help_lists_commands_in_the_users_language(chat: Chat) -> None:
    answer = await chat.text("alice", "!help")
    assert "Here is what I can do" in answer
    assert "!language" in answer
    answer = await chat.text("bo", "!hjælp", locale="da")
    assert "Det her kan jeg" in answer


async def test_commands_without_prefix_work_in_direct_messages(chat: Chat) -> None:
    assert "Here is what I can do" in await chat.text("alice", "help")


async def test_language_switch_is_remembered(chat: Chat) -> None:
    assert "Danish" in await chat.text("alice", "!language xx")
    assert "på dansk" in await chat.text("alice", "!language dansk")
    assert "Det her kan jeg" in await chat.text("alice", "!help")
    assert "på norsk" in await chat.text("alice", "!språk nb")
    assert "Dette kan jeg" in await chat.text("alice", "!hjelp")


async def test_unknown_command_suggests_the_nearest(chat: Chat) -> None:
    answer = await chat.text("alice", "!hlep")
    assert "Did you mean !help?" in answer
    answer = await chat.text("alice", "!zzzz")
    assert "I don't know “zzzz”" in answer


async def test_wrong_arguments_give_usage(chat: Chat) -> None:
    answer = await chat.text("alice", "!consent checkins maybe")
    assert "Choose one of: on | off." in answer
    assert "Type: !consent checkins|buddies|share on|off" in answer


async def test_start_asks_one_consent_at_a_time(chat: Chat) -> None:
    answers = await chat.say("alice", "!start")
    prompts = [m for m in answers if isinstance(m, ChoicePrompt)]
    assert len(prompts) == 1
    assert "check-ins" in prompts[0].text
    assert [o.label for o in prompts[0].options] == ["Yes", "No"]
    answers = await chat.press("alice", prompts[0].options[0].value)
    assert "I'll keep your check-ins" in answers[0].text  # type: ignore[union-attr]
    prompts = [m for m in answers if isinstance(m, ChoicePrompt)]
    assert len(prompts) == 1
    assert "buddy" in prompts[0].text
    async with chat.app.uow() as uow:
        person = (await uow.session.execute(select(Person))).scalar_one()
        assert person.consent_checkins
        assert person.started_at is not None
        log = (await uow.session.execute(select(ConsentEvent))).scalars().all()
        assert [(c.consent, c.given) for c in log] == [("checkins", True)]


async def test_start_answered_by_typing_words_in_any_language(chat: Chat) -> None:
    await chat.say("bo", "!start", locale="da")
    # "1" used to answer only the second of two questions shown together.
    assert "Jeg gemmer dine tjek ind" in await chat.text("bo", "1", locale="da")
    answer = await chat.text("bo", "nej tak", locale="da")
    assert "Jeg gemmer ikke en makkerprofil" in answer
    assert "samtykke" in answer
    async with chat.app.uow() as uow:
        log = (await uow.session.execute(select(ConsentEvent))).scalars().all()
        assert [(c.consent, c.given) for c in log] == [("checkins", True)]
        assert not (await uow.session.execute(select(Dialog))).scalars().all()


async def test_private_commands_answer_in_a_dm_from_a_room(chat: Chat) -> None:
    answers = await chat.say("alice", "!privacy", room="lounge")
    assert isinstance(answers[0], TextMessage)
    assert answers[0].to.__class__.__name__ == "Direct"
    assert "What I keep about you" in answers[0].text
    assert answers[1].to.room_id == "lounge"  # type: ignore[union-attr]
    assert "private message" in answers[1].text  # type: ignore[union-attr]


async def test_role_is_checked_from_the_platform_not_the_text(chat: Chat) -> None:
    from bot.core.registry import CommandRegistry

    registry: CommandRegistry = chat.app.services.registry

    @registry.command("orgonly", role=Role.ORGANISER)
    async def orgonly(ctx: object) -> None: ...

    try:
        answer = await chat.text("alice", "!orgonly organiser")
        assert "that is for organisers" in answer
    finally:
        del registry.commands["orgonly"]


async def test_mydata_exports_json(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    answers = await chat.say("alice", "!mydata")
    files = [m for m in answers if isinstance(m, FileMessage)]
    assert files
    assert files[0].filename.endswith(".json")
    data = json.loads(files[0].content)
    assert data["accounts"][0]["external_id"] == "alice"
    assert data["consent_log"][0]["consent"] == "checkins"


async def test_forget_asks_then_erases_every_row(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    await chat.say("bob", "!consent checkins on")
    answers = await chat.say("alice", "!forget")
    assert isinstance(answers[0], ChoicePrompt)
    assert "kept" in await chat.text("alice", "no")
    await chat.say("alice", "!forget")
    assert "Everything about you is erased" in await chat.text("alice", "yes")
    await _assert_nothing_mentions(chat, "alice", keep_person_of="bob")


async def _assert_nothing_mentions(chat: Chat, user: str, keep_person_of: str) -> None:
    """Scan every table: no row holds the erased user's account id."""
    async with chat.app.uow() as uow:
        session = uow.session
        accounts = (await session.execute(select(Account))).scalars().all()
        assert [a.external_id for a in accounts] == [keep_person_of]
        for table in all_metadata().sorted_tables:
            rows = (await session.execute(table.select())).all()
            for row in rows:
                assert user not in json.dumps([str(v) for v in row]), (table.name, row)


async def test_dialog_survives_a_restart_and_times_out(chat: Chat) -> None:
    await chat.say("alice", "!forget")
    # A new process on the same database picks up the question.
    restarted = await bootstrap(
        chat.app.services.config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[chat.adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    second = Chat(restarted, chat.adapter, chat.clock)
    assert "kept" in await second.text("alice", "nej")
    await second.say("alice", "!forget")
    chat.clock.advance(timedelta(hours=2))
    assert "timed out" in await second.text("alice", "yes")
    async with restarted.uow() as uow:
        assert (await uow.session.execute(select(Dialog))).first() is None
        assert (await uow.session.execute(select(Person))).first() is not None


async def test_cancel_ends_a_dialog(chat: Chat) -> None:
    await chat.say("alice", "!forget")
    assert "Cancelled" in await chat.text("alice", "afbryd")
    assert "not sure what you mean" in await chat.text("alice", "yes")


async def test_the_platforms_language_is_remembered_at_first_contact(chat: Chat) -> None:
    from bot.db.models import Person

    await chat.say("emma", "!help", locale="en-GB")
    async with chat.app.uow() as uow:
        person = (await uow.session.execute(select(Person))).scalar_one()
        assert person.language == "en"  # later reminders come in English, not Danish
    await chat.say("emma", "!language da")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(Person.language))).scalar_one() == "da"


async def test_mydata_is_a_readable_summary_and_a_file_with_every_field_explained(
    chat: Chat,
) -> None:
    await chat.say("bo", "!tjekind samtykke ja", locale="da")
    await chat.say("bo", "!tjekind 4 Søndag på stranden, dejligt", locale="da")
    await chat.say("bo", "!tjekind påmind dagligt 18:00", locale="da")
    await chat.say("bo", "!samtykke makker til", locale="da")
    await chat.say(
        "bo",
        "!makker tilmeld languages=da interests=strikning contact=text times=weekends kind=any",
        locale="da",
    )
    answers = await chat.say("bo", "!mydata", locale="da")
    summary = next(m.text for m in answers if isinstance(m, TextMessage))
    assert summary.startswith("Det her har jeg gemt om dig, og hvem der kan se det:")
    assert "• Dine tjek ind: humør og noter (1), siden 23. november 2026 — kun du" in summary
    assert "• Din makkerprofil, siden 23. november 2026 — kun du; et makkerforslag" in summary
    assert "Hver gang du har sagt ja eller nej til noget (2)" in summary
    assert "{" not in summary
    assert "_at" not in summary
    file = next(m for m in answers if isinstance(m, FileMessage))
    raw = file.content.decode("utf-8")
    assert "\\u" not in raw
    assert "Søndag på stranden" in raw
    data = json.loads(raw)
    explained = data["forklaring af felterne"]
    assert explained["mood"] == "Dit humør fra 1 (meget dårligt) til 5 (rigtig godt)"
    # Every field in the file is explained, in the person's language.
    from bot.privacy.summary import field_names

    export = {k: v for k, v in data.items() if k != "forklaring af felterne"}
    missing = [name for name in field_names(export) if name not in explained]
    assert missing == []
    assert data["checkins"]["checkins"][0]["mood"] == 4
