"""How fast the Matrix adapter sends: at full speed until the homeserver says "slow down"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

RATE_LIMIT_FIX = (
    "lift the homeserver's limits for the bot: on Synapse, as a server admin, "
    "POST /_synapse/admin/v1/users/{user}/override_ratelimit with "
    '{{"messages_per_second": 0, "burst_count": 0}} (see docs/matrix.md)'
)


class SendPacer:
    """Full speed until the homeserver says "slow down"; then spaced sends that recover.

    The homeserver's ``M_LIMIT_EXCEEDED`` is the signal: everyone waits for its
    retry delay, and following sends are spaced out, the gap shrinking with each
    success. A fan-out of thousands of reminders then flows at the rate the
    homeserver allows instead of hammering it.
    """

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sleep = sleep
        self._gap = 0.0
        self._next_at = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._next_at > now:
                await self._sleep(self._next_at - now)
                now = loop.time()
            self._next_at = now + self._gap

    def slow_down(self, retry_after: float) -> None:
        now = asyncio.get_running_loop().time()
        # Several sends in flight are refused together: that is one signal, not many,
        # so the gap doubles only for a refusal that comes after the last wait ended.
        if now >= self._next_at:
            self._gap = min(max(self._gap * 2, 0.05), 5.0)
        self._next_at = max(self._next_at, now + retry_after)

    def went_well(self) -> None:
        self._gap = 0.0 if self._gap < 0.01 else self._gap * 0.9
