"""The daily purge of what organising and the core keep only for a while."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.core.claims import purge_claims
from bot.core.outbox import purge_old
from bot.db.models import Dialog
from bot.organising.linking import TRIES_WINDOW
from bot.organising.models import OrgLinkAttempt, OrgLinkCode

log = logging.getLogger("samvaer.organising.retention")

RUN_EVERY = timedelta(days=1)
# A dialog that ran out recently still gets a kind "that timed out" answer from
# the dispatcher; only long-dead ones are removed.
DIALOG_GRACE = timedelta(days=1)


async def purge(session: AsyncSession, config: Config, now: datetime) -> dict[str, int]:
    """Delete used-up link codes and tries, finished outbox rows and dead dialogs.

    Returns the counts per kind (never what was deleted).
    """
    codes = await session.execute(delete(OrgLinkCode).where(OrgLinkCode.expires_at < now))
    attempts = await session.execute(
        delete(OrgLinkAttempt).where(OrgLinkAttempt.at < now - TRIES_WINDOW)
    )
    outbox = await purge_old(session, now - timedelta(days=config.privacy.retention_days.outbox))
    dialogs = await session.execute(delete(Dialog).where(Dialog.expires_at < now - DIALOG_GRACE))
    claims = await purge_claims(session, now)
    counts = {
        "link_codes": int(getattr(codes, "rowcount", 0) or 0),
        "link_attempts": int(getattr(attempts, "rowcount", 0) or 0),
        "outbox": outbox,
        "dialogs": int(getattr(dialogs, "rowcount", 0) or 0),
        "event_claims": claims,
    }
    log.info(
        "retention.purged link_codes=%d link_attempts=%d outbox=%d dialogs=%d event_claims=%d",
        counts["link_codes"],
        counts["link_attempts"],
        counts["outbox"],
        counts["dialogs"],
        counts["event_claims"],
    )
    return counts
