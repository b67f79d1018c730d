"""Buddy pairing: profiles, rounds, proposals, pairs, follow-ups, reports.

Functions take a :class:`JobContext` (commands make one from their context)
so the same code runs from a command and from timed work; everything for
other people goes through the outbox with dedupe keys that start with
``buddy:pair:<id>:`` or ``buddy:report:<id>:``, so erasure can find them.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.matching import Candidate, RoundResult, match_round
from bot.buddies.models import (
    ACTIVE,
    DECLINED,
    ENDED,
    OPEN_STATES,
    PROPOSED,
    WITHDRAWN,
    BuddyBlock,
    BuddyFollowup,
    BuddyPair,
    BuddyProfile,
    BuddyReport,
    BuddyRound,
)
from bot.buddies.profile import Profile, language_name, shared
from bot.core.clock import as_utc
from bot.core.context import JobContext
from bot.core.dispatcher import command_option
from bot.core.events import ChoicePrompt, Destination, OpenPrivateSpace, Option, Role, TextMessage
from bot.core.outbox import CANCELLED as CANCELLED_STATUS
from bot.core.outbox import PENDING as PENDING_STATUS
from bot.db.models import Account, OutboxItem, Person
from bot.people.service import accounts_of, direct_to, display_name
from bot.rooms.service import rooms_for

log = logging.getLogger("samvaer.buddies")

ICEBREAKERS = 6
ERASED_PAYLOAD = {"type": "TextMessage", "to": {"user": "-", "platform": "-"}, "text": ""}
FOLLOWUP_ANSWERS = ("good", "okay", "not_working")


def pair_key(pair_id: int) -> str:
    return f"buddy:pair:{pair_id}:"


def report_key(report_id: int) -> str:
    return f"buddy:report:{report_id}:"


# ---------------------------------------------------------------- text helpers


async def language_for(job: JobContext, person_id: int) -> str:
    person = await job.session.get(Person, person_id)
    if person is not None and person.language:
        return person.language
    return job.config.community.language


def text_for(job: JobContext, lang: str, to: Destination, key: str, **values: object) -> str:
    values.setdefault("prefix", job.services.prefix(to.platform))
    return job.t(lang, key, **values)


async def tell(
    job: JobContext,
    person_id: int,
    key: str,
    *,
    dedupe: str | None,
    options: list[tuple[str, str]] | None = None,
    **values: object,
) -> None:
    """A private message to a person, in their language, through the outbox."""
    lang = await language_for(job, person_id)
    try:
        to = await direct_to(job.session, person_id)
    except LookupError:
        return
    resolved = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
    body = text_for(job, lang, to, key, **resolved)
    message: TextMessage | ChoicePrompt
    if options:
        labelled = tuple(Option(text_for(job, lang, to, label), value) for label, value in options)
        message = ChoicePrompt(to, body, labelled)
    else:
        message = TextMessage(to, body)
    await job.later(message, kind="buddy", person_id=person_id, dedupe_key=dedupe)


def describe(job: JobContext, lang: str, data: dict[str, Any], about: str = "") -> str:
    """What two people share, one line each, in ``lang``."""
    lines = []
    if data.get("languages"):
        names = ", ".join(language_name(code, lang) for code in data["languages"])
        lines.append(job.t(lang, "buddy.share.languages", items=names))
    if data.get("times"):
        slots = ", ".join(job.t(lang, f"buddy.time.{slot}") for slot in data["times"])
        lines.append(job.t(lang, "buddy.share.times", items=slots))
    if data.get("contact"):
        modes = ", ".join(job.t(lang, f"buddy.contact.{mode}") for mode in data["contact"])
        lines.append(job.t(lang, "buddy.share.contact", items=modes))
    if data.get("interests"):
        lines.append(job.t(lang, "buddy.share.interests", items=", ".join(data["interests"])))
    if about:
        lines.append(job.t(lang, "buddy.share.about", about=about))
    return "\n".join(f"• {line}" for line in lines)


# ---------------------------------------------------------------- profiles


async def profile_of(session: AsyncSession, person_id: int) -> BuddyProfile | None:
    return await session.get(BuddyProfile, person_id)


async def save_profile(
    session: AsyncSession,
    person_id: int,
    role: str,
    profile: Profile,
    capacity: int,
    now: datetime,
) -> BuddyProfile:
    """Store (or update) a profile and put the person in the pool."""
    row = await profile_of(session, person_id)
    if row is None:
        row = BuddyProfile(person_id=person_id, created_at=now, waiting_since=now)
        session.add(row)
    if not row.seeking or row.waiting_since is None:
        row.waiting_since = now
    row.role = role
    row.languages = list(profile.languages)
    row.interests = list(profile.interests)
    row.contact = list(profile.contact)
    row.times = list(profile.times)
    row.kind = "any" if role == "volunteer" else (profile.kind or "any")
    row.about = profile.about
    row.capacity = capacity
    row.seeking = True
    row.paused = False
    row.updated_at = now
    await session.flush()
    return row


async def open_pairs(session: AsyncSession, person_id: int) -> list[BuddyPair]:
    result = await session.execute(
        select(BuddyPair)
        .where(
            BuddyPair.status.in_(OPEN_STATES),
            or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id),
        )
        .order_by(BuddyPair.id)
    )
    return list(result.scalars())


def other_side(pair: BuddyPair, person_id: int) -> int:
    return pair.partner_id if pair.participant_id == person_id else pair.participant_id


def answer_of(pair: BuddyPair, person_id: int) -> str | None:
    return pair.participant_answer if pair.participant_id == person_id else pair.partner_answer


def awaiting_answer(pair: BuddyPair, person_id: int) -> bool:
    return pair.status == PROPOSED and answer_of(pair, person_id) is None


# ---------------------------------------------------------------- rounds


@dataclass
class RoundSummary:
    proposed: int = 0
    waiting: int = 0
    reasons: dict[tuple[str, str], int] = field(default_factory=dict)


async def excluded_pairs(session: AsyncSession) -> set[frozenset[int]]:
    """Everyone who was ever proposed to each other, and every block."""
    excluded: set[frozenset[int]] = set()
    pairs = await session.execute(select(BuddyPair.participant_id, BuddyPair.partner_id))
    for a, b in pairs.all():
        excluded.add(frozenset((a, b)))
    blocks = await session.execute(select(BuddyBlock.blocker_id, BuddyBlock.blocked_id))
    for a, b in blocks.all():
        excluded.add(frozenset((a, b)))
    return excluded


def _candidate(row: BuddyProfile, now: datetime, free: int = 1) -> Candidate:
    since = as_utc(row.waiting_since) if row.waiting_since else now
    return Candidate(
        person_id=row.person_id,
        languages=frozenset(row.languages),
        times=frozenset(row.times),
        contact=frozenset(row.contact),
        interests=frozenset(row.interests),
        kind=row.kind,
        waited_days=max((now - since).total_seconds() / 86400, 0.0),
        capacity=free,
    )


async def pool(
    session: AsyncSession, now: datetime
) -> tuple[list[Candidate], list[Candidate], dict[int, BuddyProfile]]:
    """Who waits for a buddy and which volunteers have room, right now."""
    rows = list(
        (
            await session.execute(
                select(BuddyProfile).where(
                    BuddyProfile.seeking.is_(True), BuddyProfile.paused.is_(False)
                )
            )
        ).scalars()
    )
    busy: dict[int, int] = {}
    open_rows = await session.execute(
        select(BuddyPair.participant_id, BuddyPair.partner_id).where(
            BuddyPair.status.in_(OPEN_STATES)
        )
    )
    for a, b in open_rows.all():
        busy[a] = busy.get(a, 0) + 1
        busy[b] = busy.get(b, 0) + 1
    participants, volunteers = [], []
    for row in rows:
        if row.role == "volunteer":
            free = row.capacity - busy.get(row.person_id, 0)
            if free > 0:
                volunteers.append(_candidate(row, now, free))
        elif busy.get(row.person_id, 0) == 0:
            participants.append(_candidate(row, now))
    return participants, volunteers, {row.person_id: row for row in rows}


async def run_round(job: JobContext, scheduled_for: str | None = None) -> RoundSummary:
    """Match the pool and send the proposals; one unit of work."""
    session, now = job.session, job.now
    participants, volunteers, profiles = await pool(session, now)
    result: RoundResult = match_round(participants, volunteers, await excluded_pairs(session))
    waited = {c.person_id: c.waited_days for c in participants}
    for proposal in result.proposals:
        await propose(
            job,
            proposal.participant,
            proposal.partner,
            proposal.kind,
            proposal.score,
            waited.get(proposal.participant, 0.0),
            profiles,
        )
    summary = RoundSummary(
        proposed=len(result.proposals), waiting=len(result.waiting), reasons=dict(result.reasons())
    )
    session.add(
        BuddyRound(
            scheduled_for=scheduled_for,
            ran_at=now,
            proposed=summary.proposed,
            waiting=summary.waiting,
        )
    )
    log.info("buddies.round proposed=%d waiting=%d", summary.proposed, summary.waiting)
    return summary


async def propose(
    job: JobContext,
    participant: int,
    partner: int,
    kind: str,
    score: float,
    waited_days: float,
    profiles: dict[int, BuddyProfile],
) -> BuddyPair:
    a, b = profiles[participant], profiles[partner]
    common = {
        "languages": shared(a.languages, b.languages),
        "times": shared(a.times, b.times),
        "contact": shared(a.contact, b.contact),
        "interests": shared(a.interests, b.interests),
    }
    pair = BuddyPair(
        participant_id=participant,
        partner_id=partner,
        kind=kind,
        status=PROPOSED,
        shared=common,
        score=score,
        waited_days=waited_days,
        proposed_at=job.now,
        expires_at=job.now + job.config.buddies.proposal_timeout,
    )
    job.session.add(pair)
    await job.session.flush()
    for me, them in ((a, b), (b, a)):
        intro_key = (
            "buddy.proposal.volunteer"
            if (kind == "volunteer" and me.role == "participant")
            else "buddy.proposal.peer"
            if kind == "peer"
            else "buddy.proposal.participant"
        )
        await tell(
            job,
            me.person_id,
            intro_key,
            dedupe=f"{pair_key(pair.id)}proposal:{me.person_id}",
            options=[
                ("buddy.choice.accept", command_option(f"buddy accept {pair.id}")),
                ("buddy.choice.decline", command_option(f"buddy decline {pair.id}")),
            ],
            shared=lambda lang, them=them: describe(job, lang, common, them.about),
            days=job.config.buddies.proposal_timeout.days or 1,
        )
    return pair


# ---------------------------------------------------------------- answers


async def accept(job: JobContext, pair: BuddyPair, person_id: int) -> bool:
    """Record a yes; True when both said yes and the pair is now active."""
    if pair.participant_id == person_id:
        pair.participant_answer = "yes"
    else:
        pair.partner_answer = "yes"
    if pair.participant_answer == "yes" and pair.partner_answer == "yes":
        await activate(job, pair)
        return True
    return False


async def decline(job: JobContext, pair: BuddyPair, person_id: int) -> None:
    """No-fault: the pair is closed and never proposed again; both stay in the pool."""
    if pair.participant_id == person_id:
        pair.participant_answer = "no"
    else:
        pair.partner_answer = "no"
    pair.status = DECLINED
    pair.ended_at = job.now
    pair.end_reason = "declined"
    await tell(
        job,
        other_side(pair, person_id),
        "buddy.declined_other",
        dedupe=f"{pair_key(pair.id)}declined",
    )


async def activate(job: JobContext, pair: BuddyPair) -> None:
    """Both said yes: share names, open a private space with an introduction."""
    session = job.session
    pair.status = ACTIVE
    pair.matched_at = job.now
    pair.next_followup_at = job.now + timedelta(days=job.config.buddies.followup_days)
    for person_id in (pair.participant_id, pair.partner_id):
        row = await profile_of(session, person_id)
        if row is not None and row.role == "participant":
            row.seeking = False
    names = {
        pair.participant_id: await display_name(session, pair.participant_id),
        pair.partner_id: await display_name(session, pair.partner_id),
    }
    accounts = {
        person_id: await accounts_of(session, person_id)
        for person_id in (pair.participant_id, pair.partner_id)
    }
    platforms = [a.platform for a in accounts[pair.participant_id]]
    common = [p for p in platforms if any(a.platform == p for a in accounts[pair.partner_id])]
    langs = [await language_for(job, pid) for pid in (pair.participant_id, pair.partner_id)]
    space_opened = False
    if common:
        platform = common[0]
        members = tuple(
            next(a.external_id for a in accounts[pid] if a.platform == platform)
            for pid in (pair.participant_id, pair.partner_id)
        )
        intro = "\n\n".join(
            job.t(
                lang,
                "buddy.intro",
                first=names[pair.participant_id],
                second=names[pair.partner_id],
                shared=describe(job, lang, pair.shared),
                icebreaker=job.t(lang, f"buddy.icebreaker.{pair.id % ICEBREAKERS + 1}"),
                prefix=job.services.prefix(platform),
            )
            for lang in dict.fromkeys(langs)
        )
        title = job.t(
            langs[0],
            "buddy.space_title",
            first=names[pair.participant_id],
            second=names[pair.partner_id],
        )
        await job.later(
            OpenPrivateSpace(platform, members, title, intro, reference=f"buddy-pair-{pair.id}"),
            kind="buddy_space",
            person_id=pair.participant_id,
            dedupe_key=f"{pair_key(pair.id)}space",
        )
        space_opened = True
    for me in (pair.participant_id, pair.partner_id):
        them = other_side(pair, me)
        await tell(
            job,
            me,
            "buddy.matched" if space_opened else "buddy.matched_no_space",
            dedupe=f"{pair_key(pair.id)}matched:{me}",
            name=names[them],
        )


async def space_delivered(job: JobContext, message: Any, value: str) -> None:
    """Store the id of the private space the adapter opened."""
    reference = getattr(message, "reference", "")
    if not reference.startswith("buddy-pair-"):
        return
    pair = await job.session.get(BuddyPair, int(reference.rsplit("-", 1)[1]))
    if pair is not None:
        pair.space_id = value


async def end_pair(
    job: JobContext, pair: BuddyPair, by_person: int, reason: str, *, tell_other: bool = True
) -> None:
    """End a proposal or pairing kindly; the other side hears only that it ended."""
    was_active = pair.status == ACTIVE
    pair.status = ENDED if was_active else WITHDRAWN
    pair.ended_at = job.now
    pair.end_reason = reason
    pair.next_followup_at = None
    other = other_side(pair, by_person)
    if tell_other:
        await tell(
            job,
            other,
            "buddy.ended_other" if was_active else "buddy.withdrawn_other",
            dedupe=f"{pair_key(pair.id)}ended:{other}",
        )
    other_profile = await profile_of(job.session, other)
    if was_active and other_profile is not None and other_profile.role == "participant":
        # The other side goes back to waiting, without losing their place.
        other_profile.seeking = True
        other_profile.waiting_since = other_profile.waiting_since or job.now


async def block(job: JobContext, pair: BuddyPair, person_id: int) -> None:
    other = other_side(pair, person_id)
    await end_pair(job, pair, person_id, "blocked")
    dialect = job.session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    await job.session.execute(
        insert_fn(BuddyBlock)
        .values(blocker_id=person_id, blocked_id=other, at=job.now)
        .on_conflict_do_nothing()
    )


# ---------------------------------------------------------------- timed work


def next_match_time(now: datetime, match_at: str, zone: str) -> datetime:
    """The first local ``HH:MM`` strictly after ``now`` (UTC), DST-correct.

    A local time that falls in the spring-forward gap runs at the same wall
    time moved forward by the gap; one that repeats in autumn runs once, at
    its first occurrence.
    """
    tz = ZoneInfo(zone)
    hour, minute = (int(x) for x in match_at.split(":"))
    day = now.astimezone(tz).date()
    for offset in range(3):
        candidate = local_instant(day + timedelta(days=offset), hour, minute, tz)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable")


def local_instant(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=tz)
    # Round-trip to normalise a wall time inside the spring-forward gap.
    from datetime import UTC

    return local.astimezone(UTC)


async def scheduled_round(job: JobContext) -> datetime:
    """Run today's round if its local time has come and it has not run yet."""
    config = job.config
    tz = ZoneInfo(config.community.timezone)
    today = job.now.astimezone(tz).date()
    hour, minute = (int(x) for x in config.buddies.match_at.split(":"))
    due = local_instant(today, hour, minute, tz)
    if job.now >= due:
        existing = await job.session.execute(
            select(BuddyRound.id).where(BuddyRound.scheduled_for == today.isoformat())
        )
        if existing.first() is None:
            await run_round(job, scheduled_for=today.isoformat())
    return next_match_time(job.now, config.buddies.match_at, config.community.timezone)


async def housekeeping(job: JobContext) -> datetime | None:
    """Withdraw unanswered proposals, send due follow-ups and pending notices."""
    session, now = job.session, job.now
    expired = await session.execute(
        select(BuddyPair).where(BuddyPair.status == PROPOSED, BuddyPair.expires_at <= now)
    )
    for pair in expired.scalars():
        pair.status = WITHDRAWN
        pair.ended_at = now
        pair.end_reason = "timeout"
        for person_id in (pair.participant_id, pair.partner_id):
            await tell(
                job,
                person_id,
                "buddy.proposal_timeout",
                dedupe=f"{pair_key(pair.id)}timeout:{person_id}",
            )
    notices = await session.execute(
        select(BuddyProfile).where(BuddyProfile.pending_notice.is_not(None))
    )
    for profile in notices.scalars():
        key = "buddy.ended_other" if profile.pending_notice == "ended" else "buddy.withdrawn_other"
        await tell(job, profile.person_id, key, dedupe=None)
        profile.pending_notice = None
    due = await session.execute(
        select(BuddyPair).where(BuddyPair.status == ACTIVE, BuddyPair.next_followup_at <= now)
    )
    for pair in due.scalars():
        await follow_up(job, pair)
    # Notices after an erasure can appear at any time: look again at the next poll.
    return None


async def follow_up(job: JobContext, pair: BuddyPair) -> None:
    """Ask each side how it goes; someone silent twice gets a warm word instead."""
    session, now = job.session, job.now
    pair.followup_round += 1
    pair.next_followup_at = now + timedelta(days=job.config.buddies.followup_days)
    for person_id in (pair.participant_id, pair.partner_id):
        profile = await profile_of(session, person_id)
        if profile is not None and profile.paused:
            continue
        earlier = list(
            (
                await session.execute(
                    select(BuddyFollowup)
                    .where(BuddyFollowup.pair_id == pair.id, BuddyFollowup.person_id == person_id)
                    .order_by(BuddyFollowup.round.desc())
                    .limit(2)
                )
            ).scalars()
        )
        if len(earlier) == 2 and all(f.answer is None for f in earlier):
            await missed_you(job, pair, person_id)
            continue
        session.add(
            BuddyFollowup(
                pair_id=pair.id, person_id=person_id, round=pair.followup_round, asked_at=now
            )
        )
        name = await display_name(session, other_side(pair, person_id))
        await tell(
            job,
            person_id,
            "buddy.followup",
            dedupe=f"{pair_key(pair.id)}followup:{pair.followup_round}:{person_id}",
            options=[
                (f"buddy.feedback.{answer}", command_option(f"buddy feedback {answer} {pair.id}"))
                for answer in FOLLOWUP_ANSWERS
            ],
            name=name,
        )


async def missed_you(job: JobContext, pair: BuddyPair, person_id: int) -> None:
    """A warm word after two unanswered follow-ups; a coordinator hears only with consent."""
    session = job.session
    # Reset the count so the next follow-up is asked normally.
    session.add(
        BuddyFollowup(
            pair_id=pair.id,
            person_id=person_id,
            round=pair.followup_round,
            asked_at=job.now,
            answer="missed",
            answered_at=job.now,
        )
    )
    await tell(
        job,
        person_id,
        "buddy.missed_you",
        dedupe=f"{pair_key(pair.id)}missed:{pair.followup_round}:{person_id}",
    )
    person = await session.get(Person, person_id)
    if person is None or not person.consent_share or person_id != pair.participant_id:
        return
    name = await display_name(session, person_id)
    for room in await rooms_for(session, job.config, "volunteers"):
        lang = job.config.community.language
        await job.later(
            TextMessage(room, text_for(job, lang, room, "buddy.coordinator_quiet", name=name)),
            kind="buddy",
            dedupe_key=f"{pair_key(pair.id)}quiet:{pair.followup_round}:{room.room_id}",
        )


async def record_feedback(job: JobContext, pair: BuddyPair, person_id: int, answer: str) -> None:
    latest = (
        await job.session.execute(
            select(BuddyFollowup)
            .where(BuddyFollowup.pair_id == pair.id, BuddyFollowup.person_id == person_id)
            .order_by(BuddyFollowup.round.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if latest is None or latest.answer == "missed":
        latest = BuddyFollowup(
            pair_id=pair.id, person_id=person_id, round=pair.followup_round + 1000, asked_at=job.now
        )
        job.session.add(latest)
    latest.answer = answer
    latest.answered_at = job.now


# ---------------------------------------------------------------- reports


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
        organisers = await session.execute(
            select(Account).where(Account.role >= 2).order_by(Account.id)
        )
        destinations = [
            await direct_to(session, a.person_id, a.platform) for a in organisers.scalars()
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


# ---------------------------------------------------------------- privacy


@dataclass
class BuddyData:
    """The buddy part of someone's data, for ``mydata`` and ``forget``."""

    name: str = "buddies"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        from bot.privacy.data import row_to_dict

        profile = await profile_of(session, person_id)
        pairs = await session.execute(
            select(BuddyPair).where(
                or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id)
            )
        )
        followups = await session.execute(
            select(BuddyFollowup).where(BuddyFollowup.person_id == person_id)
        )
        reports = await session.execute(
            select(BuddyReport).where(BuddyReport.reporter_id == person_id)
        )
        blocks = await session.execute(
            select(func.count()).select_from(BuddyBlock).where(BuddyBlock.blocker_id == person_id)
        )
        return {
            "profile": row_to_dict(profile) if profile else None,
            "pairs": [
                row_to_dict(p, skip=("participant_id", "partner_id", "score"))
                for p in pairs.scalars()
            ],
            "followups": [row_to_dict(f, skip=("person_id",)) for f in followups.scalars()],
            "reports": [
                row_to_dict(r, skip=("reporter_id", "closed_by", "note")) for r in reports.scalars()
            ],
            "blocks_made": int(blocks.scalar_one()),
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        # The other side is told by the next housekeeping run (which has the
        # texts and the outbox): only that the pairing or proposal ended.
        for pair in await open_pairs(session, person_id):
            other = await profile_of(session, other_side(pair, person_id))
            if other is None:
                continue
            other.pending_notice = "ended" if pair.status == ACTIVE else "withdrawn"
            if pair.status == ACTIVE and other.role == "participant":
                other.seeking = True
        every_pair = await session.execute(
            select(BuddyPair.id).where(
                or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id)
            )
        )
        reports = await session.execute(
            select(BuddyReport.id).where(BuddyReport.reporter_id == person_id)
        )
        prefixes = [pair_key(i) for i in every_pair.scalars()]
        prefixes += [report_key(i) for i in reports.scalars()]
        # Messages about these pairs may name the person: cancel and blank them. The
        # rows stay so their dedupe keys keep a repeated job from sending them again.
        for prefix in prefixes:
            about = OutboxItem.dedupe_key.startswith(prefix)
            await session.execute(
                update(OutboxItem)
                .where(about, OutboxItem.status == PENDING_STATUS)
                .values(status=CANCELLED_STATUS)
            )
            await session.execute(update(OutboxItem).where(about).values(payload=ERASED_PAYLOAD))
        await session.execute(delete(BuddyProfile).where(BuddyProfile.person_id == person_id))


async def purge(session: AsyncSession, now: datetime, pair_days: int, report_days: int) -> int:
    """Delete finished pairs and closed reports past their retention."""
    done = await session.execute(
        delete(BuddyPair).where(
            BuddyPair.status.in_([ENDED, DECLINED, WITHDRAWN]),
            BuddyPair.ended_at < now - timedelta(days=pair_days),
        )
    )
    closed = await session.execute(
        delete(BuddyReport).where(
            BuddyReport.status == "closed",
            BuddyReport.closed_at < now - timedelta(days=report_days),
        )
    )
    left = await session.execute(
        delete(BuddyProfile).where(
            BuddyProfile.seeking.is_(False),
            BuddyProfile.updated_at < now - timedelta(days=pair_days),
            ~select(BuddyPair.id)
            .where(
                BuddyPair.status.in_(OPEN_STATES),
                or_(
                    BuddyPair.participant_id == BuddyProfile.person_id,
                    BuddyPair.partner_id == BuddyProfile.person_id,
                ),
            )
            .exists(),
        )
    )
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (done, closed, left))


def median_days(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
