"""A fake Discord (REST under /api/v10 plus the gateway websocket) on 127.0.0.1 for end-to-end bot tests."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fnmatch
import json
import logging
import re
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict

from .interactions import InteractionDriver, InteractionState
from .limits import check_limits
from .models import (
    BOT_USER,
    FAN,
    OWNER,
    THREAD_TYPES,
    DiscordError,
    FakeChannel,
    FakeGuild,
    FakeUser,
    Perm,
    RecordedFile,
    RecordedRequest,
    Snowflakes,
    iso_now,
    number_components,
)

log = logging.getLogger("fakediscord")

API_PREFIX = "/api/v10"
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7
WATCHED_LOGGERS = ("discord", "bot")


@dataclass
class Injection:
    """A scripted failure: the next `times` matching requests get `status` (None = forever)."""

    method: str
    pattern: str
    status: int
    retry_after: float
    times: int | None
    body: Any
    is_global: bool
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this injection applies to the request."""
        if self.times is not None and self.hits >= self.times:
            return False
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.pattern)

    def response(self) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body and headers to answer with."""
        headers: dict[str, str] = {}
        if self.status == 429:
            # discord.py only retries a 429 that carries Via (otherwise it assumes a Cloudflare ban).
            headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(self.retry_after)))}
            headers["X-RateLimit-Scope"] = "global" if self.is_global else "user"
            body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": self.is_global}
        elif self.status >= 500:
            body = {"message": f"{self.status}: Internal Server Error", "code": 0}
        else:
            body = {"message": f"{self.status}: injected failure", "code": 0}
        return self.status, self.body if self.body is not None else body, headers


Handler = Callable[[RecordedRequest, dict[str, str]], Awaitable[tuple[int, Any]]]


@dataclass
class _Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    compressor: Any = None
    session: _Session | None = None

    async def send(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            await self.ws.send_bytes(self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH))


@dataclass(eq=False)
class _Session:
    id: str
    intents: int
    shard: tuple[int, int] | None
    conn: _Conn | None = None
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    invalid: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(
        "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
    )


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json": discord.py compares the header with ==, a charset suffix makes it return str.
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json", headers=headers)


class FakeDiscord(InteractionDriver):
    """Fake Discord REST + gateway. Use `async with FakeDiscord() as fake:` or start()/stop()."""

    def __init__(
        self,
        *,
        guilds: Iterable[FakeGuild] | None = None,
        bot_user: FakeUser = BOT_USER,
        owner: FakeUser = OWNER,
        default_user: FakeUser = FAN,
        token: str | None = None,
        application_flags: int = 0,
        shard_count: int = 1,
        honor_transport_compression: bool = False,
        heartbeat_interval_ms: int = 41250,
        enforce_limits: bool = True,
    ) -> None:
        self.bot_user = bot_user
        self.owner = owner
        self.default_user = default_user
        self.application_id = bot_user.id
        self.token = token
        self.application_flags = application_flags
        self.shard_count = shard_count
        self.honor_transport_compression = honor_transport_compression
        self.heartbeat_interval_ms = heartbeat_interval_ms
        # Discord answers 400 (code 50035) to a message or callback body over its size limits; so does the fake.
        self.enforce_limits = enforce_limits
        # Copied because the fake mutates guilds (threads get added); a shared constant must not leak between tests.
        self.guilds: list[FakeGuild] = copy.deepcopy(list(guilds)) if guilds is not None else [FakeGuild()]
        for guild in self.guilds:
            guild.with_bot(bot_user)
        self.snowflakes = Snowflakes()
        self.requests: list[RecordedRequest] = []
        self.gateway_log: list[tuple[str, dict[str, Any]]] = []
        self.gateway_connects: list[str] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.dm_channels: dict[int, FakeUser] = {}
        self.blobs: dict[int, tuple[bytes, str]] = {}
        self.interactions: dict[str, InteractionState] = {}
        self.injections: list[Injection] = []
        self.errors: list[str] = []
        self.allowed_ping_roles: set[int] = set()
        # Which shard's session each interaction was dispatched to, and each IDENTIFY's shard and moment: a bot
        # split over several processes is checked against them.
        self.interaction_shards: dict[str, tuple[int, int] | None] = {}
        self.identifies: list[tuple[float, tuple[int, int] | None]] = []
        self._sessions: dict[str, _Session] = {}
        self._conns: set[_Conn] = set()
        self._waiters: list[tuple[Callable[[RecordedRequest], bool], asyncio.Future[RecordedRequest]]] = []
        self._gateway_waiters: list[tuple[Callable[[str, dict[str, Any]], bool], asyncio.Future[dict[str, Any]]]] = []
        self._handshakes: list[str] = []
        self._log_collector = _LogCollector()
        self._routes: list[_Route] = []
        self._runner: web.AppRunner | None = None
        self._started = 0.0
        self.port = 0
        self._install_routes()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving on a free 127.0.0.1 port; returns the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/resume-gateway", self._handle_gateway)
        app.router.add_get("/attachments/{channel}/{id}/{filename}", self._handle_blob)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._started = time.monotonic()
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self._log_collector)
        return self.base_url

    async def stop(self) -> None:
        """Close gateway connections and the server."""
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self._log_collector)
        for conn in list(self._conns):
            await conn.ws.close(code=1001, message=b"fakediscord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for _, fut in self._waiters:
            fut.cancel()
        for _, gateway_fut in self._gateway_waiters:
            gateway_fut.cancel()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for DiscordWebSocket.DEFAULT_GATEWAY."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def guild(self) -> FakeGuild:
        """The first (default) guild."""
        return self.guilds[0]

    # -- test-facing helpers -----------------------------------------------------------------------------------

    def inject(
        self,
        method: str,
        pattern: str,
        *,
        status: int = 429,
        retry_after: float = 0.05,
        times: int | None = 1,
        body: Any = None,
        is_global: bool = False,
    ) -> Injection:
        """Answer the next `times` requests matching METHOD and a glob on the path (e.g. "/interactions/*")."""
        injection = Injection(method.upper(), pattern, status, retry_after, times, body, is_global)
        self.injections.append(injection)
        return injection

    def add_route(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Serve an extra REST route, e.g. ("GET", "/guilds/{guild_id}/members/{user_id}", handler)."""
        self._routes.insert(0, _Route(method.upper(), _template_regex(template), handler, auth))

    def describe_requests(self, last: int = 20) -> str:
        """The last requests, one per line, for failure messages."""
        lines = [r.describe(self._started) for r in self.requests[-last:]] or ["(no requests)"]
        return "\n".join(lines)

    def _timeout_message(self, what: str, timeout: float) -> str:
        parts = [
            f"fakediscord: timed out after {timeout}s waiting for {what}",
            "last requests:",
            self.describe_requests(),
        ]
        if self._log_collector.records:
            parts.append("errors logged meanwhile:")
            parts += [f"  {r.name}: {r.getMessage()} {_exc_summary(r)}" for r in self._log_collector.records[-5:]]
        return "\n".join(parts)

    async def wait_for(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        what: str = "a matching request",
    ) -> RecordedRequest:
        """First request (already seen or future) that satisfies predicate; AssertionError on timeout."""
        for rec in self.requests:
            if rec.status and _safe(predicate, rec):
                return rec
        fut: asyncio.Future[RecordedRequest] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(self._timeout_message(what, timeout)) from None
        finally:
            self._waiters.remove(entry)

    async def wait_for_gateway(
        self,
        predicate: Callable[[str, dict[str, Any]], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """First gateway frame (direction "in" from the bot or "out" to it) that satisfies predicate."""
        for direction, frame in self.gateway_log:
            if _safe(predicate, direction, frame):
                return frame
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._gateway_waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(self._timeout_message("a gateway frame", timeout)) from None
        finally:
            self._gateway_waiters.remove(entry)

    async def drop_gateway(
        self,
        *,
        resume: bool = True,
        code: int = 4000,
        wait: bool = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Close the bot's gateway socket; with resume=False the session is invalidated so it must re-IDENTIFY."""
        live = [s for s in self._sessions.values() if s.conn is not None]
        if not live:
            raise AssertionError("fakediscord: no live gateway connection to drop")
        kind = "RESUMED" if resume else "READY"
        wanted = self._handshakes.count(kind) + len(live)
        for session in live:
            session.invalid = not resume
            conn, session.conn = session.conn, None
            if conn is not None:
                await conn.ws.close(code=code, message=b"fakediscord: connection dropped")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while self._handshakes.count(kind) < wanted:
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_message(f"the bot to {kind}", timeout))
            await asyncio.sleep(0.005)

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Send a gateway DISPATCH to the session owning guild_id (buffered for RESUME while disconnected)."""
        session = self._session_for(guild_id)
        if session is None:
            raise AssertionError(f"fakediscord: no gateway session to send {event} to (is the bot running?)")
        await self._send_dispatch(session, event, data)

    async def send_user_message(
        self, content: str, *, channel_id: int | None = None, user: FakeUser | None = None
    ) -> dict[str, Any]:
        """A user posts a message (MESSAGE_CREATE); content is blanked without the message content intent."""
        user = user or self.default_user
        guild = self.guild if channel_id is None else self.guild_of_channel(channel_id)
        channel_id = channel_id or next(c.id for c in self.guild.channels if c.type == 0)
        msg = self.new_message(channel_id, {"content": content}, [], author=user)
        session = self._session_for(guild.id if guild else None)
        event = dict(msg)
        if session is not None and not session.intents & MESSAGE_CONTENT and f"<@{self.bot_user.id}>" not in content:
            event.update(content="", embeds=[], attachments=[], components=[])
        if guild is not None:
            member = guild.member(user.id)
            event["guild_id"] = str(guild.id)
            if member is not None:
                event["member"] = {k: v for k, v in member.to_json().items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", event, guild_id=guild.id if guild else None)
        return msg

    # -- lookup helpers ----------------------------------------------------------------------------------------

    def guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        """The guild holding a channel or thread."""
        return next((g for g in self.guilds if g.channel(channel_id) is not None), None)

    def message(self, message_id: int | str) -> dict[str, Any]:
        """A stored message (KeyError if unknown or deleted)."""
        return self.messages[int(message_id)]

    def known_user(self, user_id: int) -> FakeUser | None:
        """A user the fake knows (bot, owner, default user, DM partners, guild members)."""
        members = [m.user for g in self.guilds for m in g.members]
        users = (self.bot_user, self.owner, self.default_user, *self.dm_channels.values(), *members)
        return next((u for u in users if u.id == user_id), None)

    def user_by_id(self, user_id: int) -> FakeUser:
        """A known user, or a placeholder."""
        return self.known_user(user_id) or FakeUser(user_id, f"user{user_id}")

    def _session_for(self, guild_id: int | None) -> _Session | None:
        live = [s for s in self._sessions.values() if not s.invalid]
        if guild_id is not None:
            for session in reversed(live):
                if session.shard is None or (guild_id >> 22) % session.shard[1] == session.shard[0]:
                    return session
        return live[-1] if live else None

    def bot_permissions(self, channel_id: int) -> int:
        """The bot's computed permissions in a channel (all in DMs)."""
        guild = self.guild_of_channel(channel_id)
        if guild is None:
            return Perm.ALL
        member = guild.member(self.bot_user.id)
        return guild.permissions(self.bot_user.id, member.roles if member else [], guild.channel(channel_id))

    # -- recording and dispatch --------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        rec = RecordedRequest(
            request.method, path, dict(request.query), CIMultiDict(request.headers), body, files, time.monotonic()
        )
        self.requests.append(rec)
        headers: dict[str, str] = {}
        try:
            injection = next((i for i in self.injections if i.matches(rec.method, path)), None)
            if injection is not None:
                injection.hits += 1
                status, payload, headers = injection.response()
            else:
                status, payload = await self._route(rec)
        except DiscordError as exc:
            status, payload = exc.status, exc.body
        except Exception as exc:
            log.exception("fakediscord: handler for %s %s crashed", rec.method, path)
            self.errors.append(f"{rec.method} {path}: {exc!r}")
            status, payload = 500, {"message": "fakediscord crashed", "code": 0}
        rec.status, rec.response = status, payload
        for pred, fut in list(self._waiters):
            if not fut.done() and _safe(pred, rec):
                fut.set_result(rec)
        return _json_response(status, payload, headers)

    async def _route(self, rec: RecordedRequest) -> tuple[int, Any]:
        for route in self._routes:
            if route.method != rec.method or (match := route.regex.match(rec.path)) is None:
                continue
            if route.auth:
                auth = rec.headers.get("Authorization", "")
                if not auth.startswith("Bot ") or (self.token is not None and auth != f"Bot {self.token}"):
                    raise DiscordError(401, 0, "401: Unauthorized")
            if self.enforce_limits:
                check_limits(rec.method, rec.path, rec.body)
            return await route.handler(rec, match.groupdict())
        log.warning("fakediscord: unimplemented %s %s", rec.method, rec.path)
        raise DiscordError(404, 0, "404: Not Found")

    async def _handle_blob(self, request: web.Request) -> web.StreamResponse:
        blob = self.blobs.get(int(request.match_info["id"]))
        if blob is None:
            return web.Response(status=404)
        return web.Response(body=blob[0], content_type=blob[1])

    def _install_routes(self) -> None:
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{uid}", self._get_user, True),
            ("GET", "/guilds/{gid}/members/{uid}", self._get_member, True),
            ("PUT", "/guilds/{gid}/members/{uid}/roles/{rid}", self._member_role, True),
            ("DELETE", "/guilds/{gid}/members/{uid}/roles/{rid}", self._member_role, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway, True),
            ("GET", "/applications/{app}/commands", self._get_commands, True),
            ("PUT", "/applications/{app}/commands", self._put_commands, True),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands, True),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands, True),
            ("POST", "/interactions/{iid}/{token}/callback", self.handle_callback, False),
            ("POST", "/webhooks/{app}/{token}", self.handle_followup, False),
            ("GET", "/webhooks/{app}/{token}/messages/{mid}", self.handle_webhook_message, False),
            ("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self.handle_webhook_message, False),
            ("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self.handle_webhook_message, False),
            ("GET", "/channels/{cid}", self._get_channel, True),
            ("POST", "/channels/{cid}/messages", self._create_message, True),
            ("GET", "/channels/{cid}/messages/{mid}", self._channel_message, True),
            ("PATCH", "/channels/{cid}/messages/{mid}", self._channel_message, True),
            ("DELETE", "/channels/{cid}/messages/{mid}", self._channel_message, True),
            ("POST", "/channels/{cid}/messages/{mid}/threads", self._thread_from_message, True),
            ("POST", "/channels/{cid}/threads", self._thread_without_message, True),
        ]
        self._routes = [_Route(m, _template_regex(t), h, a) for m, t, h, a in table]

    # -- REST: identity, gateway, commands ----------------------------------------------------------------------

    async def _get_me(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, {
            **self.bot_user.to_json(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def _get_user(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        user = self.known_user(int(p["uid"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return 200, user.to_json()

    async def _get_member(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        guild = next((g for g in self.guilds if g.id == int(p["gid"])), None)
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        member = guild.member(int(p["uid"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return 200, member.to_json()

    async def _member_role(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """PUT adds a role to a member, DELETE removes it; 204 either way, as Discord answers (idempotent).

        Discord refuses (403, 50013) unless the bot has Manage Roles and the role is not managed and sits below the
        bot's own highest role (the owner may give any role). GUILD_MEMBER_UPDATE goes out only with GUILD_MEMBERS.
        """
        guild = next((g for g in self.guilds if g.id == int(p["gid"])), None)
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        member, role = guild.member(int(p["uid"])), guild.role(int(p["rid"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        if role is None:
            raise DiscordError(404, 10011, "Unknown Role")
        me = guild.member(self.bot_user.id)
        my_roles = me.roles if me else []
        if guild.permissions(self.bot_user.id, my_roles, None) & Perm.MANAGE_ROLES == 0:
            raise DiscordError(403, 50013, "Missing Permissions")
        highest = max((r.position for rid in my_roles if (r := guild.role(rid)) is not None), default=0)
        if self.bot_user.id != guild.owner_id and (role.managed or role.id == guild.id or role.position >= highest):
            raise DiscordError(403, 50013, "Missing Permissions")
        if rec.method == "PUT" and role.id not in member.roles:
            member.roles.append(role.id)
        elif rec.method == "DELETE" and role.id in member.roles:
            member.roles.remove(role.id)
        else:
            return 204, None
        session = self._session_for(guild.id)
        if session is not None and session.intents & GUILD_MEMBERS:
            await self._send_dispatch(session, "GUILD_MEMBER_UPDATE", {**member.to_json(), "guild_id": str(guild.id)})
        return 204, None

    async def _get_application(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner.to_json(),
            "team": None,
            "flags": self.application_flags,
            "bot": self.bot_user.to_json(),
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "redirect_uris": [],
            "rpc_origins": [],
            "tags": [],
            "approximate_guild_count": len(self.guilds),
        }

    async def _get_gateway(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        limits = {"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limits}

    async def _get_commands(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        return 200, self.commands.get(int(p["guild"]) if "guild" in p else None, [])

    async def _put_commands(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        scope = int(p["guild"]) if "guild" in p else None
        if not isinstance(rec.body, list):
            raise DiscordError(400, 50035, "Invalid Form Body")
        old = {(c["name"], c["type"]): c["id"] for c in self.commands.get(scope, [])}
        seen: set[tuple[str, int]] = set()
        result = []
        for cmd in rec.body:
            key = (cmd.get("name"), cmd.get("type") or 1)
            if key in seen:
                raise DiscordError(400, 50035, f"Invalid Form Body: duplicate command name {key[0]!r}")
            seen.add(key)
            stored = {**cmd, "type": key[1], "id": old.get(key) or str(self.snowflakes.next())}
            stored.update(application_id=str(self.application_id), version=str(self.snowflakes.next()))
            stored.setdefault("description", "")
            if scope is not None:
                stored["guild_id"] = str(scope)
            result.append(stored)
        self.commands[scope] = result
        return 200, result

    # -- REST: channels and messages ---------------------------------------------------------------------------

    def _channel_json(self, channel_id: int) -> dict[str, Any]:
        if channel_id in self.dm_channels:
            user = self.dm_channels[channel_id]
            return {
                "id": str(channel_id),
                "type": 1,
                "recipients": [user.to_json()],
                "last_message_id": None,
                "flags": 0,
            }
        guild = self.guild_of_channel(channel_id)
        channel = guild.channel(channel_id) if guild else None
        if guild is None or channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel.to_json(guild.id)

    def _require(self, channel_id: int, perms: int) -> None:
        self._channel_json(channel_id)
        if self.bot_permissions(channel_id) & perms != perms:
            raise DiscordError(403, 50013, "Missing Permissions")

    async def _get_channel(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        channel = self._channel_json(int(p["cid"]))
        if self.bot_permissions(int(p["cid"])) & Perm.VIEW_CHANNEL == 0:
            raise DiscordError(403, 50001, "Missing Access")
        return 200, channel

    async def _create_dm(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        user = self.user_by_id(int(rec.body["recipient_id"]))
        cid = next((c for c, u in self.dm_channels.items() if u.id == user.id), None)
        if cid is None:
            cid = self.snowflakes.next()
            self.dm_channels[cid] = user
        return 200, self._channel_json(cid)

    async def _create_message(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        cid = int(p["cid"])
        channel = self._channel_json(cid)
        send = Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else Perm.SEND_MESSAGES
        self._require(cid, Perm.VIEW_CHANNEL | send | (Perm.ATTACH_FILES if rec.files else 0))
        msg = self.new_message(cid, rec.body or {}, rec.files, author=self.bot_user)
        await self._echo("MESSAGE_CREATE", msg)
        return 200, msg

    async def _channel_message(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        cid, mid = int(p["cid"]), int(p["mid"])
        self._channel_json(cid)
        msg = self.messages.get(mid)
        if msg is None or int(msg["channel_id"]) != cid:
            raise DiscordError(404, 10008, "Unknown Message")
        own = int(msg["author"]["id"]) == self.bot_user.id
        if rec.method == "GET":
            return 200, msg
        if rec.method == "PATCH":
            if not own:
                raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
            msg = self.edit_message(mid, rec.body or {}, rec.files)
            await self._echo("MESSAGE_UPDATE", msg)
            return 200, msg
        if not own:
            self._require(cid, Perm.MANAGE_MESSAGES)
        self.messages.pop(mid)
        await self._echo("MESSAGE_DELETE", {"id": str(mid), "channel_id": str(cid)})
        return 204, None

    async def _new_thread(self, parent_id: int, thread_id: int, body: dict[str, Any], thread_type: int) -> FakeChannel:
        guild = self.guild_of_channel(parent_id)
        if guild is None:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body: name")
        thread = FakeChannel(thread_id, name, thread_type, parent_id=parent_id, owner_id=self.bot_user.id)
        thread.auto_archive_duration = body.get("auto_archive_duration") or 4320
        guild.channels.append(thread)
        await self.dispatch("THREAD_CREATE", {**thread.to_json(guild.id), "newly_created": True}, guild_id=guild.id)
        return thread

    async def _thread_from_message(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        cid, mid = int(p["cid"]), int(p["mid"])
        parent = self._channel_json(cid)
        self._require(cid, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS)
        if mid not in self.messages or int(self.messages[mid]["channel_id"]) != cid:
            raise DiscordError(404, 10008, "Unknown Message")
        if self.guild_of_channel(mid) is not None:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        thread = await self._new_thread(cid, mid, rec.body or {}, 10 if parent["type"] == 5 else 11)
        return 201, self._channel_json(thread.id)

    async def _thread_without_message(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        cid = int(p["cid"])
        parent = self._channel_json(cid)
        body = rec.body or {}
        if parent["type"] in (15, 16):
            self._require(cid, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
            tid = self.snowflakes.next()
            thread = await self._new_thread(cid, tid, body, 11)
            msg = self.new_message(
                thread.id, body.get("message") or {}, rec.files, author=self.bot_user, message_id=tid
            )
            return 201, {**self._channel_json(thread.id), "message": msg}
        thread_type = body.get("type") or 12
        needed = Perm.CREATE_PRIVATE_THREADS if thread_type == 12 else Perm.CREATE_PUBLIC_THREADS
        self._require(cid, Perm.VIEW_CHANNEL | needed)
        thread = await self._new_thread(cid, self.snowflakes.next(), body, thread_type)
        return 201, self._channel_json(thread.id)

    async def _echo(self, event: str, msg: dict[str, Any]) -> None:
        """Echo a message change over the gateway the way Discord does (needs the matching intent)."""
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        guild = self.guild_of_channel(int(msg["channel_id"]))
        session = self._session_for(guild.id if guild else None)
        if session is None or not session.intents & (GUILD_MESSAGES if guild else DIRECT_MESSAGES):
            return
        event_data = dict(msg)
        if guild is not None:
            event_data["guild_id"] = str(guild.id)
        await self._send_dispatch(session, event, event_data)

    # -- gateway -----------------------------------------------------------------------------------------------

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        self.gateway_connects.append(request.path_qs)
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compressor = None
        if self.honor_transport_compression and request.query.get("compress") == "zlib-stream":
            compressor = zlib.compressobj()
        conn = _Conn(ws, compressor)
        self._conns.add(conn)
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"fakediscord only speaks encoding=json")
                return ws
            await self._gateway_send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self._log_gateway("in", frame)
                await self._on_frame(conn, frame)
        except Exception as exc:
            log.exception("fakediscord: gateway handler crashed")
            self.errors.append(f"gateway: {exc!r}")
            raise
        finally:
            self._conns.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
        return ws

    def _log_gateway(self, direction: str, frame: dict[str, Any]) -> None:
        self.gateway_log.append((direction, frame))
        for pred, fut in list(self._gateway_waiters):
            if not fut.done() and _safe(pred, direction, frame):
                fut.set_result(frame)

    async def _gateway_send(self, conn: _Conn, frame: dict[str, Any]) -> None:
        frame = {"op": frame["op"], "d": frame.get("d"), "s": frame.get("s"), "t": frame.get("t")}
        self._log_gateway("out", frame)
        await conn.send(frame)

    async def _send_dispatch(self, session: _Session, event: str, data: Any) -> None:
        async with session.lock:
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": data}
            if event == "INTERACTION_CREATE":
                self.interaction_shards[data["id"]] = session.shard
            session.backlog = [*session.backlog[-999:], frame]
            if session.conn is not None:
                try:
                    await self._gateway_send(session.conn, frame)
                except ConnectionError:
                    session.conn = None

    async def _on_frame(self, conn: _Conn, frame: dict[str, Any]) -> None:
        op, d = frame.get("op"), frame.get("d") or {}
        if op == 1:
            await self._gateway_send(conn, {"op": 11})
        elif op == 2:
            await self._identify(conn, d)
        elif op == 6:
            await self._resume(conn, d)
        elif op == 8:
            await self._request_members(conn, d)
        elif op not in (3, 4):
            log.warning("fakediscord: unimplemented gateway op %s", op)

    async def _identify(self, conn: _Conn, d: dict[str, Any]) -> None:
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = (int(d["shard"][0]), int(d["shard"][1])) if d.get("shard") else None
        self.identifies.append((time.monotonic(), shard))
        session = _Session(uuid.uuid4().hex, int(d.get("intents") or 0), shard, conn)
        self._sessions[session.id] = session
        conn.session = session
        guilds = [g for g in self.guilds if shard is None or (g.id >> 22) % shard[1] == shard[0]]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.bot_user.to_json(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume-gateway",
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fakediscord"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self._send_dispatch(session, "READY", ready)
        for guild in guilds:
            # Without the presences intent Discord only sends the bot's own member; the rest come via op 8.
            if session.intents & GUILD_PRESENCES:
                members = guild.members
            else:
                members = [m for m in guild.members if m.user.id == self.bot_user.id]
            await self._send_dispatch(session, "GUILD_CREATE", guild.to_json(members))
        self._handshakes.append("READY")

    async def _resume(self, conn: _Conn, d: dict[str, Any]) -> None:
        session = self._sessions.get(d.get("session_id") or "")
        if session is None or session.invalid or (self.token is not None and d.get("token") != self.token):
            await self._gateway_send(conn, {"op": 9, "d": False})
            return
        async with session.lock:
            for frame in session.backlog:
                if frame["s"] > (d.get("seq") or 0):
                    await self._gateway_send(conn, frame)
            session.conn, conn.session = conn, session
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fakediscord"]})
        self._handshakes.append("RESUMED")

    async def _request_members(self, conn: _Conn, d: dict[str, Any]) -> None:
        guild = next((g for g in self.guilds if g.id == int(d["guild_id"])), None)
        if guild is None or conn.session is None:
            return
        ids = {int(u) for u in d.get("user_ids") or []}
        query = (d.get("query") or "").lower()
        members = [m for m in guild.members if (m.user.id in ids if ids else m.user.username.lower().startswith(query))]
        if d.get("limit"):
            members = members[: d["limit"]]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.to_json() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(i) for i in ids - {m.user.id for m in members}],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- message store (shared with the interaction routes) ----------------------------------------------------

    def new_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        author: FakeUser,
        message_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create and store a message as Discord would return it."""
        keys = ("content", "embeds", "components", "poll", "sticker_ids")
        if not files and not any(body.get(k) for k in keys) and not int(body.get("flags") or 0) & LOADING:
            raise DiscordError(400, 50006, "Cannot send an empty message")
        mid = message_id or self.snowflakes.next()
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": 0,
            "author": author.to_json(),
            "content": body.get("content") or "",
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "components": number_components(body.get("components") or []),
            "attachments": self._attachments(channel_id, body.get("attachments"), files, []),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
        }
        if body.get("message_reference"):
            msg["message_reference"] = {"type": 0, "channel_id": str(channel_id), **body["message_reference"]}
        msg.update(extra or {})
        self._apply_mentions(msg, body.get("allowed_mentions"))
        self.messages[mid] = msg
        return msg

    def edit_message(self, message_id: int, body: dict[str, Any], files: list[RecordedFile]) -> dict[str, Any]:
        """Apply an edit payload to a stored message."""
        msg = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        msg["embeds"] = [{"type": "rich", **e} for e in msg["embeds"]]
        msg["components"] = number_components(msg["components"])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(
                int(msg["channel_id"]), body.get("attachments"), files, msg["attachments"]
            )
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS and IS_COMPONENTS_V2 can be changed; ephemeral/loading state stays.
            msg["flags"] = (msg["flags"] & (EPHEMERAL | LOADING)) | (int(body["flags"]) & ~(EPHEMERAL | LOADING))
        msg["edited_timestamp"] = iso_now()
        self._apply_mentions(msg, body.get("allowed_mentions"))
        return msg

    def store_blob(self, channel_id: int, filename: str, data: bytes, content_type: str | None) -> dict[str, Any]:
        """Keep bytes downloadable at /attachments/... and return the attachment object."""
        aid = self.snowflakes.next()
        ctype = content_type or "application/octet-stream"
        self.blobs[aid] = (data, ctype)
        url = f"{self.base_url}/attachments/{channel_id}/{aid}/{filename}"
        return {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
        }

    def _attachments(
        self, channel_id: int, entries: Any, files: list[RecordedFile], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        by_field = {f.field_name: f for f in files}
        old = {str(a["id"]): a for a in existing}
        if entries is None:
            entries = [{"id": a["id"]} for a in existing] + [{"id": i} for i in range(len(files))]
        result = []
        for entry in entries:
            if str(entry.get("id")) in old and f"files[{entry.get('id')}]" not in by_field:
                result.append({**old[str(entry["id"])], **{k: v for k, v in entry.items() if k == "description"}})
            elif (upload := by_field.get(f"files[{entry.get('id')}]")) is not None:
                name = entry.get("filename") or upload.filename or "file"
                att = self.store_blob(channel_id, name, upload.data, upload.content_type)
                if entry.get("description"):
                    att["description"] = entry["description"]
                result.append(att)
        return result

    def _apply_mentions(self, msg: dict[str, Any], allowed: dict[str, Any] | None) -> None:
        """Fill mentions the way Discord resolves them under allowed_mentions."""
        text = msg["content"] + "".join(_text_display_contents(msg["components"]))
        parse = set(allowed.get("parse") or []) if allowed is not None else {"users", "roles", "everyone"}
        allowed = allowed or {}
        users = {int(u) for u in re.findall(r"<@!?(\d+)>", text)}
        roles = {int(r) for r in re.findall(r"<@&(\d+)>", text)}
        if "users" not in parse:
            users &= {int(u) for u in allowed.get("users") or []}
        if "roles" not in parse:
            roles &= {int(r) for r in allowed.get("roles") or []}
        msg["mentions"] = [self.user_by_id(u).to_json() for u in sorted(users)]
        msg["mention_roles"] = [str(r) for r in sorted(roles)]
        msg["mention_everyone"] = "everyone" in parse and ("@everyone" in text or "@here" in text)


def _safe(predicate: Callable[..., bool], *args: Any) -> bool:
    try:
        return bool(predicate(*args))
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        return False


def _exc_summary(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return f"[{record.exc_info[1]!r}]"
    return ""


def _text_display_contents(components: list[dict[str, Any]]) -> Iterable[str]:
    for comp in components:
        if comp.get("type") == 10:
            yield comp.get("content") or ""
        yield from _text_display_contents(comp.get("components") or [])


async def _read_body(request: BaseRequest) -> tuple[Any, list[RecordedFile]]:
    """JSON body (or multipart payload_json) plus file parts."""
    raw = await request.read()
    if request.content_type.startswith("multipart/"):
        return _multipart(raw, request.headers.get("Content-Type", ""))
    if not raw:
        return None, []
    with contextlib.suppress(ValueError):
        return json.loads(raw), []
    return raw.decode(errors="replace"), []


_PARAM = re.compile(r';\s*([\w*]+)="?([^";]*)"?')


def _multipart(raw: bytes, content_type: str) -> tuple[Any, list[RecordedFile]]:
    """Split a multipart/form-data body read whole: payload_json and file parts.

    Splitting the bytes at the boundary is done in C; aiohttp's streaming reader scanned each part in Python,
    which for a chart upload cost the fake more than the bot spends answering.
    """
    boundary = dict(_PARAM.findall(content_type)).get("boundary")
    if not boundary:
        raise DiscordError(400, 50035, "Invalid Form Body: multipart body without a boundary")
    body: Any = None
    files: list[RecordedFile] = []
    for part in raw.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = CIMultiDict(
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in head.decode().split("\r\n"))
        )
        disposition = dict(_PARAM.findall(headers.get("Content-Disposition", "")))
        name = disposition.get("name", "")
        if name == "payload_json":
            body = json.loads(data)
        else:
            files.append(RecordedFile(name, disposition.get("filename"), headers.get("Content-Type"), data))
    return body, files
