"""End-to-end fixtures: the real Pit Board bot, logged in to a fake Discord on 127.0.0.1.

Every test here is checked against Discord's OpenAPI contract and fails on any ERROR log.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.client import PitBoard
from bot.config import Secret, Settings
from bot.store import Store
from tests.fakediscord.server import FakeDiscord

TOKEN = "MTAwMDAwMDAwMDAwMDAwOTk5.fake.token-for-tests-only"
GUILD = 111
CHAT = 222
RECAPS = 223


@pytest.fixture(autouse=True)
def _contract_and_errors(discord_contract: Any, discord_errors: Any) -> None:
    """Apply the contract check and the ERROR-log check to every end-to-end test."""


class QuickBot(PitBoard):
    """The production bot, minus discord.py's 5-second pause before a fresh IDENTIFY."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once; a test has no rate limit to respect."""


def settings_for(tmp_path: Path, fake: FakeDiscord, **overrides: Any) -> Settings:
    """Settings as .env would give them, pointed at the fake."""
    values: dict[str, Any] = {
        "token": Secret(TOKEN),
        "database_path": tmp_path / "pitboard.db",
        "api_base": fake.api_base,
        "gateway_url": fake.gateway_url,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def launch(
    fake_discord: FakeDiscord, start_bot: Callable[..., Awaitable[Any]], store: Store, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[PitBoard]]]:
    """`bot = await launch(**settings)`: start the real bot on the seeded store against the fake."""

    async def start(**overrides: Any) -> PitBoard:
        settings = settings_for(tmp_path, fake_discord, **overrides)
        bot = QuickBot(settings=settings, store=store, guild_ready_timeout=0.05)
        return await start_bot(bot, TOKEN)

    yield start


@pytest.fixture
async def bot(launch: Callable[..., Awaitable[PitBoard]]) -> PitBoard:
    """The real bot, ready, with commands synced."""
    return await launch()


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every component of a message, flattened out of its action rows."""
    found = []
    for row in message.get("components") or []:
        found += row.get("components", [row])
    return found


def button(message: dict[str, Any] | None, label: str) -> str:
    """Return the custom_id of the button with this label (discord.py makes the ids up)."""
    assert message is not None, "no message to click on"
    ids = [c["custom_id"] for c in components(message) if c.get("label") == label]
    assert ids, f"no button {label!r}; labels: {[c.get('label') for c in components(message)]}"
    return ids[0]


def embed_of(request: Any) -> dict[str, Any]:
    """The first embed of a recorded callback or message request."""
    body = request.body.get("data", request.body)
    return body["embeds"][0]


def text_of(request: Any) -> str:
    """Content, embed titles, descriptions and fields of a recorded request, as one string."""
    body = request.body.get("data", request.body) or {}
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)


def ephemeral(request: Any) -> bool:
    """Whether a callback or follow-up is visible only to the person who asked."""
    body = request.body.get("data", request.body) or {}
    return bool((body.get("flags") or 0) & 64)
