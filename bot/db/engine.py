"""Engine creation and migrations."""

from __future__ import annotations

from os import close
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db import sqlite_driver
from bot.files import make_private, open_private

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, echo: bool = False, schema: str | None = None) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys, PostgreSQL an optional schema."""
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # A server that drops packets must not hold a person's answer (or the crisis
        # lines queued behind it) for asyncpg's default minute.
        connect_args["timeout"] = CONNECT_TIMEOUT_SECONDS
    if url.startswith("postgresql") and schema:
        connect_args["server_settings"] = {"search_path": schema}
    # No pre-ping: with asyncpg it costs three round trips (begin, ping, rollback) on
    # every checkout, as much as the command itself. A connection the server closed is
    # found by the first statement instead; SQLAlchemy then empties the pool and the
    # dispatcher runs that message once more (see Dispatcher._unit_of_work).
    pool: dict[str, Any] = {}
    if url.startswith("sqlite") and ":memory:" not in url:
        # SQLite lets one writer in at a time and makes the others sleep and retry
        # (busy_timeout), which under load costs far more than waiting in turn for
        # one shared connection, and can run out the timeout.
        pool.update(pool_size=1, max_overflow=0)
    if url.startswith("sqlite+aiosqlite"):
        database = make_url(url).database or ""
        _private_sqlite_file(database)
        pool["async_creator"] = sqlite_driver.connector(database)
    # hide_parameters: neither the SQL echo nor an error message (which a log line may
    # carry) shows the values bound into a statement: check-in notes, names, reports.
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, connect_args=connect_args, **pool
    )
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def _private_sqlite_file(database: str) -> None:
    """The database file (and its journal files, which SQLite creates with the same mode)
    is 0600: it holds check-ins, notes and names."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists() and path.parent.is_dir():
        close(open_private(path))
    for suffix in ("", "-wal", "-shm", "-journal"):
        make_private(path.with_name(path.name + suffix))


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply the Alembic migrations up to ``revision``."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
