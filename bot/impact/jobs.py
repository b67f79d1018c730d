"""Timed impact work: make volunteers' pulses, ask what is due, and retention.

Each job returns when it should run next; the database says what is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.context import JobContext
from bot.impact import load, privacy, service

log = logging.getLogger("samvaer.impact")

RETENTION_EVERY = timedelta(days=1)
PULSES_EVERY = timedelta(hours=1)


async def ask(job: JobContext) -> datetime | None:
    """Send the rounds and pulses that are due (one per person, within the weekly limit)."""
    poll = job.now + job.config.scheduling.poll_interval
    if not job.config.impact.enabled:
        return poll
    run = await service.ask_due(job, job.now)
    if run.rounds or run.pulses or run.missed:
        log.info("impact.ask rounds=%d pulses=%d missed=%d", run.rounds, run.pulses, run.missed)
    return poll


async def pulses(job: JobContext) -> datetime | None:
    """Volunteers' pulses after a month with a buddy or a meal hosted."""
    impact = job.config.impact
    if impact.enabled and impact.volunteer_pulse:
        made = await load.add_due_pulses(job.session, job.now, impact.answer_window_days)
        if made:
            log.info("impact.pulses made=%d", made)
    return job.now + min(PULSES_EVERY, job.config.scheduling.poll_interval * 10)


async def retention(job: JobContext) -> datetime | None:
    deleted = await privacy.purge_expired(job.session, job.now, job.config.impact.retention_days)
    log.info("impact.retention deleted=%d", deleted)
    return job.now + RETENTION_EVERY
