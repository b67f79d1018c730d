"""Fault tests: real processes killed, several processes on one PostgreSQL, downtime,
and the database going away. Run alone with ``pytest -m fault``."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.events import Direct, TextMessage
from bot.core.outbox import enqueue_many
from bot.db.engine import make_engine
from tests.conftest import POSTGRES_URL, START
from tests.helpers import Chat, text_of

pytestmark = pytest.mark.fault
ROOT = Path(__file__).resolve().parents[2]


async def _fill_outbox(engine: AsyncEngine, count: int) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from bot.core.clock import SystemClock

    now = SystemClock().now()
    rows = [
        {
            "message": TextMessage(Direct("test", f"user{i}"), f"reminder {i}"),
            "due_at": now - timedelta(seconds=1),
            "kind": "reminder",
            "dedupe_key": f"reminder:{i}",
        }
        for i in range(count)
    ]
    async with async_sessionmaker(engine)() as session:
        await enqueue_many(session, rows, now=now)
        await session.commit()


def _worker(
    url: str, record: Path, *extra: str, schema: str | None = None
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.fault.worker", "--url", url, "--record", str(record)]
    if schema:
        command += ["--schema", schema]
    return subprocess.Popen(
        [*command, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line]


def _finish(process: subprocess.Popen[str]) -> None:
    _out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err


@pytest.fixture
async def sqlite_file(
    sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    import shutil

    path = tmp_path / "fault.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = make_engine(url)
    yield url, engine
    await engine.dispose()


async def test_kill_9_mid_send_then_restart_delivers_each_reminder_once(
    sqlite_file: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, engine = sqlite_file
    await _fill_outbox(engine, 1000)
    record = tmp_path / "platform.txt"
    first = _worker(url, record, "--delay-ms", "2", "--batch", "100")
    deadline = time.monotonic() + 60
    while len(_lines(record)) < 250:  # wait for the process to be mid-way
        assert first.poll() is None, first.communicate()[1]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    delivered_before = len(_lines(record))
    assert delivered_before < 1000
    # The restarted process runs after the dead one's claim lease ran out.
    _finish(_worker(url, record, "--offset-seconds", "120", "--batch", "100"))
    per_user = collections.Counter(user for _key, user, _pid in _lines(record))
    assert len(per_user) == 1000
    assert set(per_user.values()) == {1}


@pytest.mark.postgres
@pytest.mark.parametrize("processes", [2, 3])
async def test_several_processes_on_postgres_share_the_outbox(
    postgres_schema: str, tmp_path: Path, processes: int
) -> None:
    from tests.conftest import _truncate_all

    engine = make_engine(POSTGRES_URL, schema=postgres_schema)
    try:
        await _truncate_all(engine)
        await _fill_outbox(engine, 10_000)
    finally:
        await engine.dispose()
    record = tmp_path / "platform.txt"
    workers = [
        _worker(POSTGRES_URL, record, "--no-dedupe", "--batch", "200", schema=postgres_schema)
        for _ in range(processes)
    ]
    for worker in workers:
        _finish(worker)
    lines = _lines(record)
    keys = [key for key, _user, _pid in lines]
    assert len(keys) == 10_000, "an attempt was lost or doubled"
    assert len(set(keys)) == 10_000
    assert len({pid for _k, _u, pid in lines}) >= 2, "work was not shared"


async def test_downtime_sends_what_is_within_grace_and_counts_the_rest(chat: Chat) -> None:
    now = chat.clock.now()
    async with chat.app.uow() as uow:
        await enqueue_many(
            uow.session,
            [
                {
                    "message": TextMessage(Direct("test", f"u{i}"), "hi"),
                    "due_at": now + timedelta(minutes=10 * i),
                    "kind": "reminder",
                    "dedupe_key": f"r:{i}",
                }
                for i in range(18)  # one every 10 minutes for three hours
            ],
            now=now,
        )
        await uow.commit()
    chat.clock.advance(timedelta(hours=3, minutes=5))  # the bot was stopped all along
    report = await chat.app.deliver()
    assert report.missed == 7  # due at 0–60 min: more than the 2 h grace before 3:05
    assert report.sent == 11
    again = await chat.app.deliver()
    assert (again.sent, again.missed) == (0, 0)
    assert len(chat.adapter.sent) == 11


class CuttableProxy:
    """A loopback TCP proxy to PostgreSQL that can be cut and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._writers += [writer, upstream_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


@pytest.mark.postgres
async def test_database_away_then_back(postgres_schema: str) -> None:
    from bot.adapters.recording import RecordingAdapter
    from bot.bootstrap import bootstrap
    from bot.config import parse_config
    from bot.core.clock import FakeClock
    from tests.conftest import _truncate_all

    proxy = CuttableProxy(5432)
    port = await proxy.start()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"
    engine = make_engine(url, schema=postgres_schema)
    await _truncate_all(engine)
    clock = FakeClock(START)
    adapter = RecordingAdapter("test")
    app = await bootstrap(
        parse_config({"community": {"language": "en"}}),
        clock=clock,
        engine=engine,
        adapters=[adapter],
        migrate=False,
    )
    chat = Chat(app, adapter, clock)
    try:
        assert "Here is what I can do" in await chat.text("alice", "!help")
        async with app.uow() as uow:
            await enqueue_many(
                uow.session,
                [
                    {
                        "message": TextMessage(Direct("test", "alice"), "queued"),
                        "due_at": clock.now() + timedelta(seconds=10),
                        "kind": "reminder",
                    }
                ],
                now=clock.now(),
            )
            await uow.commit()
        proxy.cut()
        for _ in range(3):  # 30 s of commands while the database is away
            clock.advance(timedelta(seconds=10))
            assert "try again in a moment" in await chat.text("alice", "!help")
            # The outbox loop logs this and retries on its next wake.
            with pytest.raises(OSError, match=r"Connect call failed|closed|refused|reset"):
                await app.deliver()
        crisis = [text_of(m) for m in await chat.say("alice", "jeg vil ikke leve mere")]
        assert "70 201 201" in crisis[0]
        proxy.restore()
        assert "Here is what I can do" in await chat.text("alice", "!help")
        await chat.tick()
        assert any(text_of(m) == "queued" for m in adapter.sent)
    finally:
        await app.close()
        await proxy.close()
