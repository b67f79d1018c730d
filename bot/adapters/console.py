"""The console adapter: try the bot in a terminal, as several people.

Lines starting with ``:`` control the console (``:as alice``, ``:as vol
volunteer``, ``:room lounge``, ``:dm``, ``:who``, ``:time +2d``, ``:quit``);
everything else is a message from the current person. Piped input works, so it
is scriptable. ``:time`` moves the application's clock, so reminders, follow-ups
and meal starts can be watched as they come; roles given with ``:as`` and the
clock's offset are kept in a small state file across restarts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import shutil
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from functools import singledispatchmethod
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.base import EventHandler
from bot.config import Config
from bot.core.answers import match_answer
from bot.core.clock import MovableClock, ShiftedClock
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
from bot.core.i18n import Translator, format_local, load_catalogs
from bot.files import private_folder, write_private

log = logging.getLogger("samvaer.console")

PLATFORM = "console"
ROLE_KEYS = {
    Role.PARTICIPANT: "role.participant",
    Role.VOLUNTEER: "role.volunteer",
    Role.ORGANISER: "role.organiser",
}
_JUMP = re.compile(r"^([+-])\s*(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_WHEN_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_time(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Where ``:time`` moves the clock: "+2d", "+3h", "+30m", "+1w" (or "-"), a local
    "2026-12-24 17:45", or a local "17:45" (the next one); None if it is none of these."""
    words = text.strip().casefold()
    jump = _JUMP.match(words.replace(" ", ""))
    if jump:
        sign, amount, unit = jump.groups()
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        return now + (delta if sign == "+" else -delta)
    for pattern in _WHEN_FORMATS:
        try:
            local = datetime.strptime(text.strip(), pattern)  # noqa: DTZ007 - zone added next
        except ValueError:
            continue
        return local.replace(tzinfo=zone)
    try:
        at = datetime.strptime(text.strip(), "%H:%M").time()  # noqa: DTZ007 - a time of day
    except ValueError:
        return None
    local_now = now.astimezone(zone)
    candidate = datetime.combine(local_now.date(), at, tzinfo=zone)
    return candidate if candidate > local_now else candidate + timedelta(days=1)


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
        translator: Translator | None = None,
        clock: MovableClock | None = None,
        state_file: Path | None = None,
    ) -> None:
        self._config = config
        self._lines = lines
        self._print = output
        self._translator = translator or Translator(load_catalogs(), config.community.language)
        self._lang = config.community.language
        self.user = config.console.user
        self.room: str | None = None
        self._roles: dict[str, Role] = {}
        # Roles from ``:as`` and the clock's offset outlive a restart.
        self._state_file = state_file or Path(config.console.export_dir) / ".console-state.json"
        offset = self._load_state()
        self.clock: MovableClock = clock or ShiftedClock(offset)
        # Set by the running application: walks the clock, doing what falls due.
        self.time_moved: Callable[[datetime], Awaitable[None]] | None = None
        self._walking = False  # a ``:time`` walk is under way: messages show their time
        self._shown_at: datetime | None = None
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

    # ------------------------------------------------------------ state

    def _load_state(self) -> timedelta:
        try:
            state = json.loads(self._state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return timedelta(0)
        roles = state.get("roles", {}) if isinstance(state, dict) else {}
        for user, name in roles.items():
            if isinstance(name, str) and name.upper() in Role.__members__:
                self._roles[str(user)] = Role[name.upper()]
        seconds = state.get("clock_offset_seconds", 0) if isinstance(state, dict) else 0
        return (
            timedelta(seconds=float(seconds)) if isinstance(seconds, int | float) else timedelta(0)
        )

    def _save_state(self) -> None:
        offset = getattr(self.clock, "offset", None)
        state = {
            "roles": {user: role.name.lower() for user, role in sorted(self._roles.items())},
            "clock_offset_seconds": offset.total_seconds() if offset is not None else 0,
        }
        try:
            private_folder(self._state_file.parent)
            write_private(
                self._state_file, json.dumps(state, ensure_ascii=False, indent=2).encode("utf-8")
            )
        except OSError as error:
            log.warning("console.state_not_saved error=%s", type(error).__name__)

    # ------------------------------------------------------------ control lines

    def _say(self, key: str, /, **values: object) -> None:
        """A control line in the operator's (the community's) language."""
        self._print(self._translator.text(self._lang, key, **values))

    def _role_name(self, user: str) -> str:
        return self._translator.text(self._lang, ROLE_KEYS[self.role_of(user)])

    def _role_words(self) -> dict[str, Role]:
        """Role names in every language (the catalogs' own words for them)."""
        words = {role.name.casefold(): role for role in ROLE_KEYS}
        for lang in self._translator.catalogs:
            for role, key in ROLE_KEYS.items():
                words.setdefault(self._translator.text(lang, key).casefold(), role)
        return words

    def _verb(self, word: str) -> str:
        """A control word in any language (":rum", ":rom", ":room") as its own name."""
        word = word.casefold()
        for verb in ("as", "room", "dm", "who", "time", "quit"):
            if word in self._words(f"console.words_{verb}"):
                return verb
        return word

    def _words(self, key: str) -> frozenset[str]:
        return frozenset(
            word.strip().casefold()
            for lang in self._translator.catalogs
            for word in self._translator.text(lang, key).split(",")
        )

    async def _control(self, line: str) -> bool:
        """Handle a ``:`` line; False means quit."""
        words = line[1:].split()
        if not words:
            self._say("console.help")
            return True
        verb, args = self._verb(words[0]), words[1:]
        if verb == "quit":
            return False
        if verb == "as" and args:
            if len(args) > 1:
                known = self._role_words()
                role = known.get(args[1].casefold())
                if role is None:
                    self._say("console.unknown_role", role=args[1], roles=", ".join(known))
                    return True
                self._roles[args[0]] = role
                self._save_state()
            self.user = args[0]
            self._say("console.you_are", user=self.user, role=self._role_name(self.user))
        elif verb == "who":
            role_name = self._role_name(self.user)
            if self.room:
                self._say("console.where_room", user=self.user, role=role_name, room=self.room)
            else:
                self._say("console.where_dm", user=self.user, role=role_name)
        elif verb == "room" and args:
            self.room = args[0].lstrip("#")
            self._say("console.now_in_room", room=self.room)
        elif verb == "dm":
            self.room = None
            self._say("console.now_in_dm")
        elif verb == "time":
            await self._time(" ".join(args))
        else:
            self._say("console.help")
        return True

    def _show(self, text: str) -> None:
        """A message from the bot; while the clock is being moved, under the time it came."""
        if self._walking:
            now = self.clock.now().replace(second=0, microsecond=0)
            if now != self._shown_at:
                self._shown_at = now
                zone = self._config.community.timezone
                self._say("console.time_passing", time=format_local(now, zone, self._lang))
        self._print(text)

    async def _time(self, text: str) -> None:
        """``:time``: show the clock, or move it (running what falls due on the way)."""
        zone_name = self._config.community.timezone
        zone = ZoneInfo(zone_name)
        if text.strip():
            if text.strip().casefold() in self._words("console.words_now"):
                # The real time again.
                target: datetime | None = self.clock.now() - getattr(
                    self.clock, "offset", timedelta(0)
                )
            else:
                target = parse_time(text, self.clock.now(), zone)
            if target is None:
                self._say("console.time_bad")
                return
            self._walking, self._shown_at = True, None
            try:
                if self.time_moved is not None:
                    await self.time_moved(target)
                else:
                    self.clock.set(target)
            finally:
                self._walking = False
            self._save_state()
            key = "console.time_moved"
        else:
            key = "console.time_is"
        shown = format_local(self.clock.now(), zone_name, self._lang)
        self._say(key, time=shown, zone=zone_name)

    def to_event(self, line: str) -> MessageIn | ChoiceIn:
        """The core event for a typed line (a number answers a pending prompt)."""
        sender = self._sender()
        is_direct = self.room is None
        room = Room(PLATFORM, f"dm:{self.user}" if is_direct else self.room or "")
        # Unique across runs: events are claimed in the database by their id.
        event_id = f"c-{self._run}-{next(self._events)}"
        options = self._prompts.pop(self.user, None)
        stripped = line.strip()
        if options and stripped.rstrip(".)").isdigit():
            # A typed number answers the last prompt shown to this person (prompts sent
            # later, from the outbox, too); where the choices are numbers, it is one.
            picked = match_answer(stripped, [option.label for option in options]).index
            if picked is not None:
                return ChoiceIn(sender, room, options[picked].value, is_direct, event_id)
        return MessageIn(sender, room, line, is_direct, event_id)

    async def start(self, on_event: EventHandler) -> None:
        if sys.stdin.isatty():
            self._say("console.help")
        async for line in self._lines():
            if self._stop.is_set():
                break
            if not line.strip():
                continue
            if line.startswith(":") and not line.startswith("::"):
                if not await self._control(line):
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

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        return self._send(message)

    @singledispatchmethod
    def _send(self, message: Outgoing) -> SendResult:
        raise TypeError(f"cannot send {type(message).__name__}")

    @_send.register
    def _(self, message: TextMessage) -> SendResult:
        self._show(f"{self._label(message.to)} {message.text}")
        return SendResult(ok=True)

    @_send.register
    def _(self, message: ChoicePrompt) -> SendResult:
        lines = [f"{self._label(message.to)} {message.text}"]
        lines += [f"    {n}) {option.label}" for n, option in enumerate(message.options, 1)]
        self._show("\n".join(lines))
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
        self._show(f"{self._label(message.to)} {message.caption} → {path}")
        return SendResult(ok=True, value=str(path))

    @_send.register
    def _(self, message: OpenPrivateSpace) -> SendResult:
        space = f"space-{next(self._spaces)}"
        members = ", ".join(message.members)
        self._show(f"[#{space}] ({message.title}; members: {members})\n{message.intro}")
        return SendResult(ok=True, value=space)

    @_send.register
    def _(self, message: CreateVideoPlace) -> SendResult:
        return SendResult(ok=True, value=f"console-video:{message.name}")

    @_send.register
    def _(self, message: CancelVideoPlace) -> SendResult:
        return SendResult(ok=True)  # a console video place is only a name
