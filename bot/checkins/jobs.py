"""Timed check-in work: reminders, the alerts' follow-up and retention.

Each job returns when it should run next; the database says what is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.checkins import alerts, load, privacy
from bot.checkins.reminders import send_due_reminders
from bot.core.context import JobContext
from bot.core.events import Outgoing, SendResult

log = logging.getLogger("samvaer.checkins")

RETENTION_EVERY = timedelta(days=1)


async def alert_delivered(job: JobContext, message: Outgoing, result: SendResult) -> None:
    # The moment an alert reaches a volunteer, the person may be told so.
    await alerts.follow_up_alerts(job.session, job.services, job.now, escalate=False)


async def alert_follow_up(job: JobContext) -> datetime | None:
    due = await alerts.follow_up_alerts(job.session, job.services, job.now)
    poll = job.now + job.config.scheduling.poll_interval
    return min(due, poll) if due is not None else poll


async def reminders(job: JobContext) -> datetime | None:
    run = await send_due_reminders(job.session, job.services, job.now)
    if run.reminders or run.warm_words or run.alerts:
        log.info(
            "checkins.reminders sent=%d warm=%d alerts=%d",
            run.reminders,
            run.warm_words,
            run.alerts,
        )
    poll = job.now + job.config.scheduling.poll_interval
    upcoming = await load.next_schedule_due(job.session)
    # Wake exactly at the next reminder, but at least every poll so new schedules are seen.
    return min(upcoming, poll) if upcoming is not None else poll


async def retention(job: JobContext) -> datetime | None:
    days = job.config.privacy.retention_days
    deleted, blanked, alerts_deleted = await privacy.purge_expired(
        job.session, job.now, values_days=days.checkin_values, notes_days=days.checkin_notes
    )
    log.info(
        "checkins.retention deleted=%d notes_cleared=%d alerts_deleted=%d",
        deleted,
        blanked,
        alerts_deleted,
    )
    return job.now + RETENTION_EVERY
