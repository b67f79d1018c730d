"""Wishes for the buddy's gender and age band, and the "about me" line, through the real
dispatcher, outbox and database: asked as optional questions, set at once or changed
alone, kept in every round, named plainly when they keep someone waiting, shown by
``mydata`` and erased by ``forget``."""

from __future__ import annotations

import json
from types import SimpleNamespace

from alembic import command
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.buddies.models import BuddyProfile
from bot.core.events import ChoicePrompt, FileMessage, OpenPrivateSpace, Role
from bot.db.engine import alembic_config, upgrade
from bot.db.models import Account
from tests.helpers import Chat, text_of

CRISIS_DA = "jeg orker ikke at leve sådan her"
BASICS = "consent=yes languages=da contact=text times=weekend kind=volunteer"


async def _profile(chat: Chat, user: str = "") -> SimpleNamespace:
    async with chat.app.uow() as uow:
        query = select(BuddyProfile)
        if user:
            person = select(Account.person_id).where(Account.external_id == user)
            query = query.where(BuddyProfile.person_id == person.scalar_subquery())
        row = (await uow.session.execute(query)).scalars().one()
        names = ("gender", "age", "wish_gender", "wish_age", "about")
        return SimpleNamespace(**{name: getattr(row, name) for name in names})


async def test_the_questionnaire_asks_the_wishes_as_optional_questions(chat: Chat) -> None:
    await chat.say("ida", "!language da")
    await chat.say("ida", "!makker tilmeld consent=yes")
    await chat.say("ida", "dansk")
    await chat.say("ida", "strikning")
    await chat.say("ida", "tekst")
    await chat.say("ida", "weekend")
    answers = await chat.say("ida", "frivillig")
    question = next(m for m in answers if isinstance(m, ChoicePrompt))
    assert "Det er frivilligt" in question.text
    assert [o.label for o in question.options] == [
        "Kvinde",
        "Mand",
        "Ikke-binær",
        "Vil helst ikke sige",
        "Spring over",
    ]
    # A wrong answer says what to type instead, and the question stays.
    wrong = await chat.text("ida", "giraf")
    assert "Skriv kvinde, mand, ikke-binær eller vil helst ikke sige" in wrong
    assert "aldersgruppe" in await chat.text("ida", "kvinde")
    # A number picks a choice; the band may also be typed.
    assert "Skriv et tal fra 1 til 5" in await chat.text("ida", "72")
    assert "bestemt køn" in await chat.text("ida", "67+")
    assert "bestemt aldersgruppe" in await chat.text("ida", "kvinde")
    # Several age groups at once, typed rather than tapped.
    answers = await chat.say("ida", "50-66, 67+")
    assert "aldrig i et forslag" in "\n".join(text_of(m) for m in answers)
    assert "på listen" in await chat.text("ida", "Jeg elsker kaffe og krydsord")
    profile = await _profile(chat)
    assert (profile.gender, profile.age) == ("woman", "67+")
    assert (profile.wish_gender, profile.wish_age) == (["woman"], ["50-66", "67+"])
    assert profile.about == "Jeg elsker kaffe og krydsord"
    shown = await chat.text("ida", "!makker profil")
    assert "Dit køn: Kvinde (kun du ser det)" in shown
    assert "Du vil gerne have en makker, der er: En kvinde" in shown


async def test_skipping_every_optional_question_stores_no_wish(chat: Chat) -> None:
    await chat.say("bo", "!buddy join consent=yes")
    for answer in ("english", "-", "text", "anytime", "any", "-", "skip", "anyone", "any"):
        await chat.say("bo", answer)
    assert "on the list" in await chat.text("bo", "skip")
    profile = await _profile(chat)
    assert (profile.gender or "", profile.age or "") == ("", "")
    assert (profile.wish_gender, profile.wish_age, profile.about) == ([], [], "")


async def test_a_wish_keeps_someone_waiting_is_said_plainly_and_widening_it_matches(
    chat: Chat,
) -> None:
    chat.roles["olga"] = Role.ORGANISER
    chat.roles["vic"] = Role.VOLUNTEER
    await chat.say("vic", "!buddy volunteer consent=yes languages=da contact=text times=weekend")
    await chat.say("vic", "!buddy profile gender man")
    await chat.say("ida", f"!buddy join {BASICS} gender=woman wish_gender=woman")
    summary = await chat.text("olga", "!admin match now")
    assert "0 proposed, 1 still waiting" in summary
    # Organisers hear that a wish keeps someone waiting, never which wish, and a small
    # number is not counted out.
    assert "fewer than" in summary
    assert "their own wish" in summary
    assert "woman" not in summary.casefold()
    assert "gender" not in summary.casefold()
    await chat.tick()
    told = "\n".join(chat.inbox_texts("ida"))
    assert "Nobody who fits your wish for your buddy's gender is free right now" in told
    assert "!buddy profile wish_gender" in told
    assert "wish for your buddy's gender" in await chat.text("ida", "!buddy status")
    longest = await chat.text("olga", "!admin volunteers")
    assert "woman" not in longest.casefold()
    # She widens the wish, one field alone; the next round proposes Vic.
    changed = await chat.text("ida", "!buddy profile wish_gender any")
    assert "the rest is as before" in changed
    assert (await _profile(chat, "ida")).wish_gender == []
    assert "1 proposed" in await chat.text("olga", "!admin match now")


async def test_the_other_sides_wish_holds_too(chat: Chat) -> None:
    chat.roles["olga"] = Role.ORGANISER
    chat.roles["vera"] = Role.VOLUNTEER
    await chat.say(
        "vera",
        "!buddy volunteer consent=yes languages=da contact=text times=weekend"
        " gender=woman wish_age=67+",
    )
    await chat.say("bo", f"!buddy join {BASICS} age=45")
    assert "0 proposed" in await chat.text("olga", "!admin match now")
    await chat.tick()
    # Bo is not told about Vera's wish.
    assert not any("wish" in t for t in chat.inbox_texts("bo"))
    await chat.say("bo", "!buddy profile age 70")
    assert "1 proposed" in await chat.text("olga", "!admin match now")


async def test_about_me_only_after_both_said_yes(chat: Chat) -> None:
    chat.roles["vera"] = Role.VOLUNTEER
    await chat.say(
        "vera",
        "!buddy volunteer consent=yes languages=da contact=text times=weekend"
        ' about="Retired nurse"',
    )
    await chat.say("ida", f'!buddy join {BASICS} about="I love crosswords"')
    chat.roles["olga"] = Role.ORGANISER
    await chat.say("olga", "!admin match now")
    await chat.tick()
    proposals = [m for u in ("ida", "vera") for m in chat.inbox(u) if isinstance(m, ChoicePrompt)]
    assert len(proposals) == 2
    assert not any("crosswords" in p.text or "nurse" in p.text for p in proposals)
    for user, proposal in (("ida", proposals[0]), ("vera", proposals[1])):
        await chat.press(user, proposal.options[0].value)
    await chat.tick()
    space = next(m for m in chat.adapter.sent if isinstance(m, OpenPrivateSpace))
    assert "Ida about themself: “I love crosswords”" in space.intro
    assert "Vera about themself: “Retired nurse”" in space.intro


async def test_about_me_is_at_most_200_characters(chat: Chat) -> None:
    too_long = "a" * 201
    answer = await chat.text("bo", f'!buddy join {BASICS} about="{too_long}"')
    assert "keep it to 200 characters" in answer
    await chat.say("bo", f'!buddy join {BASICS} about="{"b" * 200}"')
    assert (await _profile(chat)).about == "b" * 200


async def test_crisis_words_as_the_about_answer_go_to_the_crisis_path_and_are_not_stored(
    chat: Chat,
) -> None:
    await chat.say("bo", "!language da")
    await chat.say("bo", "!makker tilmeld consent=yes sprog=da kontakt=tekst tider=weekend")
    await chat.say("bo", "!makker profil om")
    answers = await chat.say("bo", CRISIS_DA)
    assert len(answers) == 1
    assert "70 201 201" in text_of(answers[0])
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(BuddyProfile))).scalars().all()
        assert all("orker" not in (row.about or "") for row in rows)
    # Typed at once as a command, the same: the crisis lines, and nothing stored.
    answers = await chat.say("bo", f"!makker profil om {CRISIS_DA}")
    assert any("70 201 201" in text_of(m) for m in answers)
    answers = await chat.say("bo", f'!makker tilmeld om="{CRISIS_DA}"')
    assert any("70 201 201" in text_of(m) for m in answers)
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(BuddyProfile))).scalars().all()
        assert all("orker" not in (row.about or "") for row in rows)


async def test_mydata_shows_the_wishes_and_forget_erases_them(chat: Chat) -> None:
    await chat.say("ida", f"!buddy join {BASICS} gender=woman age=70 wish_age=67+")
    answers = await chat.say("ida", "!mydata")
    data = json.loads(next(m for m in answers if isinstance(m, FileMessage)).content)
    profile = data["buddies"]["profile"]
    assert (profile["gender"], profile["age"], profile["wish_age"]) == ("woman", "67+", ["67+"])
    await chat.say("ida", "!forget")
    await chat.say("ida", "yes")
    async with chat.app.uow() as uow:
        count = await uow.session.execute(select(func.count()).select_from(BuddyProfile))
        assert count.scalar_one() == 0


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _wish_columns(connection: Connection) -> set[str]:
    columns = {c["name"] for c in inspect(connection).get_columns("buddy_profiles")}
    return columns & {"gender", "age", "wish_gender", "wish_age"}


async def test_migration_0012_goes_down_to_0009_and_up_again(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        assert await connection.run_sync(_wish_columns) == {
            "gender",
            "age",
            "wish_gender",
            "wish_age",
        }
        await connection.run_sync(_downgrade, "0009")
        assert await connection.run_sync(_wish_columns) == set()
        # Only the buddies branch moved: the other features' tables are all there.
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"meal_meals", "checkin_entries", "buddy_pairs"} <= tables
    await upgrade(engine)
    async with engine.begin() as connection:
        assert len(await connection.run_sync(_wish_columns)) == 4
