"""The small frozen dataclasses the core sees: events in, messages out.

Adapters translate platform objects into these and back; nothing in the core
knows about Discord or Matrix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.IntEnum):
    """What a person may do. Higher roles include the lower ones."""

    PARTICIPANT = 0
    VOLUNTEER = 1
    ORGANISER = 2


@dataclass(frozen=True)
class Sender:
    """Who sent an event, with the roles the adapter resolved from the platform and config."""

    platform: str
    user_id: str
    display_name: str
    role: Role = Role.PARTICIPANT
    locale: str | None = None


@dataclass(frozen=True)
class Room:
    """A shared room or channel on a platform."""

    platform: str
    room_id: str


@dataclass(frozen=True)
class Direct:
    """A direct (private) conversation with one user on a platform."""

    platform: str
    user_id: str


Destination = Room | Direct


# ---------------------------------------------------------------- actions

Arg = str | int
"""One argument value of an :class:`Invoke`, as the handler's converter takes it."""


@dataclass(frozen=True)
class Invoke:
    """Run a command with these argument values: what a button or a slash command does.

    ``command`` is the canonical name (``"meal join"``); ``args`` fill the handler's
    parameters in order and ``named`` by parameter name (a slash command's options). The
    registry binds them with the same converters and checks as typed text, but nothing
    is written out as a command line and parsed again, so a ``"`` or a space in a value
    arrives as it was.
    """

    command: str
    args: tuple[Arg, ...] = ()
    named: tuple[tuple[str, Arg], ...] = ()

    def words(self) -> str:
        """The argument values as one text (looked through for crisis words)."""
        values = [*self.args, *(value for _name, value in self.named)]
        return " ".join(str(value) for value in values)


Action = str | Invoke
"""What picking an option does: a plain dialog answer (text) or a command to run."""


def invoke(command: str, *args: Arg) -> Invoke:
    """The action that runs ``command`` with ``args``: ``invoke("meal join", code)``."""
    return Invoke(command, tuple(args))


# ---------------------------------------------------------------- incoming


@dataclass(frozen=True)
class MessageIn:
    """A text message typed by a user."""

    sender: Sender
    room: Room
    text: str
    is_direct: bool
    event_id: str = ""
    is_edit: bool = False
    """An edit of an earlier message: checked for crisis words, never run as a command."""


@dataclass(frozen=True)
class ChoiceIn:
    """A button press or reaction that picked one option of a choice prompt.

    ``value`` is the option's action: a command to run or a dialog answer, so a
    tap does exactly what typing it would.
    """

    sender: Sender
    room: Room
    value: Action
    is_direct: bool
    event_id: str = ""


@dataclass(frozen=True)
class CommandIn:
    """A command called with its arguments already apart (a Discord slash command).

    Runs like the same command typed, in a direct chat or a room, but its values
    reach the handler as given: no command line is written and parsed again.
    """

    sender: Sender
    room: Room
    invoke: Invoke
    is_direct: bool
    event_id: str = ""


@dataclass(frozen=True)
class MemberJoined:
    """Someone joined a room the bot is in."""

    sender: Sender
    room: Room


Incoming = MessageIn | ChoiceIn | CommandIn | MemberJoined


# ---------------------------------------------------------------- outgoing


@dataclass(frozen=True)
class Option:
    """One choice of a prompt: a short label and the action taken when it is picked."""

    label: str
    value: Action


@dataclass(frozen=True)
class TextMessage:
    """Plain text (Markdown-light: *bold* and line breaks) to a room or a person."""

    to: Destination
    text: str
    reply_to: str = ""
    recipient_role: Role = Role.PARTICIPANT
    """Sent to a :class:`Direct` only if that person holds this role on the platform
    at the moment of sending (alerts, confidential reports); otherwise refused."""
    private_answer_note: bool = False
    """The room's one neutral line saying a private answer was given. An adapter that
    answered ephemerally (seen by that person alone) leaves it out."""
    crisis_lines: bool = False
    """The crisis reply: sent at once, before anything that waits on the database."""


@dataclass(frozen=True)
class ChoicePrompt:
    """A question with options: buttons on Discord, reactions on Matrix, numbers everywhere."""

    to: Destination
    text: str
    options: tuple[Option, ...]
    reply_to: str = ""
    recipient_role: Role = Role.PARTICIPANT


@dataclass(frozen=True)
class FileMessage:
    """A file (JSON export, chart image, calendar file) with a caption."""

    to: Destination
    filename: str
    content: bytes
    mime_type: str
    caption: str = ""


@dataclass(frozen=True)
class OpenPrivateSpace:
    """Open a private space (Matrix room, Discord thread) for these members.

    The adapter posts ``intro`` there and returns the space id.
    """

    platform: str
    members: tuple[str, ...]
    title: str
    intro: str
    reference: str = ""


@dataclass(frozen=True)
class PlaceRef:
    """What a video place is for, so the adapter's answer finds its way back:
    ``PlaceRef("meal_table", (occurrence_id, table_no))``.

    Its text (``meal_table:12:3``) is what the outbox keeps, as it did before the
    reference was typed; :meth:`parse` reads both.
    """

    kind: str
    ids: tuple[int, ...] = ()

    def __str__(self) -> str:
        return ":".join([self.kind, *(str(number) for number in self.ids)])

    @classmethod
    def parse(cls, text: str) -> PlaceRef:
        """The reference a text names; one that is not ``kind:1:2`` is kept whole as its kind."""
        kind, *numbers = text.split(":")
        if numbers and all(n.isdigit() and str(int(n)) == n for n in numbers):
            return cls(kind, tuple(int(n) for n in numbers))
        return cls(text)


@dataclass(frozen=True)
class CreateVideoPlace:
    """Make a video place (voice channel, call link) and return its URL or id.

    With ``starts_at`` (aware) an adapter that can also puts it in the calendar
    (a Discord scheduled event) for ``minutes``.
    """

    platform: str
    kind: str
    name: str
    starts_at: datetime | None = None
    minutes: int = 60
    reference: PlaceRef | None = None


@dataclass(frozen=True)
class CancelVideoPlace:
    """Call off a video place made earlier (on Discord: cancel its scheduled event).

    ``place_id`` is what the adapter returned when it made the place; ``starts_at``
    says which date when one place serves a series. Adapters with nothing to cancel
    answer ok.
    """

    platform: str
    reference: PlaceRef | None
    place_id: str
    starts_at: datetime | None = None


@dataclass(frozen=True)
class PublishEvent:
    """Show a planned gathering the platform's own way, or update it (``event_id`` given).

    Discord: a guild scheduled event, repeating every ``every_weeks`` weeks when not 0;
    Matrix: a one-click video widget in ``room_id``. ``place`` is where people meet: a
    call link, or the link of a voice channel the adapter made. The adapter returns the
    id to update or withdraw it with as the result's value; when the platform refuses
    (a missing permission), the result is ok with ``extra["refused"]`` naming why.
    """

    platform: str
    reference: str
    name: str
    starts_at: datetime
    minutes: int = 60
    every_weeks: int = 0
    place: str = ""
    description: str = ""
    room_id: str = ""
    event_id: str = ""


@dataclass(frozen=True)
class WithdrawEvent:
    """Take back what a :class:`PublishEvent` made (the gathering was called off).

    ``event_id`` is the value the adapter returned; a place already gone is ok.
    """

    platform: str
    reference: str
    event_id: str


@dataclass(frozen=True)
class ForgetFiles:
    """Delete every file the adapter wrote for ``user_id`` (their erasure, ``forget``).

    Adapters that write no files of their own never see it: the app answers ok.
    """

    platform: str
    user_id: str


Outgoing = (
    TextMessage
    | ChoicePrompt
    | FileMessage
    | OpenPrivateSpace
    | CreateVideoPlace
    | CancelVideoPlace
    | PublishEvent
    | WithdrawEvent
    | ForgetFiles
)


@dataclass(frozen=True)
class SendResult:
    """What an adapter reports after sending: ok, or a failure that may be retried later."""

    ok: bool
    value: str = ""
    retry: bool = True
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def outgoing_platform(message: Outgoing) -> str:
    """The platform an outgoing message must be sent on."""
    if isinstance(
        message,
        OpenPrivateSpace
        | CreateVideoPlace
        | CancelVideoPlace
        | PublishEvent
        | WithdrawEvent
        | ForgetFiles,
    ):
        return message.platform
    return message.to.platform
