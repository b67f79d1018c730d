"""Timed reminders: the due mood prompt, a warm word after missed days, and the
missed-days alert (with the person's consent to share).

Works inside the caller's unit of work; messages go through the outbox in that transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins import load
from bot.checkins.alerts import raise_alert
from bot.checkins.models import CheckinSchedule
from bot.checkins.render import mood_prompt
from bot.checkins.rules import (
    ReminderRule,
    missed_episode_start,
    missed_scheduled_days,
    next_due,
)
from bot.core.codec import encode
from bot.core.context import Services
from bot.core.events import Direct, TextMessage
from bot.core.outbox import insert_rows, outbox_row
from bot.db.models import Person

REMINDER_BATCH = 200
REMINDER_KIND = "checkin_reminder"
MISSED_KIND = "checkin_missed"


@dataclass
class ReminderRun:
    """What one pass of the reminder job did."""

    reminders: int = 0
    warm_words: int = 0
    alerts: int = 0


async def send_due_reminders(
    session: AsyncSession, services: Services, now: datetime, *, batch: int = REMINDER_BATCH
) -> ReminderRun:
    """Enqueue every due reminder (one per person and local date) and move schedules on.

    Works in batches with one statement per step and yields to the event loop
    between batches, so thousands of reminders in the same minute don't keep
    other people waiting.
    """
    config = services.config
    checkins = config.checkins
    cap = max(checkins.missed_days_alert, checkins.missed_days_warm_word)
    run = ReminderRun()
    # The reminder is the same for everyone who reads a language; only the address differs.
    payloads: dict[str, dict[str, Any]] = {}
    next_times: dict[tuple[str, str, str], datetime] = {}
    while True:
        rows = (
            await session.execute(
                select(
                    CheckinSchedule.person_id,
                    CheckinSchedule.weekdays,
                    CheckinSchedule.local_time,
                    CheckinSchedule.timezone,
                    CheckinSchedule.next_due_at,
                    CheckinSchedule.created_at,
                    Person.language,
                    Person.consent_share,
                )
                .join(Person, Person.id == CheckinSchedule.person_id)
                .where(CheckinSchedule.next_due_at <= now)
                .order_by(CheckinSchedule.next_due_at, CheckinSchedule.person_id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return run
        ids = [row.person_id for row in rows]
        destinations = await load.first_accounts(session, ids)
        last_checkins = await load.last_checkins(session, ids)
        outbox_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        alerts: list[tuple[int, str, datetime]] = []
        for row in rows:
            rule = ReminderRule.from_stored(row.weekdays, row.local_time)
            zone = ZoneInfo(row.timezone)
            due: datetime = row.next_due_at
            rule_key = (row.weekdays, row.local_time, row.timezone)
            if rule_key not in next_times:
                next_times[rule_key] = next_due(rule, zone, now)
            updates.append({"schedule_id": row.person_id, "new_due": next_times[rule_key]})
            to = destinations.get(row.person_id)
            if to is None:
                continue
            lang = row.language or config.community.language
            last = last_checkins.get(row.person_id)
            missed = missed_scheduled_days(
                rule, zone, scheduled_since=row.created_at, last_checkin=last, now=due, cap=cap
            )
            episode = missed_episode_start(row.created_at, last)
            if missed >= checkins.missed_days_warm_word:
                warm = TextMessage(to, services.translator.text(lang, "checkin.missed_you"))
                outbox_rows.append(
                    _outbox_values(
                        encode(warm),
                        to,
                        due=due,
                        now=now,
                        kind=MISSED_KIND,
                        person_id=row.person_id,
                        dedupe_key=f"checkin.missed:{row.person_id}:{episode.isoformat()}",
                    )
                )
                run.warm_words += 1
            if missed >= checkins.missed_days_alert and row.consent_share:
                alerts.append((row.person_id, episode.isoformat(), episode))
            if lang not in payloads:
                text = services.translator.text(lang, "checkin.reminder")
                payloads[lang] = encode(mood_prompt(services, to, lang, text))
            local_day = due.astimezone(zone).date().isoformat()
            outbox_rows.append(
                _outbox_values(
                    payloads[lang],
                    to,
                    due=due,
                    now=now,
                    kind=REMINDER_KIND,
                    person_id=row.person_id,
                    dedupe_key=f"checkin.reminder:{row.person_id}:{local_day}",
                )
            )
        run.reminders += await insert_rows(session, outbox_rows)
        table = cast(Table, CheckinSchedule.__table__)
        await session.execute(
            table.update()
            .where(table.c.person_id == bindparam("schedule_id"))
            .values(next_due_at=bindparam("new_due")),
            updates,
        )
        for person_id, episode_key, since in alerts:
            if await raise_alert(session, services, person_id, "missed", episode_key, since, now):
                run.alerts += 1
        # Let other work (people typing commands) run between batches.
        await asyncio.sleep(0)


def _outbox_values(
    payload: dict[str, Any],
    to: Direct,
    *,
    due: datetime,
    now: datetime,
    kind: str,
    person_id: int,
    dedupe_key: str,
) -> dict[str, Any]:
    """One outbox row for a payload encoded once per language and addressed to ``to``."""
    return outbox_row(
        {**payload, "to": {"user": to.user_id, "platform": to.platform}},
        to.platform,
        due_at=due,
        now=now,
        kind=kind,
        person_id=person_id,
        dedupe_key=dedupe_key,
    )
