"""Shared fixtures: a real SQLite store, migrated and seeded from data/."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import maintenance
from bot.config import PROJECT_ROOT
from bot.store import Store, open_store

pytest_plugins = ["tests.fakediscord.fixtures"]

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    """Yield a migrated store on a fresh file, with no races."""
    store = await open_store(tmp_path / "pitboard.db")
    yield store
    await store.close()


@pytest.fixture
async def store(empty_store: Store) -> AsyncIterator[Store]:
    """Yield a store seeded from data/, as the bot has it after its first start."""
    await maintenance.seed(empty_store, DATA_DIR)
    yield empty_store
