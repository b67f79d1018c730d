"""The personal safety plan: a person's own words for a hard moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

PLAN_PARTS = ("warning_signs", "what_helps", "people")


class SafetyPlan(Base):
    """Warning signs, what helps, and people to call; health data under the check-ins consent."""

    __tablename__ = "safety_plans"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    warning_signs: Mapped[str] = mapped_column(Text, default="")
    what_helps: Mapped[str] = mapped_column(Text, default="")
    people: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]

    def parts(self) -> list[tuple[str, str]]:
        """The filled-in parts, in the order they are shown."""
        return [(part, getattr(self, part)) for part in PLAN_PARTS if getattr(self, part)]
