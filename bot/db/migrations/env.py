"""Alembic environment: runs on the connection the application hands in."""

from __future__ import annotations

from alembic import context

from bot.db.registry import all_metadata

target_metadata = all_metadata()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `samvaer db upgrade`")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
