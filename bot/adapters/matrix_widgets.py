"""A meal's video call as a widget in its Matrix room, so people join with one click in
Element.

The widget is an ``im.vector.modular.widgets`` state event keyed by the meal: a Jitsi
widget (Element's own Jitsi wrapper, given the meal's unguessable conference name)
or, for an Element Call link, a custom widget opening that link. Publishing the meal
again replaces it (a new title, a new link); withdrawing sends empty content, which
removes it. Sending state needs the bot's power level for that event type; when the
room refuses, the meal goes on with its link and the result says so.

The id handed back is ``<room id> <widget id>``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from nio import AsyncClient, ErrorResponse

from bot.core.events import PublishEvent, SendResult, WithdrawEvent

log = logging.getLogger("samvaer.matrix")

WIDGET_EVENT = "im.vector.modular.widgets"
# Element's Jitsi wrapper; Element fills in the $-variables for each person who joins.
JITSI_WRAPPER = (
    "https://app.element.io/jitsi.html#conferenceDomain=$domain"
    "&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly"
    "&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url"
    "&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName"
)


def widget_id(reference: str) -> str:
    """A widget id of the meal's own (``meal:12`` → ``samvaer-meal-12``)."""
    return "samvaer-" + "".join(c if c.isalnum() else "-" for c in reference)


def widget_content(place: str, name: str, creator: str, widget: str) -> dict[str, Any]:
    """The state content of a call widget for ``place`` (a Jitsi or Element Call link)."""
    parts = urlsplit(place)
    conference = parts.path.strip("/")
    if "/room/" in parts.path or parts.fragment.startswith("/") or not conference:
        # Element Call (…/room/#/name) or another call page: opened as it is.
        return {
            "type": "m.custom",
            "url": place,
            "name": name,
            "data": {"title": name},
            "creatorUserId": creator,
            "id": widget,
        }
    return {
        "type": "jitsi",
        "url": JITSI_WRAPPER,
        "name": name,
        "data": {
            "domain": parts.netloc,
            "conferenceId": conference,
            "isAudioOnly": False,
            "roomName": name,
        },
        "creatorUserId": creator,
        "id": widget,
    }


class MatrixWidgets:
    """Puts and removes meal call widgets for the Matrix adapter."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def publish(self, message: PublishEvent) -> SendResult:
        """Put the meal's call widget in its room (again, when something changed)."""
        room_id = message.room_id or message.event_id.partition(" ")[0]
        if not room_id or not message.place:
            return SendResult(ok=True, extra={"refused": "no_room"})
        widget = widget_id(message.reference)
        content = widget_content(message.place, message.name, self.client.user_id, widget)
        answer = await self.client.room_put_state(room_id, WIDGET_EVENT, content, state_key=widget)
        if isinstance(answer, ErrorResponse):
            status = str(answer.status_code or "")
            log.info("matrix.widget_refused status=%s", status)
            if status.startswith("M_FORBIDDEN") or status == "403":
                return SendResult(ok=True, extra={"refused": "power_level"})
            return SendResult(ok=False, retry=True, reason=f"widget {status}")
        return SendResult(ok=True, value=f"{room_id} {widget}")

    async def withdraw(self, message: WithdrawEvent) -> SendResult:
        """Remove the widget: its state event with empty content."""
        room_id, _, widget = message.event_id.partition(" ")
        if not room_id or not widget:
            return SendResult(ok=True, value="nothing to withdraw")
        answer = await self.client.room_put_state(room_id, WIDGET_EVENT, {}, state_key=widget)
        if isinstance(answer, ErrorResponse):
            status = str(answer.status_code or "")
            log.info("matrix.widget_remove_refused status=%s", status)
            forbidden = status.startswith("M_FORBIDDEN") or status == "403"
            return SendResult(ok=False, retry=not forbidden, reason=f"widget {status}")
        return SendResult(ok=True, value=message.event_id)
