"""Core tables: people and their platform accounts, consents, dialogs, outbox, leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class Person(Base):
    """One human; may have accounts on several platforms."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    consent_checkins: Mapped[bool] = mapped_column(default=False)
    consent_share: Mapped[bool] = mapped_column(default=False)
    consent_buddies: Mapped[bool] = mapped_column(default=False)
    # "22:00-08:00", "off" (none), or None: the community's (bot.core.quiet)
    quiet_hours: Mapped[str | None] = mapped_column(String(11))


class Account(Base):
    """A platform identity (a Discord user id, a Matrix user id, a console name)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[int] = mapped_column(
        default=0
    )  # last role the platform gave (bot.core.events.Role)
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ConsentEvent(Base):
    """When a person gave or withdrew a consent."""

    __tablename__ = "consent_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    consent: Mapped[str] = mapped_column(String(32))
    given: Mapped[bool]
    at: Mapped[datetime]


class Dialog(Base):
    """A multi-step conversation in progress, keyed by (platform, room, user)."""

    __tablename__ = "dialogs"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime]


class OutboxItem(Base):
    """A message that must reach someone: claimed, sent and marked exactly once."""

    __tablename__ = "outbox"
    # AUTOINCREMENT: ids are never reused after deletes (erasure, retention), so the
    # delivery key "samvaer-<id>" a platform dedupes on is never given to a new message.
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "due_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class RoomBinding(Base):
    """A room bound to a feature by an organiser's command (the config may add more)."""

    __tablename__ = "room_bindings"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    bound_at: Mapped[datetime]


class JobLease(Base):
    """Timed work done once per period, whichever process wakes first."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]


class EventClaim(Base):
    """An incoming platform event some process has taken on: each is handled once.

    Claimed with ``INSERT … ON CONFLICT DO NOTHING`` before handling, so a second
    process (or a re-delivered event) finds it taken. Pruned by retention.
    """

    __tablename__ = "event_claims"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(index=True)
