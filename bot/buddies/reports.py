"""Confidential reports about a buddy: filed by a person, read and closed by organisers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies import load
from bot.buddies.models import BuddyPair, BuddyReport
from bot.buddies.render import text_for
from bot.buddies.rules import other_side, report_key
from bot.buddies.service import tell
from bot.core.context import JobContext
from bot.core.events import Destination, Role, TextMessage
from bot.people.service import direct_to, display_name
from bot.rooms.service import rooms_for


async def filed_today(session: AsyncSession, reporter_id: int, now: datetime) -> int:
    """How many reports someone filed in the last day."""
    recent = await session.scalar(
        select(func.count())
        .select_from(BuddyReport)
        .where(
            BuddyReport.reporter_id == reporter_id,
            BuddyReport.created_at > now - timedelta(days=1),
        )
    )
    return int(recent or 0)


async def file_report(
    job: JobContext, reporter_id: int, text: str, pairs: list[BuddyPair]
) -> BuddyReport:
    """Store a report and send it confidentially to the organisers."""
    session = job.session
    report = BuddyReport(
        reporter_id=reporter_id,
        pair_ids=[p.id for p in pairs],
        text=text,
        status="open",
        created_at=job.now,
    )
    session.add(report)
    await session.flush()
    reporter = await display_name(session, reporter_id)
    about = ", ".join([await display_name(session, other_side(p, reporter_id)) for p in pairs])
    lang = job.config.community.language
    destinations: list[Destination] = list(await rooms_for(session, job.config, "organisers"))
    if not destinations:
        destinations = [
            await direct_to(session, a.person_id, a.platform)
            for a in await load.organiser_accounts(session)
        ]
    for index, to in enumerate(destinations):
        body = text_for(
            job,
            lang,
            to,
            "buddy.report_to_organisers",
            ref=report.id,
            reporter=reporter,
            about=about or "-",
            text=text,
        )
        # Only someone who is an organiser when it is sent may read it.
        message = TextMessage(to, body, recipient_role=Role.ORGANISER)
        await job.later(message, kind="buddy_report", dedupe_key=f"{report_key(report.id)}{index}")
    return report


async def open_reports(session: AsyncSession) -> list[BuddyReport]:
    return list(
        (
            await session.execute(
                select(BuddyReport).where(BuddyReport.status == "open").order_by(BuddyReport.id)
            )
        ).scalars()
    )


async def close_report(job: JobContext, row: BuddyReport, closed_by: int, note: str) -> None:
    """Close a report; the reporter hears that it was closed, not the note."""
    row.status, row.closed_at, row.closed_by, row.note = "closed", job.now, closed_by, note
    await tell(
        job,
        row.reporter_id,
        "buddy.report_closed_reporter",
        dedupe=f"{report_key(row.id)}closed",
        ref=row.id,
    )
