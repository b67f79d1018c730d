"""Writing the Matrix adapter's sync state without holding up the event loop.

The state (sync token, handled event ids, direct rooms, open prompts) changes on
every incoming event and every prompt sent. Writing the whole file each time
cost milliseconds of loop time per event at a thousand rooms. Instead a change
only marks the state dirty; it is written at most once per ``interval`` (and
when the adapter stops): a snapshot is taken on the loop, and the JSON is
encoded and written to a temporary file, flushed to disk and renamed over the
old one in a worker thread, so a crash leaves the old file or the new one,
never half of one.

What a crash can lose is the last ``interval`` of changes: events handled in it
come again with the older sync token, and the database's event claims keep
them from being answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.adapters.matrix_rules import StateStore, SyncState

log = logging.getLogger("samvaer.matrix")

DEFAULT_INTERVAL = 1.0


class StateSaver:
    """Saves a :class:`SyncState` at most once per ``interval`` seconds, off the loop."""

    def __init__(
        self,
        store: StateStore,
        state: Callable[[], SyncState],
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self._store = store
        self._state = state
        self.interval = interval
        self.dirty = False
        self.writes = 0
        self._timer: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[Any] | None = None  # the task writing right now
        self._lock = asyncio.Lock()

    def touch(self) -> None:
        """The state changed: write it within ``interval`` (cheap; call it freely)."""
        self.dirty = True
        if self._timer is not None and not self._timer.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a unit test building events): written at the next flush
        self._timer = loop.create_task(self._later(), name="matrix-state-save")

    async def _later(self) -> None:
        await asyncio.sleep(self.interval)
        await self.flush()

    async def flush(self) -> None:
        """Write now if anything changed since the last write."""
        async with self._lock:
            if not self.dirty:
                return
            self.dirty = False
            snapshot = self._state().to_json()  # a copy: the loop may change the state meanwhile
            self._writer = asyncio.current_task()
            try:
                await asyncio.to_thread(self._store.save_sync_data, snapshot)
            except OSError as exc:
                self.dirty = True  # kept, and tried again with the next change or at stop
                log.warning("matrix.state_save_failed error=%s", type(exc).__name__)
                return
            finally:
                self._writer = None
            self.writes += 1

    async def close(self) -> None:
        """Stop the timer and write what is left."""
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            if timer is not self._writer:
                timer.cancel()
            # A write already under way finishes first: two writers never race.
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self.flush()
