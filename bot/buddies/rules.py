"""Pure buddy decisions: who is on the other side, whose answer is awaited, which text a
proposal opens with, when a quiet person gets a warm word, and when the daily round runs.

No I/O here; the service and the timed work load what these need and act on the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.buddies.models import PROPOSED, BuddyPair, BuddyProfile
from bot.buddies.profile import shared

ICEBREAKERS = 6
FOLLOWUP_ANSWERS = ("good", "okay", "not_working")


def pair_key(pair_id: int) -> str:
    """The dedupe-key prefix of every message about a pair (erasure finds them by it)."""
    return f"buddy:pair:{pair_id}:"


def report_key(report_id: int) -> str:
    """The dedupe-key prefix of every message about a report (erasure finds them by it)."""
    return f"buddy:report:{report_id}:"


# ---------------------------------------------------------------- pairs


def other_side(pair: BuddyPair, person_id: int) -> int:
    return pair.partner_id if pair.participant_id == person_id else pair.participant_id


def answer_of(pair: BuddyPair, person_id: int) -> str | None:
    return pair.participant_answer if pair.participant_id == person_id else pair.partner_answer


def awaiting_answer(pair: BuddyPair, person_id: int) -> bool:
    return pair.status == PROPOSED and answer_of(pair, person_id) is None


def shared_between(a: BuddyProfile, b: BuddyProfile) -> dict[str, Any]:
    """What two profiles have in common, as stored on the pair."""
    return {
        "languages": shared(a.languages, b.languages),
        "times": shared(a.times, b.times),
        "contact": shared(a.contact, b.contact),
        "interests": shared(a.interests, b.interests),
    }


def proposal_text(kind: str, role: str) -> str:
    """The text key a proposal opens with, for someone of ``role`` in a pair of ``kind``."""
    if kind == "volunteer" and role == "participant":
        return "buddy.proposal.volunteer"
    if kind == "peer":
        return "buddy.proposal.peer"
    return "buddy.proposal.participant"


def icebreaker_number(pair_id: int) -> int:
    return pair_id % ICEBREAKERS + 1


def silent_twice(earlier_answers: list[str | None]) -> bool:
    """The last two follow-ups went unanswered: a warm word instead of a third question."""
    return len(earlier_answers) == 2 and all(answer is None for answer in earlier_answers)


# ---------------------------------------------------------------- rounds


@dataclass
class RoundSummary:
    proposed: int = 0
    waiting: int = 0
    reasons: dict[tuple[str, str], int] = field(default_factory=dict)


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
    return local.astimezone(UTC)


def todays_round(now: datetime, match_at: str, zone: str) -> tuple[date, datetime]:
    """Today's local date and the instant its round is due."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    hour, minute = (int(x) for x in match_at.split(":"))
    return today, local_instant(today, hour, minute, tz)
