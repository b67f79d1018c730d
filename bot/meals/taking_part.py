"""What a participant does: see the meals coming up, one meal, join and leave.

Dates are shown in the reader's own zone and language, with the year when it is
not this year.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import Action, Role, invoke
from bot.core.parsing import ArgumentError, echo
from bot.core.signals import ProgrammeJoined, announce
from bot.meals import answers, hosting, jobs, load, offers, reminder_choice, render, service
from bot.meals import maybe as maybe_answers
from bot.meals.companions import MOST, BadCompanions, seats_for, split_companions
from bot.meals.models import JOINED, MAYBE, OFFERED, WAITING, Meal
from bot.meals.scheduling import when

LIST_LIMIT = 15


def read_companions(which: str) -> tuple[str, int | None]:
    """The date or "all" typed, and the companions named ("+1"), or a clear error."""
    try:
        return split_companions(which)
    except BadCompanions as bad:
        raise ArgumentError("meal.companions_bad", value=echo(str(bad)), most=MOST) from None


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
            place = await offers.position_of(ctx.session, item.occurrence.id, ctx.person.id)
            state = ctx.t("meal.list_you_wait_at", position=place or 1)
        elif item.mine == OFFERED:
            state = ctx.t("meal.list_offered")
        elif item.mine == MAYBE:
            state = ctx.t("meal.list_you_maybe")
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
        if item.mine not in (JOINED, WAITING, OFFERED) and len(buttons) < PROMPT_BUTTONS:
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
    if any(
        item.mine == JOINED for item in listed
    ):  # when they will hear of it, and how to change it
        minutes, own = await reminder_choice.chosen_minutes(ctx)
        text = reminder_choice.reminders_text(ctx, minutes, own)
        lines.append(f"{text} {ctx.t('meal.reminders_change')}" if minutes else text)
    if buttons:
        ctx.prompt("\n".join(lines), buttons)
    else:
        ctx.reply("\n".join(lines))


async def join(ctx: Context, meal: Meal, which: str) -> None:
    """A seat (or the waiting list) at the next date, a typed date, or every date;
    with companions who have no account ("+1")."""
    which, companions = read_companions(which)
    if _all(which):
        if companions:
            raise ArgumentError("meal.companions_one_date", code=meal.code)
        await _join_all(ctx, meal)
        return
    occurrence = await hosting.occurrence_for(ctx, meal, which)
    if occurrence is None:
        return
    outcome = await service.join(
        ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now, companions
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
    values = {"title": meal.title, "code": meal.code, "when": when(ctx, occurrence.starts_at)}
    if outcome in ("waiting", "already_waiting"):
        place = await offers.position_of(ctx.session, occurrence.id, ctx.person.id) or 1
        await offers.note_position(ctx.session, occurrence.id, ctx.person.id, place)
        key = "meal.waiting" if outcome == "waiting" else "meal.already_waiting_at"
        ctx.say(key, position=place, **values)
        if outcome == "waiting" and companions:
            ctx.say("meal.companions_waiting", companions=ctx.tn("meal.companions", companions))
        return
    if outcome.startswith("companions_"):
        if outcome == "companions_changed" and companions == 0:
            outcome = "companions_none_now"
        ctx.say(f"meal.{outcome}", companions=ctx.tn("meal.companions", companions or 0), **values)
        return
    ctx.say(f"meal.{outcome}", **values)
    if outcome == "joined" and companions:
        ctx.say(
            "meal.companions_joined",
            companions=ctx.tn("meal.companions", companions),
            seats=ctx.tn("meal.seats", seats_for(companions)),
        )
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
    if outcome in ("left", "offer_declined"):  # the next is told now, not at the next poll
        await jobs.tell_moved_up(ctx.session, ctx.services, ctx.now)
    ctx.say(
        f"meal.{outcome}",
        title=meal.title,
        code=meal.code,
        when=when(ctx, occurrence.starts_at),
    )


async def maybe(ctx: Context, meal: Meal, which: str) -> None:
    """ "Maybe" for the next date or a typed one: counted apart, no seat, one reminder."""
    occurrence = await hosting.occurrence_for(ctx, meal, which)
    if occurrence is None:
        return
    outcome = await maybe_answers.say_maybe(
        ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
    ctx.say(
        f"meal.maybe_{outcome}",
        title=meal.title,
        code=meal.code,
        when=when(ctx, occurrence.starts_at),
    )
