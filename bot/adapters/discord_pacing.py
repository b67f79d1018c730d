"""Pacing the bot's REST requests, and warning when Discord says they are too many."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord

from bot.adapters.discord_common import (
    DEFAULT_RATE,
    LIMITED_WARN_AT,
    LIMITED_WINDOW,
    log,
)


@dataclass
class _Pacer:
    """Keeps the bot's REST requests below a rate, whoever makes them.

    discord.py keeps each route's bucket from its headers and waits out a 429, but
    it does not pace the global limit (50 requests a second per bot): it learns of
    it only from a 429. Every request through the bot's HTTP client passes here
    first, so a fan-out of DMs at any concurrency stays under it; interaction
    answers go through discord.py's webhook client and are not counted by Discord
    either. A sender that fell behind may catch up by ``burst`` requests, which
    stays below Discord's 50 a second with its own burst of 50.
    """

    rate: float
    burst: int = 4
    _next: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self) -> None:
        if self.rate <= 0:
            return
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.rate
        async with self._lock:
            now = loop.time()
            start = max(self._next, now - self.burst * interval)
            self._next = start + interval
            delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)

    def pace(self, http: discord.http.HTTPClient) -> None:
        """Make every request of ``http`` wait its turn (once per client)."""
        if self.rate <= 0 or getattr(http, "_samvaer_paced", False):
            return
        request = http.request

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.wait()
            return await request(route, **kwargs)

        setattr(http, "request", paced)  # noqa: B010 - an instance's method, wrapped
        setattr(http, "_samvaer_paced", True)  # noqa: B010


@dataclass
class _LimitWatch:
    """Counts Discord's 429 answers and warns the operators once, with what to do.

    discord.py waits out each 429 and tries again, so nothing is lost, but many of
    them mean something else uses the same token (a second process or bot) or the
    pace is set above what Discord allows; Discord bans a bot that keeps at it.
    """

    rate: float = DEFAULT_RATE
    window: float = LIMITED_WINDOW
    warn_at: int = LIMITED_WARN_AT
    requests: int = 0
    limited: int = 0
    limited_total: int = 0
    warned: bool = False
    _started: float = 0.0

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_end(
            session: aiohttp.ClientSession,
            context: Any,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            self.seen(params.response.status, params.response.headers)

        config.on_request_end.append(on_end)
        return config

    def seen(self, status: int, headers: Any = None) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._started > self.window:
            self._started, self.requests, self.limited = now, 0, 0
        self.requests += 1
        if status != 429:
            return
        self.limited += 1
        self.limited_total += 1
        if self.warned or self.limited < self.warn_at or self.limited * 100 < self.requests:
            return
        self.warned = True
        scope = headers.get("X-RateLimit-Scope", "") if headers is not None else ""
        pace = (
            f"lower [discord] requests_per_second (now {self.rate:g})"
            if self.rate > 0
            else "set [discord] requests_per_second (pacing is off)"
        )
        log.warning(
            "discord.rate_limited count=%d requests=%d seconds=%d scope=%s: Discord refused "
            "%d of the bot's last %d requests as too many (429). discord.py waits and tries "
            "again, and the outbox retries what still fails, so nothing is lost; but Discord "
            "bans bots that keep hitting its limits. Run one bot process per token (no second "
            "copy, no other program on the same token) and %s.",
            self.limited,
            self.requests,
            int(self.window),
            scope or "unknown",
            self.limited,
            self.requests,
            pace,
        )
