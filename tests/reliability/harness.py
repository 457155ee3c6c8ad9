"""Shared checks: what the database looks like, what the bot answered, and whether that answer is acceptable."""

import difflib
import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tree import GENERIC_FAILURE
from tests.contract.validator import validate_requests
from tests.e2e.conftest import text_of
from tests.fakediscord.fixtures import ErrorLog, describe_record
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import RecordedRequest
from tests.fakediscord.server import FakeDiscord

# Signs of internals reaching a user: a traceback, a Python or SQLite error, or the reply to an unexpected bug.
LEAKS = (
    "Traceback (most recent call last)",
    'File "/',
    "sqlite3.",
    "OperationalError",
    "discord.errors",
    GENERIC_FAILURE,
)


@dataclass(frozen=True)
class Snapshot:
    """A database as bytes on disk and as SQL."""

    digest: str  # sha256 of the main file and its WAL: byte-for-byte identity
    dump: tuple[str, ...]

    def diff(self, other: "Snapshot", limit: int = 30) -> str:
        """The first lines of a unified diff between two dumps, for failure messages."""
        lines = list(difflib.unified_diff(self.dump, other.dump, "before", "after", lineterm="", n=0))
        return "\n".join(lines[:limit]) or "(same SQL, different bytes)"


def snapshot(path: Path) -> Snapshot:
    """Read the database through a second connection (the bot's stays open) and hash its files."""
    digest = hashlib.sha256()
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            digest.update(part.read_bytes())
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dump = tuple(conn.iterdump())
    finally:
        conn.close()
    return Snapshot(digest.hexdigest(), dump)


def new_rows(before: Snapshot, after: Snapshot) -> list[str]:
    """INSERT lines present after and not before."""
    old = set(before.dump)
    return [line for line in after.dump if line not in old and line.startswith("INSERT")]


def gone_rows(before: Snapshot, after: Snapshot) -> list[str]:
    """INSERT lines present before and not after."""
    new = set(after.dump)
    return [line for line in before.dump if line not in new and line.startswith("INSERT")]


def webhook_answers(fake: FakeDiscord, interaction: Interaction) -> list[RecordedRequest]:
    """Successful follow-ups and edits of the original response."""
    return [
        r
        for r in fake.requests
        if r.ok and r.method in ("POST", "PATCH") and r.path.startswith(interaction.webhook_path)
    ]


async def settle(fake: FakeDiscord, interaction: Interaction, timeout: float = 10.0) -> list[RecordedRequest]:  # noqa: ASYNC109
    """Wait until the bot has answered: the callback, and for a deferral the follow-up or edit that ends it."""
    callback = await interaction.wait_response(timeout)
    if callback.body.get("type") != 5:
        return [callback]
    await fake.wait_for(
        lambda r: r.ok and r.method in ("POST", "PATCH") and r.path.startswith(interaction.webhook_path),
        timeout,
        what=f"the answer after the deferral of {interaction!r}",
    )
    return [callback, *webhook_answers(fake, interaction)]


def answer_text(answers: list[RecordedRequest]) -> str:
    """Everything the user reads in the answers."""
    return "\n".join(text_of(a) for a in answers)


def is_private(answer: RecordedRequest) -> bool:
    """Whether only the user who asked sees this answer (a deferral's follow-up inherits the deferral's flag)."""
    body = answer.body.get("data", answer.body) or {}
    return bool((body.get("flags") or 0) & 64)


def problems(
    answers: list[RecordedRequest],
    requests: list[RecordedRequest],
    errors: list[logging.LogRecord],
    typed: str = "",
    *,
    allowed_roles: list[int] | None = None,
) -> list[str]:
    """Why this exchange is not acceptable: contract violations, pings, leaked internals, logged bugs."""
    found = validate_requests(requests, allowed_roles or ())
    text = answer_text(answers)
    found += [f"the reply shows {leak!r}: {text[:300]!r}" for leak in LEAKS if leak in text and leak not in typed]
    found += [f"ERROR logged: {describe_record(r)}" for r in errors]
    return found


class Exchange:
    """One example's window on the fake and the error log: what was sent and logged since it began."""

    def __init__(self, fake: FakeDiscord, errors: ErrorLog) -> None:
        self.fake = fake
        self.errors = errors
        self.first_request = len(fake.requests)
        self.first_error = len(errors.records)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests the bot made since the example began."""
        return self.fake.requests[self.first_request :]

    def forget(self) -> None:
        """Drop this example's requests from the fake's log once checked, so the teardown does not check them again."""
        del self.fake.requests[self.first_request :]

    def take_errors(self) -> list[logging.LogRecord]:
        """ERROR records logged since the example began, removed so the teardown does not report them twice."""
        found = self.errors.records[self.first_error :]
        del self.errors.records[self.first_error :]
        return found


def describe(name: str, options: dict[str, Any]) -> str:
    """A readable invocation for failure messages, long values shortened."""
    shown = {k: v if not isinstance(v, str) or len(v) < 80 else f"{v[:60]!r}…({len(v)})" for k, v in options.items()}
    return f"/{name} {shown}"
