"""The outbox and a person's right to be forgotten: nothing of them stays in it.

``forget`` deletes the rows tied to a person, and blanks (and cancels, when unsent)
every other row written to or naming them; ``mydata`` lists what still waits for them.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.outbox import CANCELLED, ERASED_PAYLOAD, UNSENT
from bot.db.models import OutboxItem


@dataclass(frozen=True)
class Identity:
    """One account of a person: what their messages are addressed to and named by."""

    platform: str
    external_id: str
    display_name: str = ""


def payload_text(payload: dict[str, Any]) -> str:
    """Everything a stored message says, with file contents decoded, as one string."""
    parts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, str(name))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            parts.append(value)
            if key == "content":
                with contextlib.suppress(ValueError):
                    parts.append(base64.b64decode(value).decode("utf-8", "replace"))
        elif value is not None:
            parts.append(str(value))

    walk(payload)
    return "\n".join(parts)


def addressed_to(payload: dict[str, Any], identities: Sequence[Identity]) -> bool:
    """Whether a stored message is written to one of these accounts."""
    to = payload.get("to")
    members = payload.get("members") or ()
    for identity in identities:
        if isinstance(to, dict) and to.get("platform") == identity.platform:
            if to.get("user") == identity.external_id:
                return True
            if to.get("room") == f"dm:{identity.external_id}":
                return True
        if payload.get("platform") == identity.platform and identity.external_id in members:
            return True
    return False


def _name_pattern(identities: Sequence[Identity]) -> re.Pattern[str] | None:
    words = {i.external_id for i in identities if i.external_id}
    words |= {i.display_name for i in identities if len(i.display_name.strip()) >= 3}
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def mentions(payload: dict[str, Any], identities: Sequence[Identity]) -> bool:
    """Whether a stored message names one of these accounts (id or display name)."""
    pattern = _name_pattern(identities)
    return pattern is not None and pattern.search(payload_text(payload)) is not None


async def forget_person(
    session: AsyncSession, person_id: int, identities: Sequence[Identity]
) -> int:
    """Leave nothing of a person in the outbox; returns how many rows were touched.

    Rows tied to them are deleted, unsent rows addressed to any of their accounts
    are deleted, and every other row written to or naming them (a report an
    organiser got, a reminder in a room) keeps only its status and dedupe key:
    the content is blanked and an unsent one is cancelled. Erasure is rare, so
    every row is looked at, in batches.
    """
    await session.execute(delete(OutboxItem).where(OutboxItem.person_id == person_id))
    pattern = _name_pattern(identities)
    touched = 0
    last_id = 0
    while True:
        batch = (
            await session.execute(
                select(OutboxItem.id, OutboxItem.status, OutboxItem.payload, OutboxItem.result)
                .where(OutboxItem.id > last_id)
                .order_by(OutboxItem.id)
                .limit(500)
            )
        ).all()
        if not batch:
            return touched
        last_id = batch[-1].id
        remove: list[int] = []
        blank: list[int] = []
        for row_id, status, payload, result in batch:
            to_them = addressed_to(payload, identities)
            named = pattern is not None and (
                pattern.search(payload_text(payload)) is not None
                or (result is not None and pattern.search(result) is not None)
            )
            if to_them and status in UNSENT:
                remove.append(row_id)
            elif to_them or named:
                blank.append(row_id)
        if remove:
            await session.execute(
                delete(OutboxItem)
                .where(OutboxItem.id.in_(remove))
                .execution_options(synchronize_session=False)
            )
        if blank:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(blank), OutboxItem.status.in_(UNSENT))
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(blank))
                .values(payload=ERASED_PAYLOAD, result=None)
                .execution_options(synchronize_session=False)
            )
        touched += len(remove) + len(blank)


async def waiting_for(
    session: AsyncSession, person_id: int, identities: Sequence[Identity]
) -> list[dict[str, Any]]:
    """Messages not yet delivered to a person (for ``mydata``): what they say, not files."""
    rows = (
        await session.execute(
            select(OutboxItem)
            .where(OutboxItem.status.in_(UNSENT))
            .order_by(OutboxItem.due_at, OutboxItem.id)
        )
    ).scalars()
    found = []
    for row in rows:
        if row.person_id != person_id and not addressed_to(row.payload, identities):
            continue
        payload = dict(row.payload)
        if "content" in payload:
            payload["content"] = f"<{len(base64.b64decode(payload['content']))} bytes>"
        found.append(
            {
                "kind": row.kind,
                "status": row.status,
                "due_at": row.due_at.isoformat(),
                "message": payload,
            }
        )
    return found
