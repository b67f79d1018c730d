"""A loopback stand-in for Discord's REST API with Discord's rate limits (benchmarks and tests).

It speaks what a DM fan-out needs: ``GET /users/@me``, ``POST /users/@me/channels``
(open a DM; the same channel for the same person, as Discord does) and
``POST /channels/{id}/messages`` (JSON or multipart). It enforces:

- a **global** token bucket per bot (default 50 requests/s, a burst of as many),
  answered when empty with ``429`` and ``{"retry_after": s, "global": true}``,
  ``X-RateLimit-Global: true``, ``X-RateLimit-Scope: global``, ``Retry-After``;
- **per-route buckets** in Discord's shape: a window of ``limit`` requests that
  resets ``per`` seconds after its first request, reported on every answer with
  ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``-Reset-After`` and
  ``-Bucket``; messages are limited per channel (5 per 5 s by default, as
  Discord documents for a channel), opening DMs per bot (Discord does not
  publish that route's limit; 50 per second here, configurable). An exhausted
  bucket is answered ``429`` with ``global: false`` and ``X-RateLimit-Scope: user``.

Every 429 carries ``Via: 1.1 google`` as Discord's do (discord.py takes a 429
without it for a Cloudflare ban). ``latency`` delays each answer, as the trip to
Discord would. The server counts what it accepted and refused, and what each
person received, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API = "/api/v10"
BOT_ID = 900000000000000002
VIA = "1.1 google"


def user_payload(user_id: int | str, name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name or f"user{user_id}",
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
    }


def json_response(
    payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with the bare content type Discord sends (discord.py compares it exactly)."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass(frozen=True)
class RouteLimit:
    """``limit`` requests per window of ``per`` seconds."""

    limit: int
    per: float


@dataclass
class _Window:
    limit: RouteLimit
    used: int = 0
    resets_at: float = 0.0

    def take(self, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining after this request, seconds until the window resets)."""
        if now >= self.resets_at:
            self.used, self.resets_at = 0, now + self.limit.per
        if self.used >= self.limit.limit:
            return False, 0, self.resets_at - now
        self.used += 1
        return True, self.limit.limit - self.used, self.resets_at - now


@dataclass
class FakeDiscord:
    """Discord's REST API as far as DMs go, with its global and per-route limits."""

    rate: float = 50.0
    burst: float | None = None  # the global bucket's size; the rate's worth by default
    latency: float = 0.0
    dm_limit: RouteLimit = RouteLimit(50, 1.0)
    message_limit: RouteLimit = RouteLimit(5, 5.0)
    # Refuse every n-th request with a global 429 whatever the bucket holds, as when
    # something else spends the same token's limit (tests; 0: never).
    refuse_every: int = 0
    retry_after: float = 0.01  # what such a refusal asks to wait
    # what happened
    accepted: int = 0
    limited_global: int = 0
    limited_route: int = 0
    first_ok: float = 0.0
    last_ok: float = 0.0
    dms_opened: Counter[str] = field(default_factory=Counter)
    received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    with_buttons: int = 0
    _tokens: float = 0.0
    _seen: int = 0
    _last: float = 0.0
    _windows: dict[str, _Window] = field(default_factory=dict)
    _dm_of: dict[str, str] = field(default_factory=dict)  # user → channel
    _owner: dict[str, str] = field(default_factory=dict)  # channel → user
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10**17))
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self._tokens = self.burst if self.burst is not None else self.rate
        self._last = time.monotonic()

    # ------------------------------------------------------------ what was seen

    @property
    def limited(self) -> int:
        return self.limited_global + self.limited_route

    @property
    def requests(self) -> int:
        return self.accepted + self.limited

    def accepted_per_second(self) -> float:
        span = self.last_ok - self.first_ok
        return (self.accepted - 1) / span if span > 0 else 0.0

    def messages(self) -> int:
        return sum(len(texts) for texts in self.received.values())

    # ------------------------------------------------------------ limits

    def _take_global(self) -> float:
        """0 when a request may pass now, else the seconds until it may."""
        now = time.monotonic()
        size = self.burst if self.burst is not None else self.rate
        self._tokens = min(size, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    def _route(self, bucket: str, limit: RouteLimit) -> tuple[bool, dict[str, str], float]:
        window = self._windows.get(bucket)
        if window is None:
            window = self._windows[bucket] = _Window(limit)
        allowed, remaining, reset_after = window.take(time.monotonic())
        reset_after = math.ceil(reset_after * 1000) / 1000  # whole milliseconds, never early
        headers = {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.split(":", 1)[0],
        }
        return allowed, headers, reset_after

    def _route_limited(self, headers: dict[str, str], retry_after: float) -> web.Response:
        self.limited_route += 1
        return json_response(
            {
                "message": "You are being rate limited.",
                "retry_after": round(retry_after, 3),
                "global": False,
            },
            status=429,
            headers={
                **headers,
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Scope": "user",
                "Via": VIA,
            },
        )

    @web.middleware
    async def _global(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self._seen += 1
        wait = self._take_global()
        if self.refuse_every and self._seen % self.refuse_every == 0:
            wait = max(wait, self.retry_after)
        if wait > 0:
            self.limited_global += 1
            return json_response(
                {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                status=429,
                headers={
                    "Retry-After": str(max(1, round(wait))),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Via": VIA,
                },
            )
        response: web.StreamResponse = await handler(request)
        if response.status < 300:
            now = time.monotonic()
            self.accepted += 1
            self.first_ok = self.first_ok or now
            self.last_ok = now
        if self.latency:
            await asyncio.sleep(self.latency)
        return response

    # ------------------------------------------------------------ routes

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(user_payload(BOT_ID, "samvaer"))

    async def _open_dm(self, request: web.Request) -> web.Response:
        allowed, headers, reset_after = self._route("dm-open:bot", self.dm_limit)
        if not allowed:
            return self._route_limited(headers, reset_after)
        recipient = str((await request.json())["recipient_id"])
        channel_id = self._dm_of.get(recipient)
        if channel_id is None:
            channel_id = self._dm_of[recipient] = str(next(self._ids))
            self._owner[channel_id] = recipient
        self.dms_opened[recipient] += 1
        payload = {"id": channel_id, "type": 1, "recipients": [user_payload(recipient)]}
        return json_response(payload, headers=headers)

    async def _message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel_id"]
        allowed, headers, reset_after = self._route(f"messages:{channel_id}", self.message_limit)
        if not allowed:
            return self._route_limited(headers, reset_after)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body = json.loads(str(form.get("payload_json", "{}")))
        else:
            body = await request.json()
        content = str(body.get("content", ""))
        components = body.get("components") or []
        self.with_buttons += bool(components)
        self.received[self._owner.get(channel_id, channel_id)].append(content)
        payload = {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "type": 0,
            "content": content,
            "author": user_payload(BOT_ID, "samvaer"),
            "timestamp": "2026-11-23T09:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "components": components,
        }
        return json_response(payload, headers=headers)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._global])
        app.router.add_get(f"{API}/users/@me", self._me)
        app.router.add_post(f"{API}/users/@me/channels", self._open_dm)
        app.router.add_post(f"{API}/channels/{{channel_id}}/messages", self._message)
        return app

    async def start(self) -> str:
        """Serve on a free loopback port; returns the API base for ``Route.BASE``."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}{API}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
