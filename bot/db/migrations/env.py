"""Alembic environment: runs on the connection the application hands in."""

from __future__ import annotations

from alembic import context

from bot.db.registry import all_metadata

target_metadata = all_metadata()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `samvaer db upgrade`")
table_prefix: str = context.config.attributes.get("table_prefix", "")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """When generating a feature's migration, look only at that feature's tables."""
    if not table_prefix:
        return True
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return bool(table and table.startswith(table_prefix))


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
