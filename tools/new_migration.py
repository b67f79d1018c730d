"""Generate an Alembic migration from the models.

    python tools/new_migration.py 0002 0001 "check-ins" --branch checkins --tables checkin_
    python tools/new_migration.py 0012 checkins@head "check-in moods" --tables checkin_

A feature's first migration branches from the core (``0001``) with a branch
label, so features don't depend on each other; later ones build on
``<branch>@head``. ``--tables`` limits the migration to tables with that
name prefix, so one feature's migration never picks up another's tables.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Connection

from bot.db.engine import alembic_config, make_engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev_id")
    parser.add_argument("down")
    parser.add_argument("message")
    parser.add_argument("--branch", default=None)
    parser.add_argument("--tables", default="", help="only tables whose names start with this")
    args = parser.parse_args()

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'gen.db'}")

            def generate(connection: Connection) -> None:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
                config.attributes["table_prefix"] = args.tables
                command.revision(
                    config,
                    message=args.message,
                    autogenerate=True,
                    rev_id=args.rev_id,
                    head=args.down,
                    branch_label=args.branch,
                    splice=args.branch is not None,
                )

            async with engine.begin() as connection:
                await connection.run_sync(generate)
            await engine.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    main()
