"""Buddy pairing tables: profiles, pairs, follow-ups, blocks, reports and rounds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

# Pair states.
PROPOSED = "proposed"
ACTIVE = "active"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
ENDED = "ended"
OPEN_STATES = (PROPOSED, ACTIVE)


class BuddyProfile(Base):
    """A participant asking for a buddy, or a volunteer offering to be one."""

    __tablename__ = "buddy_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(12))  # "participant" or "volunteer"
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[list[str]] = mapped_column(JSON, default=list)
    times: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(12), default="any")
    about: Mapped[str] = mapped_column(String(200), default="")  # shown only once matched
    # Optional, and personal: one's own gender and age band, and the wished buddy's
    # (an empty wish: anyone). Never in statistics; `mydata` shows them, `forget` erases.
    gender: Mapped[str | None] = mapped_column(String(12))
    age: Mapped[str | None] = mapped_column(String(8))  # an age band, never a birth date
    wish_gender: Mapped[list[str] | None] = mapped_column(JSON)
    wish_age: Mapped[list[str] | None] = mapped_column(JSON)
    capacity: Mapped[int] = mapped_column(default=1)
    seeking: Mapped[bool] = mapped_column(default=True)  # in the pool
    paused: Mapped[bool] = mapped_column(default=False)
    pending_notice: Mapped[str | None] = mapped_column(String(16))  # after the other side erased
    waiting_since: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]  # matching resumes by itself then
    frequency: Mapped[str | None] = mapped_column(String(12))  # "weekly" or "fortnightly"
    waiting_told_at: Mapped[datetime | None]  # last "why you still wait" message
    waiting_reason: Mapped[str | None] = mapped_column(String(40))  # "reason:language"
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BuddyPair(Base):
    """A proposed, active or finished pairing of a participant with a volunteer or peer."""

    __tablename__ = "buddy_pairs"
    __table_args__ = (Index("ix_buddy_pairs_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # "volunteer" or "peer"
    status: Mapped[str] = mapped_column(String(12), default=PROPOSED)
    participant_answer: Mapped[str | None] = mapped_column(String(8))
    partner_answer: Mapped[str | None] = mapped_column(String(8))
    shared: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(default=0.0)
    waited_days: Mapped[float] = mapped_column(default=0.0)
    proposed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    matched_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))
    space_id: Mapped[str | None] = mapped_column(String(255))
    next_followup_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_round: Mapped[int] = mapped_column(default=0)
    term_ends_at: Mapped[datetime | None] = mapped_column(index=True)  # the agreed length
    extension_asked_at: Mapped[datetime | None]
    participant_extend: Mapped[str | None] = mapped_column(String(8))  # "yes" or "no"
    partner_extend: Mapped[str | None] = mapped_column(String(8))


class BuddyFollowup(Base):
    """One "how is it going?" question to one side of a pair, and the answer."""

    __tablename__ = "buddy_followups"
    __table_args__ = (UniqueConstraint("pair_id", "person_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("buddy_pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]


class BuddyBlock(Base):
    """Someone who must never be proposed to the blocker again."""

    __tablename__ = "buddy_blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime]


class BuddyReport(Base):
    """A confidential report to the organisers."""

    __tablename__ = "buddy_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    pair_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")


class BuddyRound(Base):
    """A matching round that ran: scheduled rounds are unique per local date."""

    __tablename__ = "buddy_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[str | None] = mapped_column(String(10), unique=True)
    ran_at: Mapped[datetime]
    proposed: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)
