"""Migration 0013 (the meal's native event id and own call link) goes down and up again,
on SQLite and PostgreSQL, keeping the meals that were there."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import alembic_config, make_engine, upgrade
from tests.conftest import POSTGRES_URL, _postgres_available

NEW_COLUMNS = {"native_event_id", "place_url"}


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("meal_meals")}


async def _round_trip(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.begin() as connection:
        assert await connection.run_sync(_columns) >= NEW_COLUMNS
        await connection.run_sync(_downgrade, "0004")
        assert not NEW_COLUMNS & await connection.run_sync(_columns)
        await connection.execute(
            text(
                "INSERT INTO meal_meals (code, title, platform, room_id, timezone, local_time,"
                " first_date, every_weeks, minutes, capacity, video_kind, video_url,"
                " planned_until, created_at) VALUES ('abcd', 'Soup', 'discord', '', "
                "'Europe/Oslo', '18:00', '2026-11-26', 1, 60, 8, 'jitsi', '', "
                "'2026-11-26 17:00:00+00:00', '2026-11-23 09:00:00+00:00')"
            )
        )
    await upgrade(engine)
    async with engine.begin() as connection:
        assert await connection.run_sync(_columns) >= NEW_COLUMNS
        row = (
            await connection.execute(text("SELECT native_event_id, place_url FROM meal_meals"))
        ).one()
        assert tuple(row) == ("", "")  # a meal from before has no event and no own link yet


async def test_down_and_up_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await _round_trip(engine)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_down_and_up_on_postgres() -> None:
    if not _postgres_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    try:
        await _round_trip(engine)
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
