"""Injectable clocks: all datetimes are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests move by hand; never sleeps."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime read back from SQLite as UTC; convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class ShiftedClock:
    """The wall clock moved by an offset (the console's ``:time``), so someone trying
    the bot can watch what happens tomorrow without waiting for it."""

    def __init__(self, offset: timedelta = timedelta(0), base: Clock | None = None) -> None:
        self.offset = offset
        self._base = base or SystemClock()

    def now(self) -> datetime:
        return self._base.now() + self.offset

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self.offset = when.astimezone(UTC) - self._base.now()

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


class MovableClock(Protocol):
    """A clock that can be set (FakeClock, ShiftedClock)."""

    def now(self) -> datetime: ...

    def set(self, when: datetime) -> None: ...
