"""meal [schedule | list | join | maybe | leave | minimum | cancel | edit | who | attended | ics |
here | feedback]: shared meals on video. Each command reads its arguments, calls the meals
feature and answers; the questions and decisions live in bot/meals/."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Context, JobContext
from bot.core.events import CreateVideoPlace, Outgoing, PublishEvent, Role, SendResult
from bot.core.i18n import format_local
from bot.core.parsing import ArgumentError, IntRange, Rest, echo
from bot.core.registry import CommandRegistry, SuggestionQuery
from bot.core.steps import Finish, Outcome, Step, StepDialog
from bot.meals import (
    answers,
    attendance,
    hosting,
    jobs,
    load,
    minimum,
    native,
    places,
    privacy,
    reminder_choice,
    scheduling,
    service,
    taking_part,
)
from bot.meals.ics import meal_calendar
from bot.meals.models import CANCELLED, GUEST, JOINED, Meal
from bot.meals.rules import FEEDBACK_WINDOW, HERE_EARLY, MINIMUM_WORDS, ends_at, normalise_code
from bot.meals.stats import aggregates

log = logging.getLogger("samvaer.meals")

FEEDBACK_DIALOG = "meal_feedback"
SKIP_WORDS = answers.SKIP_WORDS
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


async def _meal_or_say(ctx: Context, code: str) -> Meal | None:
    meal = await load.find_meal(ctx.session, code)
    if meal is None:
        ctx.say("meal.unknown_id", code=code)
    return meal


def _is_volunteer(ctx: Context) -> bool:
    return ctx.role >= Role.VOLUNTEER


# ---------------------------------------------------------------- setup


def setup(registry: CommandRegistry) -> None:
    """Register the meal commands, the scheduling dialog and the timed work."""
    registry.group("meal")

    @registry.command("meal schedule", role=Role.VOLUNTEER)
    async def schedule(ctx: Context, details: Annotated[str, Rest()] = "") -> None:
        if details:
            await scheduling.schedule_line(ctx, details)
        else:
            scheduling.start(ctx)

    registry.steps(scheduling.SCHEDULE)
    registry.steps(hosting.CANCEL)
    registry.steps(hosting.EDIT)

    @registry.command("meal")
    async def meals(ctx: Context, rest: Annotated[str, Rest()] = "") -> None:
        """The meal word alone lists the meals coming up; an unknown word after it
        gets the list of what can be typed."""
        if not rest:
            await taking_part.list_meals(ctx, None)
            return
        meal = await load.find_meal(ctx.session, normalise_code(rest))
        if meal is not None and await taking_part.show_meal(ctx, meal):
            return  # a meal's id alone: that meal, with buttons to join or leave
        commands = [
            c for c in registry.subcommands("meal") if ctx.role >= c.role and c.name != "meal"
        ]
        lines = [f"{ctx.prefix}{ctx.t('usage.' + c.key)}" for c in commands]
        ctx.reply(ctx.t("reply.group_usage", command="meal") + "\n" + "\n".join(lines))

    @registry.command("meal list")
    async def list_meals(
        ctx: Context, days: Annotated[int, IntRange(1, 90, "meal.bad_days")] | None = None
    ) -> None:
        await taking_part.list_meals(ctx, days)

    @registry.command("meal join", private=True)
    async def join(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await taking_part.join(ctx, meal, which)

    @registry.command("meal leave", private=True)
    async def leave(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await taking_part.leave(ctx, meal, which)

    @registry.command("meal maybe", private=True)
    async def maybe(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await taking_part.maybe(ctx, meal, which)

    @registry.command("meal minimum")
    async def meal_minimum(
        ctx: Context, code: Annotated[str, MEAL_CODE], rest: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await minimum.minimum(ctx, meal, rest)

    @registry.command("meal reminders", private=True)
    async def reminders(ctx: Context, when: Annotated[str, Rest(max_length=80)] = "") -> None:
        await reminder_choice.choose(ctx, when)

    @registry.command("meal cancel")
    async def cancel(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await hosting.cancel(ctx, meal, which)

    @registry.command("meal edit")
    async def edit(
        ctx: Context, code: Annotated[str, MEAL_CODE], rest: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is None:
            return
        first, _, value = rest.strip().partition(" ")
        if first.casefold() in MINIMUM_WORDS:  # "meal edit <id> minimum 4"
            await minimum.minimum(ctx, meal, value)
            return
        await hosting.edit(ctx, meal, rest)

    @registry.command("meal who", private=True)
    async def who(
        ctx: Context, code: Annotated[str, MEAL_CODE], which: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await attendance.who(ctx, meal, which)

    @registry.command("meal attended", private=True)
    async def attended(
        ctx: Context, code: Annotated[str, MEAL_CODE], people: Annotated[str, Rest()] = ""
    ) -> None:
        meal = await _meal_or_say(ctx, code)
        if meal is not None:
            await attendance.attended(ctx, meal, people)

    @registry.command("meal ics")
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

    @registry.command("meal here")
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

    @registry.command("meal feedback", private=True)
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
        comment_dialog.begin(ctx, {"feedback": saved.id})

    def ask_comment(ctx: Context, data: dict[str, Any]) -> None:
        ctx.say("meal.feedback_ask_comment")

    async def feedback_comment(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        if text.casefold().strip(" .!") in SKIP_WORDS:
            ctx.say("meal.feedback_thanks_short")
            return Finish()
        feedback_id = int(data.get("feedback", 0))
        comment = text.strip()[:COMMENT_MAX]
        if not await service.add_comment(ctx.session, feedback_id, ctx.person.id, comment):
            ctx.say("meal.feedback_thanks_short")
            return Finish()
        ctx.say("meal.feedback_comment_saved")
        return Finish()

    # After the stars, one optional comment.
    comment_dialog = StepDialog(
        FEEDBACK_DIALOG, {"comment": Step(ask_comment, feedback_comment)}, "comment"
    )
    registry.steps(comment_dialog)

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
            if not result.extra.get("fallback"):
                await native.voice_place_made(
                    job.session, job.services, message.reference, result.value, job.now
                )

    @registry.on_delivered(native.PUBLISH_KIND)
    async def meal_shown(job: JobContext, message: Outgoing, result: SendResult) -> None:
        if isinstance(message, PublishEvent):
            await native.published(job.session, job.services, message, result, job.now)

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
