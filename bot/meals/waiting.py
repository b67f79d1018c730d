"""Pure rules of the waiting list: when a freed seat is offered rather than given, the
offer's deadline, who gets the free seats, positions and their changes, the "maybe"
reminder and the minimum-size check.

Nothing here does I/O; ``bot.meals.offers`` loads, applies these and tells people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# An offer never runs past this long before the start: whoever comes next needs time too.
OFFER_CUTOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class OfferTimes:
    """How offers behave, from the config: the window before the start in which a freed
    seat is offered (and waits for a yes) rather than given, and how long an offer lasts."""

    window: timedelta
    length: timedelta


def offers_apply(starts_at: datetime, now: datetime, times: OfferTimes) -> bool:
    """Whether a seat freed ``now`` is offered (close to the start) rather than given at once.

    Far from the start nobody needs to hurry, so the first on the list simply gets it.
    """
    return now < starts_at and starts_at - now <= times.window


def offer_deadline(
    now: datetime, starts_at: datetime, times: OfferTimes, seen_from: datetime | None = None
) -> datetime:
    """When an offer made ``now`` runs out: its length after the person can first see it
    (``seen_from``: when their quiet hours end, if the offer is made in them), never later
    than ``OFFER_CUTOFF`` before the start; so close to the start that this has passed,
    the offer lasts until the start. Always after ``now`` and never after the start."""
    start = max(now, seen_from or now)
    deadline = min(start + times.length, starts_at - OFFER_CUTOFF)
    if deadline <= start:
        return max(starts_at, now)
    return deadline


def offer_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether an offer's time is up (an offer without a deadline never expires)."""
    return expires_at is not None and expires_at <= now


def who_gets_offers(free_seats: int, waiting: Sequence[int]) -> list[int]:
    """The first ``free_seats`` people on the waiting list (in order) each get an offer.

    Offers already out hold their seats, so ``free_seats`` counts only seats nobody holds:
    there are never more offers than seats.
    """
    return list(waiting[: max(0, free_seats)])


def positions(waiting: Sequence[int]) -> dict[int, int]:
    """Each waiting person's place on the list, 1 to n in the order they joined."""
    return {person: place for place, person in enumerate(waiting, 1)}


def position_changes(told: Mapping[int, int | None], waiting: Sequence[int]) -> dict[int, int]:
    """The new place of each person whose place differs from the one they were last told.

    Someone never told a place (``None`` or absent) is not told a change: they were told
    they wait when they joined. Called once per run of the timed work, so several moves
    in between make one message, not one each.
    """
    now_at = positions(waiting)
    return {
        person: place
        for person, place in now_at.items()
        if told.get(person) is not None and told.get(person) != place
    }


def maybe_reminder_due(starts_at: datetime, now: datetime, before: timedelta) -> bool:
    """Whether a "maybe" is reminded now: within ``before`` of the start, not after it."""
    return starts_at - before <= now < starts_at


def minimum_check_due(starts_at: datetime, now: datetime, before: timedelta) -> bool:
    """Whether the minimum size is checked now: ``before`` the start, until it starts."""
    return starts_at - before <= now < starts_at


def below_minimum(joined: int, minimum: int) -> bool:
    """Whether fewer joined than the host's minimum (0: no minimum)."""
    return minimum > 0 and joined < minimum
