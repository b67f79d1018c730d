"""Check-in persistence and effects: entries, reminders, alerts, retention, personal data.

Functions take an ``AsyncSession`` inside the caller's unit of work; messages
for later or for other people go through the outbox in that same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import CheckinAlert, CheckinEntry, CheckinSchedule
from bot.checkins.rules import (
    MOOD_HIGH,
    MOOD_LOW,
    ReminderRule,
    low_mood_run_start,
    missed_episode_start,
    missed_scheduled_days,
    next_due,
)
from bot.core.codec import encode
from bot.core.context import Services
from bot.core.dispatcher import command_option
from bot.core.events import ChoicePrompt, Destination, Direct, Option, Role, TextMessage
from bot.core.i18n import format_local
from bot.core.outbox import CLAIMED, PENDING, SENT, enqueue, insert_rows, outbox_row
from bot.db.models import Account, OutboxItem, Person
from bot.people.service import direct_to, display_name
from bot.privacy.data import row_to_dict
from bot.rooms.service import rooms_for
from bot.safety.render import crisis_rows

log = logging.getLogger("samvaer.checkins")

REMINDER_BATCH = 200
REMINDER_KIND = "checkin_reminder"
MISSED_KIND = "checkin_missed"
ALERT_KIND = "checkin_alert"
RECENT_FOR_ALERTS = 100
REASONS = ("low_mood", "missed", "crisis")


# ---------------------------------------------------------------- entries


_INSERT_ENTRY = insert(cast(Table, CheckinEntry.__table__))


async def record_checkin(
    session: AsyncSession,
    person_id: int,
    mood: int,
    note: str | None,
    now: datetime,
    *,
    source: str = "checkin",
) -> int:
    """Store a check-in and return its id. Callers check consent first."""
    if not MOOD_LOW <= mood <= MOOD_HIGH:
        raise ValueError(f"mood {mood} outside {MOOD_LOW}..{MOOD_HIGH}")
    # A plain INSERT: nothing reads the entry back in this unit of work, and the ORM's
    # flush bookkeeping was a large part of a check-in's cost.
    result = await session.execute(
        _INSERT_ENTRY,
        {
            "person_id": person_id,
            "mood": mood,
            "note": note or None,
            "source": source,
            "created_at": now,
        },
    )
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None, "a single-row INSERT has a key"
    return int(key[0])


async def recent_moods(
    session: AsyncSession, person_id: int, limit: int = RECENT_FOR_ALERTS
) -> list[tuple[int, tuple[datetime, int]]]:
    """(mood, (when, id)) of the person's latest check-ins, newest first."""
    result = await session.execute(
        select(CheckinEntry.mood, CheckinEntry.created_at, CheckinEntry.id)
        .where(CheckinEntry.person_id == person_id)
        .order_by(CheckinEntry.created_at.desc(), CheckinEntry.id.desc())
        .limit(limit)
    )
    return [(mood, (when, entry_id)) for mood, when, entry_id in result.all()]


async def history(session: AsyncSession, person_id: int, since: datetime) -> list[CheckinEntry]:
    """The person's check-ins since ``since``, oldest first."""
    result = await session.execute(
        select(CheckinEntry)
        .where(CheckinEntry.person_id == person_id, CheckinEntry.created_at >= since)
        .order_by(CheckinEntry.created_at, CheckinEntry.id)
    )
    return list(result.scalars())


# ---------------------------------------------------------------- mood prompts


def mood_options(services: Services, lang: str) -> list[tuple[str, str]]:
    """The five answers as (label, value) pairs; picking one runs ``checkin N``."""
    translator = services.translator
    return [
        (translator.text(lang, f"checkin.mood_{n}"), command_option(f"checkin {n}"))
        for n in range(MOOD_LOW, MOOD_HIGH + 1)
    ]


def mood_prompt(services: Services, to: Destination, lang: str, text: str) -> ChoicePrompt:
    options = tuple(Option(label, value) for label, value in mood_options(services, lang))
    return ChoicePrompt(to, text, options)


# ---------------------------------------------------------------- schedules


async def get_schedule(session: AsyncSession, person_id: int) -> CheckinSchedule | None:
    return await session.get(CheckinSchedule, person_id)


async def set_schedule(
    session: AsyncSession, person_id: int, rule: ReminderRule, zone: str, now: datetime
) -> CheckinSchedule:
    """Create or change someone's reminder; the next due time is computed from the rule."""
    due = next_due(rule, ZoneInfo(zone), now)
    schedule = await session.get(CheckinSchedule, person_id)
    if schedule is None:
        schedule = CheckinSchedule(person_id=person_id, created_at=now)
        session.add(schedule)
    schedule.weekdays = rule.days_code
    schedule.local_time = rule.local_time
    schedule.timezone = zone
    schedule.next_due_at = due
    # A changed schedule starts a new "missed" count: reminders begin now.
    schedule.created_at = now
    await session.flush()
    return schedule


async def clear_schedule(session: AsyncSession, person_id: int) -> bool:
    """Stop someone's reminders; False when there were none."""
    result = await session.execute(
        delete(CheckinSchedule).where(CheckinSchedule.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def next_schedule_due(session: AsyncSession) -> datetime | None:
    result = await session.execute(select(func.min(CheckinSchedule.next_due_at)))
    value = result.scalar_one_or_none()
    return value if isinstance(value, datetime) else None


@dataclass
class ReminderRun:
    """What one pass of the reminder job did."""

    reminders: int = 0
    warm_words: int = 0
    alerts: int = 0


async def send_due_reminders(
    session: AsyncSession, services: Services, now: datetime, *, batch: int = REMINDER_BATCH
) -> ReminderRun:
    """Enqueue every due reminder (one per person and local date) and move schedules on.

    Works in batches with one statement per step and yields to the event loop
    between batches, so thousands of reminders in the same minute don't keep
    other people waiting.
    """
    config = services.config
    checkins = config.checkins
    cap = max(checkins.missed_days_alert, checkins.missed_days_warm_word)
    run = ReminderRun()
    # The reminder is the same for everyone who reads a language; only the address differs.
    payloads: dict[str, dict[str, Any]] = {}
    next_times: dict[tuple[str, str, str], datetime] = {}
    while True:
        rows = (
            await session.execute(
                select(
                    CheckinSchedule.person_id,
                    CheckinSchedule.weekdays,
                    CheckinSchedule.local_time,
                    CheckinSchedule.timezone,
                    CheckinSchedule.next_due_at,
                    CheckinSchedule.created_at,
                    Person.language,
                    Person.consent_share,
                )
                .join(Person, Person.id == CheckinSchedule.person_id)
                .where(CheckinSchedule.next_due_at <= now)
                .order_by(CheckinSchedule.next_due_at, CheckinSchedule.person_id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return run
        ids = [row.person_id for row in rows]
        destinations = await _first_accounts(session, ids)
        last_checkins = await _last_checkins(session, ids)
        outbox_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        alerts: list[tuple[int, str, datetime]] = []
        for row in rows:
            rule = ReminderRule.from_stored(row.weekdays, row.local_time)
            zone = ZoneInfo(row.timezone)
            due: datetime = row.next_due_at
            rule_key = (row.weekdays, row.local_time, row.timezone)
            if rule_key not in next_times:
                next_times[rule_key] = next_due(rule, zone, now)
            updates.append({"schedule_id": row.person_id, "new_due": next_times[rule_key]})
            to = destinations.get(row.person_id)
            if to is None:
                continue
            lang = row.language or config.community.language
            last = last_checkins.get(row.person_id)
            missed = missed_scheduled_days(
                rule, zone, scheduled_since=row.created_at, last_checkin=last, now=due, cap=cap
            )
            episode = missed_episode_start(row.created_at, last)
            if missed >= checkins.missed_days_warm_word:
                warm = TextMessage(to, services.translator.text(lang, "checkin.missed_you"))
                outbox_rows.append(
                    _outbox_values(
                        encode(warm),
                        to,
                        due=due,
                        now=now,
                        kind=MISSED_KIND,
                        person_id=row.person_id,
                        dedupe_key=f"checkin.missed:{row.person_id}:{episode.isoformat()}",
                    )
                )
                run.warm_words += 1
            if missed >= checkins.missed_days_alert and row.consent_share:
                alerts.append((row.person_id, episode.isoformat(), episode))
            if lang not in payloads:
                text = services.translator.text(lang, "checkin.reminder")
                payloads[lang] = encode(mood_prompt(services, to, lang, text))
            local_day = due.astimezone(zone).date().isoformat()
            outbox_rows.append(
                _outbox_values(
                    payloads[lang],
                    to,
                    due=due,
                    now=now,
                    kind=REMINDER_KIND,
                    person_id=row.person_id,
                    dedupe_key=f"checkin.reminder:{row.person_id}:{local_day}",
                )
            )
        run.reminders += await insert_rows(session, outbox_rows)
        table = cast(Table, CheckinSchedule.__table__)
        await session.execute(
            table.update()
            .where(table.c.person_id == bindparam("schedule_id"))
            .values(next_due_at=bindparam("new_due")),
            updates,
        )
        for person_id, episode_key, since in alerts:
            if await raise_alert(session, services, person_id, "missed", episode_key, since, now):
                run.alerts += 1
        # Let other work (people typing commands) run between batches.
        await asyncio.sleep(0)


def _outbox_values(
    payload: dict[str, Any],
    to: Direct,
    *,
    due: datetime,
    now: datetime,
    kind: str,
    person_id: int,
    dedupe_key: str,
) -> dict[str, Any]:
    """One outbox row for a payload encoded once per language and addressed to ``to``."""
    return outbox_row(
        {**payload, "to": {"user": to.user_id, "platform": to.platform}},
        to.platform,
        due_at=due,
        now=now,
        kind=kind,
        person_id=person_id,
        dedupe_key=dedupe_key,
    )


async def _first_accounts(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, Direct]:
    """Each person's first account as a place to write privately (as direct_to does)."""
    result = await session.execute(
        select(Account.person_id, Account.platform, Account.external_id)
        .where(Account.person_id.in_(person_ids))
        .order_by(Account.id)
    )
    found: dict[int, Direct] = {}
    for person_id, platform, external_id in result.all():
        found.setdefault(person_id, Direct(platform, external_id))
    return found


async def _last_checkins(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, datetime]:
    result = await session.execute(
        select(CheckinEntry.person_id, func.max(CheckinEntry.created_at))
        .where(CheckinEntry.person_id.in_(person_ids))
        .group_by(CheckinEntry.person_id)
    )
    last: dict[int, datetime] = {}
    for person_id, when in result.all():
        if when is not None:
            last[person_id] = _aware(when)
    return last


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back naive UTC (or a string).
    from bot.core.clock import as_utc

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


# ---------------------------------------------------------------- alerts


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


async def volunteer_accounts(session: AsyncSession) -> list[tuple[Account, str | None, str | None]]:
    """Accounts whose platform role is volunteer or above, with their language and zone."""
    result = await session.execute(
        select(Account, Person.language, Person.timezone)
        .join(Person, Person.id == Account.person_id)
        .where(Account.role >= int(Role.VOLUNTEER))
        .order_by(Account.id)
    )
    return [(account, lang, zone) for account, lang, zone in result.all()]


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
    try:
        to = await direct_to(session, alert.person_id)
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
        rows = await session.execute(
            select(OutboxItem.status, OutboxItem.sent_at).where(
                OutboxItem.dedupe_key.startswith(alert_key(alert.id))
            )
        )
        states = rows.all()
        sent_at = [when for status, when in states if status == SENT and when is not None]
        if sent_at:
            alert.delivered_at = min(sent_at)
            if alert.tell_person and alert.person_told != "delivered":
                alert.person_told = "delivered"
                told = "checkin.crisis_volunteer_told"
                if alert.reason != "crisis":
                    told = "checkin.volunteer_told"
                await _tell_person(session, services, alert, told, now)
            continue
        still_trying = any(status in (PENDING, CLAIMED) for status, _when in states)
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


async def open_alerts(session: AsyncSession) -> list[tuple[CheckinAlert, str]]:
    """Alerts nobody has taken yet, oldest first, with the person's display name."""
    result = await session.execute(
        select(CheckinAlert)
        .where(CheckinAlert.acked_at.is_(None))
        .order_by(CheckinAlert.created_at, CheckinAlert.id)
    )
    return [(alert, await display_name(session, alert.person_id)) for alert in result.scalars()]


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


# ---------------------------------------------------------------- retention


async def purge_expired(
    session: AsyncSession, now: datetime, *, values_days: int, notes_days: int
) -> tuple[int, int, int]:
    """Delete check-ins older than ``values_days``, blank notes older than ``notes_days``,
    and drop alerts about episodes older than the values. Returns the three counts."""
    values_before = now - timedelta(days=values_days)
    notes_before = now - timedelta(days=notes_days)
    deleted = await session.execute(
        delete(CheckinEntry).where(CheckinEntry.created_at < values_before)
    )
    blanked = await session.execute(
        update(CheckinEntry)
        .where(CheckinEntry.created_at < notes_before, CheckinEntry.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    alerts = await session.execute(
        delete(CheckinAlert).where(CheckinAlert.created_at < values_before)
    )
    return (
        int(getattr(deleted, "rowcount", 0) or 0),
        int(getattr(blanked, "rowcount", 0) or 0),
        int(getattr(alerts, "rowcount", 0) or 0),
    )


# ---------------------------------------------------------------- personal data


class CheckinData:
    """Check-ins, the reminder schedule and alerts about a person, for mydata and forget."""

    name = "checkins"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        entries = await session.execute(
            select(CheckinEntry)
            .where(CheckinEntry.person_id == person_id)
            .order_by(CheckinEntry.created_at)
        )
        schedule = await session.get(CheckinSchedule, person_id)
        alerts = await session.execute(
            select(CheckinAlert)
            .where(CheckinAlert.person_id == person_id)
            .order_by(CheckinAlert.created_at)
        )
        return {
            "checkins": [row_to_dict(e, skip=("person_id",)) for e in entries.scalars()],
            "reminder": row_to_dict(schedule, skip=("person_id",)) if schedule else None,
            # Who took an alert is the volunteer's data; the person sees that it was taken.
            "alerts_about_you": [
                {
                    "reason": a.reason,
                    "since": a.since.isoformat(),
                    "created_at": a.created_at.isoformat(),
                    "taken_by_a_volunteer_at": a.acked_at.isoformat() if a.acked_at else None,
                }
                for a in alerts.scalars()
            ],
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        await session.execute(delete(CheckinEntry).where(CheckinEntry.person_id == person_id))
        await session.execute(delete(CheckinSchedule).where(CheckinSchedule.person_id == person_id))
        await session.execute(delete(CheckinAlert).where(CheckinAlert.person_id == person_id))
        await session.execute(
            update(CheckinAlert)
            .where(CheckinAlert.acked_by == person_id)
            .values(acked_by=None)
            .execution_options(synchronize_session=False)
        )
