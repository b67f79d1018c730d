"""Migration 0010 (meal offers, maybe, minimum): up, down to 0004 and up again on SQLite,
with a meal that existed before keeping its rows, and the models matching the tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db.engine import alembic_config, make_engine, upgrade
from bot.db.registry import all_metadata

NEW_COLUMNS = {
    "meal_meals": {"minimum"},
    "meal_occurrences": {"minimum_checked", "one_table"},
    "meal_rsvps": {"offer_expires_at", "position_told", "maybe_reminded"},
}


def _columns(connection: Connection) -> dict[str, set[str]]:
    found = inspect(connection)
    return {table: {c["name"] for c in found.get_columns(table)} for table in NEW_COLUMNS}


def _downgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0010-1")  # one step back on the meals branch: 0004


def _meal_differences(connection: Connection) -> list[object]:
    """What differs between the meal models and the migrated meal tables."""
    context = MigrationContext.configure(connection)
    return [diff for diff in compare_metadata(context, all_metadata()) if "meal_" in repr(diff)]


async def test_0010_goes_up_and_down_and_keeps_meals(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            columns = await connection.run_sync(_columns)
            for table, wanted in NEW_COLUMNS.items():
                assert wanted <= columns[table], table
            assert await connection.run_sync(_meal_differences) == []
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO meal_meals (code, title, platform, room_id, timezone, local_time,"
                    " first_date, every_weeks, minutes, capacity, video_kind, video_url,"
                    " planned_until, created_at) VALUES ('abc', 'Soup', 'test', '',"
                    " 'Europe/Oslo', '18:00', '2026-12-03', 0, 60, 6, 'jitsi', '',"
                    " '2026-12-03 17:00:00', '2026-11-23 09:00:00')"
                )
            )
            await connection.run_sync(_downgrade)
        async with engine.connect() as connection:
            columns = await connection.run_sync(_columns)
            for table, gone in NEW_COLUMNS.items():
                assert not gone & columns[table], table
        await upgrade(engine)
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT title, minimum FROM meal_meals"))).one()
            assert tuple(row) == ("Soup", 0)  # a meal from before has no minimum
    finally:
        await engine.dispose()
