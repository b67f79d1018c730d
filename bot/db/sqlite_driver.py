"""A SQLite connection for SQLAlchemy's aiosqlite dialect that runs short statements inline.

aiosqlite sends every call (cursor, execute, fetch, close, commit) to its own thread
and back. A command makes about ten such calls, each a GIL hand-off and an event
loop wake-up of 0.3-0.5 ms, while the statements themselves take microseconds on a
local WAL file: the round trips, not SQLite, bounded a process at under 200
commands/s. This connection runs calls on the event loop's thread by default and
sends them to a worker thread only inside :func:`off_event_loop`, which long
work (exports, statistics, reminder fan-out, retention) uses so that it never
holds up the loop.

The one ``sqlite3`` connection is used by one caller at a time: the engine's pool
has one connection, and a caller waits for each call before making the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_IN_WORKER: ContextVar[bool] = ContextVar("samvaer_sqlite_in_worker", default=False)


@contextlib.contextmanager
def off_event_loop() -> Iterator[None]:
    """Run this task's SQLite calls on the worker thread while the block lasts."""
    token = _IN_WORKER.set(True)
    try:
        yield
    finally:
        _IN_WORKER.reset(token)


class _Runner:
    """Runs a call inline, or on the connection's worker thread when asked to."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        if not _IN_WORKER.get():
            return call(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="samvaer-sqlite")
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation levels."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller
            future.set_exception(error)


class InlineCursor:
    """The async cursor SQLAlchemy's adapter expects, over a ``sqlite3`` cursor."""

    def __init__(self, cursor: sqlite3.Cursor, runner: _Runner) -> None:
        self._cursor = cursor
        self._runner = runner

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._runner.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> InlineCursor:
        await self._runner.run(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return await self._runner.run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        size = self._cursor.arraysize if size is None else size
        return await self._runner.run(self._cursor.fetchmany, size)

    async def fetchall(self) -> Sequence[Any]:
        return await self._runner.run(self._cursor.fetchall)

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The async connection SQLAlchemy's aiosqlite dialect expects, over ``sqlite3``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._runner = _Runner()
        self._tx = _ImmediateQueue()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy looks at this to know whether the connection is still open.
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor(), self._runner)

    async def commit(self) -> None:
        await self._runner.run(self._open().commit)

    async def rollback(self) -> None:
        await self._runner.run(self._open().rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's forced terminate)."""
        if self._conn is None:
            return
        self._runner.shutdown()
        self._conn.close()
        self._conn = None


def connector(database: str) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine`` opening ``database``."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: calls inside off_event_loop run on another thread,
        # one at a time.
        connection = sqlite3.connect(
            database or ":memory:", check_same_thread=False, uri=database.startswith("file:")
        )
        return InlineConnection(connection)

    return connect
