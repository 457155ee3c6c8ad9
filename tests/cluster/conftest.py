"""Fixtures for the cluster's tests: one fresh PostgreSQL database per test, its schema brought up to date."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.store.postgres.database import connect_pool, migrate


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Yield a pool on the test's database, migrated as a process of the cluster finds it."""
    pool = await connect_pool(postgres_url, max_size=4)
    try:
        await migrate(pool)
        yield pool
    finally:
        await pool.close()
