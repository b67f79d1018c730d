"""``samvaer export`` and ``samvaer report``: statistics written to files on the server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.tables import StatTable
from bot.organising.export import write_folder
from bot.organising.stats import collect
from bot.organising.views import StatsView


def start_of_day(day: date, timezone: str) -> datetime:
    """Local midnight of ``day`` in the community's zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def parse_day(text: str) -> date:
    """``2026-01-31`` → a date; ValueError with a plain message otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f'"{text}" is not a date like 2026-01-31') from None


# What starts the application for a one-off command (``bot.bootstrap.bootstrap``): handed
# in by the command line, so this feature never reaches up to the place that wires it.
Start = Callable[[Config], Awaitable[Any]]


async def _gather(
    config: Config, since: datetime, start: Start
) -> tuple[list[StatTable], StatsView, datetime]:
    app = await start(config)
    try:
        until = app.services.clock.now()
        async with app.uow() as uow:
            tables = await collect(
                uow.session,
                app.services.registry.statistics,
                since,
                until,
                config.privacy.min_group_size,
            )
        view = StatsView(
            app.services.translator,
            config.community.language,
            config.community.timezone,
            config.community.name,
            config.privacy.min_group_size,
        )
        return tables, view, until
    finally:
        await app.close()


async def export_to_folder(
    config: Config, since_day: date, folder: Path, start: Start
) -> list[Path]:
    """Write one CSV per capability table (and summary.csv) into ``folder``."""
    since = start_of_day(since_day, config.community.timezone)
    tables, view, until = await _gather(config, since, start)
    return await asyncio.to_thread(write_folder, folder, view.writer, tables, since, until)


async def report_to_file(config: Config, since_day: date, out: Path, start: Start) -> Path:
    """Write the one-page HTML report to ``out``."""
    since = start_of_day(since_day, config.community.timezone)
    tables, view, until = await _gather(config, since, start)
    html = view.report(tables, since, until, until)
    await asyncio.to_thread(_write_text, out, html)
    return out


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
