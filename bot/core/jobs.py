"""Timed work done once, whichever process wakes first.

Each job has a row in ``job_leases``: a process takes the lease with one
conditional upsert (only when the job is due and nobody else holds an
unexpired lease), runs the job, stores when it is next due and lets go. A
process that dies mid-job leaves a lease that simply runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import JobLease


async def try_acquire(
    session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the lease on job ``name`` if it is due and free; True when this holder has it."""
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_fn(JobLease).values(
        name=name, holder=holder, lease_until=now + ttl, last_run_at=None, next_run_at=None
    )
    table = JobLease.__table__
    upsert = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "lease_until": now + ttl},
        where=(
            or_(table.c.lease_until.is_(None), table.c.lease_until < now)
            & or_(table.c.next_run_at.is_(None), table.c.next_run_at <= now)
        ),
    ).returning(table.c.holder)
    result = await session.execute(upsert)
    row = result.first()
    return row is not None and row[0] == holder


async def release(
    session: AsyncSession, name: str, holder: str, now: datetime, next_run_at: datetime | None
) -> None:
    """Let go of the lease and record when the job is next due."""
    await session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(lease_until=None, last_run_at=now, next_run_at=next_run_at)
    )


async def next_job_due(session: AsyncSession) -> datetime | None:
    """The earliest time any job asked to run next."""
    result = await session.execute(select(func.min(JobLease.next_run_at)))
    return result.scalar_one_or_none()
