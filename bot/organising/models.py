"""Tables for linking one person's accounts across platforms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class OrgLinkCode(Base):
    """A one-time code that joins another account to this person; only its hash is kept."""

    __tablename__ = "org_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Who typed the code and said yes: the join waits for the code's maker to agree.
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    claimed_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )


class OrgLinkAttempt(Base):
    """A wrong code typed by a person: counted so codes cannot be guessed."""

    __tablename__ = "org_link_attempts"
    __table_args__ = (Index("ix_org_link_attempts_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime]


class OrgLinkMove(Base):
    """A row that a join moved from one person to another, so ``unlink`` can give it back."""

    __tablename__ = "org_link_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    column_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[list[Any]] = mapped_column(JSON)
