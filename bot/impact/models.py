"""Impact tables: who said yes, which programmes they joined, their answers (health data)
and the volunteers' pulse. Every row is a person's own and goes with ``forget``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

# Consent states of an ImpactPerson.
INVITED = "invited"  # asked once; nothing is asked again unless they say yes
YES = "yes"
NO = "no"

# Round and pulse states.
DUE = "due"  # waiting for its time (and for the weekly limit)
ASKED = "asked"  # the first question was sent
ANSWERED = "answered"  # at least one answer came (skipped items stay empty)
SKIPPED = "skipped"  # the person chose "not this time"
MISSED = "missed"  # not answered within the window; never chased


class ImpactPerson(Base):
    """Someone asked to take part in the impact measure, and what they said."""

    __tablename__ = "impact_people"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    consent: Mapped[str] = mapped_column(String(8), default=INVITED)
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]  # when they said yes or no
    first_joined_at: Mapped[datetime]  # the first programme joined
    last_asked_at: Mapped[datetime | None]  # the weekly limit
    paused_until: Mapped[datetime | None]  # after crisis words


class ImpactEnrolment(Base):
    """A programme a person joined, as a participant or as a volunteer."""

    __tablename__ = "impact_enrolments"
    __table_args__ = (UniqueConstraint("person_id", "programme", "volunteer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    programme: Mapped[str] = mapped_column(String(16))
    volunteer: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(index=True)


class ImpactRound(Base):
    """One round of the loneliness questions: at joining (month 0) or a follow-up.

    The three UCLA items are scored 1 (hardly ever) to 3 (often); the direct question
    1 (never) to 5 (always). An item the person skipped stays empty.
    """

    __tablename__ = "impact_rounds"
    __table_args__ = (
        UniqueConstraint("person_id", "month"),
        Index("ix_impact_rounds_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    month: Mapped[int]  # 0 at joining, then the configured follow-up months
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=DUE)
    asked_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    companionship: Mapped[int | None]
    left_out: Mapped[int | None]
    isolated: Mapped[int | None]
    lonely: Mapped[int | None]


class ImpactPulse(Base):
    """A volunteer's one-tap pulse after a month with a buddy or a meal hosted."""

    __tablename__ = "impact_pulses"
    __table_args__ = (
        UniqueConstraint("person_id", "ref"),
        Index("ix_impact_pulses_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    programme: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(40))  # "pair:12:1" (month 1), "meal:345"
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=DUE)
    asked_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    how: Mapped[int | None]  # 1 (badly) to 5 (very well)
    support: Mapped[str | None] = mapped_column(String(8))  # no | anon | named
    hours: Mapped[float | None] = mapped_column(Float)
