"""Shared fixtures: a real SQLite store, migrated and seeded from data/."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import maintenance
from bot.config import PROJECT_ROOT
from bot.store import Store, open_store

pytest_plugins = ["tests.fakediscord.fixtures", "tests.chart_fakes", "tests.postgres.server"]

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    """Yield a migrated store on a fresh file, with no races."""
    store = await open_store(tmp_path / "pitboard.db")
    yield store
    await store.close()


async def _seed(path: Path) -> None:
    store = await open_store(path)
    try:
        await maintenance.seed(store, DATA_DIR)
    finally:
        await store.close()  # closing checkpoints the WAL, so the file alone holds everything


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed data/ once per run through the real loader; each test then gets its own copy of the file."""
    path = tmp_path_factory.mktemp("seeded") / "pitboard.db"
    asyncio.run(_seed(path))
    return path


@pytest.fixture
async def store(seeded_file: Path, tmp_path: Path) -> AsyncIterator[Store]:
    """Yield a store seeded from data/, as the bot has it after its first start."""
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    store = await open_store(path)
    yield store
    await store.close()
