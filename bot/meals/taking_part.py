"""What a participant does: see the meals coming up, one meal, join and leave.

Dates are shown in the reader's own zone and language, with the year when it is
not this year.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Action, Role, invoke
from bot.core.signals import ProgrammeJoined, announce
from bot.meals import answers, hosting, jobs, load, render, service
from bot.meals.models import JOINED, WAITING, Meal
from bot.meals.scheduling import when

LIST_LIMIT = 15
PROMPT_BUTTONS = 5


def _is_volunteer(ctx: Context) -> bool:
    return ctx.role >= Role.VOLUNTEER


def _all(which: str) -> bool:
    return answers.plain(which) in {answers.plain(w) for w in answers.ALL_WORDS}


async def show_meal(ctx: Context, meal: Meal) -> bool:
    """One meal's next date with buttons to join or leave; False if it has none."""
    occurrence = await load.next_occurrence(ctx.session, meal, ctx.now)
    if occurrence is None:
        return False
    free = occurrence.capacity - occurrence.taken
    if free > 0:
        state = ctx.t("meal.list_free", free=free, capacity=occurrence.capacity)
    else:
        waiting = len(await load.people_at(ctx.session, occurrence.id, (WAITING,)))
        state = ctx.t("meal.list_full", waiting=waiting)
    line = ctx.t(
        "meal.list_line",
        title=meal.title,
        code=meal.code,
        when=when(ctx, occurrence.starts_at),
        state=state,
    )
    options = render.announcement_options(ctx.services, ctx.lang, meal.code)
    ctx.prompt(line, [(o.label, o.value) for o in options])
    return True


async def list_meals(ctx: Context, days: int | None) -> None:
    """The meals of the next days: free seats, whether you are in, and buttons to join."""
    days = days or ctx.config.meals.list_days
    listed, total = await load.upcoming(
        ctx.session,
        ctx.person.id,
        now=ctx.now,
        until=ctx.now + timedelta(days=days),
        limit=LIST_LIMIT,
    )
    if not listed:
        ctx.say("meal.list_empty", days=days)
        return
    lines = [ctx.t("meal.list_title", days=days)]
    buttons: list[tuple[str, Action]] = []
    for item in listed:
        free = item.occurrence.capacity - item.occurrence.taken
        if item.mine == JOINED:
            state = ctx.t("meal.list_you_joined")
        elif item.mine == WAITING:
            state = ctx.t("meal.list_you_wait")
        elif free > 0:
            state = ctx.t("meal.list_free", free=free, capacity=item.occurrence.capacity)
        else:
            state = ctx.t("meal.list_full", waiting=item.waiting)
        lines.append(
            ctx.t(
                "meal.list_line",
                title=item.meal.title,
                code=item.meal.code,
                when=when(ctx, item.occurrence.starts_at),
                state=state,
            )
        )
        if item.mine not in (JOINED, WAITING) and len(buttons) < PROMPT_BUTTONS:
            # The date in the value makes each button join its own occurrence.
            day = item.occurrence.starts_at.astimezone(ZoneInfo(item.meal.timezone)).date()
            label = f"{item.meal.title[:24]}, {when(ctx, item.occurrence.starts_at, 'date')}"
            buttons.append(
                (
                    ctx.t("meal.button_join_code", title=label),
                    invoke("meal join", item.meal.code, day.isoformat()),
                )
            )
    if total > len(listed):
        lines.append(ctx.t("meal.list_more", more=total - len(listed)))
    lines.append(ctx.t("meal.list_hint"))
    if buttons:
        ctx.prompt("\n".join(lines), buttons)
    else:
        ctx.reply("\n".join(lines))


async def join(ctx: Context, meal: Meal, which: str) -> None:
    """A seat (or the waiting list) at the next date, a typed date, or every date."""
    if _all(which):
        await _join_all(ctx, meal)
        return
    occurrence = await hosting.occurrence_for(ctx, meal, which)
    if occurrence is None:
        return
    outcome = await service.join(
        ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
    values = {"title": meal.title, "code": meal.code, "when": when(ctx, occurrence.starts_at)}
    if outcome == "waiting":
        ahead = len(await load.people_at(ctx.session, occurrence.id, (WAITING,)))
        ctx.say("meal.waiting", position=ahead, **values)
        return
    ctx.say(f"meal.{outcome}", **values)
    if outcome == "joined" and meal.every_weeks > 0:
        ctx.say("meal.join_all_hint", code=meal.code)


async def _join_all(ctx: Context, meal: Meal) -> None:
    if meal.every_weeks == 0:
        occurrence = await hosting.occurrence_for(ctx, meal, "")
        if occurrence is None:
            return
        outcome = await service.join(
            ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now
        )
        await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
        ctx.say(
            "meal.waiting_short" if outcome == "waiting" else "meal.joined",
            title=meal.title,
            code=meal.code,
            when=when(ctx, occurrence.starts_at),
        )
        return
    if meal.cancelled_at is not None:
        ctx.say("meal.is_cancelled", title=meal.title)
        return
    results = await service.subscribe(ctx.session, meal, ctx.person.id, _is_volunteer(ctx), ctx.now)
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
    waiting = [occ for occ, outcome in results if outcome in ("waiting", "already_waiting")]
    ctx.say("meal.joined_all", title=meal.title, code=meal.code)
    for occ in waiting:
        ctx.say("meal.waiting_on", when=when(ctx, occ.starts_at))


async def leave(ctx: Context, meal: Meal, which: str) -> None:
    """Give up a seat or a waiting place at one date, or at every date."""
    if _all(which):
        count = await service.unsubscribe(ctx.session, meal, ctx.person.id, ctx.now)
        await jobs.tell_moved_up(ctx.session, ctx.services, ctx.now)
        ctx.say("meal.left_all", title=meal.title, count=count)
        return
    occurrence = await hosting.occurrence_for(ctx, meal, which, create=False)
    if occurrence is None:
        return
    outcome = await service.leave(ctx.session, occurrence, ctx.person.id)
    if outcome == "left":  # whoever took the seat is told now, not at the next poll
        await jobs.tell_moved_up(ctx.session, ctx.services, ctx.now)
    ctx.say(
        f"meal.{outcome}",
        title=meal.title,
        code=meal.code,
        when=when(ctx, occurrence.starts_at),
    )
