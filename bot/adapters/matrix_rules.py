"""Pure decisions and persisted state for the Matrix adapter (no network, no nio).

Kept apart from :mod:`bot.adapters.matrix` so they can be tested without a
homeserver: how text becomes HTML, which reaction picks which option, whose
invites are accepted, what role a power level gives, and the small state
file that lets a restart pick up exactly where the last run stopped.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from bot.core.answers import match_answer
from bot.core.codec import decode_action, encode_action
from bot.core.events import Option, Role
from bot.files import make_private, open_private, private_folder

#: Reaction keys offered under a choice prompt, one per option (at most ten).
NUMBER_KEYS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_URL = re.compile(r"(https?://[^\s<]+[^\s<.,;:!?)\]'\"])")
_LINK_OPEN, _LINK_CLOSE = "\ue000", "\ue001"  # private-use marks around a held link
_HELD_LINK = re.compile("\ue000([0-9]+)\ue001")
_MEMORY = 2000  # event ids remembered for de-duplication
_PROMPT_MEMORY = 500  # choice prompts whose reactions are still understood


def server_of(user_id: str) -> str:
    """``@alice:example.org`` → ``example.org``."""
    return user_id.partition(":")[2]


def invite_allowed(inviter: str, own_user_id: str, allowed_servers: Iterable[str]) -> bool:
    """Invites are accepted from the bot's own server and from the allowed ones."""
    server = server_of(inviter)
    return bool(server) and (server == server_of(own_user_id) or server in set(allowed_servers))


def invite_refusal(
    *,
    inviter: str,
    own_user_id: str,
    allowed_servers: Iterable[str],
    as_direct: bool,
    room_bound: bool,
    inviter_role: Role,
) -> str | None:
    """Why an invite is declined, or None to accept it (before the limits are counted).

    A direct chat may be opened by anyone on the bot's own or an allowed server;
    the bot joins any other room only when a volunteer or organiser invites it,
    or when the config binds that room to a feature.
    """
    if not invite_allowed(inviter, own_user_id, allowed_servers):
        return "server"
    if not as_direct and not room_bound and inviter_role < Role.VOLUNTEER:
        return "role"
    return None


class InviteBudget:
    """How many invites are joined within a day: per inviter and in all."""

    def __init__(self, per_inviter: int, overall: int, window: float = 86_400.0) -> None:
        self.per_inviter = per_inviter
        self.overall = overall
        self.window = window
        self._taken: list[tuple[float, str]] = []

    def take(self, inviter: str, now: float) -> bool:
        """Count one joined invite from ``inviter`` at ``now``; False when over a limit."""
        self._taken = [(when, who) for when, who in self._taken if now - when < self.window]
        if len(self._taken) >= self.overall:
            return False
        if sum(1 for _when, who in self._taken if who == inviter) >= self.per_inviter:
            return False
        self._taken.append((now, inviter))
        return True


# ---------------------------------------------------------------- direct rooms


@dataclass(frozen=True)
class RoomFacts:
    """What decides whether a room is private to two people.

    ``members`` maps everyone the room has ever held (as far as known) to their
    membership now: ``join``, ``invite``, ``leave``, ``ban`` or ``knock``.
    """

    members: Mapping[str, str]
    creators: frozenset[str]
    join_rule: str
    history_visibility: str


def facts_from_state(events: Iterable[Mapping[str, Any]]) -> RoomFacts:
    """The facts from a room's full state as the homeserver gives it (``/rooms/{id}/state``)."""
    members: dict[str, str] = {}
    creators: frozenset[str] = frozenset()
    join_rule = ""
    history = ""
    for event in events:
        kind = event.get("type")
        content = event.get("content", {})
        if not isinstance(content, Mapping):
            continue
        if kind == "m.room.member":
            members[str(event.get("state_key", ""))] = str(content.get("membership", ""))
        elif kind == "m.room.create":
            creators = room_creators(event)
        elif kind == "m.room.join_rules":
            join_rule = str(content.get("join_rule", ""))
        elif kind == "m.room.history_visibility":
            history = str(content.get("history_visibility", ""))
    return RoomFacts(members, creators, join_rule, history)


class SyncedRoom(Protocol):
    """What :func:`facts_from_room` reads of a synced room (nio's ``MatrixRoom``)."""

    @property
    def users(self) -> Mapping[str, object]: ...

    @property
    def invited_users(self) -> Mapping[str, object]: ...

    @property
    def join_rule(self) -> str: ...

    @property
    def history_visibility(self) -> str: ...


def facts_from_room(
    room: SyncedRoom, creators: Iterable[str], ever_members: Iterable[str]
) -> RoomFacts:
    """The facts from a synced room object (nio's ``MatrixRoom``) and who was ever in it.

    nio forgets people once they leave, so those the adapter saw come and go are
    passed in as ``ever_members`` and count as having left.
    """
    members = dict.fromkeys(ever_members, "leave")
    for user_id in room.users:
        members[user_id] = "invite" if user_id in room.invited_users else "join"
    return RoomFacts(members, frozenset(creators), room.join_rule, room.history_visibility)


def private_with(facts: RoomFacts, own_user_id: str, user_id: str) -> bool:
    """Whether only the bot and ``user_id`` can read the room, now and later.

    Both are in it (the person may still be invited to a room the bot made),
    nobody else ever was, it was made by one of them, nobody can join without
    an invite, and its history is not readable from outside.
    """
    pair = {own_user_id, user_id}
    if own_user_id == user_id or set(facts.members) != pair:
        return False
    if facts.members[own_user_id] != "join":
        return False
    person = facts.members[user_id]
    if not (person == "join" or (person == "invite" and own_user_id in facts.creators)):
        return False
    if not facts.creators or not facts.creators <= pair:
        return False
    return facts.join_rule == "invite" and facts.history_visibility != "world_readable"


#: Room creators in room version 12 and later are above every power level.
CREATOR_LEVEL = 2**53 - 1


def room_creators(create_event: Mapping[str, Any]) -> frozenset[str]:
    """The creators named by an ``m.room.create`` event (sender plus additional creators)."""
    content = create_event.get("content", {})
    if not isinstance(content, Mapping):
        content = {}
    extra = content.get("additional_creators", [])
    extra = [*extra] if isinstance(extra, list) else []
    # Room versions before 11 also name the creator in the content.
    named = content.get("creator", "")
    return frozenset([str(create_event.get("sender", "")), str(named), *map(str, extra)]) - {""}


def creators_outrank_all(room_version: str) -> bool:
    """Whether the room version gives its creators infinite power (12 and later)."""
    return room_version.isdigit() and int(room_version) >= 12


def role_from(
    user_id: str,
    *,
    organisers: Iterable[str],
    volunteers: Iterable[str],
    power_level: int,
    organiser_level: int,
    volunteer_level: int,
) -> Role:
    """The higher of the role the config lists give and the one the power level gives."""
    role = Role.PARTICIPANT
    if user_id in set(volunteers) or power_level >= volunteer_level:
        role = Role.VOLUNTEER
    if user_id in set(organisers) or power_level >= organiser_level:
        role = Role.ORGANISER
    return role


def power_level_of(content: Mapping[str, Any], user_id: str) -> int:
    """A level from an ``m.room.power_levels`` content: ``users``, else ``users_default``."""
    users = content.get("users", {})
    default = content.get("users_default", 0)
    value = users.get(user_id, default) if isinstance(users, Mapping) else default
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def to_html(text: str) -> str:
    """Markdown-light text (``*bold*``, line breaks, bare links) as Matrix HTML.

    Everything is escaped, quotes included; a link's address is escaped on its
    own for the ``href``, so no text can close the attribute or add another.
    """
    text = text.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "")
    links: list[str] = []

    def hold(match: re.Match[str]) -> str:
        links.append(match.group(1))
        return f"{_LINK_OPEN}{len(links) - 1}{_LINK_CLOSE}"

    escaped = html.escape(_URL.sub(hold, text), quote=True)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)

    def link(match: re.Match[str]) -> str:
        url = html.escape(links[int(match.group(1))], quote=True)
        return f'<a href="{url}">{url}</a>'

    escaped = _HELD_LINK.sub(link, escaped)
    return escaped.replace("\n", "<br>")


def to_plain(text: str) -> str:
    """The plain-text fallback: the same text without the bold markers."""
    return _BOLD.sub(r"\1", text)


def prompt_text(text: str, options: Iterable[Option]) -> str:
    """A prompt as text followed by one numbered line per option."""
    lines = [text, ""]
    for number, option in enumerate(options, 1):
        key = NUMBER_KEYS[number - 1] if number <= len(NUMBER_KEYS) else f"{number}."
        lines.append(f"{key} {option.label}")
    return "\n".join(lines)


def option_number(reaction_key: str) -> int | None:
    """Which option (1-based) a reaction key picks, or None."""
    # Some clients drop the variation selector: "1⃣" as well as "1️⃣".
    normalised = reaction_key.replace("\ufe0f", "")
    for number, key in enumerate(NUMBER_KEYS, 1):
        if normalised == key.replace("\ufe0f", ""):
            return number
    return None


def typed_option(text: str, labels: Sequence[str]) -> int | None:
    """The option (0-based) a typed number picks: its position, or, where the options
    are numbers themselves (seats), the option with that number ("4" is four)."""
    stripped = text.strip().rstrip(".)")
    if not (stripped.isascii() and stripped.isdigit()):
        return None
    return match_answer(stripped, labels).index


def may_answer(prompt: PendingPrompt, user_id: str, *, typed: bool) -> bool:
    """Whether ``user_id`` may answer the prompt, by typing its number or by a reaction.

    A prompt for one person is answered only by that person. A prompt for
    everyone (an announcement) takes reactions from anyone, each for themselves,
    but no typed numbers: a digit in a room is not a choice.
    """
    if prompt.for_user:
        return prompt.for_user == user_id
    return not typed


def edited_text(content: Mapping[str, Any]) -> str | None:
    """The new text of an edit (``m.replace``), or None when the event is no edit."""
    relates = content.get("m.relates_to", {})
    if not isinstance(relates, Mapping) or relates.get("rel_type") != "m.replace":
        return None
    new = content.get("m.new_content", {})
    body = new.get("body") if isinstance(new, Mapping) else None
    return body if isinstance(body, str) else ""


def strip_reply_fallback(body: str) -> str:
    """A reply's body without the quoted lines clients put in front of it."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    return "\n".join(lines[index:])


def is_file_image(mime_type: str) -> bool:
    return mime_type.startswith("image/")


# ---------------------------------------------------------------- persisted state


@dataclass
class Session:
    """The login to reuse after a restart (kept in ``session.json``, readable by the owner only)."""

    homeserver: str
    user_id: str
    device_id: str
    access_token: str


@dataclass
class PendingPrompt:
    """A choice prompt the bot posted: its options, and who may answer by typing a number."""

    options: tuple[Option, ...]
    for_user: str = ""

    @cached_property
    def as_json(self) -> dict[str, Any]:
        """Its form in the state file, made once (the state is saved again and again)."""
        options = [[o.label, encode_action(o.value)] for o in self.options]
        return {"options": options, "for_user": self.for_user}


@dataclass
class SyncState:
    """What a restart needs: where the last sync stopped and what was already handled."""

    next_batch: str = ""
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    directs: dict[str, str] = field(default_factory=dict)
    prompts: OrderedDict[str, PendingPrompt] = field(default_factory=OrderedDict)
    typed: dict[str, str] = field(default_factory=dict)
    unused_rooms: dict[str, float] = field(default_factory=dict)
    """Rooms joined on an invite and not used yet: room id -> when joined (epoch seconds)."""

    def mark_seen(self, event_id: str) -> bool:
        """Remember an event id; False when it was already handled."""
        if event_id in self.seen:
            return False
        self.seen[event_id] = None
        while len(self.seen) > _MEMORY:
            self.seen.popitem(last=False)
        return True

    def remember_prompt(self, room_id: str, event_id: str, prompt: PendingPrompt) -> None:
        self.prompts[f"{room_id} {event_id}"] = prompt
        while len(self.prompts) > _PROMPT_MEMORY:
            self.prompts.popitem(last=False)
        self.typed[room_id] = event_id

    def prompt(self, room_id: str, event_id: str) -> PendingPrompt | None:
        return self.prompts.get(f"{room_id} {event_id}")

    def to_json(self) -> dict[str, Any]:
        return {
            "next_batch": self.next_batch,
            "seen": list(self.seen),
            "directs": dict(self.directs),
            "prompts": {key: prompt.as_json for key, prompt in self.prompts.items()},
            # Copies: the file may be written in another thread while these change.
            "typed": dict(self.typed),
            "unused_rooms": dict(self.unused_rooms),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncState:
        prompts: OrderedDict[str, PendingPrompt] = OrderedDict()
        for key, value in dict(data.get("prompts", {})).items():
            options = tuple(
                Option(str(label), decode_action(str(v))) for label, v in value["options"]
            )
            prompts[str(key)] = PendingPrompt(options, str(value.get("for_user", "")))
        return cls(
            next_batch=str(data.get("next_batch", "")),
            seen=OrderedDict.fromkeys(str(e) for e in data.get("seen", [])),
            directs={str(k): str(v) for k, v in dict(data.get("directs", {})).items()},
            prompts=prompts,
            typed={str(k): str(v) for k, v in dict(data.get("typed", {})).items()},
            unused_rooms={str(k): float(v) for k, v in dict(data.get("unused_rooms", {})).items()},
        )


class StateStore:
    """Files under ``store_path``: ``session.json`` (the login) and ``sync.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def secure(self) -> None:
        """Create the folder; make it 0700 and the files in it 0600 (nio's keys live here)."""
        private_folder(self.directory)
        for path in self.directory.iterdir():
            if path.is_file() and not path.is_symlink():
                make_private(path)

    def _write(self, name: str, data: Mapping[str, Any]) -> None:
        private_folder(self.directory)
        target = self.directory / name
        temporary = target.with_suffix(".tmp")
        text = json.dumps(data, separators=(",", ":"))
        # Written aside, flushed to disk, then renamed: a crash leaves the old file or
        # the new one, never half of one.
        with os.fdopen(open_private(temporary), "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.directory / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def load_session(self) -> Session | None:
        data = self._read("session.json")
        if data is None:
            return None
        try:
            return Session(
                str(data["homeserver"]),
                str(data["user_id"]),
                str(data["device_id"]),
                str(data["access_token"]),
            )
        except KeyError:
            return None

    def save_session(self, session: Session) -> None:
        self._write("session.json", session.__dict__)

    def forget_session(self) -> None:
        (self.directory / "session.json").unlink(missing_ok=True)

    def load_sync(self) -> SyncState:
        data = self._read("sync.json")
        return SyncState.from_json(data) if data else SyncState()

    def save_sync(self, state: SyncState) -> None:
        self._write("sync.json", state.to_json())

    def save_sync_data(self, data: Mapping[str, Any]) -> None:
        """Write a snapshot made by :meth:`SyncState.to_json` (from a worker thread)."""
        self._write("sync.json", data)
