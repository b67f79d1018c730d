"""Timed buddy work: the daily round, housekeeping (expired proposals, notices after an
erasure, follow-ups and the warm word after silence) and retention. Each returns its
next wake, or None to be looked at again at the next poll."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.buddies import load, privacy, rules, terms
from bot.buddies.models import WITHDRAWN, BuddyFollowup, BuddyPair
from bot.buddies.render import long_date, text_for
from bot.buddies.rules import FOLLOWUP_ANSWERS, other_side, pair_key
from bot.buddies.service import end_term, run_round, tell
from bot.core.clock import as_utc
from bot.core.context import JobContext
from bot.core.events import TextMessage, invoke
from bot.db.models import Person
from bot.people.service import display_name
from bot.rooms.service import rooms_for

log = logging.getLogger("samvaer.buddies")

RETENTION_AT = "03:30"


async def scheduled_round(job: JobContext) -> datetime:
    """Run today's round if its local time has come and it has not run yet."""
    config = job.config
    today, due = rules.todays_round(job.now, config.buddies.match_at, config.community.timezone)
    if job.now >= due and not await load.round_ran(job.session, today.isoformat()):
        await run_round(job, scheduled_for=today.isoformat())
    return rules.next_match_time(job.now, config.buddies.match_at, config.community.timezone)


async def housekeeping(job: JobContext) -> datetime | None:
    """Withdraw unanswered proposals, send due follow-ups and pending notices."""
    session, now = job.session, job.now
    for pair in await load.expired_proposals(session, now):
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
    for profile in await load.pending_notices(session):
        key = "buddy.ended_other" if profile.pending_notice == "ended" else "buddy.withdrawn_other"
        await tell(job, profile.person_id, key, dedupe=None)
        profile.pending_notice = None
    for pair in await load.followups_due(session, now):
        await follow_up(job, pair)
    for profile in await load.pauses_over(session, now):
        profile.paused = False
        profile.paused_until = None
        profile.updated_at = now
        await tell(
            job,
            profile.person_id,
            "buddy.pause_over",
            dedupe=f"buddy:pause_over:{profile.person_id}:{now.date().isoformat()}",
        )
    await look_at_terms(job)
    # Notices after an erasure can appear at any time: look again at the next poll.
    return None


async def follow_up(job: JobContext, pair: BuddyPair) -> None:
    """Ask each side how it goes; someone silent twice gets a warm word instead."""
    session, now = job.session, job.now
    pair.followup_round += 1
    pair.next_followup_at = now + timedelta(days=job.config.buddies.followup_days)
    for person_id in (pair.participant_id, pair.partner_id):
        profile = await load.profile_of(session, person_id)
        if profile is not None and profile.paused:
            continue
        earlier = await load.latest_followups(session, pair.id, person_id, limit=2)
        if rules.silent_twice([f.answer for f in earlier]):
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
                (f"buddy.feedback.{answer}", invoke("buddy feedback", answer, pair.id))
                for answer in FOLLOWUP_ANSWERS
            ],
            name=name,
        )


async def look_at_terms(job: JobContext) -> None:
    """Ask both sides near the end of the agreed length; at the end, go on or say goodbye."""
    session, now = job.session, job.now
    notice = job.config.buddies.extension_notice_days
    for pair in await load.terms_to_look_at(session, now, timedelta(days=notice)):
        ends = as_utc(pair.term_ends_at) if pair.term_ends_at else now
        if now >= ends:
            if terms.extension_outcome(pair.participant_extend, pair.partner_extend) != "extend":
                await end_term(job, pair)
            continue
        asked = as_utc(pair.extension_asked_at) if pair.extension_asked_at else None
        if not terms.extension_due(ends, asked, now, notice):
            continue
        pair.extension_asked_at = now
        for person_id in (pair.participant_id, pair.partner_id):
            zone = await load.zone_for(job, person_id)
            await tell(
                job,
                person_id,
                "buddy.extension_question",
                dedupe=f"{pair_key(pair.id)}extension:{ends.date().isoformat()}:{person_id}",
                options=[
                    (f"buddy.extend.{answer}", invoke("buddy extend", answer, pair.id))
                    for answer in ("yes", "no")
                ],
                name=await display_name(session, other_side(pair, person_id)),
                until=lambda lang, z=zone, e=ends: long_date(e, z, lang),
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


async def retention(job: JobContext) -> datetime:
    """Delete finished pairs and closed reports past their retention; again tomorrow night."""
    days = job.config.privacy.retention_days
    count = await privacy.purge(job.session, job.now, days.buddies, days.reports)
    log.info("buddies.retention deleted=%d", count)
    return rules.next_match_time(job.now, RETENTION_AT, job.config.community.timezone)
