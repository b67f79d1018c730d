"""Check-in alerts: raising them (low mood, crisis, missed days), handing them to the
volunteers, following up (telling the person honestly whether a volunteer was reached,
escalating to the organisers when nobody takes one) and acknowledging them.

Functions take an ``AsyncSession`` inside the caller's unit of work; messages for other
people go through the outbox in that same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.load import recent_moods, volunteer_accounts
from bot.checkins.models import CheckinAlert
from bot.checkins.rules import low_mood_run_start
from bot.core.context import Services
from bot.core.events import Destination, Direct, Role, TextMessage
from bot.core.i18n import format_local
from bot.core.outbox import SENT, delivery_states, enqueue
from bot.db.models import Account, Person
from bot.people.service import direct_to, display_name
from bot.rooms.service import rooms_for
from bot.safety.render import crisis_rows

log = logging.getLogger("samvaer.checkins")

ALERT_KIND = "checkin_alert"
REASONS = ("low_mood", "missed", "crisis")


async def check_low_mood(
    session: AsyncSession, services: Services, person: Person, mood: int, now: datetime
) -> CheckinAlert | None:
    """After a check-in of ``mood``: a low-mood alert if the rule says so and sharing is on."""
    rules = services.config.checkins
    # A run of low check-ins ends at the newest one, so a better mood cannot extend one.
    if not person.consent_share or mood > rules.low_mood_max:
        return None
    recent = await recent_moods(session, person.id)
    start = low_mood_run_start(recent, low_max=rules.low_mood_max, streak=rules.low_mood_streak)
    if start is None:
        return None
    since, first_id = start
    # The first low check-in's id names the episode: stable however long the run goes on.
    return await raise_alert(
        session, services, person.id, "low_mood", str(first_id), since, now, tell_person=True
    )


async def crisis_alert(
    session: AsyncSession, services: Services, person: Person, zone: str, now: datetime
) -> CheckinAlert | None:
    """A crisis phrase from someone who consented to sharing: one alert per local day."""
    if not person.consent_share:
        return None
    day = now.astimezone(ZoneInfo(zone)).date().isoformat()
    return await raise_alert(
        session, services, person.id, "crisis", day, now, now, tell_person=True
    )


async def raise_alert(
    session: AsyncSession,
    services: Services,
    person_id: int,
    reason: str,
    episode: str,
    since: datetime,
    now: datetime,
    *,
    tell_person: bool = False,
) -> CheckinAlert | None:
    """Create the alert for this episode and tell the volunteers; None if it already exists.

    With ``tell_person``, the person later hears whether a volunteer was really reached
    (:func:`follow_up_alerts`); nothing is promised before that.
    """
    values = {
        "person_id": person_id,
        "reason": reason,
        "episode": episode,
        "since": since,
        "created_at": now,
        "tell_person": tell_person,
        "person_told": "",
    }
    insert_fn = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert_fn(CheckinAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["person_id", "reason", "episode"])
        .returning(CheckinAlert.id)
    )
    alert_id = result.scalar_one_or_none()
    if alert_id is None:
        return None
    alert = await session.get(CheckinAlert, alert_id)
    assert alert is not None
    name = await display_name(session, person_id)
    log.info("checkins.alert id=%d reason=%s", alert_id, reason)
    handed = await notify_volunteers(
        session,
        services,
        now,
        "checkin.alert_new",
        subject_id=person_id,
        alert_id=alert_id,
        name=name,
        reason_key=f"checkin.reason_{reason}",
        since=since,
        dedupe_prefix=alert_key(alert_id),
    )
    if not handed:
        await _nowhere_to_go(session, services, alert, now)
    return alert


def alert_key(alert_id: int) -> str:
    """The dedupe-key prefix of an alert's deliveries: how its follow-up finds them."""
    return f"checkin-alert:{alert_id}:"


async def notify_volunteers(
    session: AsyncSession,
    services: Services,
    now: datetime,
    key: str,
    *,
    subject_id: int,
    alert_id: int,
    name: str,
    reason_key: str,
    since: datetime,
    exclude_person_id: int | None = None,
    acked_by: str = "",
    dedupe_prefix: str | None = None,
) -> int:
    """Tell the volunteers' rooms, or else every volunteer privately, about an alert.

    The outbox rows name the person the alert is about, so erasing that person
    also removes messages about them that were not sent yet.
    """
    config = services.config
    translator = services.translator

    def render(lang: str, zone: str, platform: str) -> str:
        return translator.text(
            lang,
            key,
            id=alert_id,
            name=name,
            reason=translator.text(lang, reason_key),
            since=format_local(since, zone, lang),
            volunteer=acked_by,
            prefix=services.prefix(platform),
        )

    sent = 0

    def dedupe() -> str | None:
        return f"{dedupe_prefix}{sent}" if dedupe_prefix else None

    rooms = await rooms_for(session, config, "volunteers")
    if rooms:
        lang, zone = config.community.language, config.community.timezone
        for room in rooms:
            await enqueue(
                session,
                TextMessage(room, render(lang, zone, room.platform)),
                due_at=now,
                now=now,
                kind=ALERT_KIND,
                person_id=subject_id,
                dedupe_key=dedupe(),
            )
            sent += 1
        return sent
    for account, own_lang, own_zone in await volunteer_accounts(session):
        if account.person_id in (exclude_person_id, subject_id):
            continue
        message = TextMessage(
            Direct(account.platform, account.external_id),
            render(
                own_lang or config.community.language,
                own_zone or config.community.timezone,
                account.platform,
            ),
            # The stored role may be stale: the platform is asked again right before sending.
            recipient_role=Role.VOLUNTEER,
        )
        await enqueue(
            session,
            message,
            due_at=now,
            now=now,
            kind=ALERT_KIND,
            person_id=subject_id,
            dedupe_key=dedupe(),
        )
        sent += 1
    if not sent:
        log.warning("checkins.alert_no_volunteers id=%d", alert_id)
    return sent


async def _tell_person(
    session: AsyncSession, services: Services, alert: CheckinAlert, key: str, now: datetime
) -> None:
    """Tell the person what really happened to their alert, in their language."""
    person = await session.get(Person, alert.person_id)
    if person is None:
        return
    lang = person.language or services.config.community.language
    text = services.translator.text(lang, key)
    if key == "safety.no_volunteer_reachable":
        text = "\n".join([text, *crisis_rows(services.translator, services.config, lang, now)])
    # Where they wrote from last (linked accounts: the platform they are on now).
    latest = await session.execute(
        select(Account.platform)
        .where(Account.person_id == alert.person_id)
        .order_by(Account.last_seen_at.desc().nulls_last(), Account.id)
        .limit(1)
    )
    try:
        to = await direct_to(session, alert.person_id, latest.scalar_one_or_none())
    except LookupError:
        return
    await enqueue(
        session,
        TextMessage(to, text),
        due_at=now,
        now=now,
        kind="checkin_alert_outcome",
        person_id=alert.person_id,
        dedupe_key=f"checkin-alert-outcome:{alert.id}:{key}",
    )


async def _nowhere_to_go(
    session: AsyncSession, services: Services, alert: CheckinAlert, now: datetime
) -> None:
    """No volunteer could be given the alert: say so honestly, and warn the organisers."""
    log.warning("checkins.alert_no_volunteers id=%d", alert.id)
    alert.person_told = "unreachable"
    if alert.tell_person:
        await _tell_person(session, services, alert, "safety.no_volunteer_reachable", now)
    await warn_organisers(session, services, now, "safety.alerts_nowhere", daily="nowhere")


async def warn_organisers(
    session: AsyncSession,
    services: Services,
    now: datetime,
    key: str,
    *,
    daily: str | None = None,
    **values: object,
) -> int:
    """Tell the organisers' rooms, or else each current organiser privately.

    With ``daily``, at most once a community day for that kind of warning.
    """
    config = services.config
    day = now.astimezone(ZoneInfo(config.community.timezone)).date().isoformat()
    destinations: list[Destination] = list(await rooms_for(session, config, "organisers"))
    if not destinations:
        organisers = await session.execute(
            select(Account).where(Account.role >= int(Role.ORGANISER)).order_by(Account.id)
        )
        destinations = [Direct(a.platform, a.external_id) for a in organisers.scalars()]
    text = services.translator.text(config.community.language, key, **values)
    sent = 0
    for index, to in enumerate(destinations):
        dedupe = f"organiser-warning:{daily}:{day}:{index}" if daily else None
        message = TextMessage(to, text, recipient_role=Role.ORGANISER)
        if await enqueue(
            session, message, due_at=now, now=now, kind="organiser_warning", dedupe_key=dedupe
        ):
            sent += 1
    if not destinations:
        log.warning("checkins.no_organisers_to_warn key=%s", key)
    return sent


async def follow_up_alerts(
    session: AsyncSession, services: Services, now: datetime, *, escalate: bool = True
) -> datetime | None:
    """What became of each alert: tell the person whether a volunteer was reached, and
    take an alert nobody has acknowledged in time to the organisers. Returns the next
    moment something here may be due."""
    safety = services.config.safety
    next_due: list[datetime] = []
    # Deliveries are retried for a while; after two days an alert is history.
    waiting = await session.execute(
        select(CheckinAlert).where(
            CheckinAlert.delivered_at.is_(None),
            CheckinAlert.created_at > now - timedelta(days=2),
        )
    )
    for alert in waiting.scalars():
        states = await delivery_states(session, alert_key(alert.id))
        sent_at = [s.sent_at for s in states if s.status == SENT and s.sent_at is not None]
        if sent_at:
            alert.delivered_at = min(sent_at)
            if alert.tell_person and alert.person_told != "delivered":
                alert.person_told = "delivered"
                told = "checkin.crisis_volunteer_told"
                if alert.reason != "crisis":
                    told = "checkin.volunteer_told"
                await _tell_person(session, services, alert, told, now)
            continue
        still_trying = any(state.still_trying for state in states)
        deadline = alert.created_at + safety.alert_delivery_wait
        if still_trying and now < deadline:
            next_due.append(deadline)
            continue
        if still_trying:
            next_due.append(now + services.config.scheduling.poll_interval)
        if not alert.person_told:
            alert.person_told = "unreachable"
            await _nowhere_to_go(session, services, alert, now)
    if not escalate:
        return min(next_due) if next_due else None
    unacked = await session.execute(
        select(CheckinAlert).where(
            CheckinAlert.acked_at.is_(None), CheckinAlert.escalated_at.is_(None)
        )
    )
    for alert in unacked.scalars():
        due = alert.created_at + safety.alert_escalation_after
        if due > now:
            next_due.append(due)
            continue
        alert.escalated_at = now
        lang = services.config.community.language
        log.info("checkins.alert_escalated id=%d", alert.id)
        await warn_organisers(
            session,
            services,
            now,
            "checkin.alert_escalated",
            id=alert.id,
            name=await display_name(session, alert.person_id),
            reason=services.translator.text(lang, f"checkin.reason_{alert.reason}"),
            since=format_local(alert.created_at, services.config.community.timezone, lang),
        )
    return min(next_due) if next_due else None


@dataclass(frozen=True)
class AckResult:
    """What ``checkin ack`` found: missing, already taken (by whom), or taken now."""

    status: str  # "missing" | "taken" | "acked"
    alert: CheckinAlert | None = None
    name: str = ""
    by: str = ""
    told: int = 0


async def acknowledge(
    session: AsyncSession,
    services: Services,
    alert_id: int,
    volunteer: Person,
    volunteer_name: str,
    now: datetime,
) -> AckResult:
    """A volunteer takes an alert; the other volunteers are told who did."""
    alert = await session.get(CheckinAlert, alert_id)
    if alert is None:
        return AckResult("missing")
    name = await display_name(session, alert.person_id)
    if alert.acked_at is not None:
        by = await display_name(session, alert.acked_by) if alert.acked_by else "?"
        return AckResult("taken", alert, name, by)
    # Only the first of two volunteers acking at once wins.
    result = await session.execute(
        update(CheckinAlert)
        .where(CheckinAlert.id == alert_id, CheckinAlert.acked_at.is_(None))
        .values(acked_by=volunteer.id, acked_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return AckResult("taken", alert, name, "?")
    await session.refresh(alert)
    told = await notify_volunteers(
        session,
        services,
        now,
        "checkin.alert_taken",
        subject_id=alert.person_id,
        alert_id=alert.id,
        name=name,
        reason_key=f"checkin.reason_{alert.reason}",
        since=alert.since,
        exclude_person_id=volunteer.id,
        acked_by=volunteer_name,
    )
    return AckResult("acked", alert, name, volunteer_name, told)
