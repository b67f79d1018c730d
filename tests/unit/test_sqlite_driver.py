"""The SQLite connection that runs short statements on the event loop's thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import make_engine
from bot.db.sqlite_driver import off_event_loop


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncEngine:
    made = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")

    @event.listens_for(made.sync_engine, "connect")
    def _thread_function(dbapi_connection: object, _record: object) -> None:
        # A SQL function that tells which thread ran the statement.
        dbapi_connection.create_function(  # type: ignore[attr-defined]
            "thread_id", 0, threading.get_ident
        )

    return made


async def _thread_of_statement(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT thread_id()"))).scalar_one())


async def test_statements_run_on_the_event_loop_thread_by_default(engine: AsyncEngine) -> None:
    assert await _thread_of_statement(engine) == threading.get_ident()
    await engine.dispose()


async def test_long_work_runs_on_a_worker_thread_and_the_loop_stays_free(
    engine: AsyncEngine,
) -> None:
    with off_event_loop():
        assert await _thread_of_statement(engine) != threading.get_ident()
    # Outside the block, inline again.
    assert await _thread_of_statement(engine) == threading.get_ident()

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(ticker())
    with off_event_loop():
        async with engine.connect() as connection:
            # A statement long enough that an inline run would starve the ticker.
            await connection.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 300000) SELECT count(*) FROM n"
                )
            )
    running.cancel()
    assert ticks > 0
    await engine.dispose()


async def test_transactions_and_errors_behave_as_with_aiosqlite(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))

    async def insert_b_then_a_again() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('b')"))
            await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))

    with pytest.raises(IntegrityError):
        await insert_b_then_a_again()
    # The failed transaction was rolled back as a whole, on either thread.
    with off_event_loop():
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT v FROM t ORDER BY v"))).scalars()
            assert list(rows) == ["a"]
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT v FROM t"))
        assert result.fetchmany(5) == [("a",)]
    await engine.dispose()
