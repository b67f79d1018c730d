"""The console adapter: try the bot in a terminal, as several people.

Lines starting with ``:`` control the console (``:as alice``, ``:as vol
volunteer``, ``:room lounge``, ``:dm``, ``:who``, ``:quit``); everything else
is a message from the current person. Piped input works, so it is scriptable.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from functools import singledispatchmethod
from pathlib import Path

from bot.adapters.base import EventHandler
from bot.config import Config
from bot.core.events import (
    CancelVideoPlace,
    ChoiceIn,
    ChoicePrompt,
    CreateVideoPlace,
    Direct,
    FileMessage,
    MessageIn,
    OpenPrivateSpace,
    Option,
    Outgoing,
    Role,
    Room,
    Sender,
    SendResult,
    TextMessage,
)
from bot.files import private_folder, write_private

PLATFORM = "console"
ROLE_WORDS = {
    "participant": Role.PARTICIPANT,
    "deltager": Role.PARTICIPANT,
    "deltaker": Role.PARTICIPANT,
    "volunteer": Role.VOLUNTEER,
    "frivillig": Role.VOLUNTEER,
    "organiser": Role.ORGANISER,
    "organizer": Role.ORGANISER,
    "arrangør": Role.ORGANISER,
}
CONSOLE_HELP = (
    "console: :as NAME [participant|volunteer|organiser] switches person · "
    ":room NAME speaks in a shared room · :dm back to a private chat · :who · :quit"
)


def print_line(text: str) -> None:
    """Print and flush, so piped sessions see each reply at once."""
    print(text, flush=True)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from standard input without blocking the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="console-stdin", daemon=True).start()
    while True:
        line = await queue.get()
        if line is None:
            return
        yield line


class ConsoleAdapter:
    """Reads lines, prints replies; one person plays several users."""

    platform = PLATFORM
    capabilities: frozenset[str] = frozenset()  # numbered options, typed answers

    def __init__(
        self,
        config: Config,
        *,
        lines: Callable[[], AsyncIterator[str]] = stdin_lines,
        output: Callable[[str], None] = print_line,
    ) -> None:
        self._config = config
        self._lines = lines
        self._print = output
        self.user = config.console.user
        self.room: str | None = None
        self._roles: dict[str, Role] = {}
        self._prompts: dict[str, tuple[Option, ...]] = {}
        self._spaces = itertools.count(1)
        self._events = itertools.count(1)
        self._run = uuid.uuid4().hex[:12]
        self._stop = asyncio.Event()
        self.export_dir = Path(config.console.export_dir)

    # ------------------------------------------------------------ input

    def role_of(self, user: str) -> Role:
        roles = self._config.roles
        configured = Role.PARTICIPANT
        if user in roles.volunteers or f"console:{user}" in roles.volunteers:
            configured = Role.VOLUNTEER
        if user in roles.organisers or f"console:{user}" in roles.organisers:
            configured = Role.ORGANISER
        return max(configured, self._roles.get(user, Role.PARTICIPANT))

    async def current_role(self, user_id: str) -> Role | None:
        """The console user's role from ``[roles]`` and ``:as``."""
        return self.role_of(user_id)

    def _sender(self) -> Sender:
        return Sender(PLATFORM, self.user, self.user, self.role_of(self.user))

    def _control(self, line: str) -> bool:
        """Handle a ``:`` line; False means quit."""
        words = line[1:].split()
        if not words:
            self._print(CONSOLE_HELP)
            return True
        verb, args = words[0].casefold(), words[1:]
        if verb in {"quit", "q", "exit"}:
            return False
        if verb == "as" and args:
            self.user = args[0]
            if len(args) > 1:
                role = ROLE_WORDS.get(args[1].casefold())
                if role is None:
                    self._print(f"console: unknown role {args[1]!r}; use {', '.join(ROLE_WORDS)}")
                    return True
                self._roles[self.user] = role
            self._print(f"console: you are {self.user} ({self.role_of(self.user).name.lower()})")
        elif verb == "who":
            where = f"room #{self.room}" if self.room else "a private chat with the bot"
            role_name = self.role_of(self.user).name.lower()
            self._print(f"console: you are {self.user} ({role_name}) in {where}")
        elif verb == "room" and args:
            self.room = args[0].lstrip("#")
            self._print(f"console: now in room #{self.room}")
        elif verb == "dm":
            self.room = None
            self._print("console: now in a private chat with the bot")
        else:
            self._print(CONSOLE_HELP)
        return True

    def to_event(self, line: str) -> MessageIn | ChoiceIn:
        """The core event for a typed line (a number answers a pending prompt)."""
        sender = self._sender()
        is_direct = self.room is None
        room = Room(PLATFORM, f"dm:{self.user}" if is_direct else self.room or "")
        # Unique across runs: events are claimed in the database by their id.
        event_id = f"c-{self._run}-{next(self._events)}"
        options = self._prompts.get(self.user)
        stripped = line.strip()
        if options and stripped.isdigit() and 1 <= int(stripped) <= len(options):
            self._prompts.pop(self.user, None)
            return ChoiceIn(sender, room, options[int(stripped) - 1].value, is_direct, event_id)
        return MessageIn(sender, room, line, is_direct, event_id)

    async def start(self, on_event: EventHandler) -> None:
        if sys.stdin.isatty():
            self._print(CONSOLE_HELP)
        async for line in self._lines():
            if self._stop.is_set():
                break
            if not line.strip():
                continue
            if line.startswith(":") and not line.startswith("::"):
                if not self._control(line):
                    break
                continue
            await on_event(self.to_event(line))

    async def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------ output

    def _label(self, to: Room | Direct) -> str:
        if isinstance(to, Room):
            if to.room_id.startswith("dm:"):
                return f"[to {to.room_id[3:]}]"
            return f"[#{to.room_id}]"
        return f"[to {to.user_id}]"

    async def send(self, message: Outgoing) -> SendResult:
        return self._send(message)

    @singledispatchmethod
    def _send(self, message: Outgoing) -> SendResult:
        raise TypeError(f"cannot send {type(message).__name__}")

    @_send.register
    def _(self, message: TextMessage) -> SendResult:
        self._print(f"{self._label(message.to)} {message.text}")
        return SendResult(ok=True)

    @_send.register
    def _(self, message: ChoicePrompt) -> SendResult:
        lines = [f"{self._label(message.to)} {message.text}"]
        lines += [f"    {n}) {option.label}" for n, option in enumerate(message.options, 1)]
        self._print("\n".join(lines))
        user = message.to.user_id if isinstance(message.to, Direct) else self.user
        self._prompts[user] = message.options
        return SendResult(ok=True)

    def folder_of(self, owner: str) -> Path:
        """The export folder of a user or room: always inside ``export_dir``."""
        safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in owner)
        return self.export_dir / (safe if safe.strip(".") else "_")

    async def forget_files(self, user_id: str) -> None:
        """Delete everything exported for ``user_id`` (their ``forget``)."""
        folder = self.folder_of(user_id)
        if folder.is_dir():
            shutil.rmtree(folder)

    @_send.register
    def _(self, message: FileMessage) -> SendResult:
        owner = message.to.user_id if isinstance(message.to, Direct) else message.to.room_id
        folder = self.folder_of(owner.removeprefix("dm:"))
        private_folder(folder)
        path = folder / Path(message.filename).name
        write_private(path, message.content)
        self._print(f"{self._label(message.to)} {message.caption} → {path}")
        return SendResult(ok=True, value=str(path))

    @_send.register
    def _(self, message: OpenPrivateSpace) -> SendResult:
        space = f"space-{next(self._spaces)}"
        members = ", ".join(message.members)
        self._print(f"[#{space}] ({message.title}; members: {members})\n{message.intro}")
        return SendResult(ok=True, value=space)

    @_send.register
    def _(self, message: CreateVideoPlace) -> SendResult:
        return SendResult(ok=True, value=f"console-video:{message.name}")

    @_send.register
    def _(self, message: CancelVideoPlace) -> SendResult:
        return SendResult(ok=True)  # a console video place is only a name
