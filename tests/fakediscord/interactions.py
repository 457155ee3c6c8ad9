"""Interactions: the payloads a Discord client would send, the callback/webhook routes, and test handles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from .models import (
    DiscordError,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Perm,
    RecordedFile,
    RecordedRequest,
    Snowflakes,
    number_components,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

EPHEMERAL = 1 << 6
LOADING = 1 << 7
SNOWFLAKE_OPTION_TYPES = frozenset({6, 7, 8, 9, 11})
# Interaction type -> callback types Discord accepts for it.
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class Who(TypedDict, total=False):
    """Who sends an interaction, and where from (defaults: the default user in the first text channel)."""

    user: FakeUser | FakeMember
    roles: Sequence[int]
    permissions: int
    guild_id: int
    channel_id: int
    dm: bool
    locale: str


@dataclass
class FakeAttachment:
    """A file a user attaches to a slash-command option; the fake serves its bytes locally."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class InteractionState:
    """What the fake knows about one interaction token."""

    payload: dict[str, Any]
    callback_type: int | None = None
    original_id: int | None = None
    loading: bool = False
    message_ids: set[int] = field(default_factory=set)


class Interaction:
    """Handle on a dispatched interaction: wait for the bot's answers to it."""

    def __init__(self, fake: FakeDiscord, payload: dict[str, Any]) -> None:
        self.fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.callback_path = f"/interactions/{self.id}/{self.token}/callback"
        self.webhook_path = f"/webhooks/{payload['application_id']}/{self.token}"

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} type={self.payload['type']}>"

    async def wait_response(self, timeout: float = 5.0) -> RecordedRequest:  # noqa: ASYNC109
        """The successful callback POST (body: {"type", "data"})."""
        return await self.fake.wait_for(
            lambda r: r.ok and r.method == "POST" and r.path == self.callback_path,
            timeout,
            what=f"the callback of {self!r}",
        )

    async def wait_followup(self, timeout: float = 5.0, *, index: int = 0) -> RecordedRequest:  # noqa: ASYNC109
        """The index-th successful follow-up POST to the interaction webhook."""

        def is_followup(r: RecordedRequest) -> bool:
            return r.ok and r.method == "POST" and r.path == self.webhook_path

        def nth(r: RecordedRequest) -> bool:
            return is_followup(r) and [x for x in self.fake.requests if is_followup(x)].index(r) == index

        return await self.fake.wait_for(nth, timeout, what=f"follow-up #{index} of {self!r}")

    async def wait_edit(self, timeout: float = 5.0, *, message: str = "@original") -> RecordedRequest:  # noqa: ASYNC109
        """The successful PATCH of the original response (or of a follow-up by id)."""
        path = f"{self.webhook_path}/messages/{message}"
        return await self.fake.wait_for(
            lambda r: r.ok and r.method == "PATCH" and r.path == path, timeout, what=f"an edit of {path}"
        )

    @property
    def callbacks(self) -> list[RecordedRequest]:
        """Every callback attempt, including failed ones."""
        return [r for r in self.fake.requests if r.path == self.callback_path]

    @property
    def followups(self) -> list[RecordedRequest]:
        """Successful follow-up POSTs."""
        return [r for r in self.fake.requests if r.ok and r.method == "POST" and r.path == self.webhook_path]

    @property
    def original(self) -> dict[str, Any] | None:
        """The message the user currently sees as the response, if any."""
        state = self.fake.interactions[self.token]
        return self.fake.messages.get(state.original_id or 0)


class InteractionDriver:
    """Mixin for FakeDiscord: building interactions and serving the callback and webhook routes."""

    if TYPE_CHECKING:
        application_id: int
        bot_user: FakeUser
        default_user: FakeUser
        guilds: list[FakeGuild]
        commands: dict[int | None, list[dict[str, Any]]]
        messages: dict[int, dict[str, Any]]
        interactions: dict[str, InteractionState]
        dm_channels: dict[int, FakeUser]
        requests: list[RecordedRequest]

        def user_by_id(self, user_id: int) -> FakeUser: ...

        @property
        def guild(self) -> FakeGuild: ...

        def guild_of_channel(self, channel_id: int) -> FakeGuild | None: ...
        def bot_permissions(self, channel_id: int) -> int: ...
        def message(self, message_id: int | str) -> dict[str, Any]: ...
        async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None: ...
        def store_blob(
            self, channel_id: int, filename: str, data: bytes, content_type: str | None
        ) -> dict[str, Any]: ...
        def new_message(
            self,
            channel_id: int,
            body: dict[str, Any],
            files: list[RecordedFile],
            *,
            author: FakeUser,
            message_id: int | None = None,
            extra: dict[str, Any] | None = None,
        ) -> dict[str, Any]: ...
        def edit_message(self, message_id: int, body: dict[str, Any], files: list[RecordedFile]) -> dict[str, Any]: ...

        snowflakes: Snowflakes

    # -- sending interactions ----------------------------------------------------------------------------------

    async def send_slash(
        self, name: str, options: Mapping[str, Any] | None = None, *, force: bool = False, **who: Unpack[Who]
    ) -> Interaction:
        """A user runs `/name` ("group sub" for subcommands); options are checked against the synced command.

        force=True skips the checks Discord's client makes (registered options, default_member_permissions).
        """
        data = self._command_data(name, options or {}, None, who, force)
        return await self._send_interaction(2, data, who, check=None if force else name)

    async def send_autocomplete(
        self, name: str, options: Mapping[str, Any], focused: str, **who: Unpack[Who]
    ) -> Interaction:
        """A user types into option `focused` of `/name` (type 4); its value is sent as the typed string."""
        data = self._command_data(name, options, focused, who, False)
        return await self._send_interaction(4, data, who)

    async def click_button(
        self, message: dict[str, Any] | int | str, custom_id: str, **who: Unpack[Who]
    ) -> Interaction:
        """A user clicks an enabled button on a stored message (type 3, component_type 2)."""
        msg, comp = self._component(message, custom_id, (2,))
        data = {"custom_id": custom_id, "component_type": 2, "id": comp.get("id")}
        return await self._component_interaction(msg, data, who)

    async def choose_select(
        self, message: dict[str, Any] | int | str, custom_id: str, values: Sequence[Any], **who: Unpack[Who]
    ) -> Interaction:
        """A user picks `values` in a select menu on a stored message (type 3, component_type 3/5/6/7/8)."""
        msg, comp = self._component(message, custom_id, (3, 5, 6, 7, 8))
        picked = [str(getattr(v, "id", v)) for v in values]
        low, high = comp.get("min_values", 1), comp.get("max_values", 1)
        if not low <= len(picked) <= high:
            raise AssertionError(f"select {custom_id!r} takes {low}..{high} values, got {picked}")
        if comp["type"] == 3:
            offered = [o["value"] for o in comp.get("options", [])]
            if bad := [v for v in picked if v not in offered]:
                raise AssertionError(f"select {custom_id!r} has no option(s) {bad}; options: {offered}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"], "values": picked}
        data["id"] = comp.get("id")
        if comp["type"] != 3:
            resolved: dict[str, dict[str, Any]] = {}
            guild = self.guild_of_channel(int(msg["channel_id"]))
            for value in picked:
                self._resolve_snowflake(guild, {5: 6, 6: 8, 7: 9, 8: 7}[comp["type"]], int(value), resolved)
            data["resolved"] = resolved
        return await self._component_interaction(msg, data, who)

    async def submit_modal(
        self, custom_id: str | None, values: Mapping[str, Any], *, require_shown: bool = True, **who: Unpack[Who]
    ) -> Interaction:
        """A user submits a modal the bot showed (None = the latest), mirroring its layout (type 5).

        The submission comes from the channel (and message, for modals opened from a component) the modal was
        opened in, by the user who opened it unless `user` is given. With require_shown=False an unseen
        custom_id is submitted as action rows of text inputs.
        """
        shown = [
            (r.body["data"], self.interactions[r.path.split("/")[3]])
            for r in self.requests
            if r.ok and r.method == "POST" and r.path.endswith("/callback") and r.body.get("type") == 9
        ]
        match = next((x for x in reversed(shown) if custom_id in (None, x[0].get("custom_id"))), None)
        opener = match[1].payload if match else {}
        if match is not None:
            custom_id = match[0]["custom_id"]
            components = _modal_submission(number_components(match[0]["components"]), dict(values))
        elif require_shown or custom_id is None:
            raise AssertionError(f"no modal {custom_id!r} was shown; shown: {[m.get('custom_id') for m, _ in shown]}")
        else:
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()
            ]
        if opener:
            user = (opener.get("member") or opener)["user"]
            who = {"user": self.user_by_id(int(user["id"])), "locale": opener["locale"], **who}
            who.update(channel_id=int(opener["channel_id"]), dm="guild_id" not in opener)
        message = opener.get("message")
        if message is not None:
            message = self.messages.get(int(message["id"]), message)
        data = {"custom_id": custom_id, "components": components}
        return await self._send_interaction(5, data, who, message=message)

    # -- building ----------------------------------------------------------------------------------------------

    def _find_command(self, top: str, guild_id: int | None) -> tuple[dict[str, Any] | None, bool]:
        if guild_id is not None:
            for cmd in self.commands.get(guild_id, []):
                if cmd["name"] == top and cmd.get("type", 1) == 1:
                    return cmd, True
        for cmd in self.commands.get(None, []):
            if cmd["name"] == top and cmd.get("type", 1) == 1:
                return cmd, False
        return None, False

    def _command_data(
        self, name: str, options: Mapping[str, Any], focused: str | None, who: Who, force: bool
    ) -> dict[str, Any]:
        top, *path = name.split()
        dm = who.get("dm", False)
        channel_guild = self.guild_of_channel(who["channel_id"]) if "channel_id" in who else None
        gid = None if dm else (who.get("guild_id") or (channel_guild or self.guild).id)
        cmd, guild_scoped = self._find_command(top, gid)
        if cmd is not None and not force and cmd.get("contexts") and (1 if dm else 0) not in cmd["contexts"]:
            raise AssertionError(f"/{top} is not available in this context (contexts={cmd['contexts']})")
        resolved: dict[str, dict[str, Any]] = {}
        guild = None if dm else next((g for g in self.guilds if g.id == gid), None)
        defs: list[dict[str, Any]] | None = cmd.get("options") or [] if cmd is not None else None
        wrappers: list[tuple[str, int]] = []
        for part in path:
            sub = next((o for o in defs or [] if o["name"] == part and o["type"] in (1, 2)), None)
            if defs is not None and sub is None:
                raise AssertionError(f"/{name}: {part!r} is not a registered subcommand")
            wrappers.append((part, sub["type"] if sub else (1 if part == path[-1] else 2)))
            defs = (sub.get("options") or []) if sub else None
        opts = self._options(name, defs, options, focused, guild, resolved, strict=not force)
        for part, kind in reversed(wrappers):
            opts = [{"name": part, "type": kind, "options": opts}]
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self.snowflakes.next()),
            "name": top,
            "type": 1,
        }
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if guild_scoped:
            data["guild_id"] = str(gid)
        return data

    def _options(
        self,
        command: str,
        defs: list[dict[str, Any]] | None,
        options: Mapping[str, Any],
        focused: str | None,
        guild: FakeGuild | None,
        resolved: dict[str, dict[str, Any]],
        *,
        strict: bool,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs} if defs is not None else None
        out = []
        for name, value in options.items():
            spec = by_name.get(name) if by_name is not None else None
            if strict and by_name is not None and spec is None:
                raise AssertionError(f"/{command} has no option {name!r}; registered: {sorted(by_name)}")
            otype = spec["type"] if spec else _infer_type(value)
            if name == focused:
                out.append({"name": name, "type": otype, "value": str(value), "focused": True})
                continue
            if strict and spec is not None:
                _check_option(command, spec, value)
            if otype in SNOWFLAKE_OPTION_TYPES:
                wire: Any = self._resolve_option(guild, otype, value, resolved)
            elif otype == 3:
                wire = str(value)
            else:
                wire = value
            out.append({"name": name, "type": otype, "value": wire})
        if strict and by_name is not None and focused is None:
            missing = [d["name"] for d in by_name.values() if d.get("required") and d["name"] not in options]
            if missing:
                raise AssertionError(f"/{command} is missing required option(s) {missing}")
        return out

    def _resolve_option(self, guild: FakeGuild | None, otype: int, value: Any, resolved: dict[str, Any]) -> str:
        if otype == 11:
            if not isinstance(value, FakeAttachment):
                raise AssertionError("attachment options take a FakeAttachment")
            att = self.store_blob(0, value.filename, value.data, value.content_type)
            resolved.setdefault("attachments", {})[att["id"]] = {**att, "ephemeral": True}
            return att["id"]
        if otype == 9:
            otype = 8 if isinstance(value, FakeRole) else 6
        target: Any = value.user if isinstance(value, FakeMember) else value
        snowflake = int(getattr(target, "id", target))
        self._resolve_snowflake(guild, otype, snowflake, resolved, target)
        return str(snowflake)

    def _resolve_snowflake(
        self, guild: FakeGuild | None, otype: int, snowflake: int, resolved: dict[str, Any], value: Any = None
    ) -> None:
        key = str(snowflake)
        if otype == 6:
            member = guild.member(snowflake) if guild else None
            user = value if isinstance(value, FakeUser) else member.user if member else FakeUser(snowflake, "user")
            resolved.setdefault("users", {})[key] = user.to_json()
            if member is not None and guild is not None:
                data = {k: v for k, v in member.to_json().items() if k != "user"}
                data["permissions"] = str(guild.permissions(snowflake, member.roles, None))
                resolved.setdefault("members", {})[key] = data
        elif otype == 8:
            role = guild.role(snowflake) if guild else None
            if role is None:
                raise AssertionError(f"role {snowflake} is not in the guild")
            resolved.setdefault("roles", {})[key] = role.to_json()
        elif otype == 7:
            channel = guild.channel(snowflake) if guild else None
            if channel is None or guild is None:
                raise AssertionError(f"channel {snowflake} is not in the guild")
            data = {k: v for k, v in channel.to_json(guild.id).items() if k != "permission_overwrites"}
            data["permissions"] = str(self.bot_permissions(snowflake))
            resolved.setdefault("channels", {})[key] = data

    def _lookup_message(self, message: dict[str, Any] | int | str) -> dict[str, Any]:
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        if mid not in self.messages:
            raise AssertionError(f"message {mid} does not exist (deleted or never sent)")
        return self.message(mid)

    def _component(
        self, message: dict[str, Any] | int | str, custom_id: str, types: tuple[int, ...]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        msg = self._lookup_message(message)
        found = [c for c in _walk_components(msg["components"]) if c.get("custom_id") == custom_id]
        if not found or found[0]["type"] not in types:
            ids = [c.get("custom_id") for c in _walk_components(msg["components"]) if c.get("custom_id")]
            raise AssertionError(f"message {msg['id']} has no component {custom_id!r} of type {types}; has {ids}")
        if found[0].get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled")
        return msg, found[0]

    async def _component_interaction(self, msg: dict[str, Any], data: dict[str, Any], who: Who) -> Interaction:
        channel_id = int(msg["channel_id"])
        where: Who = {"channel_id": channel_id, "dm": channel_id in self.dm_channels}
        return await self._send_interaction(3, data, {**who, **where}, message=msg)

    async def _send_interaction(
        self,
        itype: int,
        data: dict[str, Any],
        who: Who,
        *,
        message: dict[str, Any] | None = None,
        check: str | None = None,
    ) -> Interaction:
        user, roles, permissions = who.get("user"), who.get("roles"), who.get("permissions")
        channel_id, guild_id = who.get("channel_id"), who.get("guild_id")
        iid = self.snowflakes.next()
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": f"fake-token-{iid}",
            "version": 1,
            "locale": who.get("locale", "en-US"),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if isinstance(user, FakeMember):
            member, person = user, user.user
        else:
            member, person = None, user or self.default_user
        if who.get("dm"):
            cid = next((c for c, u in self.dm_channels.items() if u.id == person.id), None) or channel_id
            cid = cid or self.snowflakes.next()
            self.dm_channels[cid] = person
            channel = {"id": str(cid), "type": 1, "recipients": [person.to_json()], "flags": 0, "last_message_id": None}
            payload.update(user=person.to_json(), channel=channel, channel_id=str(cid), context=1)
            payload.update(app_permissions=str(Perm.ALL), authorizing_integration_owners={"0": "0"})
        else:
            guild = self.guild_of_channel(channel_id) if channel_id else None
            guild = guild or next((g for g in self.guilds if g.id == (guild_id or self.guild.id)), None)
            if guild is None:
                raise AssertionError(f"no guild {guild_id}")
            chan = guild.channel(channel_id) if channel_id else next(c for c in guild.channels if c.type == 0)
            if chan is None:
                raise AssertionError(f"channel {channel_id} is not in guild {guild.id}")
            member = member or guild.member(person.id) or FakeMember(person)
            role_ids = list(roles) if roles is not None else list(member.roles)
            perms = permissions if permissions is not None else guild.permissions(person.id, role_ids, chan)
            if check is not None:
                self._check_invocable(guild, chan, check, perms)
            channel_json = {**chan.to_json(guild.id), "permissions": str(perms)}
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                channel=channel_json,
                channel_id=str(chan.id),
                member={**member.to_json(role_ids), "permissions": str(perms)},
                app_permissions=str(self.bot_permissions(chan.id)),
                guild_locale=guild.locale,
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        if message is not None:
            payload["message"] = message
        self.interactions[payload["token"]] = InteractionState(payload)
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=int(payload.get("guild_id") or 0) or None)
        return Interaction(self, payload)  # type: ignore[arg-type]

    def _check_invocable(self, guild: FakeGuild, chan: FakeChannel, command: str, perms: int) -> None:
        """Discord's client hides commands the user may not use; refuse to simulate the impossible."""
        cmd, _ = self._find_command(command.split()[0], guild.id)
        if cmd is None:
            return
        needed = cmd.get("default_member_permissions")
        if needed is not None and not perms & Perm.ADMINISTRATOR and int(needed) & perms != int(needed):
            raise AssertionError(f"/{command} needs permissions {needed}; the user has {perms} (pass force=True)")
        if not perms & Perm.USE_APPLICATION_COMMANDS and not perms & Perm.ADMINISTRATOR:
            raise AssertionError(f"the user lacks USE_APPLICATION_COMMANDS in #{chan.name} (pass force=True)")

    # -- callback and webhook routes ---------------------------------------------------------------------------

    def _state(self, token: str) -> InteractionState:
        state = self.interactions.get(token)
        if state is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return state

    def _interaction_message(
        self, state: InteractionState, body: dict[str, Any], files: list[RecordedFile]
    ) -> dict[str, Any]:
        payload = state.payload
        user = payload.get("member", {}).get("user") or payload["user"]
        extra = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "type": 20 if payload["type"] == 2 else 0,
            "interaction_metadata": {
                "id": payload["id"],
                "type": payload["type"],
                "user": user,
                "authorizing_integration_owners": payload["authorizing_integration_owners"],
            },
        }
        msg = self.new_message(int(payload["channel_id"]), body, files, author=self.bot_user, extra=extra)
        state.message_ids.add(int(msg["id"]))
        return msg

    async def handle_callback(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """POST /interactions/{id}/{token}/callback."""
        state = self.interactions.get(p["token"])
        if state is None or state.payload["id"] != p["iid"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if state.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body = rec.body if isinstance(rec.body, dict) else {}
        ctype, data = body.get("type"), body.get("data") or {}
        itype = state.payload["type"]
        if ctype not in ALLOWED_CALLBACKS.get(itype, set()) or (ctype in (6, 7) and "message" not in state.payload):
            raise DiscordError(400, 50035, f"Invalid Form Body: callback type {ctype} for interaction type {itype}")
        if ctype == 4:
            state.original_id = int(self._interaction_message(state, data, rec.files)["id"])
        elif ctype == 5:
            body5 = {"flags": LOADING | (int(data.get("flags") or 0) & EPHEMERAL)}
            state.original_id = int(self._interaction_message(state, body5, [])["id"])
            state.loading = True
        elif ctype in (6, 7):
            state.original_id = int(state.payload["message"]["id"])
            if state.original_id not in self.messages:
                raise DiscordError(404, 10008, "Unknown Message")
            if ctype == 7:
                self.edit_message(state.original_id, data, rec.files)
            state.message_ids.add(state.original_id)
        state.callback_type = ctype
        if ctype == 8 or rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        interaction: dict[str, Any] = {"id": state.payload["id"], "type": itype}
        result: dict[str, Any] = {"interaction": interaction}
        if state.original_id is not None and ctype in (4, 5, 7):
            msg = self.messages[state.original_id]
            interaction.update(
                response_message_id=msg["id"],
                response_message_loading=ctype == 5,
                response_message_ephemeral=bool(msg["flags"] & EPHEMERAL),
            )
            if ctype != 5:
                result["resource"] = {"type": ctype, "message": msg}
        return 200, result

    async def handle_followup(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """POST /webhooks/{app}/{token}: a follow-up (the first one after a defer replaces the loading message)."""
        state = self._state(p["token"])
        if state.callback_type is None or p["app"] != str(self.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        body = rec.body if isinstance(rec.body, dict) else {}
        if state.loading and state.original_id is not None:
            state.loading = False
            msg = self.edit_message(state.original_id, {**body, "flags": body.get("flags") or 0}, rec.files)
            msg["flags"] &= ~LOADING
        else:
            msg = self._interaction_message(state, body, rec.files)
        if rec.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, msg

    async def handle_webhook_message(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{id or @original}."""
        state = self._state(p["token"])
        if state.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        mid = state.original_id if p["mid"] == "@original" else int(p["mid"])
        if mid is None or mid not in state.message_ids or mid not in self.messages:
            raise DiscordError(404, 10008, "Unknown Message")
        if rec.method == "GET":
            return 200, self.messages[mid]
        if rec.method == "DELETE":
            self.messages.pop(mid)
            return 204, None
        msg = self.edit_message(mid, rec.body if isinstance(rec.body, dict) else {}, rec.files)
        if mid == state.original_id and state.loading:
            state.loading = False
            msg["flags"] &= ~LOADING
        return 200, msg


def _walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for comp in components:
        out.append(comp)
        out += _walk_components(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                out += _walk_components([comp[key]])
    return out


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeAttachment):
        return 11
    if isinstance(value, FakeUser | FakeMember):
        return 6
    if isinstance(value, FakeRole):
        return 8
    if isinstance(value, FakeChannel):
        return 7
    return 3


def _check_option(command: str, spec: dict[str, Any], value: Any) -> None:
    """Reject values Discord's client would not let a user enter."""
    name = spec["name"]
    if spec.get("choices") and value not in [c["value"] for c in spec["choices"]]:
        raise AssertionError(f"/{command} {name}={value!r} is not one of the registered choices")
    if spec["type"] in (4, 10):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (spec["type"] == 4 and isinstance(value, float))
        ):
            raise AssertionError(f"/{command} {name} takes a number, got {value!r}")
        if spec.get("min_value") is not None and value < spec["min_value"]:
            raise AssertionError(f"/{command} {name}={value} is below min_value {spec['min_value']}")
        if spec.get("max_value") is not None and value > spec["max_value"]:
            raise AssertionError(f"/{command} {name}={value} is above max_value {spec['max_value']}")
    if spec["type"] == 3:
        if not isinstance(value, str):
            raise AssertionError(f"/{command} {name} takes a string, got {value!r}")
        if not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000):
            raise AssertionError(f"/{command} {name}: length {len(value)} is outside the registered bounds")
    types = spec.get("channel_types")
    if spec["type"] == 7 and types and isinstance(value, FakeChannel) and value.type not in types:
        raise AssertionError(f"/{command} {name} accepts channel types {spec['channel_types']}")


def _modal_submission(components: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Mirror the modal the bot sent (action rows or labels) with the user's input."""
    unknown = set(values) - {c.get("custom_id") for c in _walk_components(components)}
    if unknown:
        raise AssertionError(f"the modal has no field(s) {sorted(unknown)}")

    def submitted(comp: dict[str, Any]) -> dict[str, Any]:
        cid: str = comp.get("custom_id") or ""
        out: dict[str, Any] = {"type": comp["type"], "id": comp["id"], "custom_id": cid}
        if comp["type"] == 4:
            text = values.get(cid, comp.get("value") or "")
            if comp.get("required", True) and not text:
                raise AssertionError(f"modal field {cid!r} is required")
            if text and not comp.get("min_length", 0) <= len(text) <= comp.get("max_length", 4000):
                raise AssertionError(f"modal field {cid!r}: length {len(text)} is outside the allowed bounds")
            out["value"] = text
        elif comp["type"] in (3, 5, 6, 7, 8):
            out["values"] = [str(getattr(v, "id", v)) for v in values.get(cid, [])]
        return out

    result = []
    for comp in components:
        if comp["type"] == 1:
            result.append({"type": 1, "id": comp["id"], "components": [submitted(c) for c in comp["components"]]})
        elif comp["type"] == 18:
            result.append({"type": 18, "id": comp["id"], "component": submitted(comp["component"])})
        elif comp["type"] == 10:
            result.append({"type": 10, "id": comp["id"]})
    return result


__all__ = ["FakeAttachment", "Interaction", "InteractionDriver", "InteractionState"]
