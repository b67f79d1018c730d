"""What the parts of the Discord adapter share: its names, limits and the answer in progress."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.core.events import ChoiceIn, CommandIn, MessageIn, Sender

log = logging.getLogger("samvaer.discord")

PLATFORM = "discord"
MESSAGE_LIMIT = 2000
CUSTOM_ID_LIMIT = 100
CHOICE_PREFIX = "sv:"  # the option's action follows, as bot.core.codec writes it
CHOICE_HASHED = "sv#"  # a digest of an action too long for a custom id
BUTTONS_PER_MESSAGE = 25
EVENTS_PER_GUILD = 100
DEFAULT_RATE = 48.0  # REST requests per second; Discord's global limit is 50 (interactions aside)
LIMITED_WINDOW = 60.0  # seconds over which 429 answers are counted for the operators' warning
LIMITED_WARN_AT = 10  # 429 answers within the window (and at least 1 % of requests) that warn
VOICE_KINDS = ("discord", "voice")  # CreateVideoPlace kinds served with a voice channel
EVENT_LINK = re.compile(r"/channels/(?P<guild>\d+)/(?P<channel>\d+)")

Suggest = Callable[[Sender, str, str, str], Awaitable[list[tuple[str, str]]]]
PrivacyCheck = Callable[[MessageIn | ChoiceIn | CommandIn], bool]
NOT_MEMBER_MEMORY = 10_000  # people told "members only" this process, before forgetting


@dataclass
class _Answering:
    """The interaction (or message) whose answers are being sent right now."""

    user_id: str
    channel_id: str
    in_guild: bool
    locale: str | None
    interaction: discord.Interaction | None = None
    message: discord.Message | None = None
    ephemeral: bool = False
    thinking: bool = False
    answered: bool = False
    sent_privately: bool = False
    told_dm_closed: bool = False
