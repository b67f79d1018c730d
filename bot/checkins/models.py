"""Check-in tables: entries (health data, kept only with consent), reminder schedules, alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class CheckinEntry(Base):
    """One check-in: a mood from 1 (very bad) to 5 (very good) and an optional note."""

    __tablename__ = "checkin_entries"
    __table_args__ = (Index("ix_checkin_entries_person_created", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    mood: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    # What recorded it: "checkin" by the person, or another feature (e.g. "meal") reusing it.
    source: Mapped[str] = mapped_column(String(16), default="checkin")
    created_at: Mapped[datetime] = mapped_column(index=True)


class CheckinSchedule(Base):
    """Someone's reminder: weekdays and a local time, with the next due instant computed."""

    __tablename__ = "checkin_schedules"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    weekdays: Mapped[str] = mapped_column(String(7))  # digits, Monday is 0: "0123456" is daily
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM"
    timezone: Mapped[str] = mapped_column(String(64))
    next_due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]


class CheckinAlert(Base):
    """A consented "someone may need a call" for volunteers; one per episode."""

    __tablename__ = "checkin_alerts"
    __table_args__ = (UniqueConstraint("person_id", "reason", "episode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # low_mood | missed | crisis
    episode: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime]
    created_at: Mapped[datetime]
    acked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    acked_at: Mapped[datetime | None]
    # Honesty towards the person: they hear "a volunteer has been told" only once an
    # alert was handed to a current volunteer, and "nobody can be reached" otherwise.
    tell_person: Mapped[bool] = mapped_column(default=False)
    delivered_at: Mapped[datetime | None]
    person_told: Mapped[str] = mapped_column(String(12), default="")  # "" | delivered | unreachable
    escalated_at: Mapped[datetime | None]
