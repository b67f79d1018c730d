"""The Matrix adapter (matrix-nio): Matrix events in, core messages out.

It logs in once and reuses the saved device afterwards, syncs with its own
back-off, keeps the sync token and the ids of handled events under
``store_path`` (so a restart never answers a command twice nor replays old
history), joins invites from allowed servers, and sends choice prompts as
polls (answered by a vote, a typed number or, for older prompts, a reaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from nio import (
    InviteMemberEvent,
    JoinError,
    JoinResponse,
    RoomCreateEvent,
    RoomMemberEvent,
    SyncError,
    SyncResponse,
)

from bot.adapters.base import EventHandler
from bot.adapters.matrix_client import (
    NETWORK_ERRORS,
    PLATFORM,
    SYNC_TIMEOUT_MS,
    InviteStateEvent,
    MatrixStartError,
    MatrixTokenRevoked,
    RoomEvent,
)
from bot.adapters.matrix_directs import state_changed_rooms
from bot.adapters.matrix_incoming import MatrixIncoming
from bot.adapters.matrix_pacing import RATE_LIMIT_FIX, SendPacer
from bot.adapters.matrix_rules import invite_refusal, room_creators

__all__ = [
    "PLATFORM",
    "RATE_LIMIT_FIX",
    "SYNC_TIMEOUT_MS",
    "MatrixAdapter",
    "MatrixStartError",
    "MatrixTokenRevoked",
    "SendPacer",
]

log = logging.getLogger("samvaer.matrix")


class MatrixAdapter(MatrixIncoming):
    """Serves a community on a Matrix homeserver."""

    platform = PLATFORM
    # Prompts are polls; reactions still answer the prompts sent before polls.
    capabilities = frozenset({"polls", "reactions", "private_spaces", "video_widgets"})

    async def start(self, on_event: EventHandler) -> None:
        """Sync until stopped; back off while the homeserver is away."""
        self._sync_idle.clear()
        try:
            await self._sync_loop(on_event)
        finally:
            self._sync_idle.set()

    async def _sync_loop(self, on_event: EventHandler) -> None:
        if self.client.access_token is None or not self.client.access_token:
            await self.connect()
        with contextlib.suppress(*NETWORK_ERRORS):
            await self._load_marked()
        failures = 0
        while not self._stop.is_set():
            try:
                response = await self._sync_once()
            except NETWORK_ERRORS as exc:
                failures += 1
                delay = self._delay(failures)
                log.warning("matrix.sync_failed error=%s retry_in=%.0fs", type(exc).__name__, delay)
                await self._pause(delay)
                continue
            if response is None:  # stopped while waiting
                break
            if isinstance(response, SyncResponse):
                if failures:
                    log.info("matrix.sync_recovered after=%d", failures)
                failures = 0
                try:
                    await self._handle_sync(response, on_event)
                except NETWORK_ERRORS as exc:
                    # The homeserver went away while an invite was being joined: the
                    # sync token was not advanced, so the same sync comes again.
                    failures += 1
                    delay = self._delay(failures)
                    log.warning(
                        "matrix.sync_handling_failed error=%s retry_in=%.0fs",
                        type(exc).__name__,
                        delay,
                    )
                    await self._pause(delay)
                continue
            failures += 1
            code = getattr(response, "status_code", "")
            if code == "M_UNKNOWN_TOKEN":
                self._store.forget_session()
                log.error(
                    "matrix.token_rejected user=%s: the access token was revoked or "
                    "expired; log in again (restart with %s set)",
                    self.settings.user_id,
                    self.settings.password_env or self.settings.access_token_env,
                )
                key = (
                    "matrix.password_env"
                    if self.settings.password_env
                    else "matrix.access_token_env"
                )
                raise MatrixTokenRevoked(
                    [
                        f"{key}: the homeserver no longer accepts the login of "
                        f"{self.settings.user_id} (M_UNKNOWN_TOKEN); start again to log in anew"
                    ]
                )
            delay = self._delay(failures)
            retry_after_ms = getattr(response, "retry_after_ms", None)
            if code == "M_LIMIT_EXCEEDED" and retry_after_ms:
                delay = max(retry_after_ms / 1000, 1.0)
            log.warning("matrix.sync_error code=%s retry_in=%.0fs", code, delay)
            await self._pause(delay)

    def _delay(self, failures: int) -> float:
        # At least one second between failing requests, doubling up to the cap.
        base = max(self._backoff_base, 1.0)
        return float(min(base * 2 ** (failures - 1), self._backoff_cap))

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _sync_once(self) -> SyncResponse | SyncError | None:
        first = not self.state.next_batch
        # The first sync of each run asks for the full state: nio keeps rooms, members
        # and power levels in memory only, and the saved token alone would not bring them.
        full_state = first or not self.synced.is_set()
        timeline_limit = 1 if first else 50
        sync_filter = {
            "room": {"timeline": {"limit": timeline_limit}},
            "presence": {"not_types": ["*"]},
        }
        timeout_ms = 0 if first else self._sync_timeout_ms
        sync: asyncio.Task[SyncResponse | SyncError] = asyncio.create_task(
            self._watched_sync(
                timeout=timeout_ms,
                since=self.state.next_batch or None,
                sync_filter=sync_filter,
                full_state=full_state or None,
            )
        )
        stopping = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait({sync, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if sync not in done:
            sync.cancel()
            await asyncio.gather(sync, return_exceptions=True)
            return None
        stopping.cancel()
        return sync.result()

    async def _watched_sync(self, **options: Any) -> SyncResponse | SyncError:
        """One sync request, noting while it runs that the bot is listening for changes.

        Rooms whose state changed are noted as soon as nio has taken the answer in,
        before anything else runs, so no send trusts a room's old verification.
        """
        self._watch.polling(self.monotonic(), options["timeout"] / 1000)
        try:
            response: SyncResponse | SyncError = await self.client.sync(**options)
        except BaseException:
            self._watch.failed()
            raise
        if not isinstance(response, SyncResponse):
            self._watch.failed()
            return response
        self._verified.changed(state_changed_rooms(response))
        self._watch.answered(self.monotonic())
        return response

    async def _handle_sync(self, response: SyncResponse, on_event: EventHandler) -> None:
        fresh = not self.state.next_batch
        for room_id, info in response.rooms.join.items():
            for event in [*info.state, *info.timeline.events]:
                if isinstance(event, RoomCreateEvent):
                    self._creators[room_id] = room_creators(event.source)
                elif isinstance(event, RoomMemberEvent):
                    ever = self._ever_members.setdefault(room_id, set())
                    if len(ever) < 3:
                        ever.add(event.state_key)
        for room_id, invite in response.rooms.invite.items():
            await self._on_invite(room_id, invite.invite_state)
        if not fresh:
            for room_id, info in response.rooms.join.items():
                room = self.client.rooms.get(room_id)
                if room is None:
                    continue
                for event in self._new_events(info.timeline.events):
                    await self._on_room_event(room, event, on_event)
        await self._leave_unused_rooms()
        self.state.next_batch = response.next_batch
        self._saver.touch()
        try:
            await self._manage_keys()
        except NETWORK_ERRORS as exc:
            # Tried again after the next sync; the keys are not lost meanwhile.
            log.warning("matrix.keys_unreachable error=%s", type(exc).__name__)
        self.synced.set()

    def _new_events(self, events: list[RoomEvent]) -> list[RoomEvent]:
        """The events after the bot's own join: history before it is not new."""
        start = 0
        for index, event in enumerate(events):
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == self.own_user_id
                and event.membership == "join"
                and event.prev_membership != "join"
            ):
                start = index + 1
        return events[start:]

    async def _on_invite(self, room_id: str, state: list[InviteStateEvent]) -> None:
        invite = next(
            (
                e
                for e in state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.own_user_id
                and e.membership == "invite"
            ),
            None,
        )
        if invite is None:
            return
        inviter = str(invite.sender)
        as_direct = invite.content.get("is_direct") is True
        refusal = invite_refusal(
            inviter=inviter,
            own_user_id=self.own_user_id,
            allowed_servers=self.settings.allowed_servers,
            as_direct=as_direct,
            room_bound=room_id in self._bound_rooms,
            inviter_role=self._synced_role(inviter),
        )
        if refusal is None and not self._invites.take(inviter, self.clock()):
            refusal = "limit"
        if refusal is not None:
            log.info(
                "matrix.invite_declined reason=%s server=%s direct=%s",
                refusal,
                inviter.partition(":")[2],
                as_direct,
            )
            await self.client.room_leave(room_id)
            return
        answer: JoinResponse | JoinError = await self.client.join(room_id)
        if not isinstance(answer, JoinResponse):
            log.warning("matrix.join_failed room=%s error=%s", room_id, answer.status_code)
            return
        log.info("matrix.joined room=%s direct=%s", room_id, as_direct)
        if as_direct:
            # The person opened a direct chat with the bot: theirs (and only theirs),
            # used while nobody else is ever in it.
            self.state.directs[inviter] = room_id
            await self._mark_direct(inviter, room_id)
        elif room_id not in self._bound_rooms:
            # Left again if nobody uses it (see _leave_unused_rooms).
            self.state.unused_rooms[room_id] = self.clock()
        self._saver.touch()

    async def _leave_unused_rooms(self) -> None:
        """Leave rooms the bot was invited to where nobody has used it for a while."""
        limit = self.settings.idle_room_days * 86_400
        now = self.clock()
        for room_id, since in list(self.state.unused_rooms.items()):
            if room_id in self._bound_rooms:
                del self.state.unused_rooms[room_id]
            elif now - since >= limit:
                del self.state.unused_rooms[room_id]
                log.info("matrix.left_unused room=%s", room_id)
                with contextlib.suppress(*NETWORK_ERRORS):
                    await self.client.room_leave(room_id)

    async def stop(self) -> None:
        """Stop syncing, keep the state, and close the connection."""
        self._stop.set()
        # Let a sync in flight finish or cancel before its HTTP session is closed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._sync_idle.wait(), timeout=10)
        await self._saver.close()
        # nio leaves AsyncClient.close unannotated; it closes the HTTP session.
        await self.client.close()  # type: ignore[no-untyped-call]
