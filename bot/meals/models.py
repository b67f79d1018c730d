"""Shared meals: the meal (one-off or a weekly series), its occurrences, seats and feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

SCHEDULED = "scheduled"
CANCELLED = "cancelled"

JOINED = "joined"
WAITING = "waiting"
GUEST = "guest"  # came ("meal here") without having taken a seat
OFFERED = "offered"  # a freed seat held for the first on the waiting list until they answer
MAYBE = "maybe"  # "perhaps": counted apart, holds no seat


class Meal(Base):
    """A meal as the host scheduled it: once, or every N weeks at the same local time."""

    __tablename__ = "meal_meals"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    host_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[str] = mapped_column(String(255), default="")  # "" when scheduled in a DM
    timezone: Mapped[str] = mapped_column(String(64))
    local_time: Mapped[str] = mapped_column(String(5))  # "18:00" in ``timezone``
    first_date: Mapped[str] = mapped_column(String(10))  # local date of the first occurrence
    every_weeks: Mapped[int] = mapped_column(default=0)  # 0: once
    minutes: Mapped[int] = mapped_column(default=60)
    capacity: Mapped[int]
    minimum: Mapped[int] = mapped_column(default=0)  # 0: none; fewer joined → the host is asked
    video_kind: Mapped[str] = mapped_column(String(16))  # jitsi | element | discord | url
    video_url: Mapped[str] = mapped_column(Text, default="")  # for "url": the address given
    # Where the platform shows the meal itself (a Discord event, a Matrix room widget):
    # the id its adapter returned, "" while there is none. Nothing personal.
    native_event_id: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # The meal's own call link (table 1 of every date) where the room shows it: "" otherwise.
    place_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    planned_until: Mapped[datetime]  # start of the last occurrence made so far
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class MealSubscription(Base):
    """Someone who joined every occurrence of a series (``meal join <id> all``)."""

    __tablename__ = "meal_subscriptions"

    meal_id: Mapped[int] = mapped_column(
        ForeignKey("meal_meals.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_volunteer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class MealOccurrence(Base):
    """One date of a meal; ``taken`` counts joined seats and can never pass ``capacity``."""

    __tablename__ = "meal_occurrences"
    __table_args__ = (
        UniqueConstraint("meal_id", "starts_at"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="seats"),
        Index("ix_meal_occurrences_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meal_id: Mapped[int] = mapped_column(ForeignKey("meal_meals.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
    reminders_done: Mapped[int] = mapped_column(default=0)
    start_announced: Mapped[bool] = mapped_column(default=False)
    feedback_asked: Mapped[bool] = mapped_column(default=False)
    minimum_checked: Mapped[bool] = mapped_column(default=False)
    one_table: Mapped[bool] = mapped_column(default=False)  # the host merged the tables
    cancelled_at: Mapped[datetime | None]


class MealRsvp(Base):
    """A seat (or a place on the waiting list) at one occurrence."""

    __tablename__ = "meal_rsvps"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "person_id"),
        Index("ix_meal_rsvps_occurrence_status", "occurrence_id", "status", "id"),
        Index("ix_meal_rsvps_moved_up", "moved_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("meal_occurrences.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    is_volunteer: Mapped[bool] = mapped_column(default=False)
    table_no: Mapped[int | None]
    # Set when the waiting list moved this person up; cleared once they were told.
    moved_up: Mapped[bool] = mapped_column(default=False)
    # An offered seat (status "offered") is held until then; then it goes to the next.
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    # The waiting-list position this person was last told; a change is told once.
    position_told: Mapped[int | None]
    maybe_reminded: Mapped[bool] = mapped_column(default=False)
    attended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # People without an account who come with this person ("meal join <id> +1"): each
    # takes a seat; nothing is known of them but their number.
    companions: Mapped[int] = mapped_column(default=0, server_default="0")
    # The smallest "this long before" (minutes) this person was reminded at; None: not yet.
    reminded_minutes: Mapped[int | None]


class MealReminderChoice(Base):
    """When one person wants to be reminded of the meals they joined (no row: the
    community's default; an empty ``minutes``: never)."""

    __tablename__ = "meal_reminder_choices"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    minutes: Mapped[str] = mapped_column(String(100))  # "1440,30": minutes before, sorted
    updated_at: Mapped[datetime]


class MealTable(Base):
    """A table of an occurrence with its own video place."""

    __tablename__ = "meal_tables"

    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("meal_occurrences.id", ondelete="CASCADE"), primary_key=True
    )
    table_no: Mapped[int] = mapped_column(primary_key=True)
    video_url: Mapped[str] = mapped_column(Text, default="")


class MealFeedback(Base):
    """How an attendee found a meal. Erasing the person keeps only the anonymous rating."""

    __tablename__ = "meal_feedback"
    __table_args__ = (UniqueConstraint("occurrence_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("meal_occurrences.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
