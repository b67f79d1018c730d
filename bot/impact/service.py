"""Units of work of the impact measure: joining, consent, rounds and pulses.

Everything here works inside the caller's transaction; messages for later go through
the outbox (``writer.later``) with dedupe keys, so a repeated run never doubles one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.core.context import OutboxWriter
from bot.core.signals import ProgrammeJoined
from bot.db.models import ConsentEvent, Person
from bot.impact import render
from bot.impact.models import (
    ANSWERED,
    ASKED,
    DUE,
    INVITED,
    MISSED,
    NO,
    SKIPPED,
    YES,
    ImpactEnrolment,
    ImpactPerson,
    ImpactPulse,
    ImpactRound,
)
from bot.impact.rules import AskState, may_ask, months_of, round_due, window_closed
from bot.people.service import direct_to

CONSENT = "impact"
INVITE_KIND = "impact_invite"
ROUND_KIND = "impact_round"
PULSE_KIND = "impact_pulse"


async def _language(session: AsyncSession, person_id: int, default: str) -> tuple[str, str]:
    person = await session.get(Person, person_id)
    if person is None:
        return default, ""
    return person.language or default, person.timezone or ""


async def programme_joined(writer: OutboxWriter, signal: ProgrammeJoined) -> None:
    """Someone joined a programme: remember it, and ask once whether they will take part.

    Nothing about how they feel is stored here; the invitation only asks. Someone who
    already said yes gets their rounds planned from their first programme; someone who
    said no, or was asked before, hears nothing more.
    """
    config = writer.services.config
    if not config.impact.enabled:
        return
    session = writer.session
    now = writer.services.clock.now()
    found = await session.execute(
        select(ImpactEnrolment.id).where(
            ImpactEnrolment.person_id == signal.person_id,
            ImpactEnrolment.programme == signal.programme,
            ImpactEnrolment.volunteer == signal.volunteer,
        )
    )
    if found.first() is not None:
        return
    session.add(
        ImpactEnrolment(
            person_id=signal.person_id,
            programme=signal.programme,
            volunteer=signal.volunteer,
            joined_at=now,
        )
    )
    state = await session.get(ImpactPerson, signal.person_id)
    if state is None:
        session.add(
            ImpactPerson(
                person_id=signal.person_id, consent=INVITED, invited_at=now, first_joined_at=now
            )
        )
        await session.flush()
        await _invite(writer, signal.person_id, signal.volunteer)
        return
    await session.flush()
    if state.consent == YES and not signal.volunteer:
        await plan_rounds(session, writer.services.config, state, now)


async def _invite(writer: OutboxWriter, person_id: int, volunteer: bool) -> None:
    session = writer.session
    lang, _zone = await _language(session, person_id, writer.services.config.community.language)
    try:
        to = await direct_to(session, person_id)
    except LookupError:
        return
    message = render.invitation(writer.services, to, lang, volunteer)
    await writer.later(
        message, kind=INVITE_KIND, person_id=person_id, dedupe_key=f"impact-invite-{person_id}"
    )


async def is_participant(session: AsyncSession, person_id: int) -> bool:
    """Whether the person joined any programme as a participant (not only as a volunteer)."""
    found = await session.execute(
        select(ImpactEnrolment.id).where(
            ImpactEnrolment.person_id == person_id, ImpactEnrolment.volunteer.is_(False)
        )
    )
    return found.first() is not None


async def plan_rounds(
    session: AsyncSession, config: Config, state: ImpactPerson, now: datetime
) -> int:
    """Make the rounds still ahead for someone who said yes; returns how many are new.

    The first round is due now (at joining, or at a later yes); follow-ups count from
    that first round, so a change is always measured over the months it claims.
    Rounds whose time has already passed are not made.
    """
    impact = config.impact
    community = config.community
    if not await is_participant(session, state.person_id):
        return 0
    person = await session.get(Person, state.person_id)
    zone = (person.timezone if person else None) or community.timezone
    existing = await session.execute(
        select(ImpactRound.month, ImpactRound.due_at).where(
            ImpactRound.person_id == state.person_id
        )
    )
    have = dict(existing.all())
    anchor = have.get(0, now)
    made = 0
    for month in months_of(tuple(impact.follow_up_months)):
        if month in have:
            continue
        due = anchor if month == 0 else round_due(anchor, month, zone)
        if month and window_closed(due, now, impact.answer_window_days):
            continue
        session.add(ImpactRound(person_id=state.person_id, month=month, due_at=due, status=DUE))
        made += 1
    await session.flush()
    return made


async def set_consent(
    session: AsyncSession, config: Config, person_id: int, given: bool, now: datetime
) -> bool:
    """Yes or no to the impact measure; False when it was already so.

    A no (or taking a yes back) stops every question and deletes the answers given: they
    were kept only because of the yes.
    """
    state = await session.get(ImpactPerson, person_id)
    if state is None:
        state = ImpactPerson(
            person_id=person_id, consent=INVITED, invited_at=now, first_joined_at=now
        )
        session.add(state)
    wanted = YES if given else NO
    if state.consent == wanted:
        return False
    state.consent = wanted
    state.answered_at = now
    session.add(ConsentEvent(person_id=person_id, consent=CONSENT, given=given, at=now))
    await session.flush()
    if given:
        await plan_rounds(session, config, state, now)
    else:
        await erase_answers(session, person_id)
    return True


async def erase_answers(session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(ImpactRound).where(ImpactRound.person_id == person_id))
    await session.execute(delete(ImpactPulse).where(ImpactPulse.person_id == person_id))


async def pause_for_crisis(session: AsyncSession, person_id: int, now: datetime, days: int) -> None:
    """No questions for a while after crisis words (only for people who said yes)."""
    await session.execute(
        update(ImpactPerson)
        .where(ImpactPerson.person_id == person_id, ImpactPerson.consent == YES)
        .values(paused_until=now + timedelta(days=days))
        .execution_options(synchronize_session=False)
    )


async def open_round(session: AsyncSession, person_id: int, round_id: int) -> ImpactRound | None:
    """A round the person may answer now: theirs, asked and not finished."""
    row = await session.get(ImpactRound, round_id)
    if row is None or row.person_id != person_id or row.status not in (ASKED, ANSWERED):
        return None
    state = await session.get(ImpactPerson, person_id)
    if state is None or state.consent != YES:
        return None
    return row


async def save_item(row: ImpactRound, item: str, value: int | None, now: datetime) -> None:
    setattr(row, item, value)
    row.status = ANSWERED
    row.answered_at = now


async def skip_round(session: AsyncSession, person_id: int, round_id: int) -> bool:
    row = await session.get(ImpactRound, round_id)
    if row is None or row.person_id != person_id or row.status != ASKED:
        return False
    row.status = SKIPPED
    return True


async def next_round(session: AsyncSession, person_id: int) -> ImpactRound | None:
    """The next round still ahead of the person, for telling them when it comes."""
    found = await session.execute(
        select(ImpactRound)
        .where(ImpactRound.person_id == person_id, ImpactRound.status == DUE)
        .order_by(ImpactRound.due_at)
        .limit(1)
    )
    return found.scalars().first()


# ---------------------------------------------------------------- timed work


@dataclass
class Run:
    """What one pass of the asking job did."""

    rounds: int = 0
    pulses: int = 0
    missed: int = 0


async def ask_due(job: OutboxWriter, now: datetime) -> Run:
    """Send each due round or pulse once, at most one per person within the weekly limit,
    never while paused after a crisis; rounds past their window are left out."""
    session = job.session
    config = job.services.config
    impact = config.impact
    run = Run()
    window = timedelta(days=impact.answer_window_days)
    # Left out: due too long ago and never begun, or asked and never answered.
    for table in (ImpactRound, ImpactPulse):
        missed = await session.execute(
            update(table)
            .where(table.status.in_((DUE, ASKED)), table.due_at < now - window)
            .values(status=MISSED)
            .execution_options(synchronize_session=False)
        )
        run.missed += int(getattr(missed, "rowcount", 0) or 0)
    rounds = await session.execute(
        select(ImpactRound, ImpactPerson)
        .join(ImpactPerson, ImpactPerson.person_id == ImpactRound.person_id)
        .where(ImpactRound.status == DUE, ImpactRound.due_at <= now, ImpactPerson.consent == YES)
        .order_by(ImpactRound.due_at)
    )
    pulses = await session.execute(
        select(ImpactPulse, ImpactPerson)
        .join(ImpactPerson, ImpactPerson.person_id == ImpactPulse.person_id)
        .where(ImpactPulse.status == DUE, ImpactPulse.due_at <= now, ImpactPerson.consent == YES)
        .order_by(ImpactPulse.due_at)
    )
    asked: set[int] = set()
    due: list[tuple[ImpactRound | ImpactPulse, ImpactPerson]] = [*rounds.all(), *pulses.all()]
    for row, state in due:
        if state.person_id in asked:
            continue
        if not may_ask(
            AskState(state.last_asked_at, state.paused_until), now, impact.min_days_between
        ):
            continue
        lang, zone = await _language(session, state.person_id, config.community.language)
        try:
            to = await direct_to(session, state.person_id)
        except LookupError:
            continue
        if isinstance(row, ImpactRound):
            message = render.first_question(job.services, to, lang, row)
            key, kind = f"impact-round-{row.id}", ROUND_KIND
            run.rounds += 1
        else:
            message = await render.pulse_question(job.services, session, to, lang, zone, row)
            key, kind = f"impact-pulse-{row.id}", PULSE_KIND
            run.pulses += 1
        row.status = ASKED
        row.asked_at = now
        state.last_asked_at = now
        asked.add(state.person_id)
        await job.later(
            message,
            kind=kind,
            person_id=state.person_id,
            dedupe_key=key,
            expires_at=row.due_at + window,
        )
    return run
