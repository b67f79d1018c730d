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
import io
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from functools import singledispatchmethod
from pathlib import Path
from typing import Any, overload

from aiohttp import ClientConnectionError, ClientError, ClientResponse
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    BadEventType,
    DirectRoomsErrorResponse,
    DirectRoomsResponse,
    ErrorResponse,
    Event,
    InviteEvent,
    InviteMemberEvent,
    JoinError,
    JoinResponse,
    LoginError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    Response,
    RoomCreateError,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomGetStateError,
    RoomGetStateEventError,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomMemberEvent,
    RoomMessageText,
    RoomPreset,
    RoomPutStateError,
    RoomPutStateResponse,
    RoomSendError,
    RoomSendResponse,
    SyncError,
    SyncResponse,
    UnknownBadEvent,
    UnknownEvent,
    UploadError,
    UploadResponse,
    WhoamiError,
    WhoamiResponse,
)

from bot.adapters.base import EventHandler
from bot.adapters.matrix_polls import (
    POLL_RESPONSE_TYPES,
    POLL_START,
    answer_number,
    fits_a_poll,
    poll_content,
    poll_vote,
)
from bot.adapters.matrix_rules import (
    CREATOR_LEVEL,
    InviteBudget,
    PendingPrompt,
    Session,
    StateStore,
    SyncState,
    creators_outrank_all,
    edited_text,
    facts_from_room,
    facts_from_state,
    invite_refusal,
    is_file_image,
    may_answer,
    option_number,
    power_level_of,
    private_with,
    prompt_text,
    role_from,
    room_creators,
    strip_reply_fallback,
    to_html,
    to_plain,
    typed_option,
)
from bot.adapters.matrix_sync_state import StateSaver
from bot.adapters.matrix_trust import SyncWatch, VerifiedRooms
from bot.config import Config, ConfigError, MatrixConfig, Problem, secret_from_env
from bot.core.events import (
    CancelVideoPlace,
    ChoiceIn,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    Incoming,
    MemberJoined,
    MessageIn,
    OpenPrivateSpace,
    Outgoing,
    Role,
    Room,
    Sender,
    SendResult,
    TextMessage,
)
from bot.core.i18n import Translator, load_catalogs
from bot.core.outbox import DELIVERY_KEY
from bot.logs import add_secret

log = logging.getLogger("samvaer.matrix")

PLATFORM = "matrix"
SYNC_TIMEOUT_MS = 30_000
NETWORK_ERRORS = (ClientConnectionError, ClientError, TimeoutError, OSError)
_SEND_ATTEMPTS = 6
#: A room creation the homeserver asks to wait longer for is left to the outbox's retry.
_LONGEST_WAIT = 30.0
RATE_LIMIT_FIX = (
    "lift the homeserver's limits for the bot: on Synapse, as a server admin, "
    "POST /_synapse/admin/v1/users/{user}/override_ratelimit with "
    '{{"messages_per_second": 0, "burst_count": 0}} (see docs/matrix.md)'
)
_SLUG = re.compile(r"[^a-z0-9]+")

# nio declares a sync's timeline and invite state as bare lists; these are what it puts in them.
RoomEvent = Event | BadEventType
InviteStateEvent = InviteEvent | BadEventType
# nio's request methods lose their declared answers to an unannotated decorator.
StateEventAnswer = RoomGetStateEventResponse | RoomGetStateEventError
DirectRoomsAnswer = DirectRoomsResponse | DirectRoomsErrorResponse


class MatrixStartError(ConfigError):
    """The adapter cannot start: names the config key and what the homeserver said."""


class MatrixTokenRevoked(ConfigError):
    """The homeserver no longer accepts the access token; running on would only spin."""


class SendPacer:
    """Full speed until the homeserver says "slow down"; then spaced sends that recover.

    The homeserver's ``M_LIMIT_EXCEEDED`` is the signal: everyone waits for its
    retry delay, and following sends are spaced out, the gap shrinking with each
    success. A fan-out of thousands of reminders then flows at the rate the
    homeserver allows instead of hammering it.
    """

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sleep = sleep
        self._gap = 0.0
        self._next_at = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._next_at > now:
                await self._sleep(self._next_at - now)
                now = loop.time()
            self._next_at = now + self._gap

    def slow_down(self, retry_after: float) -> None:
        now = asyncio.get_running_loop().time()
        # Several sends in flight are refused together: that is one signal, not many,
        # so the gap doubles only for a refusal that comes after the last wait ended.
        if now >= self._next_at:
            self._gap = min(max(self._gap * 2, 0.05), 5.0)
        self._next_at = max(self._next_at, now + retry_after)

    def went_well(self) -> None:
        self._gap = 0.0 if self._gap < 0.01 else self._gap * 0.9


class MatrixAdapter:
    """Serves a community on a Matrix homeserver."""

    platform = PLATFORM
    # Prompts are polls; reactions still answer the prompts sent before polls.
    capabilities = frozenset({"polls", "reactions", "private_spaces"})

    def __init__(
        self,
        config: Config,
        *,
        backoff: tuple[float, float] = (2.0, 60.0),
        sync_timeout_ms: int = SYNC_TIMEOUT_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if config.matrix is None:
            raise ConfigError(
                [
                    Problem(
                        "adapter_section",
                        {"section": "matrix"},
                        "matrix: add a [matrix] section to use the Matrix adapter",
                    )
                ]
            )
        self._config = config
        self.settings: MatrixConfig = config.matrix
        self._backoff_base, self._backoff_cap = backoff
        self._sync_timeout_ms = sync_timeout_ms
        self.clock = clock
        #: For how fresh the synced view of a room is (never moved by wall-clock changes).
        self.monotonic: Callable[[], float] = time.monotonic
        self._watch = SyncWatch(self.sync_timeout)
        self._verified = VerifiedRooms()
        self._invites = InviteBudget(
            self.settings.invites_per_inviter_per_day, self.settings.invites_per_day
        )
        self._store = StateStore(Path(self.settings.store_path))
        self.state = SyncState()
        self.client = AsyncClient(
            self.settings.homeserver.rstrip("/"),
            self.settings.user_id,
            store_path=str(self._store.directory),
            config=AsyncClientConfig(
                # The adapter does its own back-off, so nio must not retry forever inside.
                max_limit_exceeded=0,
                max_timeouts=0,
                store_sync_tokens=False,
                encryption_enabled=self.settings.encryption,
                request_timeout=60,
            ),
        )
        self._translator = Translator(load_catalogs(), config.community.language)
        self._pacer = SendPacer()
        # Room creation has its own limit on the homeserver (about one a minute by default).
        self._create_pacer = SendPacer()
        self._limit_warned = False
        self._saver = StateSaver(self._store, lambda: self.state)
        self._stop = asyncio.Event()
        self._sync_idle = asyncio.Event()
        self._sync_idle.set()
        self._direct_locks: dict[str, asyncio.Lock] = {}
        self._marking = asyncio.Lock()
        self._event_senders: dict[str, str] = {}
        self._undecryptable_noticed: set[tuple[str, str]] = set()
        self._creators: dict[str, frozenset[str]] = {}
        # Everyone seen with a membership in a room (nio forgets those who left);
        # three are enough to know a room is not private to two people.
        self._ever_members: dict[str, set[str]] = {}
        # The bot's own ``m.direct`` account data: person -> rooms marked direct with them.
        self._marked: dict[str, set[str]] = {}
        self._bound_rooms = {
            ref.partition(":")[2]
            for feature in ("announcements", "meals", "volunteers", "organisers", "checkins")
            for ref in getattr(config.rooms, feature)
            if ref.startswith(f"{PLATFORM}:")
        }
        self.synced = asyncio.Event()

    @property
    def own_user_id(self) -> str:
        return str(self.client.user_id)

    @property
    def sync_timeout(self) -> float:
        """How long (seconds) a sync request waits for news before answering empty."""
        return self._sync_timeout_ms / 1000

    # ------------------------------------------------------------ login

    async def connect(self) -> None:
        """Log in (or reuse the saved login) and load the saved sync state."""
        self._store.secure()
        self._check_encryption_support()
        self.state = self._store.load_sync()
        settings = self.settings
        homeserver = settings.homeserver.rstrip("/")
        saved = self._store.load_session()
        if settings.access_token_env:
            token = secret_from_env(settings.access_token_env)
            if token is None:
                raise MatrixStartError(
                    [f"matrix.access_token_env: the variable {settings.access_token_env} is empty"]
                )
            self.client.access_token = token
            who = await self._whoami("matrix.access_token_env")
            if who.user_id != settings.user_id:
                raise MatrixStartError(
                    [f"matrix.user_id: the token belongs to {who.user_id}, not {settings.user_id}"]
                )
            self._restore(settings.user_id, who.device_id or "", token)
            log.info("matrix.login method=token device=%s", who.device_id)
            return
        if saved is not None and (saved.user_id, saved.homeserver) == (
            settings.user_id,
            homeserver,
        ):
            self._restore(saved.user_id, saved.device_id, saved.access_token)
            still = await self._whoami("matrix.homeserver", tolerate_unknown_token=True)
            if isinstance(still, WhoamiResponse):
                log.info("matrix.login method=saved device=%s", saved.device_id)
                return
            log.warning("matrix.saved_login_rejected device=%s", saved.device_id)
            self._store.forget_session()
        await self._password_login()

    def _check_encryption_support(self) -> None:
        if not self.settings.encryption:
            return
        from nio.crypto import ENCRYPTION_ENABLED

        if not ENCRYPTION_ENABLED:
            raise MatrixStartError(
                [
                    "matrix.encryption: true, but end-to-end support is not installed "
                    "(install matrix-nio[e2e]) — or set encryption = false"
                ]
            )
        has_store = any(self._store.directory.glob("*.db"))
        if self._store.load_session() is not None and not has_store:
            log.error(
                "matrix.encryption_store_missing path=%s: the device keys are gone; "
                "encrypted rooms will not decrypt until users re-share keys",
                self._store.directory,
            )

    def _restore(self, user_id: str, device_id: str, token: str) -> None:
        add_secret(token)  # a password login's session token is in no env var
        self.client.restore_login(user_id, device_id, token)

    @overload
    async def _whoami(self, key: str) -> WhoamiResponse: ...

    @overload
    async def _whoami(
        self, key: str, *, tolerate_unknown_token: bool
    ) -> WhoamiResponse | WhoamiError: ...

    async def _whoami(
        self, key: str, *, tolerate_unknown_token: bool = False
    ) -> WhoamiResponse | WhoamiError:
        try:
            who: WhoamiResponse | WhoamiError = await self.client.whoami()
        except NETWORK_ERRORS as exc:
            raise self._unreachable(exc) from None
        if isinstance(who, WhoamiResponse):
            return who
        if tolerate_unknown_token and who.status_code == "M_UNKNOWN_TOKEN":
            return who
        raise MatrixStartError([f"{key}: the homeserver refused the login: {who.message}"])

    def _unreachable(self, exc: BaseException) -> MatrixStartError:
        reason = str(exc) or type(exc).__name__
        return MatrixStartError(
            [f"matrix.homeserver: cannot reach {self.settings.homeserver}: {reason}"]
        )

    async def _password_login(self) -> None:
        settings = self.settings
        password = secret_from_env(settings.password_env)
        if password is None:
            raise MatrixStartError(
                [f"matrix.password_env: the variable {settings.password_env} is empty"]
            )
        try:
            answer: LoginResponse | LoginError = await self.client.login(
                password, device_name=settings.device_name
            )
        except NETWORK_ERRORS as exc:
            raise self._unreachable(exc) from None
        if not isinstance(answer, LoginResponse):
            raise MatrixStartError(
                [
                    f"matrix.password_env: the homeserver refused the login for "
                    f"{settings.user_id}: {getattr(answer, 'message', answer)}"
                ]
            )
        add_secret(answer.access_token)
        self._store.save_session(
            Session(
                settings.homeserver.rstrip("/"),
                answer.user_id,
                answer.device_id,
                answer.access_token,
            )
        )
        # A new device starts from now: nothing it missed is answered as new.
        self.state.next_batch = ""
        log.info("matrix.login method=password device=%s", answer.device_id)

    # ------------------------------------------------------------ sync loop

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

    async def _manage_keys(self) -> None:
        """Keep the device's encryption keys published and learn the members' devices.

        nio only does this inside ``sync_forever``, which the adapter does not use
        (it needs its own back-off and saved sync token).
        """
        if not self.client.olm:
            return
        if self.client.should_upload_keys:
            self._log_key_failure("upload", await self.client.keys_upload())
        if self.client.should_query_keys:
            self._log_key_failure("query", await self.client.keys_query())
        if self.client.should_claim_keys:
            users = self.client.get_users_for_key_claiming()
            self._log_key_failure("claim", await self.client.keys_claim(users))

    async def _prepare_encrypted_room(self, room_id: str, members: Collection[str]) -> None:
        """Before the first message in a new encrypted room: know every member's devices.

        Right after creating a room nio has not synced it yet, and may be inside the
        sync loop's own handler, so waiting for a sync is no option. The room is
        entered into nio's state as it was created (encrypted, these members
        invited), so the room key is shared with the invited people's devices and
        they can read the introduction or reminder when they join.
        """
        if not self.client.olm:
            return
        room = self.client.rooms.get(room_id)
        if room is None:
            room = MatrixRoom(room_id, self.own_user_id, encrypted=True)
            room.add_member(self.own_user_id, None, None)
            self.client.rooms[room_id] = room
            self.client.encrypted_rooms.add(room_id)
        for member in members:
            room.add_member(member, None, None, invited=True)
        # nio leaves this one unannotated; it takes the MatrixRoom and returns nothing.
        self.client.olm.update_tracked_users(room)  # type: ignore[no-untyped-call]
        if self.client.should_query_keys:
            self._log_key_failure("query", await self.client.keys_query())

    def _log_key_failure(self, step: str, answer: Response) -> None:
        if isinstance(answer, ErrorResponse):
            log.warning("matrix.keys_%s_failed error=%s", step, answer.message)

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

    def _used(self, room_id: str) -> None:
        """Someone used the bot in the room (a command, a choice, a message from it)."""
        if self.state.unused_rooms.pop(room_id, None) is not None:
            self._saver.touch()

    # ------------------------------------------------------------ incoming

    def _recorded_direct(self, room_id: str, user_id: str) -> bool:
        """The bot made the room as a direct chat with the person, or it is in ``m.direct``."""
        return self.state.directs.get(user_id) == room_id or room_id in self._marked.get(
            user_id, ()
        )

    def _is_direct(self, room: MatrixRoom, user_id: str) -> bool:
        """Whether what ``user_id`` writes in the room may be answered there privately.

        The same rule as for writing first: a recorded direct chat with that person
        that only the two of them were ever in. A room bound to a feature is never
        direct, however few people are in it.
        """
        if room.room_id in self._bound_rooms or not self._recorded_direct(room.room_id, user_id):
            return False
        facts = facts_from_room(
            room,
            self._creators.get(room.room_id, frozenset()),
            self._ever_members.get(room.room_id, ()),
        )
        return private_with(facts, self.own_user_id, user_id)

    def _sender(self, room: MatrixRoom, user_id: str) -> Sender:
        name = room.user_name(user_id) or user_id
        return Sender(PLATFORM, user_id, name, self._synced_role(user_id))

    def _role(self, user_id: str, power_level: int) -> Role:
        roles = self._config.roles
        return role_from(
            user_id,
            organisers=roles.organisers,
            volunteers=roles.volunteers,
            power_level=power_level,
            organiser_level=self.settings.organiser_power_level,
            volunteer_level=self.settings.volunteer_power_level,
        )

    def _synced_role(self, user_id: str) -> Role:
        """The role from the config lists and the levels in bound rooms, as last synced."""
        level = 0
        for room_id in self._bound_rooms:
            level = max(level, self._synced_level(room_id, user_id))
        return self._role(user_id, level)

    def _synced_level(self, room_id: str, user_id: str) -> int:
        """The level in a bound room; someone who is no longer joined there has none."""
        bound = self.client.rooms.get(room_id)
        if bound is None or user_id not in bound.users or user_id in bound.invited_users:
            return 0
        if self._outranks_all(room_id, bound, user_id):
            return CREATOR_LEVEL
        return int(bound.power_levels.get_user_level(user_id))

    def _outranks_all(self, room_id: str, bound: MatrixRoom, user_id: str) -> bool:
        return user_id in self._creators.get(room_id, ()) and creators_outrank_all(
            bound.room_version
        )

    async def current_role(self, user_id: str) -> Role | None:
        """The role someone holds right now: config lists and levels asked of the homeserver.

        Asked before an alert or a confidential report goes out, so someone whose
        power level was lowered, or who left the bound rooms, stops getting them
        at once, without waiting for the next sync.
        """
        if not self.synced.is_set():
            return None  # starting up: the rooms are not known yet, so the message waits
        level = 0
        for room_id in sorted(self._bound_rooms):
            level = max(level, await self._level_now(room_id, user_id))
        return self._role(user_id, level)

    async def _level_now(self, room_id: str, user_id: str) -> int:
        bound = self.client.rooms.get(room_id)
        if bound is None:  # the bot is not in that room: it gives nobody a role
            return 0
        try:
            member: StateEventAnswer = await self.client.room_get_state_event(
                room_id, "m.room.member", user_id
            )
            levels: StateEventAnswer = await self.client.room_get_state_event(
                room_id, "m.room.power_levels"
            )
        except NETWORK_ERRORS:
            return self._synced_level(room_id, user_id)
        if isinstance(member, RoomGetStateEventResponse):
            if member.content.get("membership") != "join":
                return 0
        elif getattr(member, "status_code", "") == "M_NOT_FOUND":
            return 0  # never a member
        else:
            return self._synced_level(room_id, user_id)
        if self._outranks_all(room_id, bound, user_id):
            return CREATOR_LEVEL
        if not isinstance(levels, RoomGetStateEventResponse):
            return self._synced_level(room_id, user_id)
        return power_level_of(levels.content, user_id)

    def _translate(self, event: RoomEvent, room: MatrixRoom) -> Incoming | None:
        """The core event for a Matrix event, or None when it means nothing to the bot."""
        is_direct = self._is_direct(room, getattr(event, "sender", ""))
        core_room = Room(PLATFORM, room.room_id)
        if isinstance(event, RoomMessageText):
            text = event.body
            content = event.source.get("content", {})
            sender = self._sender(room, event.sender)
            edited = edited_text(content)
            if edited is not None:
                # An edit: its new text is checked for crisis words, and never run.
                return MessageIn(sender, core_room, edited, is_direct, event.event_id, is_edit=True)
            relates = content.get("m.relates_to", {})
            if isinstance(relates, dict) and "m.in_reply_to" in relates:
                text = strip_reply_fallback(text)
            choice = self._typed_choice(room.room_id, event.sender, text)
            if choice is not None:
                return ChoiceIn(sender, core_room, choice, is_direct, event.event_id)
            return MessageIn(sender, core_room, text, is_direct, event.event_id)
        if isinstance(event, ReactionEvent):
            # Prompts sent before polls carried number reactions; those still answer.
            value = self._picked(room.room_id, event.sender, event.reacts_to, event.key)
            if value is None:
                return None
            sender = self._sender(room, event.sender)
            return ChoiceIn(sender, core_room, value, is_direct, event.event_id)
        if isinstance(event, UnknownEvent) and event.type in POLL_RESPONSE_TYPES:
            vote = poll_vote(event.source.get("content", {}))
            if vote is None:
                return None
            value = self._picked(room.room_id, event.sender, *vote, from_poll=True)
            if value is None:
                return None
            sender = self._sender(room, event.sender)
            return ChoiceIn(sender, core_room, value, is_direct, event.event_id)
        if (
            isinstance(event, RoomMemberEvent)
            and event.membership == "join"
            and event.prev_membership != "join"
        ):
            return MemberJoined(self._sender(room, event.state_key), core_room)
        return None

    def _picked(
        self, room_id: str, user_id: str, prompt_id: str, key: str, *, from_poll: bool = False
    ) -> str | None:
        """The value of the option a reaction key or poll answer picks, if it may answer."""
        prompt = self.state.prompt(room_id, prompt_id)
        if prompt is None or not may_answer(prompt, user_id, typed=False):
            return None
        count = len(prompt.options)
        number = answer_number(key, count) if from_poll else option_number(key)
        if number is None or number > count:
            return None
        return prompt.options[number - 1].value

    def _typed_choice(self, room_id: str, user_id: str, text: str) -> str | None:
        """A typed number answering the room's latest prompt, as that option's value."""
        prompt_id = self.state.typed.get(room_id)
        prompt = self.state.prompt(room_id, prompt_id) if prompt_id else None
        if prompt is None or not may_answer(prompt, user_id, typed=True):
            return None
        picked = typed_option(text, [option.label for option in prompt.options])
        # Whatever the person typed, the numbered list is answered or left behind.
        self.state.typed.pop(room_id, None)
        if picked is None:
            return None
        return prompt.options[picked].value

    async def _on_room_event(
        self, room: MatrixRoom, event: RoomEvent, on_event: EventHandler
    ) -> None:
        if isinstance(event, UnknownBadEvent):
            return  # nio found no sender or id in it
        sender = event.sender
        if not sender or sender == self.own_user_id:
            return
        if not self.state.mark_seen(event.event_id):
            return
        if isinstance(event, MegolmEvent):
            await self._undecryptable(room, sender)
            return
        core_event = self._translate(event, room)
        if core_event is None:
            return
        if isinstance(core_event, ChoiceIn) or (
            isinstance(core_event, MessageIn)
            and core_event.text.lstrip().startswith(self.settings.prefix)
        ):
            self._used(room.room_id)
        if isinstance(core_event, MessageIn | ChoiceIn):
            self._event_senders[event.event_id] = sender
            if len(self._event_senders) > 1000:
                self._event_senders.pop(next(iter(self._event_senders)))
        # Written within a second, off the loop; after a crash before that, the event
        # comes again and the database's event claim keeps it from being answered twice.
        self._saver.touch()
        try:
            await on_event(core_event)
        except Exception:
            log.exception("matrix.handler_failed room=%s", room.room_id)

    async def _undecryptable(self, room: MatrixRoom, sender: str) -> None:
        key = (room.room_id, sender)
        if key in self._undecryptable_noticed:
            return
        self._undecryptable_noticed.add(key)
        log.info("matrix.undecryptable room=%s", room.room_id)
        lang = self._config.community.language
        name = "matrix.cannot_decrypt" if self.settings.encryption else "matrix.no_encryption"
        text = self._translator.text(lang, name)
        await self.send(TextMessage(Room(PLATFORM, room.room_id), text))

    # ------------------------------------------------------------ outgoing

    async def send(self, message: Outgoing) -> SendResult:
        """Send one message; a homeserver that is away gives a result to retry later."""
        try:
            result: SendResult = await self._send(message)
        except NETWORK_ERRORS as exc:
            log.warning("matrix.send_unreachable error=%s", type(exc).__name__)
            return SendResult(ok=False, retry=True, reason="homeserver unreachable")
        return result

    @singledispatchmethod
    async def _send(self, message: Outgoing) -> SendResult:
        raise TypeError(f"cannot send {type(message).__name__}")

    @_send.register
    async def _(self, message: TextMessage) -> SendResult:
        content = self._text_content(message.text)
        return await self._to(message.to, content, reply_to=message.reply_to)

    @_send.register
    async def _(self, message: ChoicePrompt) -> SendResult:
        # One event: a poll that clients show with its options to tap; clients without
        # polls show the numbered text, answered by typing the number.
        if fits_a_poll(message.options):
            # The tally is shown in a direct chat (the person sees their answer), never
            # in a shared room.
            to = message.to
            direct = isinstance(to, Direct) or to.room_id in self.state.directs.values()
            content = poll_content(message.text, message.options, disclosed=direct)
            event_type = POLL_START
        else:
            content = self._text_content(prompt_text(message.text, message.options))
            event_type = "m.room.message"
        result = await self._to(
            message.to, content, reply_to=message.reply_to, event_type=event_type
        )
        if not result.ok or not result.value:
            return result
        room_id = result.extra["room_id"]
        for_user = ""
        if isinstance(message.to, Direct):
            for_user = message.to.user_id
        elif message.reply_to:
            for_user = self._event_senders.get(message.reply_to, "")
        if not for_user:
            # A prompt in someone's direct chat is theirs even without a reply to hold on to.
            for_user = next((u for u, r in self.state.directs.items() if r == room_id), "")
        self.state.remember_prompt(room_id, result.value, PendingPrompt(message.options, for_user))
        self._saver.touch()
        return result

    @_send.register
    async def _(self, message: FileMessage) -> SendResult:
        room_id = await self._room_id(message.to)
        if room_id is None:
            return SendResult(ok=False, retry=True, reason="no direct room")
        if message.caption:
            caption = await self._post(
                room_id, self._text_content(message.caption), key_suffix="-c"
            )
            if not caption.ok:
                return caption
        encrypt = bool(self.client.olm) and self._room_encrypted(room_id)
        uploaded: tuple[UploadResponse | UploadError, dict[str, Any] | None]
        uploaded = await self.client.upload(
            io.BytesIO(message.content),
            content_type=message.mime_type,
            filename=message.filename,
            encrypt=encrypt,
            filesize=len(message.content),
        )
        upload, keys = uploaded
        if not isinstance(upload, UploadResponse):
            return SendResult(ok=False, retry=True, reason=f"upload failed: {upload}")
        content: dict[str, Any] = {
            "msgtype": "m.image" if is_file_image(message.mime_type) else "m.file",
            "body": message.filename,
            "filename": message.filename,
            "info": {"mimetype": message.mime_type, "size": len(message.content)},
            "m.mentions": {},
        }
        if keys is not None:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        return await self._post(room_id, content, key_suffix="-f")

    @_send.register
    async def _(self, message: OpenPrivateSpace) -> SendResult:
        initial_state: list[dict[str, Any]] = [
            # Members see only what was said since they were invited; no guests.
            {
                "type": "m.room.history_visibility",
                "state_key": "",
                "content": {"history_visibility": "invited"},
            },
            {
                "type": "m.room.guest_access",
                "state_key": "",
                "content": {"guest_access": "forbidden"},
            },
        ]
        if self.settings.encryption:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        invite = [m for m in message.members if m != self.own_user_id]
        created: RoomCreateResponse | RoomCreateError = await self._create_room(
            name=message.title,
            preset=RoomPreset.private_chat,
            invite=invite,
            initial_state=initial_state,
        )
        if not isinstance(created, RoomCreateResponse):
            return SendResult(ok=False, retry=True, reason=f"room not created: {created}")
        room_id = created.room_id
        log.info("matrix.private_space room=%s members=%d", room_id, len(invite))
        if self.settings.encryption:
            await self._prepare_encrypted_room(room_id, invite)
        if message.intro:
            await self._post(room_id, self._text_content(message.intro), key_suffix="-i")
        return SendResult(ok=True, value=room_id, extra={"room_id": room_id})

    @_send.register
    async def _(self, message: CreateVideoPlace) -> SendResult:
        url = self._video_url(message)
        if message.reference.startswith("!") and ":" in message.reference:
            widget_id = f"samvaer-{_slug(message.name)}"
            widget: dict[str, Any] = {
                "type": "m.jitsi" if "jit" in url else "m.custom",
                "url": url,
                "name": message.name,
                "data": {},
            }
            answer: RoomPutStateResponse | RoomPutStateError = await self.client.room_put_state(
                message.reference, "im.vector.modular.widgets", widget, state_key=widget_id
            )
            if isinstance(answer, ErrorResponse):
                log.info("matrix.widget_skipped error=%s", answer.status_code)
        return SendResult(ok=True, value=url)

    @_send.register
    async def _(self, message: CancelVideoPlace) -> SendResult:
        return SendResult(ok=True)  # a call link has nothing to call off

    def _video_url(self, message: CreateVideoPlace) -> str:
        if message.kind.startswith(("https://", "http://")):
            return message.kind
        meals = self._config.meals
        name = f"{_slug(self._config.community.name)}-{_slug(message.name)}"
        name = f"{name}-{secrets.token_hex(3)}"
        if message.kind == "element":
            return f"{meals.element_call_base_url.rstrip('/')}/room/#/{name}"
        return f"{meals.jitsi_base_url.rstrip('/')}/{name}"

    # ------------------------------------------------------------ sending helpers

    @staticmethod
    def _text_content(text: str) -> dict[str, Any]:
        return {
            "msgtype": "m.text",
            "body": to_plain(text),
            "format": "org.matrix.custom.html",
            "formatted_body": to_html(text),
            # Nobody is pinged by what the bot repeats (names, titles, "@room").
            "m.mentions": {},
        }

    def _room_encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(room and room.encrypted)

    async def _to(
        self,
        to: Destination,
        content: dict[str, Any],
        *,
        reply_to: str = "",
        event_type: str = "m.room.message",
    ) -> SendResult:
        room_id = await self._room_id(to)
        if room_id is None:
            return SendResult(ok=False, retry=True, reason="no direct room")
        if reply_to and isinstance(to, Room):
            content = {**content, "m.relates_to": {"m.in_reply_to": {"event_id": reply_to}}}
        result = await self._post(room_id, content, event_type=event_type)
        if not result.ok and isinstance(to, Direct) and not result.retry:
            # The person left the old direct room: open a new one and try once more.
            self._verified.forget(room_id)
            self.state.directs.pop(to.user_id, None)
            room_id = await self._room_id(to)
            if room_id is None:
                return result
            result = await self._post(room_id, content, event_type=event_type, key_suffix="-again")
        return result

    async def _post(
        self,
        room_id: str,
        content: dict[str, Any],
        *,
        event_type: str = "m.room.message",
        key_suffix: str = "",
    ) -> SendResult:
        delivery_key = DELIVERY_KEY.get()
        # The outbox row's key as transaction id: a re-send after a crash is not shown twice.
        tx_id = f"{delivery_key}{key_suffix}" if delivery_key else None
        for _attempt in range(_SEND_ATTEMPTS):
            await self._pacer.wait_turn()
            answer: RoomSendResponse | RoomSendError = await self.client.room_send(
                room_id, event_type, content, tx_id=tx_id, ignore_unverified_devices=True
            )
            if isinstance(answer, RoomSendResponse):
                self._pacer.went_well()
                self._used(room_id)
                return SendResult(ok=True, value=answer.event_id, extra={"room_id": room_id})
            code = getattr(answer, "status_code", "")
            if code == "M_LIMIT_EXCEEDED":
                retry_after = (getattr(answer, "retry_after_ms", None) or 1000) / 1000
                self._rate_limited("messages", retry_after)
                self._pacer.slow_down(retry_after)
                continue
            log.warning("matrix.send_failed room=%s code=%s", room_id, code)
            permanent = code in {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN"}
            return SendResult(ok=False, retry=not permanent, reason=f"{code}: {answer.message}")
        return SendResult(ok=False, retry=True, reason="rate limited")

    def _rate_limited(self, what: str, retry_after: float) -> None:
        """Warn once per run, with the fix, that the homeserver is holding the bot back."""
        if self._limit_warned:
            log.info("matrix.rate_limited what=%s retry_after=%.1fs", what, retry_after)
            return
        self._limit_warned = True
        log.warning(
            "matrix.rate_limited what=%s retry_after=%.1fs: the homeserver limits how fast "
            "the bot may send, so reminders to many people go out slowly; %s",
            what,
            retry_after,
            RATE_LIMIT_FIX.format(user=self.own_user_id),
        )

    async def _create_room(self, **options: Any) -> RoomCreateResponse | RoomCreateError:
        """Create a room, waiting out the homeserver's room-creation limit when it is short."""
        created: RoomCreateResponse | RoomCreateError = RoomCreateError("not tried")
        for _attempt in range(_SEND_ATTEMPTS):
            await self._create_pacer.wait_turn()
            created = await self.client.room_create(**options)
            if isinstance(created, RoomCreateResponse):
                self._create_pacer.went_well()
                return created
            if getattr(created, "status_code", "") != "M_LIMIT_EXCEEDED":
                return created
            retry_after = (getattr(created, "retry_after_ms", None) or 1000) / 1000
            self._rate_limited("room creation", retry_after)
            if retry_after > _LONGEST_WAIT:
                return created  # the outbox tries again later, without holding a send open
            self._create_pacer.slow_down(retry_after)
        return created

    async def _room_id(self, to: Destination) -> str | None:
        if isinstance(to, Room):
            return to.room_id
        return await self.direct_room(to.user_id)

    async def direct_room(self, user_id: str) -> str | None:
        """A room private to the bot and ``user_id``, checked with the homeserver now.

        Only rooms the bot made as a direct chat with the person, or that are in
        the bot's ``m.direct`` for them (a direct chat the person opened), are
        candidates; and one is used only if, right now, nobody but the two was
        ever in it, nobody can join uninvited and its history is not public.
        Otherwise a new direct chat is made.
        """
        lock = self._direct_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            candidates = [self.state.directs.get(user_id, "")]
            if self._private_as_synced(candidates[0], user_id):
                return candidates[0]
            if not await self._private_now(candidates[0], user_id):
                await self._load_marked()
                candidates = [
                    room_id for room_id in self._marked.get(user_id, ()) if room_id != candidates[0]
                ]
                found = None
                for room_id in sorted(candidates):
                    if await self._private_now(room_id, user_id):
                        found = room_id
                        break
                if found is None:
                    created = await self._create_direct(user_id)
                    if created is None or not await self._private_now(created, user_id):
                        return None
                    found = created
                self.state.directs[user_id] = found
                self._saver.touch()
            return self.state.directs[user_id]

    def _private_as_synced(self, room_id: str, user_id: str) -> bool:
        """Private by a verification no synced change has ended, and by the synced room too."""
        if not room_id or room_id in self._bound_rooms:
            return False
        if not self._verified.trusted(room_id, user_id, self.monotonic(), self._watch):
            return False
        room = self.client.rooms.get(room_id)
        if room is None:
            return False
        facts = facts_from_room(
            room, self._creators.get(room_id, frozenset()), self._ever_members.get(room_id, ())
        )
        return private_with(facts, self.own_user_id, user_id)

    async def _private_now(self, room_id: str, user_id: str) -> bool:
        """Ask the homeserver for the room's state and check it is private to the two."""
        if not room_id or room_id in self._bound_rooms:
            return False
        generation = self._verified.generation(room_id)
        answer: RoomGetStateResponse | RoomGetStateError = await self.client.room_get_state(room_id)
        if not isinstance(answer, RoomGetStateResponse):
            return False
        private = private_with(facts_from_state(answer.events), self.own_user_id, user_id)
        if private:
            self._verified.confirm(room_id, user_id, generation, self.monotonic())
        else:
            log.info("matrix.direct_refused room=%s", room_id)
        return private

    async def _load_marked(self) -> None:
        """Read the bot's ``m.direct`` account data (written only by the bot itself)."""
        answer: DirectRoomsAnswer = await self.client.list_direct_rooms()
        if isinstance(answer, DirectRoomsResponse):
            self._marked = {user: set(rooms) for user, rooms in answer.rooms.items()}

    async def _create_direct(self, user_id: str) -> str | None:
        initial_state: list[dict[str, Any]] = []
        if self.settings.encryption:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        created: RoomCreateResponse | RoomCreateError = await self._create_room(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            initial_state=initial_state,
        )
        if not isinstance(created, RoomCreateResponse):
            log.warning("matrix.direct_failed error=%s", getattr(created, "status_code", ""))
            return None
        log.info("matrix.direct_created room=%s", created.room_id)
        await self._mark_direct(user_id, created.room_id)
        if self.settings.encryption:
            await self._prepare_encrypted_room(created.room_id, [user_id])
        return str(created.room_id)

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        """Add the room to the bot's ``m.direct`` account data, as clients do.

        One at a time: two direct chats opened at once (a concurrent fan-out) would
        otherwise each read the list, add their own room and overwrite the other's.
        """
        async with self._marking:
            await self._mark_direct_now(user_id, room_id)

    async def _mark_direct_now(self, user_id: str, room_id: str) -> None:
        listed: DirectRoomsAnswer = await self.client.list_direct_rooms()
        if isinstance(listed, DirectRoomsResponse):
            directs = dict(listed.rooms)
        else:  # none yet, or not readable now: keep what is known rather than lose it
            directs = {user: sorted(rooms) for user, rooms in self._marked.items()}
        directs[user_id] = [*directs.get(user_id, []), room_id]
        self._marked.setdefault(user_id, set()).add(room_id)
        path = Api._build_path(["user", self.own_user_id, "account_data", "m.direct"])
        response: ClientResponse = await self.client.send(
            "PUT",
            path,
            Api.to_json(directs),
            {
                "Authorization": f"Bearer {self.client.access_token}",
                "Content-Type": "application/json",
            },
        )
        response.release()

    # ------------------------------------------------------------ stop

    async def stop(self) -> None:
        """Stop syncing, keep the state, and close the connection."""
        self._stop.set()
        # Let a sync in flight finish or cancel before its HTTP session is closed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._sync_idle.wait(), timeout=10)
        await self._saver.close()
        # nio leaves AsyncClient.close unannotated; it closes the HTTP session.
        await self.client.close()  # type: ignore[no-untyped-call]


def state_changed_rooms(response: SyncResponse) -> set[str]:
    """Rooms with any state event in the sync answer, and rooms the bot is no longer in."""
    changed = set(response.rooms.leave)
    for room_id, info in response.rooms.join.items():
        if info.state or any("state_key" in event.source for event in info.timeline.events):
            changed.add(room_id)
    return changed


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.casefold()).strip("-")[:40] or "samvaer"
