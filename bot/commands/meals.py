"""meal schedule | list | join | leave | cancel | ics | here | feedback: shared meals on video."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Context, JobContext
from bot.core.dispatcher import command_option
from bot.core.events import CreateVideoPlace, Outgoing, Role, SendResult
from bot.core.i18n import format_local
from bot.core.parsing import ArgumentError, IntRange, Rest, echo, tokenize
from bot.core.registry import CommandRegistry, SuggestionQuery
from bot.core.signals import ProgrammeJoined, announce
from bot.meals import jobs, load, places, planning, privacy, render, service
from bot.meals.ics import meal_calendar
from bot.meals.models import CANCELLED, GUEST, JOINED, WAITING, Meal, MealOccurrence
from bot.meals.rules import (
    CAPACITY_RANGE,
    FEEDBACK_WINDOW,
    HERE_EARLY,
    MAX_DAYS_AHEAD,
    MINUTES_RANGE,
    Limits,
    MealRequest,
    check_title,
    check_when,
    ends_at,
    is_occurrence_date,
    local_start,
    meal_time,
    meal_zone,
    normalise_code,
    parse_date,
    parse_number,
    parse_repeat,
    parse_schedule,
    parse_time,
    video_choice,
)
from bot.meals.stats import aggregates

log = logging.getLogger("samvaer.meals")

SCHEDULE_DIALOG = "meal_schedule"
FEEDBACK_DIALOG = "meal_feedback"
ALL_WORDS = frozenset({"all", "alle", "every", "hver", "always", "altid", "alltid", "series"})
ONCE_WORDS = frozenset({"once", "no", "nej", "nei", "1", "en", "én", "single", "engang"})
SKIP_WORDS = frozenset({"no", "nej", "nei", "skip", "spring over", "hopp over", "-", "nope", "ok"})
LIST_LIMIT = 15
PROMPT_BUTTONS = 5
COMMENT_MAX = 500


class MealCode:
    """A meal's short id as typed: letters and digits, an optional leading #."""

    def convert(self, token: str) -> str:
        code = normalise_code(token)
        if not 3 <= len(code) <= 12 or not code.isalnum():
            raise ArgumentError("meal.bad_id", value=echo(token))
        return code


MEAL_CODE = MealCode()


# ---------------------------------------------------------------- helpers


def _limits(ctx: Context) -> Limits:
    meals = ctx.config.meals
    return Limits(meals.title_max_length, meals.default_capacity, meals.default_minutes)


def _community_zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.config.community.timezone)


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(_community_zone(ctx)).date()


def _repeat_text(ctx: Context, every_weeks: int) -> str:
    return ctx.t(render.repeat_key(every_weeks), weeks=every_weeks)


def _video_text(ctx: Context, meal: Meal) -> str:
    if meal.video_kind == "url":
        return meal.video_url
    return ctx.t(f"meal.video_{meal.video_kind}")


async def _meal_or_say(ctx: Context, code: str) -> Meal | None:
    meal = await load.find_meal(ctx.session, code)
    if meal is None:
        ctx.say("meal.unknown_id", code=code)
    return meal


def _is_volunteer(ctx: Context) -> bool:
    return ctx.role >= Role.VOLUNTEER


async def _occurrence_for(
    ctx: Context, meal: Meal, which: str, *, create: bool = True
) -> MealOccurrence | None:
    """The occurrence a user means: a date they typed, else the next one. Says why if none.

    A typed date must lie within the planning horizon; with ``create`` False a
    date never planned is not made (nothing to leave there).
    """
    if which:
        day = parse_date(which, _today(ctx))
        latest = ctx.now + timedelta(days=MAX_DAYS_AHEAD)
        start = local_start(day, meal_time(meal), meal_zone(meal))
        if start > latest:
            raise ArgumentError("meal.date_far", days=MAX_DAYS_AHEAD)
        occurrence = await planning.occurrence_on(
            ctx.session, meal, day, latest=latest, create=create
        )
        if occurrence is None and not create and start > ctx.now:
            valid = is_occurrence_date(date.fromisoformat(meal.first_date), meal.every_weeks, day)
            if valid and meal.cancelled_at is None:
                ctx.say("meal.not_joined", title=meal.title, code=meal.code, when=ctx.local(start))
                return None
        if occurrence is None:
            ctx.say("meal.no_such_date", code=meal.code, title=meal.title)
            return None
        if occurrence.status == CANCELLED:
            ctx.say("meal.date_cancelled", title=meal.title, when=ctx.local(occurrence.starts_at))
            return None
        if occurrence.starts_at <= ctx.now:
            ctx.say("meal.is_past", title=meal.title)
            return None
        return occurrence
    occurrence = await load.next_occurrence(ctx.session, meal, ctx.now)
    if occurrence is None:
        ctx.say("meal.is_cancelled" if meal.cancelled_at else "meal.is_past", title=meal.title)
    return occurrence


async def create_and_announce(ctx: Context, request: MealRequest) -> None:
    """Store the meal, answer with its id and buttons, and announce it in the meals rooms."""
    meal, first = await planning.create_meal(
        ctx.session,
        ctx.services,
        request,
        host_id=ctx.person.id,
        platform=ctx.sender.platform,
        room_id="" if ctx.is_direct else ctx.room.room_id,
        now=ctx.now,
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", volunteer=True))
    values = {
        "title": meal.title,
        "code": meal.code,
        "when": ctx.local(first.starts_at),
        "repeat": _repeat_text(ctx, meal.every_weeks),
        "seats": ctx.tn("meal.seats", meal.capacity),
        "minutes": meal.minutes,
        "video": _video_text(ctx, meal),
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
        return  # the answer above, with its buttons, is the announcement
    lang = ctx.config.community.language
    zone = ctx.config.community.timezone
    for room in rooms:
        ctx.send(render.room_announcement(ctx.services, lang, zone, room, meal, first))


# ---------------------------------------------------------------- setup


def setup(registry: CommandRegistry) -> None:
    """Register the meal commands, the scheduling dialog and the timed work."""
    registry.group(
        "meal",
        aliases=(
            "meals",
            "måltid",
            "maaltid",
            "måltider",
            "spisning",
            "fællesspisning",
            "faellesspisning",
            "middag",
            "spise",
        ),
    )

    @registry.command(
        "meal schedule",
        role=Role.VOLUNTEER,
        aliases=("planlæg", "planlaeg", "planlegg", "opret", "lag", "ny", "new", "add"),
    )
    async def schedule(ctx: Context, details: Annotated[str, Rest()] = "") -> None:
        if not details:
            ctx.say("meal.ask_title", limit=ctx.config.meals.title_max_length)
            ctx.continue_dialog(SCHEDULE_DIALOG, "title", {})
            return
        request = parse_schedule(
            details,
            today=_today(ctx),
            now=ctx.now,
            zone=_community_zone(ctx),
            platform=ctx.sender.platform,
            limits=_limits(ctx),
        )
        await create_and_announce(ctx, request)

    @registry.dialog(SCHEDULE_DIALOG, ask=lambda ctx, step, data: _ask(ctx, step))
    async def schedule_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        try:
            await _schedule_step(ctx, step, data, text)
        except ArgumentError as error:
            # Stay on the same step: say what was wrong and ask again.
            ctx.reply(ctx.t(error.key or "meal.step_again", **error.values))
            _ask(ctx, step)

    @registry.command(
        "meal list", aliases=("liste", "vis", "oversigt", "oversikt", "kommende", "ls", "show")
    )
    async def list_meals(
        ctx: Context, days: Annotated[int, IntRange(1, 90, "meal.bad_days")] | None = None
    ) -> None:
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
        buttons: list[tuple[str, str]] = []
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
                    when=ctx.local(item.occurrence.starts_at),
                    state=state,
                )
            )
            if item.mine not in (JOINED, WAITING) and len(buttons) < PROMPT_BUTTONS:
                # The date in the value makes each button join its own occurrence.
                day = item.occurrence.starts_at.astimezone(ZoneInfo(item.meal.timezone)).date()
                label = f"{item.meal.title[:24]}, {ctx.local(item.occurrence.starts_at, 'date')}"
                buttons.append(
                    (
                        ctx.t("meal.button_join_code", title=label),
                        command_option(f"meal join {item.meal.code} {day.isoformat()}"),
                    )
                )
        if total > len(listed):
            lines.append(ctx.t("meal.list_more", more=total - len(listed)))
        lines.append(ctx.t("meal.list_hint"))
        if buttons:
            ctx.prompt("\n".join(lines), buttons)
        else:
            ctx.reply("\n".join(lines))

    @registry.command(
        "meal join",
        private=True,
        aliases=("deltag", "tilmeld", "delta", "påmeld", "meldpå", "med"),
    )
    async def join(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        if which.casefold() in ALL_WORDS:
            await _join_all(ctx, meal)
            return
        occurrence = await _occurrence_for(ctx, meal, which)
        if occurrence is None:
            return
        outcome = await service.join(
            ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now
        )
        await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
        values = {"title": meal.title, "code": meal.code, "when": ctx.local(occurrence.starts_at)}
        if outcome == "waiting":
            ahead = len(await load.people_at(ctx.session, occurrence.id, (WAITING,)))
            ctx.say("meal.waiting", position=ahead, **values)
            return
        ctx.say(f"meal.{outcome}", **values)
        if outcome == "joined" and meal.every_weeks > 0:
            ctx.say("meal.join_all_hint", code=meal.code)

    async def _join_all(ctx: Context, meal: Meal) -> None:
        if meal.every_weeks == 0:
            occurrence = await _occurrence_for(ctx, meal, "")
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
                when=ctx.local(occurrence.starts_at),
            )
            return
        if meal.cancelled_at is not None:
            ctx.say("meal.is_cancelled", title=meal.title)
            return
        results = await service.subscribe(
            ctx.session, meal, ctx.person.id, _is_volunteer(ctx), ctx.now
        )
        await announce(ctx, ProgrammeJoined(ctx.person.id, "meals", _is_volunteer(ctx)))
        waiting = [occ for occ, outcome in results if outcome in ("waiting", "already_waiting")]
        ctx.say("meal.joined_all", title=meal.title, code=meal.code)
        for occ in waiting:
            ctx.say("meal.waiting_on", when=ctx.local(occ.starts_at))

    @registry.command(
        "meal leave",
        private=True,
        aliases=("forlad", "afmeld", "frameld", "avmeld", "meldav", "forlat", "drop"),
    )
    async def leave(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        if which.casefold() in ALL_WORDS:
            count = await service.unsubscribe(ctx.session, meal, ctx.person.id, ctx.now)
            ctx.say("meal.left_all", title=meal.title, count=count)
            return
        occurrence = await _occurrence_for(ctx, meal, which, create=False)
        if occurrence is None:
            return
        outcome = await service.leave(ctx.session, occurrence, ctx.person.id)
        ctx.say(
            f"meal.{outcome}",
            title=meal.title,
            code=meal.code,
            when=ctx.local(occurrence.starts_at),
        )

    @registry.command("meal cancel", aliases=("aflys", "avlys", "annuller", "aflyse", "avlyse"))
    async def cancel(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        if meal.host_person_id != ctx.person.id and ctx.role < Role.ORGANISER:
            ctx.say("meal.cancel_not_allowed", title=meal.title)
            return
        if not which:
            if meal.cancelled_at is not None:
                ctx.say("meal.is_cancelled", title=meal.title)
                return
            told = await service.cancel_series(ctx.session, ctx.services, meal, ctx.now)
            ctx.say("meal.cancelled_series", title=meal.title, told=told)
            return
        occurrence = await _occurrence_for(ctx, meal, which)
        if occurrence is None:
            return
        told = await service.cancel_occurrence(ctx.session, ctx.services, meal, occurrence, ctx.now)
        ctx.say(
            "meal.cancelled_date", title=meal.title, when=ctx.local(occurrence.starts_at), told=told
        )

    @registry.command("meal ics", aliases=("kalender", "calendar", "ical", "ics"))
    async def ics(ctx: Context, code: Annotated[str, MEAL_CODE]) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        starts = await load.dates_of(ctx.session, meal)
        cancelled = [start for start, status in starts if status == CANCELLED]
        last_start = None
        if meal.cancelled_at is not None:
            held = [start for start, status in starts if status != CANCELLED]
            last_start = held[-1] if held else starts[0][0] if starts else None
        content = meal_calendar(
            meal,
            cancelled=cancelled,
            last_start=last_start,
            link=meal.video_url if meal.video_kind == "url" else "",
            description=ctx.t("meal.ics_description", code=meal.code),
            now=ctx.now,
        )
        ctx.send_file(
            f"samvaer-meal-{meal.code}.ics",
            content,
            "text/calendar",
            ctx.t("meal.ics_caption", title=meal.title),
        )

    @registry.command("meal here", aliases=("her", "tilstede", "present", "kommet"))
    async def here(ctx: Context, code: Annotated[str, MEAL_CODE]) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        occurrence = await load.latest_occurrence(ctx.session, meal, ctx.now, started=True)
        if occurrence is None or ends_at(meal, occurrence) < ctx.now:
            upcoming = await load.next_occurrence(ctx.session, meal, ctx.now)
            if upcoming is not None and upcoming.starts_at - HERE_EARLY <= ctx.now:
                occurrence = upcoming
            else:
                ctx.say("meal.here_not_now", title=meal.title)
                return
        recorded = await service.mark_here(
            ctx.session, occurrence, ctx.person.id, _is_volunteer(ctx), ctx.now
        )
        ctx.say("meal.here_saved" if recorded else "meal.here_already", title=meal.title)

    @registry.command(
        "meal feedback",
        private=True,
        aliases=("bedøm", "bedom", "vurder", "tilbagemelding", "tilbakemelding", "evaluering"),
    )
    async def feedback(
        ctx: Context,
        code: Annotated[str, MEAL_CODE],
        rating: Annotated[int, IntRange(1, 5, "meal.bad_rating")],
        comment: Annotated[str, Rest(max_length=COMMENT_MAX)] = "",
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        occurrence = await load.latest_occurrence(ctx.session, meal, ctx.now, started=True)
        if occurrence is None or (ends_at(meal, occurrence) + FEEDBACK_WINDOW < ctx.now):
            ctx.say("meal.feedback_no_meal", title=meal.title)
            return
        rsvp = await load.rsvp_of(ctx.session, occurrence.id, ctx.person.id)
        if rsvp is None or (rsvp.status not in (JOINED, GUEST) and rsvp.attended_at is None):
            ctx.say("meal.feedback_not_there", title=meal.title)
            return
        saved = await service.save_feedback(
            ctx.session, occurrence, ctx.person.id, rating, comment.strip(), ctx.now
        )
        if comment:
            ctx.say("meal.feedback_thanks", title=meal.title)
            return
        ctx.say("meal.feedback_ask_comment")
        ctx.continue_dialog(FEEDBACK_DIALOG, "comment", {"feedback": saved.id})

    @registry.dialog(
        FEEDBACK_DIALOG, ask=lambda ctx, step, data: ctx.say("meal.feedback_ask_comment")
    )
    async def feedback_comment(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        ctx.end_dialog()
        if text.casefold().strip(" .!") in SKIP_WORDS:
            ctx.say("meal.feedback_thanks_short")
            return
        feedback_id = int(data.get("feedback", 0))
        comment = text.strip()[:COMMENT_MAX]
        if not await service.add_comment(ctx.session, feedback_id, ctx.person.id, comment):
            ctx.say("meal.feedback_thanks_short")
            return
        ctx.say("meal.feedback_comment_saved")

    # ------------------------------------------------------------ timed work and hooks

    @registry.every("meals.due")
    async def due(job: JobContext) -> datetime | None:
        counts = await jobs.run_due(job)
        if any(counts.values()):
            log.info("meals.due %s", " ".join(f"{k}={v}" for k, v in counts.items()))
        return None  # every poll: new joins and meals must be seen soon

    @registry.every("meals.retention")
    async def retention(job: JobContext) -> datetime | None:
        days = job.config.privacy.retention_days.meals
        counts = await privacy.purge(job.session, job.now - timedelta(days=days))
        log.info("meals.retention occurrences=%d meals=%d", counts["occurrences"], counts["meals"])
        return job.now + timedelta(days=1)

    @registry.on_delivered(places.VIDEO_KIND)
    async def video_made(job: JobContext, message: Outgoing, result: SendResult) -> None:
        if isinstance(message, CreateVideoPlace) and result.value:
            await places.store_video_place(job.session, message.reference, result.value)

    @registry.suggest("meal", "code")
    async def meal_codes(query: SuggestionQuery) -> list[tuple[str, str]]:
        found = await load.meals_to_suggest(query.session, query.now, query.prefix, limit=25)
        return [
            (f"{meal.title} — {format_local(occ.starts_at, query.zone, query.lang)}", meal.code)
            for meal, occ in found
        ]

    @registry.stats("meals")
    async def meal_aggregates(session: AsyncSession, since: datetime, until: datetime) -> Any:
        return await aggregates(session, since, until)

    registry.personal_data(privacy.MealData())


# ---------------------------------------------------------------- the scheduling dialog

STEPS = ("title", "date", "time", "repeat", "capacity", "minutes", "video")


def _ask(ctx: Context, step: str) -> None:
    """Ask the question of ``step`` (with buttons where there are few answers)."""
    meals = ctx.config.meals
    if step == "title":
        ctx.say("meal.ask_title", limit=meals.title_max_length)
    elif step == "date":
        ctx.say("meal.ask_date")
    elif step == "time":
        ctx.say("meal.ask_time")
    elif step == "repeat":
        ctx.prompt(
            ctx.t("meal.ask_repeat"),
            [
                (ctx.t("meal.repeat_once"), "once"),
                (ctx.t("meal.repeat_weekly"), "every week"),
                (ctx.t("meal.repeat_weeks", weeks=2), "every 2 weeks"),
            ],
        )
    elif step == "capacity":
        ctx.prompt(
            ctx.t("meal.ask_capacity", default=meals.default_capacity),
            [(str(n), str(n)) for n in sorted({6, meals.default_capacity, 24})],
        )
    elif step == "minutes":
        ctx.prompt(
            ctx.t("meal.ask_minutes", default=meals.default_minutes),
            [(str(n), str(n)) for n in sorted({45, meals.default_minutes, 90})],
        )
    elif step == "video":
        options = [("Jitsi", "jitsi"), ("Element Call", "element")]
        if ctx.sender.platform == "discord":
            options.append(("Discord", "discord"))
        ctx.prompt(ctx.t("meal.ask_video"), options)


async def _schedule_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
    answer = text.strip()
    if step == "title":
        data["title"] = check_title(answer.strip('"“”„'), _limits(ctx))
    elif step == "date":
        day = parse_date(answer, _today(ctx))
        if day < _today(ctx):
            raise ArgumentError("meal.date_past")
        data["date"] = day.isoformat()
    elif step == "time":
        at = parse_time(answer.removeprefix("kl.").removeprefix("kl").strip())
        check_when(date.fromisoformat(data["date"]), at, _community_zone(ctx), ctx.now)
        data["time"] = at.strftime("%H:%M")
    elif step == "repeat":
        words = [t.text for t in tokenize(answer)]
        if not words or answer.casefold() in ONCE_WORDS or words[0].casefold() in ONCE_WORDS:
            data["every_weeks"] = 0
        else:
            data["every_weeks"], _used = parse_repeat(words)
    elif step == "capacity":
        data["capacity"] = parse_number(answer, *CAPACITY_RANGE, "meal.bad_capacity")
    elif step == "minutes":
        words = answer.split()
        # "90", "90 min", "90 minutter"
        number = words[0] if words else answer
        data["minutes"] = parse_number(number, *MINUTES_RANGE, "meal.bad_minutes")
    elif step == "video":
        data["video_kind"], data["video_url"] = video_choice(answer, ctx.sender.platform)
        at = time.fromisoformat(data["time"])
        day = date.fromisoformat(data["date"])
        check_when(day, at, _community_zone(ctx), ctx.now)  # time may have passed meanwhile
        ctx.end_dialog()
        await create_and_announce(
            ctx,
            MealRequest(
                title=data["title"],
                first_date=day,
                at=at,
                every_weeks=int(data["every_weeks"]),
                capacity=int(data["capacity"]),
                # Dialogs begun before the length was asked have none.
                minutes=int(data.get("minutes", ctx.config.meals.default_minutes)),
                video_kind=data["video_kind"],
                video_url=data["video_url"],
            ),
        )
        return
    following = STEPS[STEPS.index(step) + 1]
    ctx.continue_dialog(SCHEDULE_DIALOG, following, data)
    _ask(ctx, following)
