"""Keeping, showing and erasing a person's safety plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.safety.models import PLAN_PARTS, SafetyPlan

PART_MAX_LENGTH = 1000


async def plan_of(session: AsyncSession, person_id: int) -> SafetyPlan | None:
    """The person's plan, if they wrote one."""
    return await session.get(SafetyPlan, person_id)


async def save_plan(
    session: AsyncSession, person_id: int, answers: dict[str, str], now: datetime
) -> SafetyPlan:
    """Keep the plan's answers (replacing an earlier plan)."""
    plan = await session.get(SafetyPlan, person_id)
    if plan is None:
        plan = SafetyPlan(person_id=person_id, updated_at=now)
        session.add(plan)
    for part in PLAN_PARTS:
        setattr(plan, part, answers.get(part, "")[:PART_MAX_LENGTH])
    plan.updated_at = now
    return plan


async def delete_plan(session: AsyncSession, person_id: int) -> bool:
    """Erase the plan; False if there was none."""
    result = await session.execute(delete(SafetyPlan).where(SafetyPlan.person_id == person_id))
    return bool(getattr(result, "rowcount", 0))


class SafetyPlanData:
    """The safety plan, for ``mydata`` and ``forget``."""

    name = "safety_plan"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        plan = await session.get(SafetyPlan, person_id)
        if plan is None:
            return None
        data: dict[str, Any] = {part: getattr(plan, part) for part in PLAN_PARTS}
        data["updated_at"] = plan.updated_at.isoformat()
        return data

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        await delete_plan(session, person_id)
