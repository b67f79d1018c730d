"""Quiet hours: the part of the night in which nobody is sent a direct message they did
not ask for.

The rules are pure: whether a local time is quiet, when quiet hours end in a person's
zone (daylight saving time included), and what happens to a message that falls due
in them: held until they end, or dropped when it would no longer be of use by then
(its ``expires_at`` has passed; features set it to when the message stops making
sense, e.g. a "starts in 15 minutes" reminder expires when the meal starts).

Some kinds of message are never held (:data:`NEVER_HELD`): a reply to something the
person just wrote is not a nudge, a crisis answer and alerts about someone's safety
must not wait, and a check-in reminder comes at the time the person chose themselves.

:func:`bot.core.quiet_hold.hold_quiet` applies the rules to outbox rows about to be
sent; the outbox calls it for every claimed batch, so every scheduled direct message of every
feature goes through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OFF = "off"  # stored for a person who wants no quiet hours at all

#: Outbox kinds that are sent in quiet hours too, and why.
NEVER_HELD = frozenset(
    {
        # An answer to something the person just wrote, sent again after a failed
        # delivery; the crisis answer is sent at once and, if that fails, comes this way.
        "deferred_reply",
        "checkin_reminder",  # at the time the person chose for their own check-in
        "checkin_alert",  # a volunteer is told someone may be unwell; escalation waits on it
        "checkin_alert_outcome",  # the person is told a volunteer now knows
        "organiser_warning",  # an alert nobody took, handed on
    }
)

_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(rf"^{_CLOCK}\s*(?:-|–|—|til|to|till)\s*{_CLOCK}$")


class BadQuietHours(ValueError):
    """Not a span of quiet hours."""


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` local time; across midnight when ``end <= start``."""

    start: time
    end: time

    def covers(self, at: time) -> bool:
        """Whether a local wall-clock time falls in these quiet hours."""
        at = at.replace(second=0, microsecond=0, tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours:
    """``"22:00-08:00"``, ``"22-8"``, ``"23.30–07"``; raises BadQuietHours otherwise."""
    found = _RANGE.match(text.strip().casefold())
    if found is None:
        raise BadQuietHours(text)
    start_hour, start_minute, end_hour, end_minute = found.groups()
    try:
        start = time(int(start_hour) % 24, int(start_minute or 0))
        end = time(int(end_hour) % 24, int(end_minute or 0))
    except ValueError:
        raise BadQuietHours(text) from None
    if int(start_hour) > 24 or int(end_hour) > 24 or start == end:
        raise BadQuietHours(text)
    return QuietHours(start, end)


def stored_quiet_hours(value: str | None, default: QuietHours | None) -> QuietHours | None:
    """A person's quiet hours from what is stored: None → the community's, "off" → none."""
    if value is None or value == "":
        return default
    if value == OFF:
        return None
    try:
        return parse_quiet_hours(value)
    except ValueError:
        return default


def _wall(day: date, at: time, zone: ZoneInfo, *, later: bool = False) -> datetime:
    """A local wall-clock time as UTC; a time skipped by a spring-forward counts as the
    moment after the gap (02:30 on the night clocks go forward is 03:30 summer time).
    With ``later``, a time that happens twice (the hour repeated when clocks go back)
    is its second occurrence: quiet hours end after the repeated hour, not inside it."""
    local = datetime.combine(day, at, tzinfo=zone)
    if later:
        second = local.replace(fold=1)
        # Only a repeated time comes back to the same wall time from UTC; a skipped one
        # (the spring gap) does not, and keeps the rule above.
        if second.astimezone(UTC).astimezone(zone).time() == at:
            return second.astimezone(UTC)
    return local.astimezone(UTC)


def quiet_ends(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """The first moment at or after ``moment`` outside quiet hours in ``zone``."""
    if quiet is None:
        return moment
    local = moment.astimezone(zone)
    if not quiet.covers(local.time()):
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        day += timedelta(days=1)  # in the evening part: quiet ends tomorrow morning
    return max(moment, _wall(day, quiet.end, zone, later=True))


def send_time(
    now: datetime, zone: ZoneInfo, quiet: QuietHours | None, expires_at: datetime | None
) -> datetime | None:
    """When a message due now should go: now, when quiet hours end, or None (drop it:
    it would be out of date by then)."""
    release = quiet_ends(now, zone, quiet)
    if expires_at is not None and release > now and release >= expires_at:
        return None
    return release
