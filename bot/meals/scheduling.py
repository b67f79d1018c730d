"""Scheduling a meal: the questions one at a time, a summary to confirm or change one
thing, and creating and announcing the meal.

Times are read in the host's own time zone and the meal keeps that zone, so a
weekly 18:00 stays 18:00 on the host's clock across daylight-saving changes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any

from bot.core.context import Context
from bot.core.parsing import ArgumentError, tokenize
from bot.core.signals import ProgrammeJoined, announce
from bot.core.steps import Asker, Finish, Next, Outcome, Retry, Step, StepDialog
from bot.core.words import word_set
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
ONCE_WORDS = word_set("meals.once")


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
    SCHEDULE.begin(ctx, data, step=DATE_CHECK)


def start(ctx: Context) -> None:
    SCHEDULE.begin(ctx)


# ---------------------------------------------------------------- questions


def _ask_title(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("meal.ask_title", limit=ctx.config.meals.title_max_length)


def _ask_date(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("meal.ask_date")


def _ask_date_check(ctx: Context, data: dict[str, Any]) -> None:
    day = date.fromisoformat(data["date"])
    ctx.prompt(
        ctx.t("meal.ask_date_guess", guess=render.day_text(day, ctx.timezone, ctx.lang)),
        [(ctx.t("meal.option_yes"), "yes"), (ctx.t("meal.option_other_date"), "no")],
    )


def _ask_time(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("meal.ask_time")


def _ask_repeat(ctx: Context, data: dict[str, Any]) -> None:
    ctx.prompt(
        ctx.t("meal.ask_repeat"),
        [
            (ctx.t("meal.repeat_once"), "once"),
            (ctx.t("meal.repeat_weekly"), "every week"),
            # No digit in a value: it can never be read as a number elsewhere.
            (ctx.t("meal.repeat_weeks", weeks=2), "fortnightly"),
        ],
    )


# Where a number is asked there are no numbered options, so a typed "3" is three and
# never the third choice.
def _ask_capacity(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("meal.ask_capacity", default=ctx.config.meals.default_capacity)


def _ask_minutes(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("meal.ask_minutes", default=ctx.config.meals.default_minutes)


def _ask_video(ctx: Context, data: dict[str, Any]) -> None:
    options = [("Jitsi", "jitsi"), ("Element Call", "element")]
    if can_voice(ctx):
        options.append((ctx.t("meal.option_voice"), VOICE))
    ctx.prompt(ctx.t("meal.ask_video"), options)


def _ask_confirm(ctx: Context, data: dict[str, Any]) -> None:
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


def _after(name: str, data: dict[str, Any]) -> str:
    if data.get(REVIEW) or name == FIELDS[-1]:
        return CONFIRM
    return FIELDS[FIELDS.index(name) + 1]


# Each reader keeps its answer in ``data`` and names the next step (None: the dialog is
# over); an ArgumentError keeps the same question, with every earlier answer.
Reader = Callable[[Context, dict[str, Any], str], Awaitable[str | None]]


async def _read_title(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    data["title"] = check_title(answer.strip('"“”„'), limits(ctx))
    return _after("title", data)


async def _read_date(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    day, guessed = read_date(answer, today(ctx))
    if day < today(ctx):
        raise ArgumentError("meal.date_past")
    if "time" in data:
        check_when(day, time.fromisoformat(data["time"]), ctx.zone, ctx.now)
    data["date"] = day.isoformat()
    return DATE_CHECK if guessed else _after("date", data)


async def _read_date_check(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    choice = answers.pick(answer, [ctx.t("meal.option_yes"), ctx.t("meal.option_other_date")])
    if answers.is_yes(answer) or choice == 0:
        return "time" if "time" not in data else _after("date", data)
    if answers.is_no(answer) or choice == 1:
        return "date"
    return await _read_date(ctx, data, answer)  # another date, typed at once


async def _read_time(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    at = parse_time(answer.removeprefix("kl.").removeprefix("kl").strip())
    check_when(date.fromisoformat(data["date"]), at, ctx.zone, ctx.now)
    data["time"] = at.strftime("%H:%M")
    return _after("time", data)


async def _read_repeat(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    words = [t.text for t in tokenize(answer)]
    if not words or answer.casefold() in ONCE_WORDS or words[0].casefold() in ONCE_WORDS:
        data["every_weeks"] = 0
    else:
        data["every_weeks"], _used = parse_repeat(words)
    return _after("repeat", data)


async def _read_capacity(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    data["capacity"] = answers.read_number(answer, *CAPACITY_RANGE, "meal.bad_capacity")
    return _after("capacity", data)


async def _read_minutes(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    data["minutes"] = answers.read_number(answer, *MINUTES_RANGE, "meal.bad_minutes")
    return _after("minutes", data)


async def _read_video(ctx: Context, data: dict[str, Any], answer: str) -> str | None:
    data["video_kind"], data["video_url"] = video_choice(answer, can_voice(ctx))
    return _after("video", data)


def _step(asker: Asker, reader: Reader) -> Step:
    """A question whose answer is kept, then the next question (or the summary once it
    was shown)."""

    async def answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        try:
            following = await reader(ctx, data, text.strip())
        except ArgumentError as error:
            # Stay on the same question: say what was wrong and ask it again.
            return Retry(error.key or "meal.step_again", error.values)
        return Finish() if following is None else Next(following, data)

    return Step(asker, answer)


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


# The scheduling questions: title, date (and whether a guessed date is meant), time,
# repeat, seats, minutes, video, then the summary to create or change one answer.
SCHEDULE = StepDialog(
    DIALOG,
    {
        "title": _step(_ask_title, _read_title),
        "date": _step(_ask_date, _read_date),
        DATE_CHECK: _step(_ask_date_check, _read_date_check),
        "time": _step(_ask_time, _read_time),
        "repeat": _step(_ask_repeat, _read_repeat),
        "capacity": _step(_ask_capacity, _read_capacity),
        "minutes": _step(_ask_minutes, _read_minutes),
        "video": _step(_ask_video, _read_video),
        CONFIRM: _step(_ask_confirm, _confirm),
    },
    first="title",
)


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
