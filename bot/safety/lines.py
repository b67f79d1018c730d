"""Which crisis lines to show and in what order: pure, from the lines and the time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.config import CrisisLine


@dataclass(frozen=True)
class LineNow:
    """A crisis line as it is right now: always open, open, or closed until ``opens``."""

    line: CrisisLine
    always_open: bool
    open_now: bool


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def line_now(line: CrisisLine, now: datetime) -> LineNow:
    """Whether ``line`` is open at ``now``, in the line's own time zone."""
    if not line.opens or not line.closes or line.opens == line.closes:
        return LineNow(line, always_open=True, open_now=True)
    local = now.astimezone(ZoneInfo(line.timezone)).time()
    opens, closes = _clock(line.opens), _clock(line.closes)
    # A line open across midnight (11:00-05:00) is open after it opens or before it closes.
    open_now = opens <= local < closes if opens < closes else local >= opens or local < closes
    return LineNow(line, always_open=False, open_now=open_now)


def lines_in_order(lines: Sequence[CrisisLine], now: datetime) -> list[LineNow]:
    """The lines as configured; when one is closed now, lines open day and night come
    first and closed ones last, so the first number shown can always be called."""
    states = [line_now(line, now) for line in lines]
    if all(state.open_now for state in states):
        return states

    def rank(state: LineNow) -> int:
        if state.always_open:
            return 0
        return 1 if state.open_now else 2

    return sorted(states, key=rank)
