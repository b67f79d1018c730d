"""The Matrix adapter's base: the nio client, the login, encryption keys and paced sends.

The adapter is built in layers, each a module under ~500 lines: this client,
:mod:`bot.adapters.matrix_directs` (direct chats and their privacy),
:mod:`bot.adapters.matrix_send` (outgoing messages),
:mod:`bot.adapters.matrix_incoming` (incoming events and roles) and
:mod:`bot.adapters.matrix` (the sync loop and invites; the adapter itself).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from contextvars import ContextVar
from pathlib import Path
from typing import Any, overload

from aiohttp import ClientConnectionError, ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    BadEventType,
    DirectRoomsErrorResponse,
    DirectRoomsResponse,
    ErrorResponse,
    Event,
    InviteEvent,
    LoginError,
    LoginResponse,
    MatrixRoom,
    Response,
    RoomCreateError,
    RoomCreateResponse,
    RoomGetStateEventError,
    RoomGetStateEventResponse,
    RoomSendError,
    RoomSendResponse,
    WhoamiError,
    WhoamiResponse,
)

from bot.adapters.matrix_pacing import RATE_LIMIT_FIX, SendPacer
from bot.adapters.matrix_rules import (
    InviteBudget,
    Session,
    StateStore,
    SyncState,
    to_html,
    to_plain,
)
from bot.adapters.matrix_sync_state import StateSaver
from bot.adapters.matrix_trust import SyncWatch, VerifiedRooms
from bot.adapters.matrix_widgets import MatrixWidgets
from bot.config import Config, ConfigError, MatrixConfig, Problem, secret_from_env
from bot.core.events import SendResult
from bot.core.i18n import Translator, load_catalogs
from bot.logs import add_secret

# The delivery key of the message being sent (``send``'s argument), for the transaction
# ids of every event that message becomes. Kept per task: sends run side by side.
SENDING_KEY: ContextVar[str | None] = ContextVar("samvaer_matrix_sending_key", default=None)

log = logging.getLogger("samvaer.matrix")

PLATFORM = "matrix"
SYNC_TIMEOUT_MS = 30_000
NETWORK_ERRORS = (ClientConnectionError, ClientError, TimeoutError, OSError)
_SEND_ATTEMPTS = 6
#: A room creation the homeserver asks to wait longer for is left to the outbox's retry.
_LONGEST_WAIT = 30.0

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


class MatrixClient:
    """The nio client, its login and keys, and the paced sends every part of the adapter uses."""

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
        self.widgets = MatrixWidgets(self.client)
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

    def _used(self, room_id: str) -> None:
        """Someone used the bot in the room (a command, a choice, a message from it)."""
        if self.state.unused_rooms.pop(room_id, None) is not None:
            self._saver.touch()

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

    async def _post(
        self,
        room_id: str,
        content: dict[str, Any],
        *,
        event_type: str = "m.room.message",
        key_suffix: str = "",
    ) -> SendResult:
        delivery_key = SENDING_KEY.get()
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
