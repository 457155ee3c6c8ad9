"""The PostgreSQL migration runner: in order, each once, all or nothing, and once across processes."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.store.database import StoreError, migration_files
from bot.store.postgres import MIGRATION_LOCK, connect_pool, migrate
from bot.store.postgres.database import MIGRATIONS_DIR, describe_url


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await connect_pool(postgres_url, max_size=2)
    yield pool
    await pool.close()


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, script in files.items():
        (folder / name).write_text(script, encoding="utf-8")
    return folder


async def _applied(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    rows = await pool.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    return [(r["version"], r["name"]) for r in rows]


async def test_the_schema_applies_once(pool: asyncpg.Pool):
    expected = [version for version, _ in migration_files(MIGRATIONS_DIR)]
    assert await migrate(pool) == expected
    assert await migrate(pool) == []
    assert await _applied(pool) == [(v, p.name) for v, p in migration_files(MIGRATIONS_DIR)]


async def test_two_processes_starting_together_apply_each_migration_once(postgres_url: str, tmp_path: Path):
    # A migration that is not idempotent: applied twice, its INSERT would fail on the primary key.
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE ran (version integer PRIMARY KEY); INSERT INTO ran VALUES (1);",
            "0002_second.sql": "INSERT INTO ran VALUES (2);",
        },
    )
    first, second, holder = [await connect_pool(postgres_url, max_size=1) for _ in range(3)]
    try:
        # Hold the lock so both runners are certainly under way, and waiting, before either can apply anything.
        async with holder.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            runs = asyncio.gather(migrate(first, folder), migrate(second, folder))
            query = """
                SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()
            """
            async with asyncio.timeout(60):  # a runner that took no lock would never wait: fail, not hang
                while await conn.fetchval(query) < 2:  # noqa: ASYNC110 - the server's lock table sends no event
                    await asyncio.sleep(0.01)
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
            applied = await runs
        assert sorted(applied) == [[], [1, 2]]
        assert [r["version"] for r in await holder.fetch("SELECT version FROM ran ORDER BY version")] == [1, 2]
        assert await _applied(holder) == [(1, "0001_first.sql"), (2, "0002_second.sql")]
    finally:
        for pool in (first, second, holder):
            await pool.close()


async def test_a_failing_migration_is_rolled_back_and_those_before_it_stay(pool: asyncpg.Pool, tmp_path: Path):
    folder = _write(
        tmp_path / "migrations",
        {
            "0001_fine.sql": "CREATE TABLE fine (x integer);",
            "0002_broken.sql": "CREATE TABLE half (x integer); INSERT INTO missing VALUES (1);",
        },
    )
    with pytest.raises(StoreError, match=r"0002_broken\.sql failed and was rolled back"):
        await migrate(pool, folder)
    assert await _applied(pool) == [(1, "0001_fine.sql")]
    assert await pool.fetchval("SELECT to_regclass('half')") is None
    (folder / "0002_broken.sql").unlink()
    _write(folder, {"0002_fixed.sql": "CREATE TABLE half (x integer);"})
    assert await migrate(pool, folder) == [2]


async def test_migrations_are_append_only(pool: asyncpg.Pool, tmp_path: Path):
    folder = _write(tmp_path / "migrations", {"0001_one.sql": "SELECT 1;", "0002_two.sql": "SELECT 2;"})
    await migrate(pool, folder)
    (folder / "0002_two.sql").rename(folder / "0002_renamed.sql")
    with pytest.raises(StoreError, match="append-only"):
        await migrate(pool, folder)
    (folder / "0002_renamed.sql").unlink()
    with pytest.raises(StoreError, match="newer than this bot knows"):
        await migrate(pool, folder)
    _write(folder, {"0002_two.sql": "SELECT 2;", "0004_gap.sql": "SELECT 4;"})
    with pytest.raises(StoreError, match="should be number 0003"):
        await migrate(pool, folder)


async def test_an_unreachable_server_is_a_store_error_without_the_password(postgres_url: str):
    url = postgres_url.replace("pitboard@", "pitboard:s3cret@").replace("/test_", "/nothing_here_")
    with pytest.raises(StoreError) as caught:
        await connect_pool(url)
    assert "s3cret" not in str(caught.value)
    assert describe_url(url) in str(caught.value)
