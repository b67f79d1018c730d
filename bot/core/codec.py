"""Outgoing messages to and from JSON, for the persisted outbox; actions to and from text.

An option's action travels as one short text wherever it leaves the process (the
outbox, a stored question, a Discord button's custom id, a Matrix prompt kept for
its reactions): :func:`encode_action` writes it and :func:`decode_action` reads it,
including the forms written before actions were typed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from bot.core.events import (
    Action,
    Arg,
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    ForgetFiles,
    Invoke,
    OpenPrivateSpace,
    Option,
    Outgoing,
    PlaceRef,
    PublishEvent,
    Role,
    Room,
    TextMessage,
    WithdrawEvent,
)

COMMAND_OPTION = "cmd:"
"""The old form of a command option: ``cmd:`` and a command line (still read, never written)."""
INVOKE = "run:"
"""An :class:`Invoke`: ``run:`` and a compact JSON list ``[command, *args]``, with an
object of named arguments last when there are any."""
DIALOG_ANSWER = "say:"
"""A plain answer that would otherwise be mistaken for one of the forms above."""


def encode_action(action: Action) -> str:
    """One short text for an option's action (see :func:`decode_action`)."""
    if isinstance(action, Invoke):
        items: list[Any] = [action.command, *action.args]
        if action.named:
            items.append(dict(action.named))
        return INVOKE + json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    if action.startswith((INVOKE, DIALOG_ANSWER)):
        return DIALOG_ANSWER + action
    return action


def decode_action(text: str) -> Action:
    """The action :func:`encode_action` wrote; anything else is a plain answer as it is.

    An old ``cmd:<command line>`` stays text: the dispatcher still runs it as a typed
    command, so buttons and stored rows from before typed actions keep working.
    """
    if text.startswith(DIALOG_ANSWER):
        return text[len(DIALOG_ANSWER) :]
    if not text.startswith(INVOKE):
        return text
    try:
        items = json.loads(text[len(INVOKE) :])
    except ValueError:
        return text
    if not isinstance(items, list) or not items or not isinstance(items[0], str):
        return text
    named: dict[str, Arg] = items.pop() if len(items) > 1 and isinstance(items[-1], dict) else {}
    args = tuple(item for item in items[1:] if isinstance(item, str | int))
    return Invoke(items[0], args, tuple((str(k), v) for k, v in named.items()))


def command_of(action: Action) -> Invoke | str | None:
    """The command picking the option runs: an :class:`Invoke`, the command line of an
    old ``cmd:`` value, or None for a plain dialog answer."""
    if isinstance(action, Invoke):
        return action
    if action.startswith(COMMAND_OPTION):
        return action[len(COMMAND_OPTION) :]
    return None


_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        TextMessage,
        ChoicePrompt,
        FileMessage,
        OpenPrivateSpace,
        CreateVideoPlace,
        CancelVideoPlace,
        PublishEvent,
        WithdrawEvent,
        ForgetFiles,
    )
}


def _encode_destination(to: Destination) -> dict[str, str]:
    if isinstance(to, Room):
        return {"room": to.room_id, "platform": to.platform}
    return {"user": to.user_id, "platform": to.platform}


def _decode_destination(data: dict[str, str]) -> Destination:
    if "room" in data:
        return Room(data["platform"], data["room"])
    return Direct(data["platform"], data["user"])


def _aware(iso: str) -> datetime:
    """A moment from ISO text, read as UTC when it carries no offset."""
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def encode(message: Outgoing) -> dict[str, Any]:
    """A JSON-safe dict for an outgoing message."""
    data: dict[str, Any] = {"type": type(message).__name__}
    for item in fields(message):
        value = getattr(message, item.name)
        if item.name == "to":
            value = _encode_destination(value)
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, PlaceRef):
            value = str(value)
        elif item.name == "options":
            value = [
                {"label": option.label, "value": encode_action(option.value)} for option in value
            ]
        elif isinstance(value, tuple):
            value = list(value)
        data[item.name] = value
    return data


def decode(data: dict[str, Any]) -> Outgoing:
    """The outgoing message a dict from :func:`encode` describes."""
    cls = _TYPES[data["type"]]
    kwargs: dict[str, Any] = {}
    if "starts_at_iso" in data:  # rows written before start times were typed (ISO text)
        data = {**data, "starts_at": data["starts_at_iso"] or None}
    for item in fields(cls):
        if item.name not in data:
            continue
        value = data[item.name]
        if item.name == "starts_at":
            value = _aware(value) if value else None
        elif item.name == "reference" and cls in (CreateVideoPlace, CancelVideoPlace):
            value = PlaceRef.parse(value) if value else None
        elif item.name == "to":
            value = _decode_destination(value)
        elif item.name == "content":
            value = base64.b64decode(value)
        elif item.name == "options":
            value = tuple(
                Option(option["label"], decode_action(option["value"])) for option in value
            )
        elif item.name == "recipient_role":
            value = Role(value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[item.name] = value
    message: Outgoing = cls(**kwargs)
    return message
