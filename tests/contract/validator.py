"""Contract checks for requests the bot sent to Discord: Discord's OpenAPI spec plus limits it cannot express.

Schema checks are strict: every object in the spec is treated as closed (unknown keys are violations), because
a misspelt key is silently ignored by Discord. The few places where the spec and real Discord disagree, and
discord.py relies on Discord's behaviour, are listed in TOLERANCES and patched into the loaded copy of the spec.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

SPEC_PATH = Path(__file__).with_name("openapi.json")
API_PREFIX = "/api/v10"

EMBED_TOTAL = 6000
MAX_EMBEDS = 10
CONTENT_MAX = 2000
COMPONENTS_V2 = 1 << 15
TEXT_DISPLAY_TOTAL = 4000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
MAX_FIELDS = 25
FOOTER_MAX = 2048
AUTHOR_MAX = 256
MAX_CHOICES = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
DESCRIPTION_MAX = 100
NAME_MAX = 32
MAX_OPTIONS = 25
COMMAND_TOTAL = 4000

# Where the published spec is stricter than Discord, and discord.py depends on Discord's behaviour.
TOLERANCES = {
    "SnowflakeType": "Discord accepts snowflakes as JSON integers too; discord.py sends ints in "
    "allowed_mentions.roles/users and attachments[].id (the upload index).",
    "RichEmbed.flags": "discord.py's Embed.to_dict() always emits 'flags' (read-only embed flags); Discord ignores it.",
    "default_member_permissions": "the spec types it as integer but Discord documents (and discord.py sends) a "
    "string bitfield.",
    "nsfw": "discord.py sends the documented command field 'nsfw', which the spec's command requests lack.",
    "tts": "discord.py sends 'tts': false on edits and forum starter messages; the spec's edit shapes lack it.",
    "CreateForumThreadRequest.type": "discord.py sends 'type': 11 when starting a forum post; Discord ignores it.",
    "use_nested_fields": "discord.py adds ?use_nested_fields=1 when creating forum threads; the spec omits it.",
}
EDIT_SCHEMAS = (
    "MessageEditRequestPartial",
    "IncomingWebhookUpdateRequestPartial",
    "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
)
EXTRA_QUERY = {("POST", "/channels/{channel_id}/threads"): frozenset({"use_nested_fields"})}

MESSAGE_OPERATIONS = {
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
}
CREATING_OPERATIONS = {("POST", "/channels/{channel_id}/messages"), ("POST", "/webhooks/{webhook_id}/{webhook_token}")}
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
COMMAND_OPERATIONS = {
    ("PUT", "/applications/{application_id}/commands"),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("POST", "/applications/{application_id}/commands"),
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("PATCH", "/applications/{application_id}/commands/{command_id}"),
    ("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"),
}


class RequestLike(Protocol):
    """What the validator reads from a recorded request (fakediscord.RecordedRequest fits)."""

    method: str
    path: str
    body: Any


@dataclass(frozen=True)
class Operation:
    """One spec operation: method, path template, request-body schema and declared query parameters."""

    method: str
    template: str
    regex: re.Pattern[str]
    schema: dict[str, Any] | None
    query: frozenset[str]


# -- spec loading ----------------------------------------------------------------------------------------------


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec with TOLERANCES applied and every object schema closed (loaded once)."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["SnowflakeType"] = {"anyOf": [copy.deepcopy(schemas["SnowflakeType"]), {"type": "integer", "minimum": 0}]}
    schemas["RichEmbed"]["properties"]["flags"] = {"type": ["integer", "null"]}
    for name in (
        "ApplicationCommandCreateRequest",
        "ApplicationCommandUpdateRequest",
        "ApplicationCommandPatchRequestPartial",
    ):
        prop = schemas[name]["properties"]["default_member_permissions"]
        schemas[name]["properties"]["default_member_permissions"] = {
            "anyOf": [prop, {"type": "string", "pattern": "^[0-9]+$"}]
        }
        schemas[name]["properties"].setdefault("nsfw", {"type": ["boolean", "null"]})
    for name in EDIT_SCHEMAS:
        schemas[name]["properties"].setdefault("tts", {"enum": [False, None]})
    schemas["BaseCreateMessageCreateRequest"]["properties"].setdefault("tts", {"type": ["boolean", "null"]})
    schemas["CreateForumThreadRequest"]["properties"].setdefault("type", {"enum": [11, None]})
    _close_objects(spec)
    return spec


def _close_objects(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and "allOf" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_objects(value)
    elif isinstance(node, list):
        for value in node:
            _close_objects(value)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


@functools.cache
def operations() -> tuple[Operation, ...]:
    """All spec operations, literal paths (e.g. /messages/@original) before templated ones."""
    ops = []
    for template, item in load_spec()["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            content = op.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            query = frozenset(p["name"] for p in [*shared, *op.get("parameters", [])] if p.get("in") == "query")
            query |= EXTRA_QUERY.get((method.upper(), template), frozenset())
            ops.append(Operation(method.upper(), template, _template_regex(template), schema, query))
    ops.sort(key=lambda o: o.template.count("{"))
    return tuple(ops)


def find_operation(method: str, path: str) -> Operation | None:
    """The spec operation for METHOD + path (path with or without the /api/v10 prefix and query)."""
    path = path.split("?", 1)[0].removeprefix(API_PREFIX)
    return next((o for o in operations() if o.method == method.upper() and o.regex.match(path)), None)


def _one_of_as_any_of(validator: Any, subschemas: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # The spec marks unions "oneOf" but several branches overlap (e.g. the null-able partial request shapes);
    # a payload valid under one branch is valid for Discord, so ambiguity is not an error.
    yield from Draft202012Validator.VALIDATORS["anyOf"](validator, subschemas, instance, schema)


SpecValidator = extend(Draft202012Validator, {"oneOf": _one_of_as_any_of})


@functools.cache
def _schema_validator(method: str, template: str) -> Any:
    op = next(o for o in operations() if o.method == method and o.template == template)
    root = {**(op.schema or {}), "components": load_spec()["components"]}
    return SpecValidator(root)


# -- schema errors ---------------------------------------------------------------------------------------------


def _json_path(parts: Iterable[Any], base: str = "$") -> str:
    out = base
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _best_errors(error: ValidationError) -> list[ValidationError]:
    """Descend into anyOf/oneOf failures and keep the branch the payload evidently meant."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)  # type: ignore[arg-type]

    def discriminator_miss(errs: list[ValidationError]) -> bool:
        # A branch whose "type" tag (enum/const, or JSON type for nullable unions) fails is not the meant one.
        return any(
            (e.validator in ("enum", "const") and len(e.relative_path) <= 1) or (e.validator == "type" and not e.path)
            for e in errs
        )

    candidates = [errs for errs in branches.values() if not discriminator_miss(errs)] or list(branches.values())
    resolved = [[leaf for sub in errs for leaf in _best_errors(sub)] for errs in candidates]
    # Fewest leaf errors wins; on a tie the branch that got deepest into the payload is the one it was written for.
    return min(resolved, key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs)))


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _schema_violations(op: Operation, body: Any, base: str) -> list[tuple[str, str]]:
    if op.schema is None:
        return [] if body is None else [(base, "the operation takes no JSON body")]
    found = []
    for error in _schema_validator(op.method, op.template).iter_errors(body):
        for leaf in _best_errors(error):
            found.append((_json_path(leaf.absolute_path, base), f"schema: {_shorten(leaf.message)}"))
    return found


# -- rules the schema cannot express ---------------------------------------------------------------------------


def _text_displays(components: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(components, list):
        return
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here = f"{path}[{i}]"
        if comp.get("type") == 10 and isinstance(comp.get("content"), str):
            yield f"{here}.content", comp["content"]
        yield from _text_displays(comp.get("components"), f"{here}.components")
        if isinstance(comp.get("accessory"), dict):
            yield from _text_displays([comp["accessory"]], f"{here}.accessory")


def _embed_rules(embeds: Any, base: str) -> list[tuple[str, str]]:
    if not isinstance(embeds, list):
        return []
    found = []
    if len(embeds) > MAX_EMBEDS:
        found.append((f"{base}.embeds", f"more than {MAX_EMBEDS} embeds ({len(embeds)})"))
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        here = f"{base}.embeds[{i}]"
        for key, limit in EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                found.append((f"{here}.{key}", f"embed {key} longer than {limit} ({len(text)})"))
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            found.append((f"{here}.fields", f"more than {MAX_FIELDS} embed fields ({len(fields)})"))
        for j, fld in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                text = (fld or {}).get(key) or ""
                total += len(text)
                if len(text) > limit:
                    found.append((f"{here}.fields[{j}].{key}", f"embed field {key} longer than {limit} ({len(text)})"))
        for key, sub, limit in (("footer", "text", FOOTER_MAX), ("author", "name", AUTHOR_MAX)):
            text = (embed.get(key) or {}).get(sub) or ""
            total += len(text)
            if len(text) > limit:
                found.append((f"{here}.{key}.{sub}", f"embed {key} {sub} longer than {limit} ({len(text)})"))
    if total > EMBED_TOTAL:
        found.append((f"{base}.embeds", f"embeds total {total} characters, over {EMBED_TOTAL}"))
    return found


def _mention_rules(msg: Mapping[str, Any], base: str, allowed_roles: frozenset[int]) -> list[tuple[str, str]]:
    texts = [(f"{base}.content", msg.get("content") or "")]
    texts += list(_text_displays(msg.get("components"), f"{base}.components"))
    pings_everyone = [p for p, t in texts if isinstance(t, str) and ("@everyone" in t or "@here" in t)]
    am = msg.get("allowed_mentions")
    here = f"{base}.allowed_mentions"
    if not isinstance(am, dict):
        found = [(here, "allowed_mentions missing: every message must say whom it may ping (nobody)")]
        found += [(p, "@everyone/@here in content would ping everyone") for p in pings_everyone]
        return found
    found = []
    parse = am.get("parse") or []
    if parse:
        found.append((f"{here}.parse", f"allowed_mentions.parse must be empty, got {parse}"))
    if "everyone" in parse:
        found += [(p, "@everyone/@here in content would ping everyone") for p in pings_everyone]
    if am.get("users"):
        found.append((f"{here}.users", f"allowed_mentions.users must be empty, got {am['users']}"))
    roles = am.get("roles") or []
    if any(_as_int(r) not in allowed_roles for r in roles):
        found.append(
            (f"{here}.roles", f"allowed_mentions.roles {roles} may only list ping roles {sorted(allowed_roles)}")
        )
    if am.get("replied_user"):
        found.append((f"{here}.replied_user", "allowed_mentions.replied_user must be false"))
    return found


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _message_rules(
    msg: Any, base: str, allowed_roles: frozenset[int], *, creating: bool, has_files: bool
) -> list[tuple[str, str]]:
    if not isinstance(msg, dict):
        return []
    found = _mention_rules(msg, base, allowed_roles)
    content = msg.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        found.append((f"{base}.content", f"content longer than {CONTENT_MAX} ({len(content)})"))
    found += _embed_rules(msg.get("embeds"), base)
    if int(msg.get("flags") or 0) & COMPONENTS_V2:
        if msg.get("content") or msg.get("embeds"):
            found.append((base, "IS_COMPONENTS_V2 messages cannot carry content or embeds"))
        total = sum(len(t) for _, t in _text_displays(msg.get("components"), ""))
        if total > TEXT_DISPLAY_TOTAL:
            found.append((f"{base}.components", f"text displays total {total} characters, over {TEXT_DISPLAY_TOTAL}"))
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    if creating and not has_files and not any(msg.get(k) for k in keys):
        found.append((base, "empty message (no content, embeds, components, files, stickers or poll)"))
    return found


def _choice_rules(choices: Any, base: str) -> list[tuple[str, str]]:
    if not isinstance(choices, list):
        return []
    found = []
    if len(choices) > MAX_CHOICES:
        found.append((base, f"more than {MAX_CHOICES} choices ({len(choices)})"))
    for i, choice in enumerate(choices):
        name = (choice or {}).get("name") or ""
        if not 1 <= len(name) <= CHOICE_NAME_MAX:
            found.append((f"{base}[{i}].name", f"choice name must be 1..{CHOICE_NAME_MAX} characters ({len(name)})"))
        value = (choice or {}).get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE_MAX:
            found.append((f"{base}[{i}].value", f"choice value longer than {CHOICE_VALUE_MAX} ({len(value)})"))
    return found


def _valid_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= NAME_MAX
        and name == name.lower()
        and all(ch.isalnum() or ch in "-_'" for ch in name)
    )


def _command_chars(node: Mapping[str, Any]) -> int:
    total = len(node.get("name") or "") + len(node.get("description") or "")
    for choice in node.get("choices") or []:
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total + sum(_command_chars(o) for o in node.get("options") or [] if isinstance(o, dict))


def _option_rules(options: Any, base: str) -> list[tuple[str, str]]:
    if not isinstance(options, list):
        return []
    found = []
    if len(options) > MAX_OPTIONS:
        found.append((base, f"more than {MAX_OPTIONS} options ({len(options)})"))
    seen_optional = False
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        here = f"{base}[{i}]"
        if not _valid_name(opt.get("name")):
            found.append((f"{here}.name", f"option name {opt.get('name')!r} must be 1..32 lowercase word characters"))
        desc = opt.get("description") or ""
        if not 1 <= len(desc) <= DESCRIPTION_MAX:
            found.append((f"{here}.description", f"option description must be 1..{DESCRIPTION_MAX} ({len(desc)})"))
        if opt.get("type") not in (1, 2):
            if opt.get("required") and seen_optional:
                found.append((here, "required options must come before optional ones"))
            seen_optional = seen_optional or not opt.get("required")
        if opt.get("choices") and opt.get("autocomplete"):
            found.append((here, "an option cannot have both choices and autocomplete"))
        found += _choice_rules(opt.get("choices"), f"{here}.choices")
        found += _option_rules(opt.get("options"), f"{here}.options")
    return found


def _command_rules(cmd: Any, base: str) -> list[tuple[str, str]]:
    if not isinstance(cmd, dict):
        return []
    found = []
    chat_input = (cmd.get("type") or 1) == 1
    desc = cmd.get("description") or ""
    if chat_input:
        if not _valid_name(cmd.get("name")):
            found.append((f"{base}.name", f"command name {cmd.get('name')!r} must be 1..32 lowercase word characters"))
        if not 1 <= len(desc) <= DESCRIPTION_MAX:
            found.append((f"{base}.description", f"command description must be 1..{DESCRIPTION_MAX} ({len(desc)})"))
        found += _option_rules(cmd.get("options"), f"{base}.options")
        if (total := _command_chars(cmd)) > COMMAND_TOTAL:
            found.append(
                (base, f"command totals {total} characters of names/descriptions/choices, over {COMMAND_TOTAL}")
            )
    elif desc:
        found.append((f"{base}.description", "user/message commands must have an empty description"))
    return found


def _custom_rules(op: Operation, body: Any, has_files: bool, allowed_roles: frozenset[int]) -> list[tuple[str, str]]:
    key = (op.method, op.template)
    if key in MESSAGE_OPERATIONS:
        return _message_rules(body, "$", allowed_roles, creating=key in CREATING_OPERATIONS, has_files=has_files)
    if not isinstance(body, dict) and key not in COMMAND_OPERATIONS:
        return []
    if op.template == CALLBACK:
        ctype, data = body.get("type"), body.get("data")
        if ctype in (4, 7):
            return _message_rules(data, "$.data", allowed_roles, creating=ctype == 4, has_files=has_files)
        if ctype == 8:
            return _choice_rules((data or {}).get("choices"), "$.data.choices")
        return []
    if key == ("POST", "/channels/{channel_id}/threads") and isinstance(body.get("message"), dict):
        return _message_rules(body["message"], "$.message", allowed_roles, creating=True, has_files=has_files)
    if key in COMMAND_OPERATIONS:
        if isinstance(body, list):
            found = [r for i, cmd in enumerate(body) for r in _command_rules(cmd, f"$[{i}]")]
            names = [(c.get("type") or 1, c.get("name")) for c in body if isinstance(c, dict)]
            found += [("$", f"duplicate command name {n!r}") for n in {n for n in names if names.count(n) > 1}]
            return found
        return _command_rules(body, "$")
    return []


# -- public API ------------------------------------------------------------------------------------------------


def validate_request(
    method: str,
    path: str,
    body: Any,
    *,
    query: Mapping[str, str] | None = None,
    has_files: bool = False,
    allowed_roles: Iterable[int | str] = (),
) -> list[str]:
    """Violations of one request, each "METHOD path: rule at json-path"."""
    method = method.upper()
    path, _, raw_query = path.removeprefix(API_PREFIX).partition("?")
    query = dict(query or dict(p.split("=", 1) for p in raw_query.split("&") if "=" in p))
    op = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in Discord's API spec at $"]
    roles = frozenset(r for r in (_as_int(x) for x in allowed_roles) if r is not None)
    found = _custom_rules(op, body, has_files, roles)
    covered = {p for p, _ in found}
    # Custom rules give clearer messages for the same limit; drop schema duplicates at the same place.
    found += [(p, m) for p, m in _schema_violations(op, body, "$") if p not in covered]
    found += [("$", f"query parameter {k!r} is not declared by the spec") for k in query if k not in op.query]
    # The same rule broken at many list indexes is reported once, with a count.
    grouped: dict[tuple[str, str], list[str]] = {}
    for where, rule in found:
        grouped.setdefault((rule, re.sub(r"\[\d+\]", "[*]", where)), []).append(where)
    return [
        f"{method} {path}: {rule} at {wheres[0]}"
        + (f" (and {len(wheres) - 1} more like it)" if len(wheres) > 1 else "")
        for (rule, _), wheres in grouped.items()
    ]


def validate_requests(requests: Iterable[RequestLike], allowed_roles: Iterable[int | str] = ()) -> list[str]:
    """Violations across recorded requests; non-API paths (attachment downloads) are skipped."""
    roles = list(allowed_roles)
    found = []
    for req in requests:
        path = req.path
        if path.startswith("/attachments/"):
            continue
        query = getattr(req, "query", None)
        has_files = bool(getattr(req, "files", None))
        found += validate_request(req.method, path, req.body, query=query, has_files=has_files, allowed_roles=roles)
    return found


def assert_valid(requests: Iterable[RequestLike], allowed_roles: Iterable[int | str] = ()) -> None:
    """Raise AssertionError listing every contract violation."""
    found = validate_requests(requests, allowed_roles)
    if found:
        raise AssertionError(f"{len(found)} Discord contract violation(s):\n" + "\n".join(f"  {v}" for v in found))
