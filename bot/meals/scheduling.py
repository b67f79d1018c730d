"""Scheduling a meal: the questions one at a time, a summary to confirm or change one
thing, and creating and announcing the meal.

Times are read in the host's own time zone and the meal keeps that zone, so a
weekly 18:00 stays 18:00 on the host's clock across daylight-saving changes.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from bot.core.context import Context
from bot.core.parsing import ArgumentError, tokenize
from bot.core.signals import ProgrammeJoined, announce
from bot.meals import answers, load, planning, render
from bot.meals.models import Meal
from bot.meals.places import can_make_voice
from bot.meals.rules import (
    CAPACITY_RANGE,
    MINUTES_RANGE,
    VOICE,
    VOICE_KINDS,
    Limits,
    MealRequest,
    check_title,
    check_when,
    parse_repeat,
    parse_schedule,
    parse_time,
    read_date,
    video_choice,
)

log = logging.getLogger("samvaer.meals")

DIALOG = "meal_schedule"
FIELDS = ("title", "date", "time", "repeat", "capacity", "minutes", "video")
CONFIRM = "confirm"
DATE_CHECK = "date_check"
REVIEW = "review"  # set once the summary was shown: an answer goes back to it
ONCE_WORDS = frozenset({"once", "no", "nej", "nei", "1", "en", "én", "single", "engang"})


def limits(ctx: Context) -> Limits:
    meals = ctx.config.meals
    return Limits(meals.title_max_length, meals.default_capacity, meals.default_minutes)


def today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.zone).date()


def can_voice(ctx: Context) -> bool:
    return can_make_voice(ctx.services, ctx.sender.platform)


def repeat_text(ctx: Context, every_weeks: int) -> str:
    return ctx.t(render.repeat_key(every_weeks), weeks=every_weeks)


def video_text(ctx: Context, kind: str, url: str) -> str:
    if kind == "url":
        return url
    return ctx.t("meal.video_voice" if kind in VOICE_KINDS else f"meal.video_{kind}")


def when(ctx: Context, moment: datetime, pattern: str = "full") -> str:
    """A moment in the reader's zone, with the year when it is not this year."""
    return render.when(moment, ctx.timezone, ctx.lang, ctx.now, pattern)


# ---------------------------------------------------------------- the one-line form


async def schedule_line(ctx: Context, details: str) -> None:
    """``meal schedule "<title>" <date> <time> …``: created at once, unless the date was a
    guess (a day that has passed this year), which is asked about first."""
    request = parse_schedule(
        details,
        today=today(ctx),
        now=ctx.now,
        zone=ctx.zone,
        can_voice=can_voice(ctx),
        limits=limits(ctx),
    )
    if not request.date_guessed:
        await create_and_announce(ctx, request)
        return
    data: dict[str, Any] = {
        "title": request.title,
        "date": request.first_date.isoformat(),
        "time": request.at.strftime("%H:%M"),
        "every_weeks": request.every_weeks,
        "capacity": request.capacity,
        "minutes": request.minutes,
        "video_kind": request.video_kind,
        "video_url": request.video_url,
        REVIEW: True,
    }
    ctx.continue_dialog(DIALOG, DATE_CHECK, data)
    ask(ctx, DATE_CHECK, data)


def start(ctx: Context) -> None:
    ctx.continue_dialog(DIALOG, "title", {})
    ask(ctx, "title", {})


# ---------------------------------------------------------------- questions


def ask(ctx: Context, step: str, data: dict[str, Any]) -> None:
    """Ask the question of ``step``. Where a number is asked there are no numbered
    options, so a typed "3" is three and never the third choice."""
    meals = ctx.config.meals
    if step == "title":
        ctx.say("meal.ask_title", limit=meals.title_max_length)
    elif step == "date":
        ctx.say("meal.ask_date")
    elif step == DATE_CHECK:
        day = date.fromisoformat(data["date"])
        ctx.prompt(
            ctx.t("meal.ask_date_guess", guess=render.day_text(day, ctx.timezone, ctx.lang)),
            [(ctx.t("meal.option_yes"), "yes"), (ctx.t("meal.option_other_date"), "no")],
        )
    elif step == "time":
        ctx.say("meal.ask_time")
    elif step == "repeat":
        ctx.prompt(
            ctx.t("meal.ask_repeat"),
            [
                (ctx.t("meal.repeat_once"), "once"),
                (ctx.t("meal.repeat_weekly"), "every week"),
                # No digit in a value: it can never be read as a number elsewhere.
                (ctx.t("meal.repeat_weeks", weeks=2), "fortnightly"),
            ],
        )
    elif step == "capacity":
        ctx.say("meal.ask_capacity", default=meals.default_capacity)
    elif step == "minutes":
        ctx.say("meal.ask_minutes", default=meals.default_minutes)
    elif step == "video":
        options = [("Jitsi", "jitsi"), ("Element Call", "element")]
        if can_voice(ctx):
            options.append((ctx.t("meal.option_voice"), VOICE))
        ctx.prompt(ctx.t("meal.ask_video"), options)
    elif step == CONFIRM:
        ctx.prompt(summary(ctx, data), [(label, value) for value, label in confirm_options(ctx)])


def confirm_options(ctx: Context) -> list[tuple[str, str]]:
    """(value, label) of the summary's choices: create, or change one field."""
    return [("yes", ctx.t("meal.option_create"))] + [
        (field, ctx.t(f"meal.change_{field}")) for field in FIELDS
    ]


def request_of(ctx: Context, data: dict[str, Any]) -> MealRequest:
    return MealRequest(
        title=data["title"],
        first_date=date.fromisoformat(data["date"]),
        at=time.fromisoformat(data["time"]),
        every_weeks=int(data["every_weeks"]),
        capacity=int(data["capacity"]),
        minutes=int(data.get("minutes", ctx.config.meals.default_minutes)),
        video_kind=data["video_kind"],
        video_url=data["video_url"],
    )


def summary(ctx: Context, data: dict[str, Any]) -> str:
    """Everything the meal will be, in the host's zone and language, before it is made."""
    request = request_of(ctx, data)
    start = datetime.combine(request.first_date, request.at, tzinfo=ctx.zone)
    return ctx.t(
        "meal.summary",
        title=request.title,
        when=when(ctx, start),
        repeat=repeat_text(ctx, request.every_weeks),
        minutes=request.minutes,
        seats=ctx.tn("meal.seats", request.capacity),
        video=video_text(ctx, request.video_kind, request.video_url),
    )


# ---------------------------------------------------------------- answers


async def step(ctx: Context, name: str, data: dict[str, Any], text: str) -> None:
    """One answer: kept, then the next question (or the summary once it was shown)."""
    try:
        following = await _answer(ctx, name, data, text.strip())
    except ArgumentError as error:
        # Stay on the same question: say what was wrong and ask it again; earlier
        # answers are all kept.
        ctx.reply(ctx.t(error.key or "meal.step_again", **error.values))
        ask(ctx, name, data)
        return
    if following is None:
        return
    ctx.continue_dialog(DIALOG, following, data)
    ask(ctx, following, data)


def _after(name: str, data: dict[str, Any]) -> str:
    if data.get(REVIEW) or name == FIELDS[-1]:
        return CONFIRM
    return FIELDS[FIELDS.index(name) + 1]


async def _answer(ctx: Context, name: str, data: dict[str, Any], answer: str) -> str | None:
    if name == "title":
        data["title"] = check_title(answer.strip('"“”„'), limits(ctx))
    elif name == "date":
        day, guessed = read_date(answer, today(ctx))
        if day < today(ctx):
            raise ArgumentError("meal.date_past")
        if "time" in data:
            check_when(day, time.fromisoformat(data["time"]), ctx.zone, ctx.now)
        data["date"] = day.isoformat()
        if guessed:
            return DATE_CHECK
    elif name == DATE_CHECK:
        choice = answers.pick(answer, [ctx.t("meal.option_yes"), ctx.t("meal.option_other_date")])
        if answers.is_yes(answer) or choice == 0:
            return "time" if "time" not in data else _after("date", data)
        if answers.is_no(answer) or choice == 1:
            return "date"
        return await _answer(ctx, "date", data, answer)  # another date, typed at once
    elif name == "time":
        at = parse_time(answer.removeprefix("kl.").removeprefix("kl").strip())
        check_when(date.fromisoformat(data["date"]), at, ctx.zone, ctx.now)
        data["time"] = at.strftime("%H:%M")
    elif name == "repeat":
        words = [t.text for t in tokenize(answer)]
        if not words or answer.casefold() in ONCE_WORDS or words[0].casefold() in ONCE_WORDS:
            data["every_weeks"] = 0
        else:
            data["every_weeks"], _used = parse_repeat(words)
    elif name == "capacity":
        data["capacity"] = answers.read_number(answer, *CAPACITY_RANGE, "meal.bad_capacity")
    elif name == "minutes":
        data["minutes"] = answers.read_number(answer, *MINUTES_RANGE, "meal.bad_minutes")
    elif name == "video":
        data["video_kind"], data["video_url"] = video_choice(answer, can_voice(ctx))
    elif name == CONFIRM:
        return await _confirm(ctx, data, answer)
    return _after(name, data)


async def _confirm(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    options = confirm_options(ctx)
    choice = answers.pick(answer, [label for _, label in options])
    words = {answers.plain(answer)}
    field = next((f for f in FIELDS if f in words), None)  # a button's value, or typed "time"
    if answers.is_yes(answer) or choice == 0:
        request = request_of(ctx, data)
        check_when(request.first_date, request.at, ctx.zone, ctx.now)  # time may have passed
        ctx.end_dialog()
        await create_and_announce(ctx, request)
        return None
    if field is None and choice is not None:
        field = options[choice][0]
    if field is None:
        ctx.say("meal.summary_again")
        return CONFIRM
    data[REVIEW] = True
    return field


# ---------------------------------------------------------------- creating


async def create_and_announce(ctx: Context, request: MealRequest) -> Meal:
    """Store the meal, answer with its id and buttons, and announce it in the meals rooms."""
    meal, first = await planning.create_meal(
        ctx.session,
        ctx.services,
        request,
        host_id=ctx.person.id,
        platform=ctx.sender.platform,
        room_id="" if ctx.is_direct else ctx.room.room_id,
        now=ctx.now,
        zone=ctx.timezone,
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", volunteer=True))
    values = {
        "title": meal.title,
        "code": meal.code,
        "when": when(ctx, first.starts_at),
        "repeat": repeat_text(ctx, meal.every_weeks),
        "seats": ctx.tn("meal.seats", meal.capacity),
        "minutes": meal.minutes,
        "video": video_text(ctx, meal.video_kind, meal.video_url),
    }
    ctx.prompt(
        ctx.t("meal.scheduled", **values),
        [
            (o.label, o.value)
            for o in render.announcement_options(ctx.services, ctx.lang, meal.code)
        ],
    )
    log.info("meal.scheduled weekly=%d capacity=%d", meal.every_weeks, meal.capacity)
    if ctx.is_direct:
        # Scheduled in private: tell the community in the meals rooms.
        rooms = await load.meal_rooms(ctx.session, ctx.services, meal)
    elif ctx.private:
        rooms = [ctx.room]  # the host's answer went privately; the room still sees the meal
    else:
        return meal  # the answer above, with its buttons, is the announcement
    lang = ctx.config.community.language
    zone = ctx.config.community.timezone
    for room in rooms:
        ctx.send(render.room_announcement(ctx.services, lang, zone, room, meal, first))
    return meal
