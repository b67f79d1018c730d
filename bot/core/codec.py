"""Outgoing messages to and from JSON, for the persisted outbox."""

from __future__ import annotations

import base64
from dataclasses import asdict, fields
from typing import Any

from bot.core.events import (
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    ForgetFiles,
    OpenPrivateSpace,
    Option,
    Outgoing,
    PublishEvent,
    Role,
    Room,
    TextMessage,
    WithdrawEvent,
)

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


def encode(message: Outgoing) -> dict[str, Any]:
    """A JSON-safe dict for an outgoing message."""
    data: dict[str, Any] = {"type": type(message).__name__}
    for item in fields(message):
        value = getattr(message, item.name)
        if item.name == "to":
            value = _encode_destination(value)
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif item.name == "options":
            value = [asdict(option) for option in value]
        elif isinstance(value, tuple):
            value = list(value)
        data[item.name] = value
    return data


def decode(data: dict[str, Any]) -> Outgoing:
    """The outgoing message a dict from :func:`encode` describes."""
    cls = _TYPES[data["type"]]
    kwargs: dict[str, Any] = {}
    for item in fields(cls):
        if item.name not in data:
            continue
        value = data[item.name]
        if item.name == "to":
            value = _decode_destination(value)
        elif item.name == "content":
            value = base64.b64decode(value)
        elif item.name == "options":
            value = tuple(Option(**option) for option in value)
        elif item.name == "recipient_role":
            value = Role(value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[item.name] = value
    message: Outgoing = cls(**kwargs)
    return message
