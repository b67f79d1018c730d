"""When the bot may trust what its sync says about a direct room (no network, no nio).

Before private text goes to someone's direct chat, the room must be private to
the bot and that person. Asking the homeserver for the room's full state before
every send is certain but costs one request per message; instead a room is
verified with the homeserver once, and that verification stands only while

- no state event of the room has been synced since (any member, join rule,
  history visibility, power level, alias, encryption… change ends it), and
- the sync is live: a long-poll is in flight and younger than its own timeout
  plus :data:`POLL_GRACE` (a change in any room ends it at once), or the last
  sync answer was taken in at most :data:`AFTER_ANSWER` seconds ago (sends made
  while that answer's events are handled), and
- it is at most :data:`VERIFIED_FOR` seconds old (belt and braces against an
  event the sync never delivered).

Otherwise the homeserver is asked again. The window left is the time a state
change takes to reach the bot through its live long-poll (milliseconds on a
healthy connection). Only the two people in a verified room can change its
state, so that window only ever delays the bot's reaction to the person's own
choice (inviting someone, making the room public), never to a stranger's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

#: How much longer than its timeout a long-poll may take before the sync counts as stuck.
POLL_GRACE = 10.0
#: How long after a sync answer was taken in its view still counts, while no poll runs.
AFTER_ANSWER = 5.0
#: The longest a verification stands even when the sync reports no change.
VERIFIED_FOR = 3600.0


class SyncWatch:
    """Whether the bot's sync is live right now (times from a monotonic clock)."""

    def __init__(self, poll_timeout: float) -> None:
        self.poll_timeout = poll_timeout
        self._polling_since: float | None = None
        self._answered_at: float | None = None

    def polling(self, now: float, timeout: float) -> None:
        """A sync request with this long-poll ``timeout`` (seconds) has been sent."""
        self._polling_since = now
        self.poll_timeout = timeout

    def answered(self, now: float) -> None:
        """Its answer has been taken in (rooms and members updated, changes noted)."""
        self._polling_since = None
        self._answered_at = now

    def failed(self) -> None:
        """The request failed or was cancelled: nothing new is known."""
        self._polling_since = None

    def live(self, now: float) -> bool:
        """Whether a state change made before ``now`` has reached (or at once reaches) the bot."""
        if self._polling_since is not None:
            return now - self._polling_since <= self.poll_timeout + POLL_GRACE
        return self._answered_at is not None and now - self._answered_at <= AFTER_ANSWER


@dataclass(frozen=True)
class _Verified:
    generation: int
    at: float


class VerifiedRooms:
    """Direct rooms the homeserver confirmed private, until their state changes."""

    def __init__(self) -> None:
        self._generation: dict[str, int] = {}
        self._verified: dict[tuple[str, str], _Verified] = {}
        # The ids of the state events the last confirmation saw, per room: a sync that
        # only catches up on those (it lagged behind the question) changes nothing.
        self._seen_state: dict[str, frozenset[str]] = {}

    def generation(self, room_id: str) -> int:
        """A number that grows with every state change synced for the room.

        Read it before asking the homeserver and hand it to :meth:`confirm`: a change
        synced while the question was on its way must not be covered by the answer.
        """
        return self._generation.get(room_id, 0)

    def confirm(
        self,
        room_id: str,
        user_id: str,
        generation: int,
        now: float,
        state_ids: Collection[str] = (),
    ) -> None:
        """The homeserver said the room is private to the bot and ``user_id``.

        ``state_ids`` are the event ids of the room's state in that answer.
        """
        if generation == self.generation(room_id):
            self._verified[(room_id, user_id)] = _Verified(generation, now)
            self._seen_state[room_id] = frozenset(state_ids)

    def changed(self, state_events: Mapping[str, Collection[str]]) -> None:
        """The sync showed these state events (room id -> event ids).

        A room changes unless every one of them was part of its last confirmed state.
        """
        for room_id, event_ids in state_events.items():
            seen = self._seen_state.get(room_id)
            if seen is not None and event_ids and all(e in seen for e in event_ids):
                continue
            self.forget(room_id)

    def forget(self, room_id: str) -> None:
        """Not trusted again without asking (the bot left, or a send there failed for good)."""
        self._generation[room_id] = self.generation(room_id) + 1
        self._seen_state.pop(room_id, None)

    def trusted(self, room_id: str, user_id: str, now: float, watch: SyncWatch) -> bool:
        """Whether the earlier verification still stands for ``user_id`` right now."""
        verified = self._verified.get((room_id, user_id))
        if verified is None:
            return False
        if verified.generation != self.generation(room_id) or now - verified.at > VERIFIED_FOR:
            del self._verified[(room_id, user_id)]
            return False
        return watch.live(now)
