"""Discord at its HTTP boundary, on the desk: discord.py's own parsing, recorded requests.

``RecordingHTTP`` replaces discord.py's REST client and ``RecordingWebhooks``
its interaction/webhook client; both record each request and answer with
the JSON Discord documents, so no byte leaves the process.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.adapters.discord import DiscordAdapter

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 800000000000000001
EVERYONE_ROLE = GUILD_ID
ORGANISER_ROLE = 800000000000000010
CHANNEL_ID = 800000000000000100
BUDDY_CHANNEL_ID = 800000000000000101
CATEGORY_ID = 800000000000000102
ALICE = 700000000000000001
BOB = 700000000000000002
MALLORY = 700000000000000666  # in no served guild; owns the foreign one
VOLUNTEER_ROLE = 800000000000000011
MANAGER_ROLE = 800000000000000012  # has Manage Server, and nothing in [roles]
FOREIGN_GUILD_ID = 810000000000000001
FOREIGN_CHANNEL_ID = 810000000000000100
DM_CHANNEL_ID = 800000000000000999

_ids = itertools.count(600000000000000001)


def user_payload(user_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
    }


def message_payload(
    channel_id: int | str, content: str, author_id: int = BOT_ID, **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "type": 0,
        "content": content,
        "author": user_payload(author_id, "samvaer"),
        "timestamp": "2026-11-23T09:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "components": extra.get("components", []),
        "flags": extra.get("flags", 0),
    }


def role_payload(role_id: int, name: str, permissions: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }


def _channel(
    guild_id: int, channel_id: int, name: str, kind: int = 0, parent: int | None = None
) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": kind,
        "name": name,
        "position": 0,
        "guild_id": str(guild_id),
        "permission_overwrites": [],
        "parent_id": str(parent) if parent else None,
    }


def foreign_guild_payload() -> dict[str, Any]:
    """A server someone added the bot to on their own, with a role named like ours."""
    return {
        "id": str(FOREIGN_GUILD_ID),
        "name": "Mallory's place",
        "owner_id": str(MALLORY),
        "features": [],
        "roles": [
            role_payload(FOREIGN_GUILD_ID, "@everyone"),
            role_payload(810000000000000010, "Organiser", permissions=0x20),
            role_payload(810000000000000011, str(VOLUNTEER_ROLE)),
        ],
        "channels": [_channel(FOREIGN_GUILD_ID, FOREIGN_CHANNEL_ID, "general")],
        "members": [],
        "emojis": [],
        "stickers": [],
        "member_count": 1,
        "large": False,
        "preferred_locale": "en-US",
    }


def guild_payload() -> dict[str, Any]:
    def text(
        channel_id: int, name: str, kind: int = 0, parent: int | None = None
    ) -> dict[str, Any]:
        return _channel(GUILD_ID, channel_id, name, kind, parent)

    return {
        "id": str(GUILD_ID),
        "name": "Samvær test",
        "owner_id": str(BOB),
        "features": [],
        "roles": [
            role_payload(EVERYONE_ROLE, "@everyone"),
            role_payload(ORGANISER_ROLE, "Organiser"),
            role_payload(VOLUNTEER_ROLE, "Frivillig"),
            role_payload(MANAGER_ROLE, "Moderators", permissions=0x20),
        ],
        "channels": [
            text(CHANNEL_ID, "lounge"),
            text(BUDDY_CHANNEL_ID, "buddies"),
            text(CATEGORY_ID, "Meals", kind=4),
        ],
        "members": [],
        "emojis": [],
        "stickers": [],
        "member_count": 3,
        "large": False,
        "preferred_locale": "da",
    }


def member_payload(
    user_id: int, name: str, roles: tuple[int, ...] = (), permissions: int = 0
) -> dict[str, Any]:
    return {
        "user": user_payload(user_id, name),
        "roles": [str(r) for r in roles],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "permissions": str(permissions),
        "nick": None,
        "flags": 0,
    }


@dataclass
class Call:
    method: str
    path: str
    json: Any
    webhook: bool = False

    @property
    def flags(self) -> int:
        return int((self.json or {}).get("flags", 0) or 0)

    @property
    def content(self) -> str:
        return str((self.json or {}).get("content", ""))


@dataclass
class _Response:
    status: int
    reason: str = "Forbidden"


@dataclass
class Recorder:
    """What discord.py asked of Discord, and how Discord should answer."""

    calls: list[Call] = field(default_factory=list)
    closed_dms: set[int] = field(default_factory=set)
    forbidden_paths: set[str] = field(default_factory=set)
    rejected_paths: set[str] = field(default_factory=set)  # answered 400 Bad Request
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dm_channels: dict[int, int] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # Who is a member of which guild, as GET /guilds/{guild}/members/{user} answers.
    members: dict[tuple[int, int], dict[str, Any]] = field(
        default_factory=lambda: {
            (GUILD_ID, ALICE): member_payload(ALICE, "alice"),
            (GUILD_ID, BOB): member_payload(BOB, "bob"),
        }
    )

    def answer(self, method: str, path: str, params: dict[str, Any], body: Any) -> Any:
        if path == "/guilds/{guild_id}/members/{member_id}" and method == "GET":
            key = (int(params["guild_id"]), int(params["url"].rsplit("/", 1)[1]))
            if key not in self.members:
                raise discord.NotFound(
                    _Response(404, "Not Found"), {"code": 10007, "message": "Unknown Member"}
                )  # type: ignore[arg-type]
            return self.members[key]
        if path == "/users/@me/guilds/{guild_id}" and method == "DELETE":
            return None
        if path == "/channels/{channel_id}" and method == "GET":
            channel_id = int(params["channel_id"])
            owner = next((u for u, c in self.dm_channels.items() if c == channel_id), ALICE)
            return {"id": str(channel_id), "type": 1, "recipients": [user_payload(owner, "dm")]}
        if path in self.rejected_paths and method != "GET":
            raise discord.HTTPException(
                _Response(400, "Bad Request"), {"code": 50035, "message": "Invalid Form Body"}
            )  # type: ignore[arg-type]
        for forbidden in self.forbidden_paths:
            if path == forbidden and method != "GET":
                raise discord.Forbidden(
                    _Response(403), {"code": 50013, "message": "Missing Permissions"}
                )  # type: ignore[arg-type]
        if path == "/users/@me/channels":
            user_id = int(body["recipient_id"])
            channel_id = self.dm_channels.setdefault(user_id, next(_ids))
            return {
                "id": str(channel_id),
                "type": 1,
                "recipients": [user_payload(user_id, f"user{user_id}")],
            }
        if path.startswith("/users/"):
            user_id = int(params["url"].rsplit("/", 1)[1])
            return user_payload(user_id, f"user{user_id}")
        if path == "/channels/{channel_id}/messages" and method == "POST":
            channel_id = int(params["channel_id"])
            closed = {self.dm_channels.get(u) for u in self.closed_dms}
            if channel_id in closed:
                raise discord.Forbidden(
                    _Response(403), {"code": 50007, "message": "Cannot send messages to this user"}
                )  # type: ignore[arg-type]
            return message_payload(channel_id, (body or {}).get("content", ""))
        if path.endswith("/commands") and method == "GET":
            return self.commands.get(params["url"], [])
        if path.endswith("/commands") and method == "PUT":
            stored = [
                {
                    **c,
                    "id": str(next(_ids)),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "guild_id": str(GUILD_ID),
                }
                for c in body
            ]
            self.commands[params["url"]] = stored
            return stored
        if path == "/channels/{channel_id}/threads":
            return {
                "id": str(next(_ids)),
                "type": 12,
                "name": body["name"],
                "guild_id": str(GUILD_ID),
                "parent_id": str(params["channel_id"]),
                "owner_id": str(BOT_ID),
                "message_count": 0,
                "member_count": 0,
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "locked": False,
                    "archive_timestamp": "2026-11-23T09:00:00+00:00",
                    "invitable": False,
                },
            }
        if path.startswith("/channels/{channel_id}/thread-members"):
            return None
        if path == "/guilds/{guild_id}/channels" and method == "POST":
            return {
                "id": str(next(_ids)),
                "type": body["type"],
                "name": body["name"],
                "guild_id": str(GUILD_ID),
                "position": 0,
                "permission_overwrites": body.get("permission_overwrites", []),
                "parent_id": body.get("parent_id"),
                "bitrate": 64000,
                "user_limit": 0,
            }
        if path.startswith("/guilds/{guild_id}/scheduled-events/") and method == "PATCH":
            event_id = params["url"].rsplit("/", 1)[1]
            for event in self.events:
                if event["id"] == event_id:
                    event.update(body or {})
                    return dict(event)
            raise discord.NotFound(_Response(404, "Not Found"), {"code": 10070})  # type: ignore[arg-type]
        if path.startswith("/guilds/{guild_id}/scheduled-events/") and method == "DELETE":
            event_id = params["url"].rsplit("/", 1)[1]
            if not any(event["id"] == event_id for event in self.events):
                raise discord.NotFound(_Response(404, "Not Found"), {"code": 10070})  # type: ignore[arg-type]
            self.events = [event for event in self.events if event["id"] != event_id]
            return None
        if path == "/guilds/{guild_id}/scheduled-events":
            if method == "GET":
                return [dict(event) for event in self.events]
            event = {
                "id": str(next(_ids)),
                "guild_id": str(GUILD_ID),
                "name": body["name"],
                "scheduled_start_time": body["scheduled_start_time"],
                "scheduled_end_time": body.get("scheduled_end_time"),
                "privacy_level": 2,
                "status": 1,
                "entity_type": body.get("entity_type", 2),
                "channel_id": body.get("channel_id"),
                "entity_id": None,
                "entity_metadata": body.get("entity_metadata"),
                "recurrence_rule": body.get("recurrence_rule"),
                "creator_id": str(BOT_ID),
            }
            self.events.append(event)
            return dict(event)
        return None

    def named(self, method: str, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fragment in c.path]

    def followups(self) -> list[Call]:
        """Messages sent as answers to interactions (webhook follow-ups)."""
        return [
            c for c in self.calls if c.webhook and c.method == "POST" and "/webhooks/" in c.path
        ]

    def callbacks(self) -> list[Call]:
        """Interaction responses (defers, autocomplete results, messages)."""
        return [c for c in self.calls if c.webhook and c.path.endswith("/callback")]


class RecordingHTTP(HTTPClient):
    """discord.py's REST client with the network replaced by the recorder."""

    def __init__(self, recorder: Recorder, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.recorder = recorder

    async def request(
        self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any
    ) -> Any:
        body = kwargs.get("json")
        self.recorder.calls.append(Call(route.method, route.url, body))
        return self.recorder.answer(route.method, route.path, _params(route), body)


class RecordingWebhooks(AsyncWebhookAdapter):
    """discord.py's interaction-response and webhook client, recorded."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    async def request(
        self,
        route: Any,
        session: Any,
        *,
        payload: Any = None,
        multipart: Any = None,
        files: Any = None,
        **kwargs: Any,
    ) -> Any:
        body = payload
        if body is None and multipart:
            import json

            body = json.loads(multipart[0]["value"])
        self.recorder.calls.append(Call(route.method, route.url, body, webhook=True))
        if route.url.endswith("/callback"):
            kind = (body or {}).get("type", 0)
            flags = ((body or {}).get("data") or {}).get("flags", 0)
            return {
                "interaction": {
                    "id": route.url.split("/")[-3],
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & 64),
                },
                "resource": {"type": kind},
            }
        if route.method == "POST" and "/webhooks/" in route.url:
            return message_payload(
                CHANNEL_ID,
                (body or {}).get("content", ""),
                flags=(body or {}).get("flags", 0),
                components=(body or {}).get("components", []),
            )
        return None


def _params(route: Route) -> dict[str, Any]:
    found = {n: getattr(route, n, None) for n in ("channel_id", "guild_id")}
    return {k: v for k, v in found.items() if v is not None} | {"url": route.url}


async def wire(adapter: DiscordAdapter, recorder: Recorder) -> None:
    """Connect the adapter's client to the recorder as if it had logged in."""
    client = adapter.client
    await client._async_setup_hook()
    http = RecordingHTTP(recorder, asyncio.get_running_loop())
    client.http = http
    state = client._connection
    state.http = http
    client.tree._http = http
    state.application_id = APP_ID
    state.user = discord.ClientUser(state=state, data=user_payload(BOT_ID, "samvaer"))
    state._add_guild_from_data(guild_payload())
    state._add_guild_from_data(foreign_guild_payload())
    async_context.set(RecordingWebhooks(recorder))
    await adapter.prepare()


async def feed(adapter: DiscordAdapter, payload: dict[str, Any]) -> None:
    """Give discord.py a gateway INTERACTION_CREATE and wait for what it starts."""
    await _settle(lambda: adapter.client._connection.parse_interaction_create(payload))  # type: ignore[arg-type]


def command_interaction(
    name: str,
    options: list[dict[str, Any]],
    *,
    user: int = ALICE,
    roles: tuple[int, ...] = (),
    permissions: int = 0,
    in_guild: bool = True,
    locale: str = "en-GB",
    guild: int = GUILD_ID,
) -> dict[str, Any]:
    """A type 2 APPLICATION_COMMAND interaction as Discord sends it."""
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": 2,
        "token": "interaction-token",
        "version": 1,
        "locale": locale,
        "data": {"id": str(next(_ids)), "name": name, "type": 1, "options": options},
        "channel_id": str(CHANNEL_ID),
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 10485760,
    }
    _place(payload, user, roles, permissions, in_guild, guild)
    if in_guild:
        payload["data"]["guild_id"] = str(guild)  # Discord names where a guild command lives
    return payload


def button_interaction(
    custom_id: str,
    label: str,
    *,
    user: int = ALICE,
    in_guild: bool = True,
    guild: int = GUILD_ID,
    roles: tuple[int, ...] = (),
) -> dict[str, Any]:
    """A type 3 MESSAGE_COMPONENT interaction (a button press) as Discord sends it."""
    message = message_payload(
        CHANNEL_ID,
        "How are you?",
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": label, "custom_id": custom_id}],
            }
        ],
    )
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": 3,
        "token": "interaction-token",
        "version": 1,
        "locale": "en-GB",
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": message,
        "channel_id": str(CHANNEL_ID),
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 10485760,
    }
    _place(payload, user, roles, 0, in_guild, guild)
    return payload


def _place(
    payload: dict[str, Any],
    user: int,
    roles: tuple[int, ...],
    permissions: int,
    in_guild: bool,
    guild: int = GUILD_ID,
) -> None:
    if in_guild:
        payload["guild_id"] = str(guild)
        payload["guild_locale"] = "da"
        payload["member"] = member_payload(user, f"user{user}", roles, permissions)
        if guild != GUILD_ID:
            payload["channel_id"] = str(FOREIGN_CHANNEL_ID)
            if "message" in payload:
                payload["message"]["channel_id"] = str(FOREIGN_CHANNEL_ID)
    else:
        payload["user"] = user_payload(user, f"user{user}")
        payload["channel_id"] = str(DM_CHANNEL_ID)
        if "message" in payload:
            payload["message"]["channel_id"] = str(DM_CHANNEL_ID)


def gateway_message(
    content: str,
    *,
    user: int = ALICE,
    guild: int | None = GUILD_ID,
    channel: int | None = None,
    roles: tuple[int, ...] = (),
) -> dict[str, Any]:
    """A MESSAGE_CREATE as the gateway sends it: in a guild channel, or a DM (guild None)."""
    if channel is None:
        channel = {GUILD_ID: CHANNEL_ID, FOREIGN_GUILD_ID: FOREIGN_CHANNEL_ID}.get(
            guild or 0, DM_CHANNEL_ID
        )
    payload = message_payload(channel, content, author_id=user)
    payload["author"] = user_payload(user, f"user{user}")
    if guild is not None:
        payload["guild_id"] = str(guild)
        member = member_payload(user, f"user{user}", roles)
        del member["user"]
        payload["member"] = member
    return payload


async def feed_message(adapter: DiscordAdapter, payload: dict[str, Any]) -> None:
    """Give discord.py a gateway MESSAGE_CREATE and wait for what it starts."""
    await _settle(lambda: adapter.client._connection.parse_message_create(payload))  # type: ignore[arg-type]


def _view_timer(task: asyncio.Task[Any]) -> bool:
    """discord.py's 15-minute timer of a view sent ephemerally: nothing to wait for."""
    return "timeout_task_impl" in getattr(task.get_coro(), "__qualname__", "")


async def _settle(start: Any) -> None:
    """Start something in discord.py and wait for the tasks it starts (not view timers)."""
    before = asyncio.all_tasks()
    start()
    for _ in range(20):
        pending = [
            t
            for t in asyncio.all_tasks() - before
            if not t.done() and t is not asyncio.current_task() and not _view_timer(t)
        ]
        if not pending:
            break
        await asyncio.gather(*pending, return_exceptions=True)
