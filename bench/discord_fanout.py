"""A fan-out of check-in prompts as Discord DMs, against a local server with Discord's limits.

Each person gets a check-in prompt (a question with five buttons) as a DM; the
adapter opens the DM (one request) and sends the prompt with its buttons (one
request). The sends are driven like the outbox deliverer drives them: up to
``--concurrency`` in flight, in order per person (``bench/fanout.py``). The
server (``bench/discord_server.py``) enforces a global bucket of 50 requests/s
and Discord's per-route buckets, answers 429 as Discord does, and delays each
answer by ``--latency`` seconds like the trip to Discord.

Modes, run in rotated order:
  adapter     the adapter as configured (paced at [discord] requests_per_second), N at once
  sequential  the same adapter, one send at a time (how the deliverer sent before)
  unpaced     the adapter with pacing off, N at once: discord.py's own handling alone

    .venv/bin/python bench/discord_fanout.py [--messages 10000] [--modes adapter,unpaced]
        [--concurrency 10] [--latency 0.05] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
from discord.http import Route

from bench.discord_server import BOT_ID, FakeDiscord
from bench.fanout import send_concurrently
from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import build_registry
from bot.config import parse_config
from bot.core.events import ChoicePrompt, Direct, Option
from bot.core.i18n import Translator, load_catalogs

FIRST_USER = 700000000000000001
MOODS = tuple(Option(label, f"checkin {n}") for n, label in enumerate("12345", 1))


@dataclass
class Outcome:
    mode: str
    messages: int
    seconds: float
    accepted: int
    per_second: float
    limited_global: int
    limited_route: int
    lost: int
    duplicated: int
    opened_twice: int
    without_buttons: int
    failed_sends: int
    warned: bool

    @property
    def limited_share(self) -> float:
        total = self.accepted + self.limited_global + self.limited_route
        return (self.limited_global + self.limited_route) / total if total else 0.0


def prompt(user: str) -> ChoicePrompt:
    return ChoicePrompt(Direct("discord", user), "Time for a check-in: how are you?", MOODS)


async def fan_out(
    mode: str, messages: int, *, concurrency: int, latency: float, limit: float
) -> Outcome:
    server = FakeDiscord(rate=limit, latency=latency)
    Route.BASE = await server.start()
    config = parse_config(
        {"community": {"language": "en"}, "discord": {"guild_ids": [800000000000000001]}}
    )
    translator = Translator(load_catalogs(), "en")
    adapter = DiscordAdapter(
        config,
        registry=build_registry(strict=True),
        translator=translator,
        rate=0 if mode == "unpaced" else None,
    )
    http = adapter.client.http
    state = adapter.client._connection
    state.user = discord.ClientUser(state=state, data=await http.static_login("bench-token"))
    assert state.user.id == BOT_ID
    users = [str(FIRST_USER + n) for n in range(messages)]
    started = time.monotonic()
    try:
        results = await send_concurrently(
            adapter.send,
            [prompt(user) for user in users],
            limit=1 if mode == "sequential" else concurrency,
        )
    finally:
        seconds = time.monotonic() - started
        await http.close()
        await server.stop()
    return Outcome(
        mode=mode,
        messages=messages,
        seconds=seconds,
        accepted=server.accepted,
        per_second=server.accepted_per_second(),
        limited_global=server.limited_global,
        limited_route=server.limited_route,
        lost=sum(1 for user in users if not server.received.get(user)),
        duplicated=sum(len(texts) - 1 for texts in server.received.values() if len(texts) > 1),
        opened_twice=sum(1 for count in server.dms_opened.values() if count > 1),
        without_buttons=server.messages() - server.with_buttons,
        failed_sends=sum(1 for result in results if not result.ok),
        warned=adapter.limits.warned,
    )


def rotated(modes: list[str], round_: int) -> list[str]:
    shift = round_ % len(modes)
    return modes[shift:] + modes[:shift]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="DMs (one person each)")
    parser.add_argument("--modes", default="adapter,sequential,unpaced")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--limit", type=float, default=50.0, help="global requests/s allowed")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, each in rotated order")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(
        f"{platform.node()}: Python {platform.python_version()}, discord.py "
        f"{discord.__version__}; {args.messages} DMs, {args.concurrency} at once, "
        f"{args.latency * 1000:.0f} ms per answer, global limit {args.limit:g}/s",
        flush=True,
    )
    for round_ in range(args.repeat):
        for mode in rotated(modes, round_):
            o = await fan_out(
                mode,
                args.messages,
                concurrency=args.concurrency,
                latency=args.latency,
                limit=args.limit,
            )
            print(
                f"round {round_ + 1} {o.mode:>10}: {o.accepted} requests in {o.seconds:.1f} s; "
                f"{o.per_second:.1f} accepted/s = {o.per_second / args.limit:.1%} of the limit; "
                f"429s {o.limited_global} global + {o.limited_route} route "
                f"({o.limited_share:.2%} of requests); lost {o.lost}, duplicated "
                f"{o.duplicated}, DMs opened twice {o.opened_twice}, prompts without buttons "
                f"{o.without_buttons}, failed sends {o.failed_sends}; "
                f"rate warning {'logged' if o.warned else 'not logged'}",
                flush=True,
            )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    discord.utils.setup_logging(level=logging.ERROR)
    asyncio.run(main())
