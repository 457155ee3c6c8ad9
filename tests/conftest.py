"""Shared fixtures: a real SQLite store, migrated and seeded from data/; what servers write there or in PostgreSQL.

A test module marked `pytest.mark.backends("sqlite", "postgres")` runs each test using the store twice: with what
servers write in the SQLite file, and in a fresh PostgreSQL database (PgServerData over the same race file), as
`DATABASE_URL` has it. A test marked `backends("sqlite")` runs on SQLite alone.
"""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import maintenance
from bot.config import PROJECT_ROOT
from bot.store import Store, open_store
from tests.stores import open_test_store

pytest_plugins = ["tests.fakediscord.fixtures", "tests.chart_fakes", "tests.postgres.server"]

DATA_DIR = PROJECT_ROOT / "data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run each test using the store with what servers write in each backend named"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "server_data_url" in metafunc.fixturenames:
        metafunc.parametrize("server_data_url", marker.args, indirect=True)


@pytest.fixture
async def server_data_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """Yield None (what servers write stays in the SQLite file) or the URL of a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    from tests.postgres.server import fresh_database  # a plugin module: imported here, pytest rewrites its asserts

    async with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
async def empty_store(tmp_path: Path, server_data_url: str | None) -> AsyncIterator[Store]:
    """Yield a migrated store on a fresh file, with no races."""
    store = await open_test_store(tmp_path / "pitboard.db", server_data_url)
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
async def store(seeded_file: Path, tmp_path: Path, server_data_url: str | None) -> AsyncIterator[Store]:
    """Yield a store seeded from data/, as the bot has it after its first start."""
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    store = await open_test_store(path, server_data_url)
    yield store
    await store.close()
