"""checkin, checkin schedule/history/share, and the volunteers' checkin alerts/ack."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any

from babel.dates import get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins import alerts, jobs, load, privacy, render, service
from bot.checkins.chart import mood_chart
from bot.checkins.rules import ReminderRule, parse_schedule
from bot.checkins.stats import checkin_aggregates
from bot.commands.privacy import YES_WORDS
from bot.core.context import Context
from bot.core.events import Role
from bot.core.i18n import BABEL_LOCALES
from bot.core.parsing import ON_OFF, ArgumentError, IntRange, OneOf, Rest
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Outcome, Retry, Step, StepDialog
from bot.core.tables import StatTable
from bot.core.words import word_set, word_table
from bot.people.service import set_consent

MOOD = IntRange(1, 5, "checkin.mood_range")
YES_NO = OneOf(word_table("checkins.yes_no", ("yes", "no")), error="checkin.yes_or_no")
HISTORY_LINES = 50


def _mood_label(ctx: Context, mood: int) -> str:
    return ctx.t(f"checkin.mood_{mood}")


def _days_text(ctx: Context, rule: ReminderRule) -> str:
    names = get_day_names("wide", locale=BABEL_LOCALES.get(ctx.lang, "en_GB"))
    return ", ".join(str(names[day]) for day in sorted(rule.weekdays))


async def _save(ctx: Context, mood: int, note: str) -> None:
    """Store a consented check-in, answer warmly, and let the alert rule look at it."""
    await service.record_checkin(ctx.session, ctx.person.id, mood, note, ctx.now)
    key = "checkin.saved_low" if mood <= ctx.config.checkins.low_mood_max else "checkin.saved"
    ctx.say(key, mood=_mood_label(ctx, mood))
    # The person hears that a volunteer was told only once one really was (follow-up job).
    await alerts.check_low_mood(ctx.session, ctx.services, ctx.person, mood, ctx.now)


CONSENT_DIALOG = "checkin_consent"
NO_WORDS = word_set("checkins.consent_no")


def _ask_consent(ctx: Context, data: dict[str, Any]) -> None:
    text = ctx.t("checkin.ask_consent")
    if data.get("note"):
        text += "\n" + ctx.t("checkin.ask_consent_note")
    ctx.prompt(text, [(ctx.t("checkin.consent_yes"), "yes"), (ctx.t("checkin.consent_no"), "no")])


async def _consent_answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
    """Nothing is kept until the person says yes: the mood and the note wait with the
    question, and go if the answer is no."""
    answer = text.casefold().strip(" .!")
    if answer in NO_WORDS:
        ctx.say("checkin.not_kept")
        return Finish()
    if answer not in YES_WORDS:
        return Retry("checkin.consent_yes_or_no")
    ctx.end_dialog()
    await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
    await _save(ctx, int(data["mood"]), str(data.get("note", "")))
    return Finish()


CONSENT = StepDialog(CONSENT_DIALOG, {"consent": Step(_ask_consent, _consent_answer)}, "consent")


def setup(registry: CommandRegistry) -> None:
    """Register the check-in commands, timed work, statistics and personal data."""
    registry.group("checkin")

    @registry.command("checkin", private=True)
    async def checkin(
        ctx: Context,
        mood: Annotated[int, MOOD] | None = None,
        note: Annotated[str, Rest()] = "",
    ) -> None:
        limit = ctx.config.checkins.note_max_length
        if len(note) > limit:
            raise ArgumentError("checkin.note_too_long", limit=limit, length=len(note))
        if mood is None:
            ctx.prompt(ctx.t("checkin.ask"), render.mood_options(ctx.services, ctx.lang))
            return
        if not ctx.person.consent_checkins:
            # Nothing is kept until the person says yes: the mood and the note wait with
            # the question (and go if the answer is no, or the question times out).
            CONSENT.begin(ctx, {"mood": mood, "note": note})
            return
        await _save(ctx, mood, note)

    registry.steps(CONSENT)

    @registry.command("checkin consent", private=True)
    async def checkin_consent(
        ctx: Context,
        answer: Annotated[str, YES_NO],
        mood: Annotated[int, MOOD] | None = None,
    ) -> None:
        if answer == "no":
            ctx.say("checkin.not_kept")
            return
        await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
        if mood is None:
            ctx.say("checkin.consent_given")
            return
        await _save(ctx, mood, "")

    @registry.command("checkin schedule", private=True)
    async def checkin_schedule(ctx: Context, spec: Annotated[str, Rest()] = "") -> None:
        rule = parse_schedule(spec)
        if rule is None:
            stopped = await service.clear_schedule(ctx.session, ctx.person.id)
            ctx.say("checkin.schedule_off" if stopped else "checkin.schedule_none")
            return
        schedule = await service.set_schedule(
            ctx.session, ctx.person.id, rule, ctx.timezone, ctx.now
        )
        first = ctx.local(schedule.next_due_at)
        if rule.is_daily:
            ctx.say("checkin.schedule_daily", time=rule.local_time, first=first)
        else:
            ctx.say(
                "checkin.schedule_weekly",
                days=_days_text(ctx, rule),
                time=rule.local_time,
                first=first,
            )

    @registry.command("checkin history", private=True)
    async def checkin_history(ctx: Context) -> None:
        days = ctx.config.checkins.history_days
        since = ctx.now - timedelta(days=days)
        entries = await load.history(ctx.session, ctx.person.id, since)
        if not entries:
            ctx.say("checkin.history_empty", days=days)
            return
        lines = [ctx.t("checkin.history_title", days=days, count=len(entries))]
        shown = entries[-HISTORY_LINES:]
        if len(entries) > len(shown):
            lines.append(ctx.t("checkin.history_more", count=len(entries) - len(shown)))
        for entry in shown:
            line = f"• {ctx.local(entry.created_at, 'short')}: {_mood_label(ctx, entry.mood)}"
            if entry.note:
                line += f" — {entry.note}"
            lines.append(line)
        ctx.reply("\n".join(lines))
        # Drawing takes a moment; do it off the event loop so others aren't kept waiting.
        png = await asyncio.to_thread(
            mood_chart,
            [(entry.created_at, entry.mood) for entry in entries],
            ctx.timezone,
            window=(since, ctx.now),
            title=ctx.t("checkin.chart_title", days=days),
            mood_labels=[str(n) for n in range(1, 6)],
        )
        ctx.send_file(
            f"checkins-{ctx.now:%Y%m%d}.png", png, "image/png", ctx.t("checkin.chart_caption")
        )

    @registry.command("checkin share", private=True)
    async def checkin_share(ctx: Context, state: Annotated[str, ON_OFF]) -> None:
        given = state == "on"
        if given and not ctx.person.consent_checkins:
            await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
        changed = await set_consent(ctx.session, ctx.person, "share", given, ctx.now)
        if not changed:
            ctx.say("checkin.share_unchanged_on" if given else "checkin.share_unchanged_off")
            return
        ctx.say("checkin.share_on" if given else "checkin.share_off")

    @registry.command("checkin alerts", role=Role.VOLUNTEER, private=True)
    async def checkin_alerts(ctx: Context) -> None:
        alerts = await load.open_alerts(ctx.session)
        if not alerts:
            ctx.say("checkin.alerts_none")
            return
        lines = [ctx.t("checkin.alerts_title", count=len(alerts))]
        for alert, name in alerts:
            lines.append(
                ctx.t(
                    "checkin.alert_line",
                    id=alert.id,
                    name=name,
                    reason=ctx.t(f"checkin.reason_{alert.reason}"),
                    since=ctx.local(alert.since),
                )
            )
        lines.append(ctx.t("checkin.alerts_footer"))
        ctx.reply("\n".join(lines))

    @registry.command("checkin ack", role=Role.VOLUNTEER, private=True)
    async def checkin_ack(ctx: Context, alert_id: Annotated[str, Rest()] = "") -> None:
        number = alert_id.strip().lstrip("#")
        if not number.isdigit():
            raise ArgumentError("checkin.alert_number")
        result = await alerts.acknowledge(
            ctx.session,
            ctx.services,
            int(number),
            ctx.person,
            ctx.sender.display_name,
            ctx.now,
        )
        if result.status == "missing":
            ctx.say("checkin.alert_missing", id=number)
        elif result.status == "taken":
            ctx.say("checkin.alert_already_taken", id=number, name=result.name, volunteer=result.by)
        else:
            ctx.say("checkin.alert_acked", id=number, name=result.name)
            if result.told:
                ctx.say("checkin.alert_others_told")

    # ------------------------------------------------------------ crisis

    @registry.on_crisis
    async def crisis(ctx: Context) -> None:
        # The crisis lines themselves are sent by the dispatcher; this only tells a volunteer,
        # and only with the person's consent. The words are never passed on. The person
        # hears whether a volunteer was reached once the alert was delivered (or could
        # not be): see the follow-up in bot/checkins/jobs.py.
        await alerts.crisis_alert(ctx.session, ctx.services, ctx.person, ctx.timezone, ctx.now)

    # The person hears whether a volunteer was reached once the alert was delivered.
    registry.on_delivered(alerts.ALERT_KIND)(jobs.alert_delivered)
    registry.every("checkin.alert_follow_up")(jobs.alert_follow_up)

    # ------------------------------------------------------------ timed work

    registry.every("checkin.reminders")(jobs.reminders)
    registry.every("checkin.retention")(jobs.retention)

    # ------------------------------------------------------------ statistics and privacy

    # The registry types every hook as returning None; statistics providers return tables.
    @registry.stats("checkins")  # type: ignore[arg-type]
    async def aggregates(
        session: AsyncSession, since: datetime, until: datetime
    ) -> list[StatTable]:
        return await checkin_aggregates(session, since, until)

    registry.personal_data(privacy.CheckinData())
