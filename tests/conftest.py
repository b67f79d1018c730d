"""Shared fixtures: real databases (SQLite and PostgreSQL), a fake clock, no outside network."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.recording import RecordingAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.i18n import Translator, load_catalogs
from bot.db.engine import make_engine, upgrade
from bot.db.registry import all_metadata
from tests.helpers import Chat

POSTGRES_URL = os.environ.get(
    "SAMVAER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("SAMVAER_REQUIRE_POSTGRES") == "1"
T = TypeVar("T")
# The fake clock stands still within a test; the per-person flood limit is tested on its own.
UNLIMITED = {"commands_per_minute": 10_000, "command_burst": 10_000}
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Copenhagen

# ---------------------------------------------------------------- no outside network

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise RuntimeError(f"test tried to reach the outside network: {address!r}")
    return _real_connect(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(
        host if not isinstance(host, bytes) else host.decode()
    ):
        raise RuntimeError(f"test tried to resolve an outside host: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    os.environ.setdefault("MPLBACKEND", "Agg")


# ---------------------------------------------------------------- databases


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in its own thread and loop (session set-up)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _postgres_available() -> bool:
    async def probe() -> bool:
        engine = make_engine(POSTGRES_URL)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("select 1"))
            return True
        except Exception:
            return False
        finally:
            await engine.dispose()

    return run_blocking(probe)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.db"

    async def migrate() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    run_blocking(migrate)
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A migrated schema of its own for this test run."""
    if not _postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required (SAMVAER_REQUIRE_POSTGRES=1)")
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        engine = make_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        engine = make_engine(POSTGRES_URL, schema=schema)
        await upgrade(engine)
        await engine.dispose()

    async def drop() -> None:
        engine = make_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()

    run_blocking(create)
    yield schema
    run_blocking(drop)


async def _truncate_all(engine: AsyncEngine) -> None:
    tables = [t.name for t in all_metadata().sorted_tables]
    async with engine.begin() as connection:
        await connection.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def engine(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database on each backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "samvaer.db"
        shutil.copyfile(template, path)
        made = make_engine(f"sqlite+aiosqlite:///{path}")
    else:
        schema: str = request.getfixturevalue("postgres_schema")
        made = make_engine(POSTGRES_URL, schema=schema)
        await _truncate_all(made)
    yield made
    await made.dispose()


# ---------------------------------------------------------------- the application


@pytest.fixture(scope="session")
def translator() -> Translator:
    return Translator(load_catalogs(), "da")


@pytest.fixture
def config() -> Config:
    return parse_config({"community": {"language": "en"}, "safety": UNLIMITED})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def app(
    engine: AsyncEngine, config: Config, clock: FakeClock, translator: Translator
) -> AsyncIterator[App]:
    made = await bootstrap(
        config,
        clock=clock,
        engine=engine,
        adapters=[RecordingAdapter("test")],
        migrate=False,
        translator=translator,
    )
    return made


@pytest.fixture
def chat(app: App, clock: FakeClock) -> Chat:
    adapter = app.adapters["test"]
    assert isinstance(adapter, RecordingAdapter)
    return Chat(app, adapter, clock)
