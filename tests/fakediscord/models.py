"""Guild configuration for the fake Discord and the JSON shapes Discord sends for it."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict

DISCORD_EPOCH_MS = 1420070400000
JOINED_AT = "2024-03-01T12:00:00.000000+00:00"


class Perm:
    """Permission bits the fake computes with (a subset of Discord's)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1


EVERYONE_DEFAULT = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_DEFAULT = EVERYONE_DEFAULT | Perm.MANAGE_THREADS | Perm.MANAGE_MESSAGES

THREAD_TYPES = frozenset({10, 11, 12})


@dataclass
class RecordedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, with the fake's answer."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: Any
    files: list[RecordedFile]
    time: float
    status: int = 0
    response: Any = None

    @property
    def ok(self) -> bool:
        """Whether the fake answered 2xx."""
        return 200 <= self.status < 300

    def describe(self, start: float = 0.0) -> str:
        """One line for failure messages."""
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        body = json.dumps(self.body)[:200] if self.body is not None else ""
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        return f"+{self.time - start:.3f}s {self.method} {self.path}{query} -> {self.status} {body}{files}"


class DiscordError(Exception):
    """Raised by route handlers to answer with a Discord error body."""

    def __init__(self, status: int, code: int, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors  # where a form body broke a rule, shaped like the body


class Snowflakes:
    """Increasing snowflakes that carry the current time, like Discord's."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        """Return a fresh snowflake."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    """Discord's ISO-8601 timestamp for now."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every component a numeric id the way Discord does."""
    counter = iter(range(1, 1000))

    def walk(comp: dict[str, Any]) -> dict[str, Any]:
        comp = dict(comp)
        comp["id"] = comp.get("id") or next(counter)
        if "components" in comp:
            comp["components"] = [walk(c) for c in comp["components"]]
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                comp[key] = walk(comp[key])
        return comp

    return [walk(c) for c in components]


@dataclass
class FakeUser:
    """A Discord user."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def to_json(self) -> dict[str, Any]:
        """User object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class FakeRole:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Role object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite; type 0 is a role, 1 a member."""

    id: int
    type: int = 0
    allow: int = 0
    deny: int = 0

    def to_json(self) -> dict[str, Any]:
        """Overwrite object as Discord sends it."""
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class FakeChannel:
    """A guild channel or thread (type 0 text, 4 category, 5 news, 11 public thread, 15 forum ...)."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    owner_id: int | None = None
    auto_archive_duration: int = 1440

    def to_json(self, guild_id: int | None) -> dict[str, Any]:
        """Channel object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        if self.type in THREAD_TYPES:
            data.update(
                owner_id=str(self.owner_id or 0),
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso_now(),
                    "locked": False,
                    "create_timestamp": iso_now(),
                },
            )
        else:
            data.update(
                position=self.position,
                permission_overwrites=[o.to_json() for o in self.overwrites],
                topic=self.topic,
                nsfw=self.nsfw,
            )
        return data


@dataclass
class FakeMember:
    """A guild member: a user plus role ids (the @everyone role is implied)."""

    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None

    def to_json(self, roles: list[int] | None = None) -> dict[str, Any]:
        """Member object as Discord sends it."""
        return {
            "user": self.user.to_json(),
            "roles": [str(r) for r in (self.roles if roles is None else roles)],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": JOINED_AT,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


BOT_USER = FakeUser(999, "pitboard", "Pit Board", bot=True)
OWNER = FakeUser(1000, "owner", "Guild Owner")
FAN = FakeUser(1001, "racefan", "Race Fan")


@dataclass
class FakeGuild:
    """A guild the bot is in. Defaults: guild 111, #race-chat 222, #recaps 223, @everyone, a bot role."""

    id: int = 111
    name: str = "Pit Lane"
    owner_id: int = OWNER.id
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    bot_role_id: int = 444
    locale: str = "en-US"

    def __post_init__(self) -> None:
        if not any(r.id == self.id for r in self.roles):
            self.roles.insert(0, FakeRole(self.id, "@everyone", EVERYONE_DEFAULT))
        if not self.channels:
            self.channels = [FakeChannel(222, "race-chat", position=0), FakeChannel(223, "recaps", position=1)]
        if not self.members:
            self.members = [FakeMember(OWNER), FakeMember(FAN)]

    def with_bot(self, bot: FakeUser) -> None:
        """Add the bot's managed role and member unless configured already."""
        if not any(r.id == self.bot_role_id for r in self.roles):
            self.roles.append(
                FakeRole(self.bot_role_id, bot.username, BOT_ROLE_DEFAULT, 1, managed=True, bot_id=bot.id)
            )
        if self.member(bot.id) is None:
            self.members.append(FakeMember(bot, [self.bot_role_id]))

    def role(self, role_id: int) -> FakeRole | None:
        """Role by id."""
        return next((r for r in self.roles if r.id == role_id), None)

    def channel(self, channel_id: int) -> FakeChannel | None:
        """Channel or thread by id."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def member(self, user_id: int) -> FakeMember | None:
        """Member by user id."""
        return next((m for m in self.members if m.user.id == user_id), None)

    def permissions(self, user_id: int, role_ids: list[int], channel: FakeChannel | None) -> int:
        """Compute permissions the way Discord does: base roles, then channel overwrites."""
        if user_id == self.owner_id:
            return Perm.ALL
        everyone = self.role(self.id)
        perms = everyone.permissions if everyone else 0
        for rid in role_ids:
            role = self.role(rid)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        if channel is not None and channel.type in THREAD_TYPES and channel.parent_id is not None:
            channel = self.channel(channel.parent_id)
        if channel is None:
            return perms
        by_key = {(o.type, o.id): o for o in channel.overwrites}
        if (ow := by_key.get((0, self.id))) is not None:
            perms = (perms & ~ow.deny) | ow.allow
        allow = deny = 0
        for rid in role_ids:
            if (ow := by_key.get((0, rid))) is not None:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        if (ow := by_key.get((1, user_id))) is not None:
            perms = (perms & ~ow.deny) | ow.allow
        return perms

    def to_json(self, members: list[FakeMember]) -> dict[str, Any]:
        """GUILD_CREATE payload carrying the given members."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.locale,
            "vanity_url_code": None,
            "features": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "application_id": None,
            "roles": [r.to_json() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "soundboard_sounds": [],
            "channels": [c.to_json(None) for c in self.channels if c.type not in THREAD_TYPES],
            "threads": [c.to_json(self.id) for c in self.channels if c.type in THREAD_TYPES],
            "members": [m.to_json() for m in members],
            "member_count": len(self.members),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "unavailable": False,
            "joined_at": JOINED_AT,
            "lazy": True,
        }
