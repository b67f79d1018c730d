"""A person's place in the buddy pool: their profile stored or changed (only what
they answered), paused or resumed, and back in the pool after asking for a new match.

Each is a small write to the person's own :class:`BuddyProfile` row, with nothing
sent to anyone; leaving the pool (which withdraws open proposals) is in
:mod:`bot.buddies.service`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies import load
from bot.buddies.models import BuddyProfile
from bot.buddies.profile import Profile


async def save_profile(
    session: AsyncSession,
    person_id: int,
    role: str,
    profile: Profile,
    capacity: int,
    now: datetime,
) -> BuddyProfile:
    """Store (or update) a profile and put the person in the pool."""
    row = await load.profile_of(session, person_id)
    if row is None:
        row = BuddyProfile(person_id=person_id, created_at=now, waiting_since=now)
        session.add(row)
    if not row.seeking or row.waiting_since is None:
        row.waiting_since = now
    row.role = role
    row.languages = list(profile.languages)
    row.interests = list(profile.interests)
    row.contact = list(profile.contact)
    row.times = list(profile.times)
    row.kind = "any" if role == "volunteer" else (profile.kind or "any")
    row.about = profile.about
    row.gender = profile.gender
    row.age = profile.age
    row.wish_gender = list(profile.wish_gender)
    row.wish_age = list(profile.wish_age)
    row.capacity = capacity
    row.seeking = True
    row.paused = False
    row.updated_at = now
    await session.flush()
    return row


async def set_paused(session: AsyncSession, person_id: int, paused: bool, now: datetime) -> bool:
    """Pause or resume someone's profile; False when they have none."""
    profile = await load.profile_of(session, person_id)
    if profile is None:
        return False
    profile.paused = paused
    profile.paused_until = None
    profile.updated_at = now
    return True


async def seek_again(session: AsyncSession, person_id: int, now: datetime) -> None:
    """Back in the pool, unpaused (after asking for a new match)."""
    profile = await load.profile_of(session, person_id)
    if profile is not None:
        profile.seeking = True
        profile.paused = False
        profile.updated_at = now


async def change_profile(
    session: AsyncSession,
    person_id: int,
    changes: Profile,
    capacity: int | None,
    now: datetime,
) -> BuddyProfile | None:
    """Change only the answered fields of a stored profile (and the capacity); every other
    answer, the place in the pool and a pause stay as they were. None: no profile."""
    row = await load.profile_of(session, person_id)
    if row is None:
        return None
    for name in sorted(changes.answered):
        if name == "kind" and row.role == "volunteer":
            continue  # a volunteer's kind is always "any"
        value = getattr(changes, name)
        setattr(row, name, list(value) if isinstance(value, tuple) else value)
    if capacity is not None:
        row.capacity = capacity
    row.updated_at = now
    return row
