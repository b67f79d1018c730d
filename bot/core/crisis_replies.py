"""The crisis path of the dispatcher: crisis words answered before anything else.

Crisis words are looked for in every message a person can type, before anything that
needs the database, so the crisis lines go out even when it is down; once the person
is known, the lines come in their own language with their safety plan, and the
features' crisis hooks (a volunteer told, with consent) run. Kept apart from the
routing in :mod:`bot.core.dispatcher`, which mixes this in.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.context import Context, Services
from bot.core.events import (
    Arg,
    ChoiceIn,
    ChoicePrompt,
    CommandIn,
    Direct,
    FileMessage,
    Incoming,
    Invoke,
    MemberJoined,
    MessageIn,
    Outgoing,
    TextMessage,
)
from bot.db.uow import UnitOfWorkFactory
from bot.people.service import language_from_locale, language_of, person_and_dialog
from bot.safety.detect import CrisisMatch, default_detector
from bot.safety.models import SafetyPlan
from bot.safety.render import crisis_text

log = logging.getLogger("samvaer.dispatch")


Said = MessageIn | ChoiceIn | CommandIn
"""An event a person made by writing, tapping or calling a command."""


def text_of(event: Said) -> str:
    """What the person wrote: the message, a plain answer, or the values a command got."""
    if isinstance(event, MessageIn):
        return event.text
    action = event.value if isinstance(event, ChoiceIn) else event.invoke
    return action if isinstance(action, str) else action.words()


def _clean(action: Invoke) -> Invoke:
    def clean(value: Arg) -> Arg:
        return value.replace("\x00", "") if isinstance(value, str) else value

    return replace(
        action,
        args=tuple(clean(value) for value in action.args),
        named=tuple((name, clean(value)) for name, value in action.named),
    )


def without_nul(event: Said) -> Said:
    """The event with NUL characters taken out of its text and the sender's name: no
    database stores them, and a name with one must not lock a person out."""
    text = text_of(event)
    name = event.sender.display_name
    if "\x00" not in text and "\x00" not in name:
        return event
    sender = replace(event.sender, display_name=name.replace("\x00", ""))
    if isinstance(event, MessageIn):
        return replace(event, sender=sender, text=text.replace("\x00", ""))
    if isinstance(event, CommandIn):
        return replace(event, sender=sender, invoke=_clean(event.invoke))
    value = event.value
    cleaned = value.replace("\x00", "") if isinstance(value, str) else _clean(value)
    return replace(event, sender=sender, value=cleaned)


class Undetected:
    """Crisis words not looked for yet (``None``: looked for, and none found)."""


UNDETECTED = Undetected()


class CrisisReplies:
    """The dispatcher's crisis replies and the room's neutral line (a mixin)."""

    services: Services
    _uow: UnitOfWorkFactory

    def _detect(self, text: str, event: Said) -> CrisisMatch | None:
        # Words Danish and Norwegian share are read in the platform's language, else the
        # community's: that decides the reply's language and lines before anything else
        # is known about the person.
        detector = self.services.crisis or default_detector()
        prefer = (
            language_from_locale(event.sender.locale) or self.services.config.community.language
        )
        return detector.detect(text, prefer=prefer)

    async def _crisis_hooks_apart(self, event: Said, found: CrisisMatch | None) -> None:
        """Tell a volunteer (with consent) in a unit of work of its own, for crisis words
        that do not go through the usual path (an edit, a rate-limited message, an answer
        whose own work was discarded). Never raises: the lines are already on their way."""
        if found is None or not self.services.registry.crisis_hooks:
            return
        now = self.services.clock.now()
        try:
            async with self._uow() as uow:
                person, _dialog = await person_and_dialog(
                    uow.session, event.sender, event.room.room_id, now
                )
                ctx = Context(
                    services=self.services,
                    session=uow.session,
                    sender=event.sender,
                    room=event.room,
                    is_direct=event.is_direct,
                    person=person,
                    lang=language_of(
                        person, event.sender.locale, self.services.config.community.language
                    ),
                    event_id=event.event_id,
                )
                for hook in self.services.registry.crisis_hooks:
                    await hook(ctx)
                await uow.commit()
        except Exception:
            log.exception("safety.crisis_alert_failed platform=%s", event.sender.platform)

    def _with_room_note(self, event: Said, answers: list[Outgoing]) -> list[Outgoing]:
        """Private answers to something said in a room leave one neutral line there."""
        own = Direct(event.sender.platform, event.sender.user_id)
        private = any(
            isinstance(m, TextMessage | ChoicePrompt | FileMessage) and m.to == own for m in answers
        )
        if event.is_direct or not private:
            return answers
        text = self.services.translator.text(
            self._fallback_language(event), "reply.answered_privately"
        )
        note = TextMessage(event.room, text, reply_to=event.event_id, private_answer_note=True)
        return [*answers, note]

    def _fallback_language(self, event: Said) -> str:
        return language_from_locale(event.sender.locale) or self.services.config.community.language

    def _plain(self, event: Said, key: str) -> Outgoing:
        lang = self._fallback_language(event)
        text = self.services.translator.text(lang, key)
        return TextMessage(event.room, text, reply_to=event.event_id)

    def _crisis_reply(
        self,
        event: Said,
        found: CrisisMatch,
        lang: str | None,
        plan: SafetyPlan | None = None,
    ) -> Outgoing:
        """The crisis lines, privately, in ``lang`` (else the best guess without the
        database: the platform's language, then the language the words were in)."""
        translator = self.services.translator
        if lang is None or lang not in translator.catalogs:
            lang = language_from_locale(event.sender.locale) or found.language
        if lang not in translator.catalogs:
            lang = self.services.config.community.language
        log.info(
            "safety.crisis_reply platform=%s category=%s", event.sender.platform, found.category
        )
        body = crisis_text(
            translator,
            self.services.config,
            lang,
            self.services.clock.now(),
            plan.parts() if plan is not None else (),
        )
        return TextMessage(
            Direct(event.sender.platform, event.sender.user_id), body, crisis_lines=True
        )

    def crisis_now(self, event: Incoming) -> tuple[CrisisMatch | None, list[Outgoing]]:
        """The crisis words in ``event`` and the reply to them (with the room's neutral
        line), or ``(None, [])``.

        Needs no database, so it can go out while the database is slow or down; the
        full answer later carries the same lines in the person's own language.
        """
        if isinstance(event, MemberJoined):
            return None, []
        event = without_nul(event)
        text = text_of(event)
        found = self._detect(text, event)
        if found is None:
            return None, []
        return found, self._with_room_note(event, [self._crisis_reply(event, found, None)])

    async def _run_crisis_hooks(self, ctx: Context) -> None:
        for hook in self.services.registry.crisis_hooks:
            await hook(ctx)
