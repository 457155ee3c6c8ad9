import sqlite3
from pathlib import Path

import pytest

from bot.store import StoreError, open_store
from bot.store.database import MIGRATIONS_DIR, connect, migrate, migration_files, schema_version


async def test_fresh_file_reaches_latest_version(tmp_path: Path):
    store = await open_store(tmp_path / "new.db")
    try:
        assert await schema_version(store.connection) == len(migration_files())
        assert await store.race_summaries() == []
    finally:
        await store.close()


async def test_running_migrations_again_changes_nothing(tmp_path: Path):
    path = tmp_path / "again.db"
    (await open_store(path)).connection  # noqa: B018 - open once to migrate
    conn = await connect(path)
    try:
        assert await migrate(conn) == []
    finally:
        await conn.close()


async def test_failing_migration_rolls_back_and_keeps_version(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_initial.sql").write_text((MIGRATIONS_DIR / "0001_initial.sql").read_text())
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    conn = await connect(tmp_path / "broken.db")
    try:
        with pytest.raises(StoreError, match=r"0002_broken\.sql failed and was rolled back"):
            await migrate(conn, folder)
        assert await schema_version(conn) == 1
        async with conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") as cursor:
            assert (await cursor.fetchone())[0] == 0
    finally:
        await conn.close()


def test_gap_in_migration_numbers_is_refused(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(StoreError, match="should be number 0002"):
        migration_files(tmp_path)


async def test_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_text("my shopping list\n" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a SQLite database"):
        await open_store(path)
    assert path.read_bytes() == before


async def test_another_programs_database_is_refused(tmp_path: Path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    with pytest.raises(StoreError, match="another program"):
        await open_store(path)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]
