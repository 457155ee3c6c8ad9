"""Discord's size limits on what a bot sends, and the 400 "Invalid Form Body" (code 50035) it answers when broken.

Discord refuses a message whose content, embeds or autocomplete choices break a limit, and says where in an
`errors` tree shaped like the body: ``{"embeds": {"0": {"title": {"_errors": [{"code", "message"}]}}}}``.
The fake does the same (FakeDiscord(enforce_limits=False) turns it off), so a reply that Discord would reject
fails the end-to-end test that provoked it instead of passing against a lenient fake.
"""

from __future__ import annotations

import re
from typing import Any

from .models import DiscordError

CONTENT_MAX = 2000
EMBEDS_MAX = 10
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_NAME_MAX = 256
EMBED_TOTAL_MAX = 6000  # per message, across all its embeds
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100

INVALID_FORM_BODY = 50035
ErrorTree = dict[str, Any]

# Routes whose JSON body is a message, and the key of the body that holds the message on the others.
_MESSAGE_ROUTES = (
    ("POST", re.compile(r"^/channels/[^/]+/messages$")),
    ("PATCH", re.compile(r"^/channels/[^/]+/messages/[^/]+$")),
    ("POST", re.compile(r"^/webhooks/[^/]+/[^/]+$")),
    ("PATCH", re.compile(r"^/webhooks/[^/]+/[^/]+/messages/[^/]+$")),
)
_CALLBACK = re.compile(r"^/interactions/[^/]+/[^/]+/callback$")
_THREADS = re.compile(r"^/channels/[^/]+/threads$")
MESSAGE_CALLBACKS = frozenset({4, 7})  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
AUTOCOMPLETE_CALLBACK = 8


def _error(code: str, message: str) -> ErrorTree:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> ErrorTree:
    return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_length(embed: dict[str, Any]) -> int:
    """Return the characters of an embed that count towards the 6,000 of a message, as Discord counts them."""
    total = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    total += sum(len(_text(f.get("name"))) + len(_text(f.get("value"))) for f in _dicts(embed.get("fields")))
    total += len(_text((embed.get("footer") or {}).get("text")))
    return total + len(_text((embed.get("author") or {}).get("name")))


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _embed_errors(embed: dict[str, Any]) -> ErrorTree:
    errors: ErrorTree = {}
    for key, limit in (("title", TITLE_MAX), ("description", DESCRIPTION_MAX)):
        if len(_text(embed.get(key))) > limit:
            errors[key] = _too_long(limit)
    fields = embed.get("fields")
    if isinstance(fields, list) and len(fields) > FIELDS_MAX:
        errors["fields"] = _too_long(FIELDS_MAX)
    for index, field in enumerate(_dicts(fields)):
        found = {k: _too_long(n) for k, n in (("name", FIELD_NAME_MAX), ("value", FIELD_VALUE_MAX))
                 if len(_text(field.get(k))) > n}  # fmt: skip
        if found:
            errors.setdefault("fields", {})[str(index)] = found
    for key, sub, limit in (("footer", "text", FOOTER_MAX), ("author", "name", AUTHOR_NAME_MAX)):
        part = embed.get(key)
        if isinstance(part, dict) and len(_text(part.get(sub))) > limit:
            errors[key] = {sub: _too_long(limit)}
    return errors


def message_errors(body: Any) -> ErrorTree:
    """Return Discord's error tree for a message body that breaks a size limit; empty when it keeps them all."""
    if not isinstance(body, dict):
        return {}
    errors: ErrorTree = {}
    if len(_text(body.get("content"))) > CONTENT_MAX:
        errors["content"] = _too_long(CONTENT_MAX)
    embeds = body.get("embeds")
    if isinstance(embeds, list) and len(embeds) > EMBEDS_MAX:
        errors["embeds"] = _too_long(EMBEDS_MAX)
    for index, embed in enumerate(_dicts(embeds)):
        if found := _embed_errors(embed):
            errors.setdefault("embeds", {})[str(index)] = found
    if sum(embed_length(embed) for embed in _dicts(embeds)) > EMBED_TOTAL_MAX:
        errors.setdefault("embeds", {}).update(
            _error("MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
        )
    return errors


def choice_errors(data: Any) -> ErrorTree:
    """Return Discord's error tree for autocomplete choices that break a limit; empty when they keep them all."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        return {}
    errors: ErrorTree = {}
    if len(choices) > CHOICES_MAX:
        errors["choices"] = _too_long(CHOICES_MAX)
    for index, choice in enumerate(_dicts(choices)):
        found: ErrorTree = {}
        if not 1 <= len(_text(choice.get("name"))) <= CHOICE_NAME_MAX:
            found["name"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {CHOICE_NAME_MAX} in length.")
        value = choice.get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE_MAX:
            found["value"] = _too_long(CHOICE_VALUE_MAX)
        if found:
            errors.setdefault("choices", {})[str(index)] = found
    return errors


def body_errors(method: str, path: str, body: Any) -> ErrorTree:
    """Return the error tree Discord would answer a request with for broken size limits (empty: none broken)."""
    if any(method == m and pattern.match(path) for m, pattern in _MESSAGE_ROUTES):
        return message_errors(body)
    if not isinstance(body, dict):
        return {}
    if method == "POST" and _CALLBACK.match(path):
        kind = body.get("type")
        if kind in MESSAGE_CALLBACKS:
            found = message_errors(body.get("data"))
        elif kind == AUTOCOMPLETE_CALLBACK:
            found = choice_errors(body.get("data"))
        else:
            found = {}
        return {"data": found} if found else {}
    if method == "POST" and _THREADS.match(path) and (found := message_errors(body.get("message"))):
        return {"message": found}
    return {}


def check_limits(method: str, path: str, body: Any) -> None:
    """Raise the DiscordError Discord answers a body breaking its size limits with: 400, code 50035."""
    if errors := body_errors(method, path, body):
        raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors=errors)
