"""What a command handler gets: who asked, where, in which language, and a session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.events import (
    Action,
    ChoicePrompt,
    Destination,
    Direct,
    FileMessage,
    Option,
    Outgoing,
    Role,
    Room,
    Sender,
    TextMessage,
)
from bot.core.i18n import Translator, format_local
from bot.core.outbox import enqueue

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.registry import CommandRegistry
    from bot.db.models import Person
    from bot.safety.detect import CrisisDetector


@dataclass
class Services:
    """The dependencies handed to every handler and job, made once by bootstrap()."""

    config: Config
    clock: Clock
    translator: Translator
    registry: CommandRegistry
    prefixes: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    crisis: CrisisDetector | None = None  # None: the shipped phrase files only

    def prefix(self, platform: str) -> str:
        return self.prefixes.get(platform, "!")


class OutboxWriter:
    """``later(...)``: put a message in the outbox within the current unit of work."""

    services: Services
    session: AsyncSession

    async def later(
        self,
        message: Outgoing,
        *,
        due_at: datetime | None = None,
        kind: str,
        person_id: int | None = None,
        dedupe_key: str | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Put a message in the outbox, in this unit of work."""
        now = self.services.clock.now()
        return await enqueue(
            self.session,
            message,
            due_at=due_at or now,
            now=now,
            kind=kind,
            person_id=person_id,
            dedupe_key=dedupe_key,
            expires_at=expires_at,
        )


@dataclass
class Context(OutboxWriter):
    """One command or dialog step being handled, inside one unit of work."""

    services: Services
    session: AsyncSession
    sender: Sender
    room: Room
    is_direct: bool
    person: Person
    lang: str
    private: bool = False
    event_id: str = ""
    out: list[Outgoing] = field(default_factory=list)
    dialog_next: tuple[str, str, dict[str, Any]] | None = None
    dialog_role: Role = Role.PARTICIPANT  # the role the command that started a dialog needs
    dialog_done: bool = False
    discard: bool = False

    # ------------------------------------------------------------ conveniences

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def role(self) -> Role:
        return self.sender.role

    @property
    def prefix(self) -> str:
        return self.services.prefix(self.sender.platform)

    @property
    def timezone(self) -> str:
        return self.person.timezone or self.config.community.timezone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in the user's language."""
        values.setdefault("prefix", self.prefix)
        values.setdefault("community", self.config.community.name)
        return self.services.translator.text(self.lang, key, **values)

    def tn(self, key: str, n: int, /) -> str:
        """The counted phrase ``key`` for ``n`` in the user's language: "1 seat", "8 seats"."""
        return self.services.translator.plural(self.lang, key, n)

    def local(self, when: datetime, pattern: str = "full") -> str:
        return format_local(when, self.timezone, self.lang, pattern)

    @property
    def here(self) -> Destination:
        """Where replies go: a direct message for private commands."""
        if self.private and not self.is_direct:
            return Direct(self.sender.platform, self.sender.user_id)
        return self.room

    # ------------------------------------------------------------ output

    def reply(self, text: str) -> None:
        self.out.append(TextMessage(self.here, text, reply_to=self.event_id))

    def say(self, key: str, /, **values: object) -> None:
        """Reply with the catalog message ``key``."""
        self.reply(self.t(key, **values))

    def prompt(self, text: str, options: Sequence[tuple[str, Action]]) -> None:
        self.out.append(
            ChoicePrompt(self.here, text, tuple(Option(label, value) for label, value in options))
        )

    def send_file(self, filename: str, content: bytes, mime_type: str, caption: str = "") -> None:
        self.out.append(FileMessage(self.here, filename, content, mime_type, caption))

    def send(self, message: Outgoing) -> None:
        self.out.append(message)

    # ------------------------------------------------------------ dialogs

    def continue_dialog(self, name: str, step: str, data: dict[str, Any]) -> None:
        """Keep (or start) a dialog: the user's next plain message goes to ``name``."""
        self.dialog_next = (name, step, data)
        self.dialog_done = False

    def end_dialog(self) -> None:
        self.dialog_next = None
        self.dialog_done = True

    def dialog_expiry(self) -> datetime:
        return self.now + self.config.scheduling.dialog_timeout


@dataclass
class JobContext(OutboxWriter):
    """What timed work gets: a session, the services and the current time."""

    services: Services
    session: AsyncSession
    now: datetime

    @property
    def config(self) -> Config:
        return self.services.config

    def t(self, lang: str, key: str, /, **values: object) -> str:
        values.setdefault("community", self.config.community.name)
        values.setdefault("prefix", "!")
        return self.services.translator.text(lang, key, **values)
