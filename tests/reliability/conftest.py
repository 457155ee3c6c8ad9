"""Reliability suite: the real bot under hostile input, store faults, crashes and load, with nothing lost.

Every test here adds to one tally, and the run ends with the line
"reliability: N inputs tried (huge numbers H, ...), M faults injected, K rows lost" (K must be 0), the
parenthesis counting the inputs of each defect class in tests.reliability.hostile.CLASSES.
"""

from typing import Any

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import TOKEN, QuickBot, settings_for
from tests.fakediscord.server import FakeDiscord
from tests.reliability.tally import TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the tally when reliability tests ran."""
    if TALLY.used:
        for line in TALLY.lines():
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _contract_and_errors(discord_contract: Any, discord_errors: Any) -> None:
    """Check every request against Discord's contract, and fail on ERROR logs nobody expected."""


@pytest.fixture
async def bot(fake_discord: FakeDiscord, start_bot: Any, store: Store, tmp_path: Any) -> PitBoard:
    """The production bot on a copy of the seeded store, logged in to the fake."""
    client = QuickBot(settings=settings_for(tmp_path, fake_discord), store=store, guild_ready_timeout=0.05)
    return await start_bot(client, TOKEN)
