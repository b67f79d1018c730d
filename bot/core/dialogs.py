"""Dialogs and questions: one question at a time per person, and answers as people type them.

A *question* is a choice prompt shown to the person who wrote (``ctx.prompt``). The
last one shown is kept with their dialog row (``ASKED`` in its data), so a typed
answer — the number, the label, a word meaning the same (see
:mod:`bot.core.answers`), "hjælp" or "afbryd" — goes to the question most recently
shown to that person. A prompt shown by a command outside any dialog gets a small
dialog of its own (``QUESTION``). Should one answer show two questions, the
second waits (``WAITING``) until the first is answered. A command that asks
something in the middle of a dialog sets the dialog aside (``SUSPENDED``); it comes
back, with its question, once the new question is answered or left.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.answers import CANCEL, HELP, match_answer, vocabulary
from bot.core.codec import command_of, decode_action, encode_action
from bot.core.context import Context, Services
from bot.core.events import Action, ChoicePrompt, Direct, Invoke, Option, Role, Sender
from bot.core.outbox import last_sent_question
from bot.db.models import Dialog

log = logging.getLogger("samvaer.dialogs")

QUESTION = "_question"  # the dialog of a question asked outside any dialog
ASKED = "_asked"  # in a dialog's data: the question shown last, {"text", "options"}
WAITING = "_waiting"  # questions waiting for the one shown to be answered
SUSPENDED = "_suspended"  # a dialog set aside by a question asked in its middle
DIRECT = "_direct"  # the question went to a direct message: it is answered there too
PAUSED = "_paused_for_crisis"
ROLE_NEEDED = "_role_needed"
RESERVED = (ASKED, WAITING, SUSPENDED, DIRECT)
DIALOG_ANSWER_LIMIT = 2000  # characters; no question here needs more
DIALOGS_PER_PERSON = 3  # open at once across rooms; the oldest is dropped
ROLE_PLURAL_KEYS = {
    Role.PARTICIPANT: "role.participants",
    Role.VOLUNTEER: "role.volunteers",
    Role.ORGANISER: "role.organisers",
}

RunCommand = Callable[[Context, Invoke | str], Awaitable[None]]
Fallback = Callable[[Context, str], Awaitable[bool]]


def _stored(prompt: ChoicePrompt) -> dict[str, Any]:
    options = [[o.label, encode_action(o.value)] for o in prompt.options]
    return {"text": prompt.text, "options": options}


def _prompt(ctx: Context, stored: dict[str, Any]) -> ChoicePrompt:
    options = tuple(
        Option(str(label), decode_action(str(value))) for label, value in stored["options"]
    )
    return ChoicePrompt(ctx.here, str(stored["text"]), options)


@dataclass
class Pending:
    """What the person's dialog row says was asked, read before the message is handled."""

    name: str = ""
    step: str = ""
    asked: dict[str, Any] | None = None
    waiting: list[dict[str, Any]] = field(default_factory=list)
    suspended: list[Any] | None = None
    answered: bool = False  # this message answered (or left) the question shown

    @classmethod
    def of(cls, dialog: Dialog | None) -> Pending:
        if dialog is None:
            return cls()
        data = dialog.data or {}
        return cls(
            name=dialog.name,
            step=dialog.step,
            asked=data.get(ASKED),
            waiting=list(data.get(WAITING) or []),
            suspended=data.get(SUSPENDED),
        )


def own_data(data: dict[str, Any]) -> dict[str, Any]:
    """A dialog's data without what this module keeps in it."""
    return {k: v for k, v in data.items() if k not in RESERVED}


class Dialogs:
    """Routes plain text to the dialog or question it answers, and keeps the dialog row."""

    def __init__(self, services: Services, run_command: RunCommand, fallback: Fallback) -> None:
        self.services = services
        self._run_command = run_command
        # ``fallback(ctx, text)``: text that answers no standalone question is handled as
        # if there were none (a greeting, thanks); True when it was.
        self._fallback = fallback

    # ------------------------------------------------------------ answering

    async def step(self, ctx: Context, dialog: Dialog, text: str, *, tapped: bool) -> Pending:
        """Handle ``text`` typed (or ``tapped``) while ``dialog`` is open."""
        pending = Pending.of(dialog)
        data = own_data(dict(dialog.data or {}))
        if not tapped and self._is_cancel(text, pending):
            pending.answered = True
            ctx.end_dialog()
            ctx.say("dialog.cancelled")
            return pending
        if dialog.name == QUESTION:
            if not await self.resume_paused(ctx, dialog):
                await self._question(ctx, pending, text, tapped=tapped)
            return pending
        spec = self.services.registry.dialogs.get(dialog.name)
        if spec is None:
            ctx.end_dialog()
            ctx.say("error.not_a_command")
            return pending
        ctx.private = True
        needed = Role(int(data.get(ROLE_NEEDED, Role.PARTICIPANT)))
        if ctx.role < needed:
            # The role was taken away in the middle of the dialog: it ends here.
            ctx.end_dialog()
            ctx.say("error.role_needed", role=ctx.t(ROLE_PLURAL_KEYS[needed]))
            return pending
        ctx.dialog_role = needed  # kept with the dialog whatever its step saves
        if len(text) > DIALOG_ANSWER_LIMIT:
            ctx.say("dialog.answer_too_long", limit=DIALOG_ANSWER_LIMIT, length=len(text))
            ctx.dialog_next = (dialog.name, dialog.step, data)
            return pending
        if data.pop(PAUSED, False):
            # Back after the crisis lines: this message is not taken as the answer. The
            # question is asked again, gently, or (when it can't be) put aside.
            if spec.ask is None:
                ctx.end_dialog()
                ctx.say("safety.dialog_set_aside")
                return pending
            ctx.dialog_next = (dialog.name, dialog.step, data)
            ctx.say("safety.dialog_resume")
            self._ask_again(ctx, pending, spec.ask, dialog.step, data)
            return pending
        # Keep the dialog unless the step ends or replaces it.
        ctx.dialog_next = (dialog.name, dialog.step, dict(data))
        if not tapped:
            answer = self._answer(ctx, pending, text)
            if answer is _HANDLED:
                if pending.asked is None:
                    self._ask_again(ctx, pending, spec.ask, dialog.step, data)
                return pending
            command = command_of(answer) if isinstance(answer, str | Invoke) else None
            if command is not None:
                pending.answered = True
                await self._run_command(ctx, command)
                return pending
            if isinstance(answer, str):
                text = answer
        pending.answered = pending.asked is not None
        await spec.handler(ctx, dialog.step, data, text)
        return pending

    def _is_cancel(self, text: str, pending: Pending) -> bool:
        labels = [str(label) for label, _value in (pending.asked or {}).get("options", [])]
        return match_answer(text, labels).special == CANCEL

    def _answer(self, ctx: Context, pending: Pending, text: str) -> Action | object | None:
        """The value of the option ``text`` picks (or _HANDLED after help or a wrong
        number, or None: the text itself is the answer)."""
        asked = pending.asked
        labels = [str(label) for label, _value in (asked or {}).get("options", [])]
        answer = match_answer(text, labels)
        if answer.special == HELP:
            ctx.say("question.help" if asked else "question.help_free")
            if asked:
                ctx.send(_prompt(ctx, asked))
            return _HANDLED
        if asked is None:
            return None
        if answer.out_of_range:
            ctx.say("question.not_an_option", count=len(labels))
            ctx.send(_prompt(ctx, asked))
            return _HANDLED
        if answer.index is not None:
            return decode_action(str(asked["options"][answer.index][1]))
        return None

    async def _question(self, ctx: Context, pending: Pending, text: str, *, tapped: bool) -> None:
        """An answer to a question asked outside any dialog."""
        ctx.end_dialog()
        ctx.private = True  # like any dialog answer: help and the question stay private
        asked = pending.asked
        if asked is None or tapped:
            pending.answered = True
            return
        answer = self._answer(ctx, pending, text)
        if answer is _HANDLED:
            ctx.continue_dialog(QUESTION, "ask", {ASKED: asked})
            return
        if isinstance(answer, str | Invoke):
            pending.answered = True
            command = command_of(answer)
            if command is not None:
                await self._run_command(ctx, command)
            return
        # Not one of the choices: a command, a greeting or thanks are taken as they are;
        # in a shared room anything else is chatter. Otherwise the question stays.
        if await self._fallback(ctx, text) or not ctx.is_direct:
            pending.answered = True
            return
        ctx.say("question.not_an_option", count=len(asked["options"]))
        ctx.send(_prompt(ctx, asked))
        ctx.continue_dialog(QUESTION, "ask", {ASKED: asked})

    def _ask_again(
        self,
        ctx: Context,
        pending: Pending,
        ask: Callable[..., None] | None,
        step: str,
        data: dict[str, Any],
    ) -> None:
        if pending.asked is not None:
            ctx.send(_prompt(ctx, pending.asked))
        elif ask is not None:
            ask(ctx, step, data)

    async def resume_paused(self, ctx: Context, dialog: Dialog) -> bool:
        """A standalone question paused for the crisis lines: asked again. True if so."""
        data = dialog.data or {}
        if dialog.name != QUESTION or not data.get(PAUSED) or not data.get(ASKED):
            return False
        ctx.say("safety.dialog_resume")
        ctx.send(_prompt(ctx, data[ASKED]))
        ctx.continue_dialog(QUESTION, "ask", {ASKED: data[ASKED]})
        return True

    # ------------------------------------------------------------ after the message

    def settle(
        self, ctx: Context, dialog: Dialog | None, pending: Pending, *, command: bool
    ) -> None:
        """Decide what the person is asked now: the question shown last is kept with the
        dialog row; a second question waits; a dialog interrupted by a question waits."""
        mine = [m for m in ctx.out if isinstance(m, ChoicePrompt) and self._for_asker(ctx, m)]
        waiting = [_stored(m) for m in mine[1:]] + pending.waiting
        for extra in mine[1:]:
            ctx.out.remove(extra)
        shown = mine[0] if mine else None
        answered = pending.answered or (command and dialog is not None and dialog.name == QUESTION)
        if shown is None and ctx.dialog_next is None and (answered or dialog is None) and waiting:
            # The question was answered: the one waiting is asked now.
            next_one = waiting.pop(0)
            shown = _prompt(ctx, next_one)
            ctx.out.append(shown)
        if ctx.dialog_next is not None:
            name, step, data = ctx.dialog_next
            data = own_data(data)
            before = (
                {k: v for k, v in own_data(dialog.data or {}).items() if k != PAUSED}
                if dialog
                else {}
            )
            if shown is not None:
                data[ASKED] = _stored(shown)
                if self._went_direct(ctx, shown):
                    data[DIRECT] = True
            elif (
                pending.asked
                and (name, step) == (pending.name, pending.step)
                and before == {k: v for k, v in data.items() if k != PAUSED}
            ):
                # Not answered yet (a wrong answer, help, the crisis lines first): the
                # question still stands, where it was shown.
                data[ASKED] = pending.asked
                if dialog is not None and (dialog.data or {}).get(DIRECT):
                    data[DIRECT] = True
            if waiting:
                data[WAITING] = waiting
            if pending.suspended and name in (pending.name, QUESTION):
                data[SUSPENDED] = pending.suspended
            ctx.dialog_next = (name, step, data)
            return
        if shown is not None:
            data = {ASKED: _stored(shown)}
            if self._went_direct(ctx, shown):
                data[DIRECT] = True
            if waiting:
                data[WAITING] = waiting
            if dialog is not None and dialog.name != QUESTION and not ctx.dialog_done:
                # A question in the middle of a dialog: the dialog waits for its answer.
                data[SUSPENDED] = [dialog.name, dialog.step, dict(dialog.data or {})]
            elif pending.suspended:
                data[SUSPENDED] = pending.suspended
            ctx.continue_dialog(QUESTION, "ask", data)
            return
        if dialog is not None and dialog.name == QUESTION and (answered or ctx.dialog_done):
            ctx.end_dialog()
            if pending.suspended:
                self._restore(ctx, pending.suspended)

    def _restore(self, ctx: Context, suspended: list[Any]) -> None:
        """Bring back a dialog set aside, with its question."""
        name, step, data = str(suspended[0]), str(suspended[1]), dict(suspended[2])
        if name not in self.services.registry.dialogs:
            return
        asked = data.get(ASKED)
        if asked:
            ctx.send(_prompt(ctx, asked))
        else:
            spec = self.services.registry.dialogs[name]
            if spec.ask is not None:
                spec.ask(ctx, step, own_data(data))
        ctx.continue_dialog(name, step, data)

    @staticmethod
    def _went_direct(ctx: Context, prompt: ChoicePrompt) -> bool:
        """Asked in a shared room, shown in a direct message (a private command)."""
        return not ctx.is_direct and isinstance(prompt.to, Direct)

    async def asked_elsewhere(
        self, session: AsyncSession, sender: Sender, room_id: str, now: datetime
    ) -> Dialog | None:
        """A dialog begun in a shared room whose question went to this person's direct
        messages: an answer typed there belongs to it."""
        rows = await session.execute(
            select(Dialog)
            .where(
                Dialog.platform == sender.platform,
                Dialog.user_id == sender.user_id,
                Dialog.room_id != room_id,
                Dialog.expires_at > now,
            )
            .order_by(Dialog.expires_at.desc())
            .limit(1)
        )
        found = rows.scalars().first()
        return found if found is not None and (found.data or {}).get(DIRECT) else None

    @staticmethod
    def _for_asker(ctx: Context, prompt: ChoicePrompt) -> bool:
        own = Direct(ctx.sender.platform, ctx.sender.user_id)
        return prompt.to in (ctx.here, ctx.room, own)

    # ------------------------------------------------------------ the row

    async def save(self, ctx: Context, existing: Dialog | None) -> None:
        key = (ctx.sender.platform, ctx.room.room_id, ctx.sender.user_id)
        if ctx.dialog_next is not None:
            name, step, data = ctx.dialog_next
            data = dict(data)
            if ctx.dialog_role > Role.PARTICIPANT:
                data[ROLE_NEEDED] = int(ctx.dialog_role)
            row = existing or await ctx.session.get(Dialog, key)
            if row is None:
                await self._make_room_for_a_dialog(ctx)
                row = Dialog(
                    platform=key[0], room_id=key[1], user_id=key[2], person_id=ctx.person.id
                )
                ctx.session.add(row)
            row.name, row.step, row.data = name, step, data
            row.expires_at = ctx.dialog_expiry()
        elif ctx.dialog_done:
            # The dialog's own row (it may have begun in another room than this answer).
            room_id = existing.room_id if existing is not None else key[1]
            await ctx.session.execute(
                delete(Dialog).where(
                    Dialog.platform == key[0], Dialog.room_id == room_id, Dialog.user_id == key[2]
                )
            )

    async def _make_room_for_a_dialog(self, ctx: Context) -> None:
        """At most DIALOGS_PER_PERSON open dialogs per account: drop the oldest."""
        open_ones = await ctx.session.execute(
            select(Dialog.room_id)
            .where(Dialog.platform == ctx.sender.platform, Dialog.user_id == ctx.sender.user_id)
            .order_by(Dialog.expires_at.desc())
        )
        surplus = list(open_ones.scalars())[DIALOGS_PER_PERSON - 1 :]
        if surplus:
            await ctx.session.execute(
                delete(Dialog).where(
                    Dialog.platform == ctx.sender.platform,
                    Dialog.user_id == ctx.sender.user_id,
                    Dialog.room_id.in_(surplus),
                )
            )


_HANDLED = object()
# A question sent later (a buddy proposal, a reminder) is answered by typing for this long.
DIRECT_QUESTION_FOR = timedelta(days=3)


async def sent_question(
    session: AsyncSession, person_id: int, sender: Sender, now: datetime
) -> ChoicePrompt | None:
    """The last choice prompt the outbox delivered to this account, if it was the last
    thing sent to them there and is recent: a typed word may answer it."""
    own = Direct(sender.platform, sender.user_id)
    return await last_sent_question(session, person_id, own, since=now - DIRECT_QUESTION_FOR)


def warm_vocabulary() -> None:
    """Read the answer words now (at start) rather than at the first answer."""
    vocabulary()
