"""DATABASE_URL wired in: the store sends what servers write to PostgreSQL, processes hear each other, db check."""

import asyncio
import inspect
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.__main__ import run_backup
from bot.catalog import Catalog
from bot.config import load_settings
from bot.store import SERVER_DATA_METHODS, Store, StoreChange
from bot.store.database import migration_files
from bot.store.postgres import upkeep
from bot.store.postgres.database import MIGRATIONS_DIR
from bot.store.postgres.server_data import PgServerData
from tests.cli_runs import run_cli
from tests.postgres.server import PostgresServer
from tests.stores import open_test_store
from tests.test_server_uploads import shared_race, upload

LATEST = len(migration_files(MIGRATIONS_DIR))

GUILD, OTHER_GUILD, MOD = 4242, 4343, 7
WAIT = 30  # seconds: only a guard against hanging; nothing here measures how fast a notice arrives


def test_the_store_sends_every_method_pgserverdata_has_with_the_same_signature():
    plumbing = {"subscribe", "close", "mirror_uploads", "mirror_quotes", "note_replaced_uploads"}
    implemented = {name for name, value in vars(PgServerData).items() if callable(value) and not name.startswith("_")}
    assert set(SERVER_DATA_METHODS) == implemented - plumbing
    for name in SERVER_DATA_METHODS:
        assert inspect.signature(getattr(Store, name)) == inspect.signature(getattr(PgServerData, name)), name


async def test_with_postgresql_the_stores_writes_land_there_and_not_in_the_file(
    seeded_file: Path, tmp_path: Path, postgres_url: str
):
    shutil.copyfile(seeded_file, tmp_path / "pitboard.db")
    node = await open_test_store(tmp_path / "pitboard.db", postgres_url)
    try:
        await node.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=12, detail="spoiler 12")
        assert (await node.guild_settings(GUILD)).spoiler_hours == 12
        assert list(await node.connection.execute_fetchall("SELECT * FROM guild_settings")) == []
    finally:
        await node.close()
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT spoiler_hours FROM guild_settings WHERE guild_id = $1", GUILD) == 12
    finally:
        await conn.close()


@pytest.fixture
async def two_processes(seeded_file: Path, tmp_path: Path, postgres_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Yield two nodes as two processes have them: each its own copy of the race file, one PostgreSQL database."""
    nodes = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            shutil.copyfile(seeded_file, tmp_path / name / "pitboard.db")
            nodes.append(await open_test_store(tmp_path / name / "pitboard.db", postgres_url))
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            await node.close()


def heard(store: Store, wanted: StoreChange) -> asyncio.Event:
    """Return an event set once store's listeners are told of wanted (after the catalog's, subscribed earlier)."""
    event = asyncio.Event()
    store.subscribe(lambda change: event.set() if change == wanted else None)
    return event


async def test_a_setting_written_through_one_process_is_seen_by_the_other(two_processes: tuple[Store, Store]):
    one, two = two_processes
    catalog = Catalog(two)
    assert (await catalog.guild_settings(GUILD)).spoiler_hours == 0  # now kept in the other process's memory
    told = heard(two, StoreChange("guild", GUILD))
    await one.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=12, detail="spoiler 12")
    await asyncio.wait_for(told.wait(), WAIT)
    assert (await catalog.guild_settings(GUILD)).spoiler_hours == 12


async def add_quote(store: Store, race_id: int) -> int:
    return await store.add_guild_quote(
        guild_id=GUILD,
        race_id=race_id,
        driver_id=(await store.entries(race_id))[0].driver_id,
        speaker="Crew chief",
        text="We had a rocket.",
        context=None,
        source_url="https://example.org/x",
        author_id=MOD,
    )


async def test_a_quote_added_through_one_process_reaches_the_others_fans_and_goes_when_removed_there(
    two_processes: tuple[Store, Store], seeded_file: Path, tmp_path: Path, postgres_url: str
):
    one, two = two_processes
    catalog = Catalog(two)
    (race,) = await two.race_summaries()
    shown = {q.id for q in await catalog.quotes(guild_id=GUILD)}  # now kept in the other process's memory
    told = heard(two, StoreChange("quotes", GUILD))
    await add_quote(one, (await one.race_summaries())[0].id)
    await asyncio.wait_for(told.wait(), WAIT)
    (added,) = [q for q in await catalog.quotes(guild_id=GUILD) if q.id not in shown]
    assert (added.speaker, added.race_id, added.added_by) == ("Crew chief", race.id, MOD)
    assert added.driver_id == (await two.entries(race.id))[0].driver_id
    assert added.id not in {q.id for q in await catalog.quotes(guild_id=OTHER_GUILD)}
    # A process started later copies it at start, and copying again writes nothing.
    (tmp_path / "three").mkdir()
    shutil.copyfile(seeded_file, tmp_path / "three" / "pitboard.db")
    three = await open_test_store(tmp_path / "three" / "pitboard.db", postgres_url)
    try:
        assert "Crew chief" in [q.speaker for q in await three.quotes(guild_id=GUILD)]
        assert three.server_data is not None
        assert len(await three.server_data.mirror_quotes(GUILD)) == 1
    finally:
        await three.close()
    # Removed through the other process, by the number it shows, it goes from both.
    told = heard(one, StoreChange("quotes", GUILD))
    assert await two.remove_guild_quote(GUILD, added.id, MOD) == "Crew chief"
    await asyncio.wait_for(told.wait(), WAIT)
    assert "Crew chief" not in [q.speaker for q in await one.quotes(guild_id=GUILD)]
    assert "Crew chief" not in [q.speaker for q in await catalog.quotes(guild_id=GUILD)]
    details = [e.detail for e in await one.audit_entries(GUILD)]
    assert details[0] == f"removed quote #{added.id} by Crew chief"


async def test_shared_results_replacing_an_upload_are_noted_once_in_postgresql(two_processes: tuple[Store, Store]):
    one, two = two_processes
    mine = await upload(one, GUILD)
    assert await one.add_race_bundle(shared_race()) is not None
    assert await two.add_race_bundle(shared_race()) is not None  # the other process's file gets it too
    assert two.server_data is not None and await two.server_data.note_replaced_uploads() == 0
    told = [e for e in await two.audit_entries(GUILD) if e.user_id is None]
    assert len(told) == 1 and told[0].action == "shared results"
    assert f"upload Club 200 (race {mine}), which stays stored" in told[0].detail
    assert await one.audit_entries(OTHER_GUILD) == []


async def test_after_the_feed_was_lost_every_servers_settings_are_read_afresh(
    seeded_file: Path, tmp_path: Path, postgres_url: str
):
    shutil.copyfile(seeded_file, tmp_path / "pitboard.db")
    node = await open_test_store(tmp_path / "pitboard.db", postgres_url)
    try:
        catalog = Catalog(node)
        for guild in (GUILD, OTHER_GUILD):
            assert (await catalog.guild_settings(guild)).spoiler_hours == 0
        told = heard(node, StoreChange("guild", None))
        conn = await asyncpg.connect(postgres_url)
        try:
            # Written as though while the feed was away: nothing tells this process.
            query = "INSERT INTO guild_settings (guild_id, spoiler_hours, updated_at) VALUES ($1, 6, now())"
            await conn.executemany(query, [(GUILD,), (OTHER_GUILD,)])
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pitboard listener'"
            )
        finally:
            await conn.close()
        await asyncio.wait_for(told.wait(), WAIT)
        assert [(await catalog.guild_settings(g)).spoiler_hours for g in (GUILD, OTHER_GUILD)] == [6, 6]
    finally:
        await node.close()


def test_db_check_covers_postgresql(
    seeded_file: Path, tmp_path: Path, postgres_server: PostgresServer, postgres_url: str
):
    database = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    unmigrated = run_cli("db", "check", database=database, DATABASE_URL=postgres_url)
    assert unmigrated.returncode == 1
    assert "holds no Pit Board schema; run `python -m bot db upgrade`" in unmigrated.stderr

    upgraded = run_cli("db", "upgrade", database=database, DATABASE_URL=postgres_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "PostgreSQL 127.0.0.1:" in upgraded.stdout

    result = run_cli("db", "check", database=database, DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "integrity_check: ok" in lines and "entries: 34" in lines
    (head,) = [line for line in lines if line.startswith("postgresql ")]
    assert head.startswith(f"postgresql 127.0.0.1:{postgres_server.port}/")
    assert head.endswith(f"schema version {LATEST}")
    assert "  guild_settings: 0" in lines and "  audit_log: 0" in lines

    gone = postgres_server.url("no_such_database")
    refused = run_cli("db", "check", database=database, DATABASE_URL=gone)
    assert refused.returncode == 1 and "cannot connect" in refused.stderr


def test_db_backup_dumps_postgresql_too_or_says_why_not(seeded_file: Path, tmp_path: Path, postgres_url: str):
    database = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    assert run_cli("db", "upgrade", database=database, DATABASE_URL=postgres_url).returncode == 0
    result = run_cli("db", "backup", str(tmp_path / "copy.db"), database=database, DATABASE_URL=postgres_url)
    assert (tmp_path / "copy.db").exists()
    if result.returncode == 0:
        assert (tmp_path / "copy.db.pgdump").stat().st_size > 0
        assert "Backed up PostgreSQL" in result.stdout
    else:  # a machine without PostgreSQL's client tools
        assert result.returncode == 1 and "pg_dump is not installed" in result.stderr


async def test_db_backup_without_pg_dump_says_so_in_one_line(
    seeded_file: Path, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(upkeep, "SYSTEM_INSTALLS", tmp_path / "no-postgresql")
    assert upkeep.find_pg_dump() is None
    shutil.copyfile(seeded_file, tmp_path / "pitboard.db")
    env = {"DATABASE_PATH": str(tmp_path / "pitboard.db"), "DATABASE_URL": postgres_url}
    assert await run_backup(load_settings(env, require_token=False), tmp_path / "copy.db") == 1
    said = capsys.readouterr()
    assert said.out.startswith(f"Backed up to {tmp_path / 'copy.db'}")
    assert said.err.count("\n") == 1 and "was not backed up: pg_dump is not installed" in said.err
