"""From an incoming event to the messages that answer it.

Everything a user types passes through :meth:`Dispatcher.handle`, which never
raises: wrong input gets usage in the user's language, a broken database gets
"try again in a moment", and crisis phrases get the crisis lines even then.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import weakref
from contextlib import nullcontext
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.answers import CANCEL, HELP, match_answer, vocabulary
from bot.core.codec import COMMAND_OPTION, command_of
from bot.core.context import Context, Services
from bot.core.crisis_replies import (
    UNDETECTED,
    CrisisReplies,
    Said,
    Undetected,
    text_of,
    without_nul,
)
from bot.core.dialogs import (
    DIALOG_ANSWER_LIMIT,
    DIALOGS_PER_PERSON,
    PAUSED,
    QUESTION,
    ROLE_NEEDED,
    ROLE_PLURAL_KEYS,
    Dialogs,
    Pending,
    sent_question,
)
from bot.core.events import (
    Action,
    ChoiceIn,
    CommandIn,
    Incoming,
    Invoke,
    MemberJoined,
    MessageIn,
    Outgoing,
    Role,
    invoke,
)
from bot.core.parsing import ArgumentError, echo, tokenize
from bot.core.ratelimit import RateLimiter
from bot.core.registry import Command
from bot.db.sqlite_driver import off_event_loop
from bot.db.uow import UnitOfWorkFactory
from bot.people.service import (
    FIRST_CONTACT,
    language_from_locale,
    language_of,
    person_and_dialog,
)
from bot.safety.detect import CrisisMatch
from bot.safety.models import SafetyPlan

log = logging.getLogger("samvaer.dispatch")

# Words that leave a question, from the answer vocabulary (bot/locales/<lang>/answers.toml).
CANCEL_WORDS = frozenset(
    phrase for phrase, meanings in vocabulary().meanings.items() if CANCEL in meanings
)
__all__ = [
    "COMMAND_OPTION",
    "DIALOGS_PER_PERSON",
    "DIALOG_ANSWER_LIMIT",
    "PAUSED",
    "ROLE_NEEDED",
    "Dispatcher",
    "command_option",
]
ROLE_KEYS = {
    Role.PARTICIPANT: "role.participant",
    Role.VOLUNTEER: "role.volunteer",
    Role.ORGANISER: "role.organiser",
}
DATABASE_ERRORS = (OperationalError, DBAPIError, PoolTimeout, OSError, ConnectionError)


class _StaleConnection(Exception):
    """The first statement of a unit of work found its pooled connection closed."""


def command_option(line: str) -> str:
    """The old form of an option that runs ``line`` as a typed command when picked.

    Still understood (buttons and stored rows made with it keep working) but not for
    new code: options carry an :class:`~bot.core.events.Invoke` (``invoke("meal join",
    code)``), whose values reach the handler without being written out and parsed.
    """
    return COMMAND_OPTION + line


class Dispatcher(CrisisReplies):
    """Routes incoming events to commands and dialogs, one at a time per user and room."""

    def __init__(self, services: Services, uow_factory: UnitOfWorkFactory) -> None:
        self.services = services
        self._uow = uow_factory
        self._locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        safety = services.config.safety
        self._limiter = RateLimiter(safety.commands_per_minute, safety.command_burst)
        # SQLite has one shared connection (bot/db/engine.py). Its pool hands it to
        # whoever asks first after a release, so a busy sender could starve others for
        # seconds; a FIFO lock makes commands take turns in arrival order instead.
        bind = uow_factory.session_factory.kw.get("bind")
        dialect = getattr(getattr(bind, "dialect", None), "name", None)
        self._turns: asyncio.Lock | None = asyncio.Lock() if dialect == "sqlite" else None
        self.dialogs = Dialogs(services, self._command, self._plain_words)

    def _lock(self, key: tuple[str, str, str]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(
        self, event: Incoming, found: CrisisMatch | Undetected | None = UNDETECTED
    ) -> list[Outgoing]:
        """The answers to one event; never raises. ``found``: the crisis words already
        looked for in it (by :meth:`crisis_now`), so that is not done twice."""
        if isinstance(event, MemberJoined):
            return []
        event = without_nul(event)
        text = text_of(event)
        # Crisis words come first, everywhere a person can type, before anything that
        # needs the database: the lines go out even when it is down.
        if isinstance(found, Undetected):
            found = self._detect(text, event)
        crisis = [self._crisis_reply(event, found, None)] if found is not None else []
        if isinstance(event, MessageIn) and event.is_edit:
            # An edit is never run as a command; crisis words in it are still answered,
            # and a volunteer is told as for any message (with the person's consent).
            await self._crisis_hooks_apart(event, found)
            return self._with_room_note(event, crisis)
        if self._addressed_to_bot(event, text):
            verdict = self._limiter.check(
                (event.sender.platform, event.sender.user_id), self.services.clock.now()
            )
            if verdict != "allow":
                log.info("dispatch.rate_limited platform=%s", event.sender.platform)
                limited = [self._plain(event, "error.slow_down")] if verdict == "warn" else []
                await self._crisis_hooks_apart(event, found)
                return self._with_room_note(event, [*crisis, *limited])
        key = (event.sender.platform, event.room.room_id, event.sender.user_id)
        try:
            async with self._lock(key):
                answers = await self._handle(event, text, found, crisis)
        except DATABASE_ERRORS as exc:
            log.warning("dispatch.database_unavailable error=%s", type(exc).__name__)
            answers = [self._plain(event, "error.database_unavailable")]
        except Exception:
            log.exception("dispatch.error platform=%s", event.sender.platform)
            answers = [self._plain(event, "error.internal")]
        # The crisis reply (in the person's own language once they were looked up).
        return self._with_room_note(event, [*crisis, *answers])

    def must_be_private(self, event: Said) -> bool:
        """Whether the answer to ``event`` may carry private content.

        True for crisis words and for private commands. Adapters that must choose
        an answer's visibility before it exists (a Discord defer) ask this first;
        it needs no database.
        """
        text = text_of(event)
        if self._detect(text, event) is not None:
            return True
        named = self._named_command(event, text.strip())
        if isinstance(named, Invoke):
            command = self.services.registry.commands.get(named.command)
        else:
            line = text.strip() if named is None else named
            command, _used, _head = self.services.registry.resolve(tokenize(line))
        return command is not None and command.private

    def _named_command(self, event: Said, stripped: str) -> Invoke | str | None:
        """The command an event runs: a typed action, a command line, or None (plain text)."""
        if isinstance(event, CommandIn):
            return event.invoke
        if isinstance(event, ChoiceIn):
            value = event.value
            return command_of(value.strip() if isinstance(value, str) else value)
        prefix = self.services.prefix(event.sender.platform)
        if prefix and stripped.startswith(prefix):
            return stripped[len(prefix) :]
        return None

    # ------------------------------------------------------------ helpers

    def _addressed_to_bot(self, event: Said, text: str) -> bool:
        """Direct messages, taps, called commands and prefixed commands count; room
        chatter does not."""
        prefix = self.services.prefix(event.sender.platform)
        return (
            event.is_direct
            or isinstance(event, ChoiceIn | CommandIn)
            or text.lstrip().startswith(prefix)
        )

    # ------------------------------------------------------------ routing

    async def _handle(
        self,
        event: Said,
        text: str,
        found: CrisisMatch | None,
        crisis: list[Outgoing],
    ) -> list[Outgoing]:
        stripped = text.strip()
        command_line = self._named_command(event, stripped)
        work = (event, stripped, command_line, found, crisis)
        if self._turns is None:
            return await self._unit_of_work(*work)
        async with self._turns:
            return await self._unit_of_work(*work)

    async def _unit_of_work(self, *work: Any) -> list[Outgoing]:
        try:
            return await self._unit_of_work_once(*work)
        except _StaleConnection:
            # The server closed a pooled connection (it restarted); the pool has been
            # emptied and nothing was done yet, so the message gets one more go.
            log.info("dispatch.stale_connection_retry")
            return await self._unit_of_work_once(*work)

    async def _unit_of_work_once(
        self,
        event: Said,
        stripped: str,
        command_line: Invoke | str | None,
        found: CrisisMatch | None,
        crisis: list[Outgoing],
    ) -> list[Outgoing]:
        services = self.services
        now = services.clock.now()
        async with self._uow() as uow:
            session = uow.session
            # One query for both: this runs for every message, so round trips count.
            try:
                person, dialog = await person_and_dialog(
                    session, event.sender, event.room.room_id, now
                )
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise _StaleConnection from error
                raise
            lang = language_of(person, event.sender.locale, services.config.community.language)
            if found is not None:
                # Now that the person is known: their own language, and their safety plan.
                own = person.language or language_from_locale(event.sender.locale)
                plan = await session.get(SafetyPlan, person.id) if person.id else None
                crisis[:] = [self._crisis_reply(event, found, own, plan)]
            ctx = Context(
                services=services,
                session=session,
                sender=event.sender,
                room=event.room,
                is_direct=event.is_direct,
                person=person,
                lang=lang,
                event_id=event.event_id,
            )
            # With crisis words, nothing about the message is answered in the room.
            ctx.private = found is not None
            if dialog is not None and dialog.expires_at <= now:
                await session.delete(dialog)
                quiet = dialog.name == QUESTION  # an old question just goes
                dialog = None
                if command_line is None and not quiet:
                    ctx.say("dialog.expired")
                    if found is not None:
                        await self._run_crisis_hooks(ctx)
                    await uow.commit()
                    return ctx.out

            if (
                dialog is not None
                and command_line is None
                and not self._addressed_to_bot(event, stripped)
            ):
                # Answers typed in a room count towards the flood limit like commands do.
                verdict = self._limiter.check((event.sender.platform, event.sender.user_id), now)
                if verdict != "allow":
                    if verdict == "warn":
                        ctx.say("error.slow_down")
                    if found is not None:
                        await self._run_crisis_hooks(ctx)
                        await uow.commit()
                    return ctx.out
            if dialog is None and event.is_direct and command_line is None and found is None:
                # A question a private command asked from a shared room, answered here.
                dialog = await self.dialogs.asked_elsewhere(
                    session, event.sender, event.room.room_id, now
                )
            pending = Pending.of(dialog)
            if command_line is None and dialog is not None and found is not None:
                # Crisis wins: nothing from this message is an answer, and the question
                # waits until the person writes again.
                ctx.dialog_next = (dialog.name, dialog.step, {**dialog.data, PAUSED: True})
            elif command_line is None and dialog is not None:
                pending = await self.dialogs.step(
                    ctx, dialog, stripped, tapped=isinstance(event, ChoiceIn)
                )
            elif (
                command_line is None
                and event.is_direct
                and found is None
                and match_answer(stripped, []).special in (HELP, CANCEL)
                and await self._answers_a_sent_question(ctx, stripped)
            ):
                pass  # "help" or "cancel" at a question sent later: about that question
            elif command_line is None and event.is_direct and self._looks_like_command(stripped):
                await self._command(ctx, stripped)
            elif command_line is not None:
                await self._command(ctx, command_line)
            elif event.is_direct and found is None:
                first_contact = bool(session.info.get(FIRST_CONTACT))
                if first_contact or not await self._answers_a_sent_question(ctx, stripped):
                    await self._not_a_command(ctx, stripped, first_contact)
            elif found is None:
                return []
            if found is not None and not ctx.discard:
                await self._run_crisis_hooks(ctx)
            if not ctx.discard:
                self.dialogs.settle(ctx, dialog, pending, command=command_line is not None)
                await self.dialogs.save(ctx, dialog)
                await uow.commit()
            answers = ctx.out
        if ctx.discard and found is not None:
            # The command's own work was thrown away (its input was refused), but the
            # volunteer must still be told: in a unit of work of its own, after this one.
            await self._crisis_hooks_apart(event, found)
        return answers

    async def _answers_a_sent_question(self, ctx: Context, text: str) -> bool:
        """A typed answer to a question sent later (a buddy proposal, a reminder): the
        option it picks runs. False when there was none, or the text picks no option."""
        if not ctx.person.id or not text.strip():
            return False
        prompt = await sent_question(ctx.session, ctx.person.id, ctx.sender, ctx.now)
        if prompt is None:
            return False
        answer = match_answer(text, [option.label for option in prompt.options])
        if answer.special == HELP or answer.out_of_range:
            # Help, or a number with no option: explain, and ask the same question again.
            if answer.special == HELP:
                ctx.say("question.help")
            else:
                ctx.say("question.not_an_option", count=len(prompt.options))
            ctx.send(prompt)
            return True
        if answer.special == CANCEL:
            ctx.say("dialog.cancelled")
            return True
        if answer.index is None:
            return False
        command = command_of(prompt.options[answer.index].value)
        if command is None:
            return False
        await self._command(ctx, command)
        return True

    async def _plain_words(self, ctx: Context, text: str) -> bool:
        """Text that answers no question, taken as it is when it means something without
        one (a command, a greeting, thanks). False: it does not."""
        if ctx.is_direct and self._looks_like_command(text):
            await self._command(ctx, text)
            return True
        if ctx.is_direct and await self._answers_a_sent_question(ctx, text):
            return True
        word = text.casefold().strip(" .!?,")
        if word in self._words(ctx, "words.thanks") or word in self._words(ctx, "words.greetings"):
            await self._not_a_command(ctx, text, first_contact=False)
            return True
        return False

    async def _not_a_command(self, ctx: Context, text: str, first_contact: bool) -> None:
        """Plain words in a direct chat: a number checks in, a greeting or a first
        message gets a warm welcome with choices, anything else what to type instead."""
        word = text.casefold().strip(" .!?,")
        if word.isdigit() and 1 <= int(word) <= 5:
            await self._command(ctx, f"checkin {word}")
            return
        thanks = word in self._words(ctx, "words.thanks")
        if first_contact or thanks or word in self._words(ctx, "words.greetings"):
            key = "welcome.thanks" if thanks and not first_contact else "welcome.hello"
            ctx.prompt(ctx.t(key, name=ctx.sender.display_name), self._first_choices(ctx))
            return
        ctx.prompt(ctx.t("welcome.not_understood"), self._first_choices(ctx))

    def _first_choices(self, ctx: Context) -> list[tuple[str, Action]]:
        return [
            (ctx.t("welcome.choice_checkin"), invoke("checkin")),
            (ctx.t("welcome.choice_buddy"), invoke("buddy join")),
            (ctx.t("welcome.choice_meals"), invoke("meal list")),
        ]

    def _words(self, ctx: Context, key: str) -> frozenset[str]:
        """A word list from the catalogs (every language: people mix them)."""
        translator = self.services.translator
        return frozenset(
            word.strip().casefold()
            for lang in translator.catalogs
            for word in translator.text(lang, key).split(",")
        )

    def _looks_like_command(self, text: str) -> bool:
        tokens = tokenize(text)
        return bool(tokens) and self.services.registry.canonical(tokens[0].text) is not None

    async def _command(self, ctx: Context, line: Invoke | str) -> None:
        """Run a command: typed (a line to parse) or called (an action with its values)."""
        registry = self.services.registry
        tokens, used = [], 0
        if isinstance(line, Invoke):
            command = registry.commands.get(line.command)
            if command is None:
                # A button from a version that had this command: said like a typed one.
                self._unknown(ctx, line.command)
                return
        else:
            tokens = tokenize(line)
            found, used, head = registry.resolve(tokens)
            if found is None:
                if head:
                    self._group_usage(ctx, head)
                else:
                    self._unknown(ctx, tokens[0].text if tokens else "")
                return
            command = found
        if ctx.role < command.role:
            ctx.say("error.role_needed", role=ctx.t(ROLE_PLURAL_KEYS[command.role]))
            return
        try:
            if isinstance(line, Invoke):
                args = command.bind(line)
            else:
                args = command.parse(tokens[used:], line)
        except ArgumentError as error:
            self._usage_error(ctx, command, error)
            return
        ctx.private = command.private or ctx.private
        log.info("command name=%s platform=%s", command.name, ctx.sender.platform)
        ctx.dialog_role = command.role
        try:
            with off_event_loop() if command.long_running else nullcontext():
                await command.handler(ctx, *args)
        except ArgumentError as error:
            # Handlers raise this for input only they can judge; nothing is kept.
            ctx.discard = True
            ctx.out.clear()
            ctx.dialog_next = None
            self._usage_error(ctx, command, error)
            return

    def _usage_error(self, ctx: Context, command: Command, error: ArgumentError) -> None:
        ctx.private = command.private or ctx.private
        usage = ctx.t("reply.usage", usage=self.usage(ctx, command))
        if error.key:
            ctx.reply(f"{ctx.t(error.key, **error.values)} {usage}")
        else:
            ctx.reply(usage)

    def usage(self, ctx: Context, command: Command) -> str:
        """The usage line of a command in the user's language, prefix included."""
        return f"{ctx.prefix}{ctx.t('usage.' + command.key)}"

    def _group_usage(self, ctx: Context, head: str) -> None:
        commands = [c for c in self.services.registry.subcommands(head) if ctx.role >= c.role]
        lines = [self.usage(ctx, c) for c in commands]
        name = self.services.registry.name_in(ctx.lang, head)
        ctx.reply(ctx.t("reply.group_usage", command=name) + "\n" + "\n".join(lines))

    def _unknown(self, ctx: Context, word: str) -> None:
        words = self.services.registry.all_words()
        close = difflib.get_close_matches(word.casefold(), words, n=1, cutoff=0.6)
        if close:
            ctx.say("error.unknown_command_suggest", word=echo(word), suggestion=close[0])
        else:
            ctx.say("error.unknown_command", word=echo(word))
