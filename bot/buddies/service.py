"""Buddy pairing, one unit of work each: leaving the pool, a round, proposals and
answers, the pair's life (activate, end, block) and feedback.

Functions take a :class:`JobContext` (commands make one from their context)
so the same code runs from a command and from timed work; everything for
other people goes through the outbox with dedupe keys that start with
``buddy:pair:<id>:`` or ``buddy:report:<id>:``, so erasure can find them.
Queries are in :mod:`load`, decisions in :mod:`rules` and :mod:`matching`,
texts in :mod:`render`; timed work is in :mod:`jobs`; a person's profile in the
pool is kept by :mod:`pool`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.buddies import load, render, rules, terms
from bot.buddies.matching import RoundResult, match_round
from bot.buddies.models import (
    ACTIVE,
    DECLINED,
    ENDED,
    PROPOSED,
    WITHDRAWN,
    BuddyBlock,
    BuddyFollowup,
    BuddyPair,
    BuddyProfile,
    BuddyRound,
)
from bot.buddies.profile import language_name
from bot.buddies.rules import RoundSummary, other_side, pair_key
from bot.buddies.scoring import Candidate
from bot.core.clock import as_utc
from bot.core.context import JobContext
from bot.core.events import Action, OpenPrivateSpace, invoke
from bot.core.i18n import format_local
from bot.people.service import accounts_of, direct_to, display_name

log = logging.getLogger("samvaer.buddies")


async def tell(
    job: JobContext,
    person_id: int,
    key: str,
    *,
    dedupe: str | None,
    options: Sequence[tuple[str, Action]] | None = None,
    **values: object,
) -> None:
    """A private message to a person, in their language, through the outbox.

    A value may be a function of the language (it is called with it).
    """
    lang = await load.language_for(job, person_id)
    try:
        to = await direct_to(job.session, person_id)
    except LookupError:
        return
    resolved = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
    message = render.message(job, lang, to, key, options, resolved)
    await job.later(message, kind="buddy", person_id=person_id, dedupe_key=dedupe)


# ---------------------------------------------------------------- leaving the pool
# (a profile stored, changed, paused or back in the pool: :mod:`bot.buddies.pool`)


@dataclass(frozen=True)
class Left:
    still_active: bool  # pairings that go on after leaving the pool


async def leave_pool(job: JobContext, person_id: int) -> Left | None:
    """Leave the pool and withdraw open proposals; None when not in the pool."""
    profile = await load.profile_of(job.session, person_id)
    if profile is None or not profile.seeking:
        return None
    profile.seeking = False
    profile.updated_at = job.now
    for pair in await load.open_pairs(job.session, person_id):
        if pair.status == PROPOSED:
            await end_pair(job, pair, person_id, "left")
    active = any(p.status == ACTIVE for p in await load.open_pairs(job.session, person_id))
    return Left(still_active=active)


# ---------------------------------------------------------------- rounds


async def run_round(job: JobContext, scheduled_for: str | None = None) -> RoundSummary:
    """Match the pool and send the proposals; one unit of work."""
    session, now = job.session, job.now
    full: list[Candidate] = []
    participants, volunteers, profiles = await load.pool(session, now, full)
    excluded = await load.excluded_pairs(session)
    result: RoundResult = match_round(participants, volunteers, excluded, full)
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
    await tell_waiting(job, result.waiting, profiles)
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


async def tell_waiting(
    job: JobContext, waiting: dict[int, tuple[str, str]], profiles: dict[int, BuddyProfile]
) -> None:
    """Nobody is left in silence: why someone still waits, once; later, that they are
    not forgotten, every ``waiting_reminder_days``; each with the next round's time."""
    every = job.config.buddies.waiting_reminder_days
    config = job.config
    next_round = rules.next_match_time(job.now, config.buddies.match_at, config.community.timezone)
    for person_id, (reason, language) in waiting.items():
        profile = profiles.get(person_id)
        if profile is None or profile.role != "participant":
            continue
        profile.waiting_reason = f"{reason}:{language}"
        since = as_utc(profile.waiting_since) if profile.waiting_since else job.now
        told = as_utc(profile.waiting_told_at) if profile.waiting_told_at else None
        notice = terms.waiting_notice(since, told, job.now, every)
        if notice is None:
            continue
        profile.waiting_told_at = job.now
        zone = await load.zone_for(job, person_id)
        weeks = terms.waited_weeks(since, job.now)
        stamp = since.strftime("%Y%m%dT%H%M")
        period = (job.now - since).days // every
        await tell(
            job,
            person_id,
            f"buddy.waiting.{notice}",
            dedupe=f"buddy:waiting:{person_id}:{stamp}:{notice}:{period}",
            reason=lambda lang, r=reason, code=language: job.t(
                lang, f"buddy.waiting_reason.{r}", language=language_name(code, lang)
            ),
            when=lambda lang, z=zone: format_local(next_round, z, lang),
            weeks=lambda lang, n=weeks: job.services.translator.plural(lang, "buddy.weeks", n),
        )


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
    common = rules.shared_between(a, b)
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
        await tell(
            job,
            me.person_id,
            rules.proposal_text(kind, me.role),
            dedupe=f"{pair_key(pair.id)}proposal:{me.person_id}",
            options=[
                ("buddy.choice.accept", invoke("buddy accept", pair.id)),
                ("buddy.choice.decline", invoke("buddy decline", pair.id)),
            ],
            # No "about me" here: that is for the introduction, once both said yes.
            shared=_describer(job, common, me.frequency, them.frequency),
            days=job.config.buddies.proposal_timeout.days or 1,
        )
    return pair


def _describer(
    job: JobContext,
    common: dict[str, Any],
    mine: str | None = None,
    theirs: str | None = None,
) -> Callable[[str], str]:
    """What two people share and how often each would like to meet, in the reader's
    language."""
    return lambda lang: render.describe(
        job, lang, common, rhythm=render.frequencies(job, lang, mine, theirs)
    )


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
    term_ends = terms.term_end(
        job.now,
        job.config.buddies.term_months,
        job.config.community.timezone,
        job.config.buddies.match_at,
    )
    pair.term_ends_at = term_ends
    for person_id in (pair.participant_id, pair.partner_id):
        row = await load.profile_of(session, person_id)
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
    langs = [await load.language_for(job, pid) for pid in (pair.participant_id, pair.partner_id)]
    space_opened = False
    if common:
        platform = common[0]
        members = tuple(
            next(a.external_id for a in accounts[pid] if a.platform == platform)
            for pid in (pair.participant_id, pair.partner_id)
        )
        first, second = names[pair.participant_id], names[pair.partner_id]
        # Each one's "about me" line, now that both said yes (never in the proposal).
        abouts = []
        for person_id in (pair.participant_id, pair.partner_id):
            row = await load.profile_of(session, person_id)
            if row is not None and row.about:
                abouts.append((names[person_id], row.about))
        intro = render.introduction(
            job, langs, first, second, pair.id, pair.shared, platform, abouts
        )
        title = render.space_title(job, langs[0], first, second)
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
        await tell(
            job,
            me,
            "buddy.term_agreed",
            dedupe=f"{pair_key(pair.id)}term:{me}",
            months=lambda lang: job.services.translator.plural(
                lang, "buddy.months", job.config.buddies.term_months
            ),
            until=await _local_date(job, me, term_ends),
        )


async def _local_date(job: JobContext, person_id: int, when: datetime) -> Callable[[str], str]:
    zone = await load.zone_for(job, person_id)
    return lambda lang: render.long_date(when, zone, lang)


async def answer_extension(job: JobContext, pair: BuddyPair, person_id: int, answer: str) -> str:
    """Record whether someone wants to go on; ``"extend"`` when both said yes (the term
    then runs once more and both hear so), ``"end"`` or ``"open"`` otherwise.

    A no is never passed on: the pair ends kindly at the end date, for both alike.
    """
    if pair.participant_id == person_id:
        pair.participant_extend = answer
    else:
        pair.partner_extend = answer
    outcome = terms.extension_outcome(pair.participant_extend, pair.partner_extend)
    if outcome == "extend" and pair.term_ends_at is not None:
        start = as_utc(pair.term_ends_at)
        term_ends = terms.term_end(
            start,
            job.config.buddies.term_months,
            job.config.community.timezone,
            job.config.buddies.match_at,
        )
        pair.term_ends_at = term_ends
        pair.extension_asked_at = None
        pair.participant_extend = pair.partner_extend = None
        for me in (pair.participant_id, pair.partner_id):
            await tell(
                job,
                me,
                "buddy.term_extended",
                dedupe=f"{pair_key(pair.id)}extended:{start.date().isoformat()}:{me}",
                name=await display_name(job.session, other_side(pair, me)),
                until=await _local_date(job, me, term_ends),
            )
    return outcome


async def end_term(job: JobContext, pair: BuddyPair) -> None:
    """The agreed length is over and not both wanted more: a kind goodbye to both."""
    ended_at = as_utc(pair.term_ends_at) if pair.term_ends_at else job.now
    pair.status = ENDED
    pair.ended_at = job.now
    pair.end_reason = "term"
    pair.next_followup_at = None
    for me in (pair.participant_id, pair.partner_id):
        await tell(
            job,
            me,
            "buddy.term_ended",
            dedupe=f"{pair_key(pair.id)}term_ended:{ended_at.date().isoformat()}:{me}",
            name=await display_name(job.session, other_side(pair, me)),
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
    other_profile = await load.profile_of(job.session, other)
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


async def record_feedback(job: JobContext, pair: BuddyPair, person_id: int, answer: str) -> None:
    latest_rows = await load.latest_followups(job.session, pair.id, person_id, limit=1)
    latest = latest_rows[0] if latest_rows else None
    if latest is None or latest.answer == "missed":
        latest = BuddyFollowup(
            pair_id=pair.id, person_id=person_id, round=pair.followup_round + 1000, asked_at=job.now
        )
        job.session.add(latest)
    latest.answer = answer
    latest.answered_at = job.now
