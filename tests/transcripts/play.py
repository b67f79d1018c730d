"""Play a console session against the real application, with a fixed clock.

A transcript is a text file: lines starting with ``> `` are what the person at the
console types (control lines like ``:as alice volunteer`` and ``:time +2d``
included), lines starting with ``#`` are comments, and everything else is what
the console printed. Playing a transcript types its ``> `` lines in order and
writes down what comes back, so the file shows every wording a person sees.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.app import move_time
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.db.engine import make_engine

INPUT = "> "
COMMENT = "# "
ESCAPE = "\\"  # put before a printed line that would read as typed or as a comment


def _is_script(line: str) -> bool:
    return line.startswith((INPUT, COMMENT)) or line in (">", "#")


def script_of(transcript: str) -> list[str]:
    """The typed lines and comments of a transcript, in order (outputs dropped)."""
    return [line for line in transcript.splitlines() if _is_script(line)]


def _printed(text: str) -> list[str]:
    """What the console printed, line by line; a line that looks like a typed line or a
    comment is escaped so that the transcript reads back the same."""
    return [ESCAPE + line if _is_script(line) else line for line in text.split("\n")]


async def play(
    script: list[str],
    *,
    language: str,
    start: datetime,
    folder: Path,
    database_template: Path,
    community: dict[str, object] | None = None,
) -> str:
    """Type ``script`` into a console session; the transcript of what was printed."""
    printed: list[str] = []
    database = folder / "samvaer.db"
    shutil.copyfile(database_template, database)
    exports = folder / "exports"
    config = parse_config(
        {
            "community": {"language": language, "name": "Samvær", **(community or {})},
            "console": {"enabled": True, "export_dir": str(exports)},
            "safety": {"commands_per_minute": 10_000, "command_burst": 10_000},
        }
    )
    clock = FakeClock(start)
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    app_box: list[object] = []

    async def lines() -> AsyncIterator[str]:
        for line in script:
            if line.startswith(COMMENT) or line == "#":
                printed.append(line)
                continue
            typed = line[len(INPUT) :] if line.startswith(INPUT) else ""
            printed.append(f"{INPUT}{typed}".rstrip())
            yield typed
            # What the line set off for others (due now) arrives before the next line.
            await app.deliver()

    console = ConsoleAdapter(
        config,
        lines=lines,
        output=lambda text: printed.extend(_printed(text)),
        clock=clock,
        state_file=folder / "state.json",
    )
    app = await bootstrap(config, clock=clock, engine=engine, adapters=[console], migrate=False)
    app_box.append(app)

    async def moved(target: datetime) -> None:
        await move_time(app, clock, target)

    console.time_moved = moved
    try:
        await console.start(app.on_event)
        await app.deliver()
    finally:
        await app.close()
    text = "\n".join(printed) + "\n"
    return text.replace(str(exports), "<exports>")
