"""``meal reminders``: a person chooses when they are reminded of the meals they joined."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Context
from bot.core.parsing import ArgumentError, echo
from bot.meals.models import MealReminderChoice
from bot.meals.reminder_times import (
    DEFAULT,
    OFF,
    BadReminders,
    default_minutes,
    describe,
    from_stored,
    parse_reminders,
    stored,
)


async def chosen_minutes(ctx: Context) -> tuple[tuple[int, ...], bool]:
    """The person's reminders (minutes before, longest first) and whether they chose them."""
    row = await ctx.session.get(MealReminderChoice, ctx.person.id)
    if row is None:
        return default_minutes(ctx.config.meals.reminders_before), False
    return from_stored(row.minutes), True


def reminders_text(ctx: Context, minutes: tuple[int, ...], own: bool) -> str:
    """ "You are reminded 1 day and 15 minutes before a meal you joined." """
    if not minutes:
        return ctx.t("meal.reminders_none")
    parts = [ctx.tn(f"meal.before_{unit}", count) for unit, count in describe(minutes)]
    listed = (
        parts[0]
        if len(parts) == 1
        else ctx.t("meal.reminders_and", first=", ".join(parts[:-1]), last=parts[-1])
    )
    return ctx.t("meal.reminders_own" if own else "meal.reminders_default", times=listed)


async def _store(session: AsyncSession, person_id: int, text: str | None, ctx: Context) -> None:
    await session.execute(
        delete(MealReminderChoice).where(MealReminderChoice.person_id == person_id)
    )
    if text is not None:
        session.add(MealReminderChoice(person_id=person_id, minutes=text, updated_at=ctx.now))


async def choose(ctx: Context, when: str) -> None:
    """Show the person's reminders, or set them from what they typed."""
    if not when.strip():
        minutes, own = await chosen_minutes(ctx)
        ctx.reply(reminders_text(ctx, minutes, own) + "\n" + ctx.t("meal.reminders_how"))
        return
    try:
        parsed = parse_reminders(when)
    except BadReminders as bad:
        raise ArgumentError(
            f"meal.reminders_bad_{bad.reason}", value=echo(bad.word or when)
        ) from None
    if parsed == DEFAULT:
        await _store(ctx.session, ctx.person.id, None, ctx)
        minutes, own = default_minutes(ctx.config.meals.reminders_before), False
    elif parsed == OFF:
        await _store(ctx.session, ctx.person.id, "", ctx)
        minutes, own = (), True
    else:
        assert isinstance(parsed, tuple)
        await _store(ctx.session, ctx.person.id, stored(parsed), ctx)
        minutes, own = parsed, True
    ctx.reply(reminders_text(ctx, minutes, own))


async def export(session: AsyncSession, person_id: int) -> dict[str, object] | None:
    """What ``mydata`` shows of the choice (None: the community's)."""
    row = (
        await session.execute(
            select(MealReminderChoice).where(MealReminderChoice.person_id == person_id)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        "minutes_before": list(from_stored(row.minutes)),
        "chosen_at": row.updated_at.isoformat(),
    }
