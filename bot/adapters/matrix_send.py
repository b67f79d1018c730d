"""Outgoing messages on Matrix: text, polls, files, private spaces and video places."""

from __future__ import annotations

import io
import logging
import re
import secrets
from functools import singledispatchmethod
from typing import Any

from nio import (
    ErrorResponse,
    RoomCreateError,
    RoomCreateResponse,
    RoomPreset,
    RoomPutStateError,
    RoomPutStateResponse,
    UploadError,
    UploadResponse,
)

from bot.adapters.matrix_client import NETWORK_ERRORS, SENDING_KEY
from bot.adapters.matrix_directs import MatrixDirects
from bot.adapters.matrix_polls import POLL_START, fits_a_poll, poll_content
from bot.adapters.matrix_rules import PendingPrompt, is_file_image, prompt_text
from bot.core.events import (
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    OpenPrivateSpace,
    Outgoing,
    PublishEvent,
    Room,
    SendResult,
    TextMessage,
    WithdrawEvent,
)

log = logging.getLogger("samvaer.matrix")

_SLUG = re.compile(r"[^a-z0-9]+")


class MatrixSending(MatrixDirects):
    """Core messages out: each kind of outgoing message as Matrix events."""

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        """Send one message; a homeserver that is away gives a result to retry later. The
        delivery key becomes the events' transaction ids, so a re-send is not shown twice."""
        token = SENDING_KEY.set(delivery_key)
        try:
            result: SendResult = await self._send(message)
        except NETWORK_ERRORS as exc:
            log.warning("matrix.send_unreachable error=%s", type(exc).__name__)
            return SendResult(ok=False, retry=True, reason="homeserver unreachable")
        finally:
            SENDING_KEY.reset(token)
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
        room = str(message.reference or "")
        if room.startswith("!") and ":" in room:
            widget_id = f"samvaer-{_slug(message.name)}"
            widget: dict[str, Any] = {
                "type": "m.jitsi" if "jit" in url else "m.custom",
                "url": url,
                "name": message.name,
                "data": {},
            }
            answer: RoomPutStateResponse | RoomPutStateError = await self.client.room_put_state(
                room, "im.vector.modular.widgets", widget, state_key=widget_id
            )
            if isinstance(answer, ErrorResponse):
                log.info("matrix.widget_skipped error=%s", answer.status_code)
        return SendResult(ok=True, value=url)

    @_send.register
    async def _(self, message: CancelVideoPlace) -> SendResult:
        return SendResult(ok=True)  # a call link has nothing to call off

    @_send.register
    async def _(self, message: PublishEvent) -> SendResult:
        return await self.widgets.publish(message)

    @_send.register
    async def _(self, message: WithdrawEvent) -> SendResult:
        return await self.widgets.withdraw(message)

    def _video_url(self, message: CreateVideoPlace) -> str:
        if message.kind.startswith(("https://", "http://")):
            return message.kind
        meals = self._config.meals
        name = f"{_slug(self._config.community.name)}-{_slug(message.name)}"
        name = f"{name}-{secrets.token_hex(3)}"
        if message.kind == "element":
            return f"{meals.element_call_base_url.rstrip('/')}/room/#/{name}"
        return f"{meals.jitsi_base_url.rstrip('/')}/{name}"

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

    async def _room_id(self, to: Destination) -> str | None:
        if isinstance(to, Room):
            return to.room_id
        return await self.direct_room(to.user_id)


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.casefold()).strip("-")[:40] or "samvaer"
