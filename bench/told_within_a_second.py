"""How soon others are told: from the commit of a command to the adapter's send of a
message it queued for someone else, per adapter.

Two scenarios, each round one event:
  alert     a person who agreed to sharing writes crisis words; a volunteer's alert
            goes through the outbox
  moved_up  a meal has one seat; the seated person leaves and the first on the waiting
            list is told a seat came free (then rejoins, so the two take turns)

The clock starts at the commit that queued the message (the unit of work's after-commit
hook) and stops when the adapter's ``send`` returns for it: the recording adapter (the
baseline), the console adapter (its real send path, output captured), the Matrix adapter
against a local Synapse (until the event id is back) and the Discord adapter against the
local Discord HTTP server of bench/discord_server.py (until the POST returns). Delivery is
started by the runner's "due now" wake (``deliver_when_due``), as in production; the poll
(30 s by default) never runs here.

Discord rounds are spaced by ``--discord-gap`` (1.3 s) to stay under Discord's limit of
5 messages per 5 s in one channel (the volunteer's DM); the server adds no trip time
unless ``--discord-latency`` says so.

    .venv/bin/python bench/told_within_a_second.py [--rounds 100] [--repeat 2]
        [--adapters recording,console,matrix,discord] [--scenarios alert,moved_up]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bot.adapters.base import Adapter
from bot.adapters.recording import RecordingAdapter
from bot.app import App, deliver_when_due
from bot.bootstrap import bootstrap
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.events import Direct, MessageIn, Outgoing, Role, Room, Sender, SendResult
from bot.core.outbox import DUE_NOW
from bot.meals.models import Meal

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADAPTERS = ("recording", "console", "matrix", "discord")
SCENARIOS = ("alert", "moved_up")
TIMEOUT = 10.0  # seconds: far beyond "within a second"; a miss is reported, not waited out


@dataclass
class Rig:
    """One adapter wired to a fresh database, and who is who on its platform."""

    config: Config
    adapter: Adapter
    platform: str
    volunteer: str
    seated: tuple[str, str]  # two people who take turns on a one-seat meal
    room_of: Callable[[str], Room]  # where a person writes from (replies go there)
    person: Callable[[int], str]  # the n-th person who writes crisis words
    # Seconds between rounds: Discord allows 5 messages per 5 s in a channel, and the
    # volunteer's DM is one channel; back-to-back rounds would measure that limit instead
    # (with discord.py's bucket handling, a 1.1 s gap still made every fifth alert wait).
    gap: float = 0.0


@dataclass
class Watch:
    """Times the commit that queued a message for ``target`` and the send that took it."""

    target: Direct | None = None
    committed: float | None = None
    told: asyncio.Event = field(default_factory=asyncio.Event)
    told_at: float = 0.0

    def arm(self, target: Direct) -> None:
        self.target, self.committed = target, None
        self.told.clear()

    def on_commit(self, info: dict[str, object]) -> None:
        if self.target is not None and self.committed is None and info.get(DUE_NOW):
            self.committed = time.perf_counter()

    def wrap(self, adapter: Adapter) -> None:
        send = adapter.send

        async def timed(message: Outgoing) -> SendResult:
            result = await send(message)
            if (
                result.ok
                and self.target is not None
                and getattr(message, "to", None) == self.target
            ):
                self.told_at = time.perf_counter()
                self.told.set()
            return result

        setattr(adapter, "send", timed)  # noqa: B010 - instance attribute over the method

    async def latency_ms(self) -> float:
        await asyncio.wait_for(self.told.wait(), timeout=TIMEOUT)
        assert self.committed is not None, "the message was sent before any due-now commit"
        return (self.told_at - self.committed) * 1000


def database(workdir: Path) -> dict[str, Any]:
    return {"url": f"sqlite+aiosqlite:///{workdir / 'samvaer.db'}"}


# ---------------------------------------------------------------- the adapters


@contextlib.asynccontextmanager
async def recording_rig(workdir: Path, shared: dict[str, Any]) -> AsyncIterator[Rig]:
    config = parse_config({"community": {"language": "en"}, "database": database(workdir)})
    adapter = RecordingAdapter("test")
    adapter.roles["vera"] = Role.VOLUNTEER
    yield Rig(
        config,
        adapter,
        "test",
        "vera",
        ("anna", "bo"),
        lambda user: Room("test", f"dm:{user}"),
        lambda n: f"person{n}",
    )


@contextlib.asynccontextmanager
async def console_rig(workdir: Path, shared: dict[str, Any]) -> AsyncIterator[Rig]:
    from bot.adapters.console import ConsoleAdapter

    async def no_lines() -> AsyncIterator[str]:
        return
        yield  # an async generator that ends at once

    printed: list[str] = []
    config = parse_config(
        {
            "community": {"language": "en"},
            "database": database(workdir),
            "roles": {"volunteers": ["vera"]},
            "console": {"export_dir": str(workdir / "exports")},
        }
    )
    adapter = ConsoleAdapter(config, lines=no_lines, output=printed.append)
    yield Rig(
        config,
        adapter,
        "console",
        "vera",
        ("anna", "bo"),
        lambda user: Room("console", f"dm:{user}"),
        lambda n: f"person{n}",
    )
    assert printed, "the console printed nothing"


@contextlib.asynccontextmanager
async def matrix_rig(workdir: Path, shared: dict[str, Any]) -> AsyncIterator[Rig]:
    from bot.adapters.matrix import MatrixAdapter
    from tests.adapters.matrix.synapse import Synapse

    if "synapse" not in shared:  # started once for the whole run, like bench/matrix_bench.py
        synapse = Synapse(Path(tempfile.mkdtemp(prefix="samvaer-told-synapse-")) / "synapse")
        synapse.start()
        shared["synapse"] = synapse
        shared["accounts"] = {
            name: synapse.register(name) for name in ("samvaer", "vera", "anna", "bo", "pia")
        }
    synapse, accounts = shared["synapse"], shared["accounts"]
    os.environ["SAMVAER_BENCH_MATRIX_PASSWORD"] = accounts["samvaer"].password
    ids = {name: account.user_id for name, account in accounts.items()}
    config = parse_config(
        {
            "community": {"language": "en"},
            "database": database(workdir),
            "roles": {"volunteers": [ids["vera"]]},
            "matrix": {
                "homeserver": synapse.url,
                "user_id": ids["samvaer"],
                "password_env": "SAMVAER_BENCH_MATRIX_PASSWORD",
                "store_path": str(workdir / "store"),
            },
        }
    )
    adapter = MatrixAdapter(config)
    await adapter.connect()
    syncing = asyncio.create_task(adapter.start(_ignore))
    await adapter.synced.wait()
    rooms: dict[str, str] = {}
    for name in ("vera", "anna", "bo", "pia"):
        room = await adapter.direct_room(ids[name])
        assert room, f"no DM room with {name}"
        rooms[ids[name]] = room
    try:
        yield Rig(
            config,
            adapter,
            "matrix",
            ids["vera"],
            (ids["anna"], ids["bo"]),
            # Everyone who writes crisis words writes from Pia's DM room: a real room, so
            # the bot's replies there are real sends too.
            lambda user: Room("matrix", rooms.get(user, rooms[ids["pia"]])),
            lambda n: f"@person{n}:localhost",
        )
    finally:
        await adapter.stop()
        syncing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await syncing
        await adapter.client.close()


async def _ignore(event: object) -> None:
    return None


@contextlib.asynccontextmanager
async def discord_rig(workdir: Path, shared: dict[str, Any]) -> AsyncIterator[Rig]:
    import discord
    from discord.http import Route

    from bench.discord_server import BOT_ID, FakeDiscord
    from bot.adapters.discord import DiscordAdapter
    from bot.bootstrap import build_registry
    from bot.core.i18n import Translator, load_catalogs
    from tests.adapters.discord.support import member_payload, role_payload

    guild_id, channel_id, vera = 800000000000000001, 800000000000000100, 700000000000000001
    anna, bo = 700000000000000002, 700000000000000003
    # Channel offsets: the volunteer, the two meal guests, then the n-th person.
    writers = {str(vera): 1, str(anna): 2, str(bo): 3} | {
        str(710000000000000000 + n): 4 + n for n in range(shared["rounds"])
    }
    # Discord's limits as the fan-out benchmark serves them; no added trip time (see RESULTS).
    server = FakeDiscord(latency=shared.get("discord_latency", 0.0))
    Route.BASE = await server.start()
    config = parse_config(
        {
            "community": {"language": "en"},
            "database": database(workdir),
            "roles": {"volunteers": [f"discord-user:{vera}"]},
            "discord": {"guild_ids": [guild_id]},
        }
    )
    adapter = DiscordAdapter(
        config,
        registry=build_registry(strict=True),
        translator=Translator(load_catalogs(), "en"),
    )
    http = adapter.client.http
    state = adapter.client._connection
    state.user = discord.ClientUser(state=state, data=await http.static_login("bench-token"))
    assert state.user.id == BOT_ID

    # The served guild as the gateway announces it: the volunteer's member object is cached,
    # so the role check before the alert asks nothing of the server.
    state._add_guild_from_data(
        {
            "id": str(guild_id),
            "name": "Samvær bench",
            "owner_id": str(BOT_ID),
            "features": [],
            "roles": [role_payload(guild_id, "@everyone")],
            # A channel of their own for everyone who writes (as their DMs would be), so
            # that the replies to one person do not wait on another's per-channel limit.
            "channels": [
                {
                    "id": str(channel_id + n),
                    "type": 0,
                    "name": f"person-{n}",
                    "position": n,
                    "guild_id": str(guild_id),
                    "permission_overwrites": [],
                    "parent_id": None,
                }
                for n in range(shared["rounds"] + 4)
            ],
            "members": [member_payload(user, f"user{user}") for user in (vera, anna, bo)],
            "emojis": [],
            "stickers": [],
            "member_count": 3,
            "large": False,
        }
    )
    try:
        yield Rig(
            config,
            adapter,
            "discord",
            str(vera),
            (str(anna), str(bo)),
            lambda user: Room("discord", str(channel_id + writers.get(user, 0))),
            lambda n: str(710000000000000000 + n),
            gap=shared.get("discord_gap", 1.3),
        )
    finally:
        await http.close()
        await server.stop()


RIGS = {
    "recording": recording_rig,
    "console": console_rig,
    "matrix": matrix_rig,
    "discord": discord_rig,
}


# ---------------------------------------------------------------- the scenarios


def _event(rig: Rig, user: str, text: str, role: Role = Role.PARTICIPANT) -> MessageIn:
    return MessageIn(Sender(rig.platform, user, user, role), rig.room_of(user), text, True)


async def alerts(app: App, rig: Rig, watch: Watch, clock: FakeClock, rounds: int) -> list[float]:
    """Crisis words from someone who shares: the volunteer's alert."""
    latencies = []
    for index in range(rounds):
        user = rig.person(index)
        await app.handle(_event(rig, user, "!checkin share on"))
        watch.arm(Direct(rig.platform, rig.volunteer))
        await app.handle(_event(rig, user, "I want to end my life"))
        latencies.append(await watch.latency_ms())
        clock.advance(timedelta(minutes=1))
        await asyncio.sleep(rig.gap)
    return latencies


async def moved_up(app: App, rig: Rig, watch: Watch, clock: FakeClock, rounds: int) -> list[float]:
    """A one-seat meal: the seated person leaves, the one waiting is told at once."""
    await app.handle(
        _event(
            rig, rig.volunteer, '!meal schedule "Soup" tomorrow 19:00 capacity 1', Role.VOLUNTEER
        )
    )
    async with app.uow() as uow:
        code = (
            await uow.session.execute(select(Meal.code).order_by(Meal.id.desc()).limit(1))
        ).scalar_one()
    seated, waiting = rig.seated
    await app.handle(_event(rig, seated, f"!meal join {code}"))
    await app.handle(_event(rig, waiting, f"!meal join {code}"))
    latencies = []
    for _ in range(rounds):
        watch.arm(Direct(rig.platform, waiting))
        await app.handle(_event(rig, seated, f"!meal leave {code}"))
        latencies.append(await watch.latency_ms())
        await app.handle(_event(rig, seated, f"!meal join {code}"))  # now the one waiting
        seated, waiting = waiting, seated
        clock.advance(timedelta(minutes=1))
        await asyncio.sleep(rig.gap)
    return latencies


SCENARIO_RUNS = {"alert": alerts, "moved_up": moved_up}


async def one_run(
    kind: str, scenarios: list[str], rounds: int, shared: dict[str, Any]
) -> dict[str, list[float]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"samvaer-told-{kind}-"))
    async with RIGS[kind](workdir, shared) as rig:
        clock = FakeClock(START)
        app = await bootstrap(rig.config, clock=clock, adapters=[rig.adapter])
        watch = Watch()
        app.uow.after_commit.append(watch.on_commit)
        watch.wrap(rig.adapter)
        runner = asyncio.create_task(deliver_when_due(app))
        try:
            await app.handle(_event(rig, rig.volunteer, "!help", Role.VOLUNTEER))
            return {
                name: await SCENARIO_RUNS[name](app, rig, watch, clock, rounds)
                for name in scenarios
            }
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            await app.close()


def rotated(items: list[str], round_: int) -> list[str]:
    shift = round_ % len(items)
    return items[shift:] + items[:shift]


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered):7.1f} ms, p95 {p95:7.1f} ms, max {ordered[-1]:7.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("rounds_positional", nargs="?", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=100, help="events per scenario and run")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each in rotated order")
    parser.add_argument("--adapters", default=",".join(ADAPTERS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--discord-latency", type=float, default=0.0, help="seconds the Discord server waits"
    )
    parser.add_argument(
        "--discord-gap", type=float, default=1.3, help="seconds between Discord rounds"
    )
    args = parser.parse_args()
    rounds = args.rounds_positional or args.rounds
    kinds = [k.strip() for k in args.adapters.split(",") if k.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(kinds) - set(RIGS) | set(scenarios) - set(SCENARIO_RUNS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    print(
        f"{platform.node()}: Python {platform.python_version()}; SQLite; {rounds} events per "
        f"scenario per run, {args.repeat} run(s) in rotated order; commit → adapter's send "
        f"returned",
        flush=True,
    )
    shared: dict[str, Any] = {
        "discord_latency": args.discord_latency,
        "discord_gap": args.discord_gap,
        "rounds": rounds,
    }
    found: dict[tuple[str, str], list[float]] = {}
    try:
        for round_ in range(args.repeat):
            for kind in rotated(kinds, round_):
                results = await one_run(kind, scenarios, rounds, shared)
                for name, values in results.items():
                    found.setdefault((kind, name), []).extend(values)
                    print(f"run {round_ + 1} {kind:>9} {name:>8}: {summary(values)}", flush=True)
    finally:
        if "synapse" in shared:
            shared["synapse"].stop()
    print("all runs:")
    for name in scenarios:
        base = statistics.median(found[("recording", name)]) if "recording" in kinds else None
        for kind in kinds:
            values = found[(kind, name)]
            ratio = f", median {statistics.median(values) / base:5.1f} × recording" if base else ""
            print(f"  {name:>8} {kind:>9} ({len(values)} events): {summary(values)}{ratio}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main())
