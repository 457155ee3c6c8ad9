"""`db move-to-postgres`: every server's data, written through the SQLite store, read back the same from PostgreSQL.

Two servers fill the file through the store's own methods; after the move a store with PgServerData attached, as
DATABASE_URL has it, must answer every typed read as the file did (ids PostgreSQL gives its own rows aside), the
node must copy nothing a second time, and another node must get the same uploads and quotes.
"""

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.racefiles import parse_results
from bot.store import Store, StoreError, open_store
from bot.store.announcements import MOD_NOTICE, RESULTS
from bot.store.models import AuditEntry, Correction, RecapVersion
from bot.store.postgres import connect_pool, migrate
from bot.store.postgres.move import TABLES, move_to_postgres
from bot.store.postgres.race_keys import SqliteRaceKeys
from bot.store.postgres.server_data import open_server_data
from bot.store.race_keys import RaceKey
from bot.store.raceday import OFFICIAL_DRAFT, PRE_RACE, RaceDaySettings
from tests.cli_runs import run_cli, the_error
from tests.stores import open_test_store

GUILD, OTHER, MOD, BOT = 111_222_333_444_555_666, 999_888_777_666_555_444, 555, 777
START = dt.datetime(2025, 11, 14, 20, 30, 15, tzinfo=dt.UTC)
ARCA = ("ARCA Menards Series", "arca")
FIELD_CSV = """finish,car,driver,team,status,points,points_eligible,sources,confidence,notes
1,07,Alex Able,Club Racing,running,40,yes,CLUB|TIMING,high,
2,7,Bea Bright,,running,35,disputed,,,appeal pending
3,19,Cy Clutch,,accident,30,no,,,
"""
OTHER_CSV = "finish,car,driver\n1,07,Alex Able\n2,7,Bea Bright\n"
MIGRATION = Path(__file__).parents[2] / "bot/store/postgres/migrations/0001_server_data.sql"

# Each PostgreSQL table's rows, counted in the file by what the SQLite store keeps of them.
SQLITE_COUNTS = {
    "guild_settings": "SELECT count(*) FROM guild_settings",
    "guild_series": "SELECT count(*) FROM guild_series",
    "server_races": "SELECT count(*) FROM races WHERE owner_guild_id IS NOT NULL",
    "server_entries": """
        SELECT count(*) FROM entries e JOIN races r ON r.id = e.race_id WHERE r.owner_guild_id IS NOT NULL
    """,
    "corrections": "SELECT count(*) FROM corrections",
    "recap_versions": "SELECT count(*) FROM recap_versions",
    "recap_posts": "SELECT count(*) FROM recap_posts",
    "guild_quotes": "SELECT count(*) FROM quotes WHERE guild_id IS NOT NULL",
    "audit_log": "SELECT count(*) FROM audit_log",
    "announce_watermarks": "SELECT count(*) FROM announce_watermarks",
    "announcements": "SELECT count(*) FROM announcements",
    "race_day": "SELECT count(*) FROM race_day",
    "race_day_posts": "SELECT count(*) FROM race_day_posts",
    "post_stops": "SELECT count(*) FROM post_stops",
}


@dataclasses.dataclass(frozen=True)
class Filled:
    """The races two servers wrote about: Pit Board's shared race and each server's upload of ARCA 2025 round 3."""

    shared: int
    uploads: dict[int, int]


async def upload(store: Store, guild: int, text: str) -> int:
    entries, errors = parse_results(text)
    assert errors == []
    outcome = await store.import_guild_results(
        guild_id=guild,
        user_id=MOD,
        series=ARCA,
        season=2025,
        round_=3,
        name="Club 150",
        track="Club Oval",
        date=dt.date(2025, 4, 5),
        entries=entries,
    )
    return outcome.race_id


async def fill(store: Store) -> Filled:
    """Write two servers' data through the SQLite store's own methods, as the cogs do; touch every table."""
    (shared,) = [race.id for race in await store.race_summaries()]
    driver = (await store.entries(shared))[0].driver_id

    for setting, value in (("recap_channel_id", 10), ("mod_role_id", 20), ("ping_role_id", 30), ("notify", 1)):
        await store.update_guild_settings(GUILD, MOD, setting=setting, value=value, detail=f"{setting} set")
    await store.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=12, detail="spoiler 12")
    await store.set_mod_channel(GUILD, MOD, 40, detail="mods here")
    await store.set_announce(GUILD, MOD, on=True)  # also the watermark of the seeded truck race
    await store.set_followed_series(GUILD, MOD, ["truck", "arca"], detail="truck and arca")
    own = await upload(store, GUILD, FIELD_CSV)
    await store.correct_result(guild_id=GUILD, race_id=own, user_id=MOD, car="7", reason="penalty", finish=3)
    await store.add_recap_version(GUILD, shared, headline="Draft", body="One", author_id=MOD)
    await store.add_recap_version(GUILD, shared, headline="Better", body="Two", author_id=MOD)
    await store.discard_recap_version(GUILD, shared, 2, MOD)
    await store.add_recap_version(GUILD, shared, headline="Draft", body="One", author_id=MOD, reverted_from=1)
    await store.record_recap_post(
        guild_id=GUILD,
        race_id=shared,
        channel_id=10,
        message_id=1001,
        thread_id=1002,
        version=3,
        user_id=MOD,
        edited=False,
    )
    await store.add_recap_version(GUILD, own, headline="Our race", body="Club night", author_id=MOD)
    own_driver = (await store.entries(own))[0].driver_id  # the server's own driver, keyed by its id
    for race, speaker, who in ((shared, "Winner", driver), (own, "Alex Able", own_driver), (shared, "Fan", None)):
        await store.add_guild_quote(
            guild_id=GUILD,
            race_id=race,
            driver_id=who,
            speaker=speaker,
            text=f"{speaker} said so.",
            context="after the race" if who else None,
            source_url="https://example.org/said",
            author_id=MOD,
        )
    assert await store.claim_announcement(GUILD, shared, RESULTS, 10)
    await store.announcement_sent(
        GUILD, shared, RESULTS, 2001, headline="In", body="Results", author_id=BOT, shown="v1 official", official=True
    )
    await store.stop_posts(GUILD, MOD_NOTICE, 40, "Pit Board may not post in #mods")
    race_day = RaceDaySettings(GUILD, enabled=True, channel_id=50, hours_before=3, ping=True, thread=True)
    await store.set_race_day(race_day, MOD, detail="race day on")
    assert await store.claim_race_day_post(GUILD, 5001, PRE_RACE, 50)
    await store.race_day_post_sent(
        GUILD, 5001, PRE_RACE, message_id=3001, thread_id=3002, shown_start=START, detail="pre-race card posted"
    )

    await store.update_guild_settings(OTHER, MOD, setting="spoiler_hours", value=24, detail="spoiler 24")
    theirs = await upload(store, OTHER, OTHER_CSV)  # the same round: each server's upload is its own
    for text in ("Gone soon.", "Stays."):
        quote_id = await store.add_guild_quote(
            guild_id=OTHER,
            race_id=theirs,
            driver_id=None,
            speaker="Steward",
            text=text,
            context=None,
            source_url="https://example.org/steward",
            author_id=MOD,
        )
    assert await store.remove_guild_quote(OTHER, quote_id - 1, MOD) == "Steward"
    await store.pass_over_history(OTHER, "truck", (2025, 1), 40)
    assert await store.claim_announcement(OTHER, shared, RESULTS, 11)
    await store.announcement_failed(OTHER, shared, RESULTS, retry=False)
    assert await store.claim_race_day_post(OTHER, 5002, PRE_RACE, 11)
    await store.stop_posts(OTHER, RESULTS, 11, "#results was deleted")
    await store.set_race_day(RaceDaySettings(OTHER, hours_before=4), MOD, detail="race day 4 hours, off")
    return Filled(shared, {GUILD: own, OTHER: theirs})


async def server_reads(store: Store, filled: Filled) -> dict[str, Any]:
    """Return what the cogs read of both servers' data through the store's typed methods."""
    reads: dict[str, Any] = {
        "race_day_servers": await store.race_day_servers(),
        "due": await store.due_announcements({"truck": None, "arca": None}),
    }
    for guild, own in filled.uploads.items():
        reads[f"{guild} settings"] = await store.guild_settings(guild)
        reads[f"{guild} series"] = await store.followed_series(guild)
        reads[f"{guild} audit"] = await store.audit_entries(guild, limit=100)
        reads[f"{guild} announcements"] = await store.announcements(guild)
        reads[f"{guild} stops"] = await store.post_stops(guild)
        reads[f"{guild} race day"] = await store.race_day_settings(guild)
        reads[f"{guild} quotes"] = await store.quotes(guild_id=guild)
        reads[f"{guild} corrections"] = await store.corrections(own)
        reads[f"{guild} upload"] = await upload_rows(store, own)
        for race in (filled.shared, own):
            reads[f"{guild} {race} versions"] = await store.recap_versions(guild, race)
            reads[f"{guild} {race} latest"] = await store.recap_version(guild, race)
            reads[f"{guild} {race} post"] = await store.recap_post(guild, race)
            reads[f"{guild} {race} published"] = await store.published_recap(race, guild)
        for kind in (RESULTS, OFFICIAL_DRAFT):
            reads[f"{guild} {kind}"] = await store.announcement(guild, filled.shared, kind)
        for nascar_race in (5001, 5002):
            reads[f"{guild} {nascar_race}"] = await store.race_day_post(guild, nascar_race)
    return reads


async def upload_rows(store: Store, race_id: int) -> list[tuple[Any, ...]]:
    """Return an upload's entries as its server's fans see them, each with the sources it was uploaded with."""
    entries = await store.entries(race_id)
    links: dict[int, list[tuple[str, str | None]]] = {}
    for link in await store.fact_links(race_id):
        links.setdefault(link.subject_id, []).append((link.key, link.confidence))
    return [
        (e.car_number, e.driver, e.team, e.finish, e.status, e.points, e.points_eligible, e.notes, links.get(e.id, []))
        for e in entries
    ]


async def quote_rows(store: Store, guild: int) -> list[tuple[Any, ...]]:
    """Return a server's quotes as its fans see them, the driver by name: each node numbers quotes and drivers."""
    names = {driver.id: driver.name for driver in await store.drivers()}
    return [
        (
            q.race_label,
            q.speaker,
            q.text,
            q.context,
            q.source_url,
            q.added_by,
            q.created_at,
            q.driver_id and names[q.driver_id],
        )
        for q in await store.quotes(guild_id=guild)
        if q.added_by is not None  # the server's own, not the shipped quotes every server sees
    ]


def postgres_ids_blanked(value: Any) -> Any:
    """Return value with the ids PostgreSQL gives its own rows (audit entries, recap versions, corrections) as 0."""
    if isinstance(value, dict):
        return {k: postgres_ids_blanked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(postgres_ids_blanked(v) for v in value)
    if isinstance(value, AuditEntry | RecapVersion | Correction):
        return dataclasses.replace(value, id=0)
    return value


async def sqlite_counts(store: Store) -> dict[str, int]:
    counts = {}
    for table, query in SQLITE_COUNTS.items():
        (row,) = await store.connection.execute_fetchall(query)
        counts[table] = row[0]
    return counts


async def postgres_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table of server data in PostgreSQL, ids included, in a fixed order."""
    conn = await asyncpg.connect(url)
    try:
        return {
            table.name: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {table.name}")), key=repr)
            for table in TABLES
        }
    finally:
        await conn.close()


async def quote_links(store: Store) -> list[tuple[int, int | None]]:
    rows = await store.connection.execute_fetchall(
        "SELECT id, server_quote_id FROM quotes WHERE guild_id IS NOT NULL ORDER BY id"
    )
    return [(row[0], row[1]) for row in rows]


# --- the schema -------------------------------------------------------------------------------------------------


async def test_the_move_writes_every_table_and_column_of_server_data(postgres_url: str):
    created = re.findall(r"^CREATE TABLE (\w+)", MIGRATION.read_text(), flags=re.MULTILINE)
    assert [table.name for table in TABLES] == created  # in the migration's order, which its foreign keys need
    pool = await connect_pool(postgres_url, max_size=1)
    try:
        await migrate(pool)
        for table in TABLES:
            query = """
                SELECT column_name FROM information_schema.columns
                WHERE table_name = $1 AND is_identity = 'NO' AND is_generated = 'NEVER'
            """
            columns = {row["column_name"] for row in await pool.fetch(query, table.name)}
            assert set(table.columns) == columns, f"{table.name}: the move must write every column a server wrote"
            assert table.columns[0] == "guild_id"
    finally:
        await pool.close()


# --- the round trip ---------------------------------------------------------------------------------------------


async def test_every_servers_data_moves_and_reads_back_the_same_from_postgresql(
    store: Store, seeded_file: Path, tmp_path: Path, postgres_url: str
):
    filled = await fill(store)
    before = await server_reads(store, filled)
    counts = await sqlite_counts(store)
    assert all(counts.values()), f"the test must write every table: {counts}"
    uploads = await store.upload_copy_versions()
    assert uploads == {RaceKey("arca", 2025, 3, GUILD): 2, RaceKey("arca", 2025, 3, OTHER): 1}

    report = await move_to_postgres(store, postgres_url)

    assert report.counts == counts
    assert report.servers == 2
    lines = report.lines()
    assert lines[-1] == "checked: every table matches"
    assert f"  audit_log: {counts['audit_log']}" in lines
    held = await postgres_rows(postgres_url)
    assert {name: len(rows) for name, rows in held.items()} == counts
    # Each quote in the file now names its PostgreSQL row, so the node's quotes are that row's copy.
    links = await quote_links(store)
    conn = await asyncpg.connect(postgres_url)
    try:
        server_ids = [r["id"] for r in await conn.fetch("SELECT id FROM guild_quotes ORDER BY id")]
        versions = await conn.fetch("SELECT guild_id, data_version FROM server_races ORDER BY guild_id")
    finally:
        await conn.close()
    assert [server_id for _, server_id in links] == server_ids
    assert [(r["guild_id"], r["data_version"]) for r in versions] == [(GUILD, 2), (OTHER, 1)]

    # The round trip: the same store, now with what servers write in PostgreSQL, as DATABASE_URL has it.
    store.use_server_data(await open_server_data(postgres_url, SqliteRaceKeys(store), node=store, max_size=3))
    after = await server_reads(store, filled)
    assert postgres_ids_blanked(after) == postgres_ids_blanked(before)
    assert await quote_links(store) == links  # nothing copied into the file again, nothing dropped
    assert await store.upload_copy_versions() == uploads

    # Another node, which never held the servers' data, gets the same uploads and quotes from PostgreSQL.
    shutil.copyfile(seeded_file, tmp_path / "other.db")
    other = await open_test_store(tmp_path / "other.db", postgres_url)
    try:
        assert await other.upload_copy_versions() == uploads
        for guild in filled.uploads:
            race = await other.race_id_by_key(RaceKey("arca", 2025, 3, guild))
            assert race is not None
            assert await upload_rows(other, race) == before[f"{guild} upload"]
            assert await quote_rows(other, guild) == await quote_rows(store, guild)
            assert (await other.guild_settings(guild)) == before[f"{guild} settings"]
    finally:
        await other.close()


async def test_a_second_move_is_refused_and_changes_nothing(store: Store, postgres_url: str):
    await fill(store)
    await move_to_postgres(store, postgres_url)
    held, links = await postgres_rows(postgres_url), await quote_links(store)

    with pytest.raises(StoreError, match=r"already holds servers' data \(guild_settings: 2, .*audit_log: \d+"):
        await move_to_postgres(store, postgres_url)

    assert await postgres_rows(postgres_url) == held
    assert await quote_links(store) == links


async def test_data_a_running_bot_wrote_to_postgresql_refuses_the_move(
    store: Store, tmp_path: Path, seeded_file: Path, postgres_url: str
):
    await fill(store)
    shutil.copyfile(seeded_file, tmp_path / "bot.db")
    running = await open_test_store(tmp_path / "bot.db", postgres_url)
    try:
        await running.update_guild_settings(OTHER, MOD, setting="spoiler_hours", value=6, detail="spoiler 6")
    finally:
        await running.close()

    with pytest.raises(StoreError, match=r"already holds servers' data \(guild_settings: 1, audit_log: 1\)"):
        await move_to_postgres(store, postgres_url)

    held = await postgres_rows(postgres_url)
    assert {name for name, rows in held.items() if rows} == {"guild_settings", "audit_log"}
    assert all(server_id is None for _, server_id in await quote_links(store))


# --- all or nothing ---------------------------------------------------------------------------------------------


async def test_a_row_postgresql_refuses_moves_nothing_and_the_move_can_run_again(store: Store, postgres_url: str):
    filled = await fill(store)
    # A quote with no source, as an old file may hold; PostgreSQL's guild_quotes requires one.
    await store.connection.execute(
        "INSERT INTO quotes (race_id, speaker, text, guild_id, added_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (filled.shared, "Anon", "No source.", GUILD, MOD, START.isoformat()),
    )

    with pytest.raises(StoreError, match=r"refused the rows of guild_quotes \(the file's quote \d+\)") as refused:
        await move_to_postgres(store, postgres_url)
    assert '"source_url"' in str(refused.value)
    assert "\n" not in str(refused.value)  # one line for the operator, as the command prints it

    assert not any((await postgres_rows(postgres_url)).values())
    assert all(server_id is None for _, server_id in await quote_links(store))
    await store.connection.execute("DELETE FROM quotes WHERE speaker = 'Anon'")
    report = await move_to_postgres(store, postgres_url)
    assert report.counts == await sqlite_counts(store)


async def test_a_copy_that_differs_from_the_file_is_not_kept(store: Store, postgres_url: str):
    await fill(store)
    pool = await connect_pool(postgres_url, max_size=1)
    try:
        await migrate(pool)
        # Something on the server's side that changes a row on its way in: the check must catch it.
        await pool.execute("""
            CREATE FUNCTION shout() RETURNS trigger AS $$
            BEGIN NEW.detail := upper(NEW.detail); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER shout BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION shout();
        """)
    finally:
        await pool.close()

    with pytest.raises(StoreError, match=r"the copy of audit_log differs from the file at row 1 of \d+"):
        await move_to_postgres(store, postgres_url)

    assert not any((await postgres_rows(postgres_url)).values())
    assert all(server_id is None for _, server_id in await quote_links(store))


# --- the command ------------------------------------------------------------------------------------------------


async def filled_file(seeded_file: Path, path: Path) -> dict[str, int]:
    """Write two servers' data into a copy of the seeded file; return its counts."""
    shutil.copyfile(seeded_file, path)
    store = await open_store(path)
    try:
        await fill(store)
        return await sqlite_counts(store)
    finally:
        await store.close()


async def test_the_command_prints_the_counts_then_refuses_a_second_run(
    seeded_file: Path, tmp_path: Path, postgres_url: str
):
    database = tmp_path / "pitboard.db"
    counts = await filled_file(seeded_file, database)

    result = run_cli("db", "move-to-postgres", database=database, DATABASE_URL=postgres_url)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"From {database}:"
    assert re.fullmatch(r"Moved the data of 2 server\(s\) into PostgreSQL 127\.0\.0\.1:\d+/test_\w+:", lines[1])
    assert lines[2:-1] == [f"  {table}: {count}" for table, count in counts.items()]
    assert lines[-1] == "checked: every table matches"
    assert {name: len(rows) for name, rows in (await postgres_rows(postgres_url)).items()} == counts

    again = run_cli("db", "move-to-postgres", database=database, DATABASE_URL=postgres_url)
    assert again.returncode == 2
    assert again.stdout == ""
    assert the_error(again).startswith("Database error: PostgreSQL 127.0.0.1:")
    assert "already holds servers' data" in the_error(again)
    assert "pitboard@" not in the_error(again)  # the user (and any password) of DATABASE_URL stays out


async def test_the_command_without_database_url_says_to_set_it(seeded_file: Path, tmp_path: Path):
    database = tmp_path / "pitboard.db"
    await filled_file(seeded_file, database)

    result = run_cli("db", "move-to-postgres", database=database)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "set DATABASE_URL" in the_error(result)
