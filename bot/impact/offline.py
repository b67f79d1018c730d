"""``samvaer report --impact``: the impact report in every language, written to a folder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import LANGUAGES, Config
from bot.impact import load
from bot.impact.report import Words
from bot.impact.report_files import files
from bot.impact.rules import add_months

# What starts the application (``bot.bootstrap.bootstrap``), handed in by the command line.
Start = Callable[[Config], Awaitable[Any]]


def period_start(now: datetime, months: int, timezone: str) -> datetime:
    """Local midnight on the first of the month ``months − 1`` months before this one:
    ``months`` whole calendar months, the current one included."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).date().replace(day=1)
    first = add_months(local, -(months - 1))
    return datetime(first.year, first.month, 1, tzinfo=zone)


async def report_to_folder(
    config: Config, folder: Path, start: Start, *, months: int, since: datetime | None = None
) -> list[Path]:
    """Write impact-<lang>.html and .pdf for da, nb and en, and impact-figures.zip (CSV
    with a data dictionary, in the community's language). Returns the paths written."""
    app = await start(config)
    try:
        now = app.services.clock.now()
        begin = since or period_start(now, months, config.community.timezone)
        async with app.uow() as uow:
            figures = await load.gather(
                uow.session,
                begin,
                now + timedelta(seconds=1),
                follow_up_months=tuple(config.impact.follow_up_months),
                timezone=config.community.timezone,
                min_size=config.privacy.min_group_size,
                answer_window_days=config.impact.answer_window_days,
            )
        translator = app.services.translator
    finally:
        await app.close()
    written: list[Path] = []
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    for lang in LANGUAGES:
        words = Words(
            translator,
            lang,
            config.community.timezone,
            config.community.name,
            config.privacy.min_group_size,
        )
        made = await asyncio.to_thread(files, figures, words, now)
        for suffix in ("html", "pdf"):
            path = folder / f"impact-{lang}.{suffix}"
            await asyncio.to_thread(path.write_bytes, made[suffix])
            written.append(path)
        if lang == config.community.language:
            path = folder / "impact-figures.zip"
            await asyncio.to_thread(path.write_bytes, made["zip"])
            written.append(path)
    return written
