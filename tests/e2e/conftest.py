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
