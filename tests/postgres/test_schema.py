"""The PostgreSQL schema of what servers write: SQLite's settings, natural keys, and an upload's cascade."""

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.store import Store
from bot.store.postgres import connect_pool, migrate

GUILD = 111_222_333_444_555_666  # a real snowflake's size: past 32 bits
NOW = dt.datetime(2025, 11, 14, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await connect_pool(postgres_url, max_size=2)
    await migrate(pool)
    yield pool
    await pool.close()


async def _upload(pool: asyncpg.Pool, round_: int = 5) -> None:
    query = """
        INSERT INTO server_races (guild_id, series, season, round, series_name, name, track, race_date)
        VALUES ($1, 'truck', 2025, $2, 'NASCAR Craftsman Truck Series', 'Our race', 'Home track', '2025-04-05')
    """
    await pool.execute(query, GUILD, round_)
    query = """
        INSERT INTO server_entries (guild_id, series, season, round, car_number, driver, driver_key, finish_pos)
        VALUES ($1, 'truck', 2025, $2, $3, $4, $5, $6)
    """
    rows = [("07", "Ann Driver", "ann driver", 1), ("7", "Bo Racer", "bo racer", 2), ("11", "Cy Fast", "cy fast", 3)]
    await pool.executemany(query, [(GUILD, round_, *row) for row in rows])


async def _add_version(pool: asyncpg.Pool, *, round_: int, upload: bool, version: int = 1) -> None:
    query = """
        INSERT INTO recap_versions (guild_id, series, season, round, upload, version, headline, body, author_id,
                                    created_at)
        VALUES ($1, 'truck', 2025, $2, $3, $4, 'Headline', 'Body', 42, $5)
    """
    await pool.execute(query, GUILD, round_, upload, version, NOW)


# Each table of server data in SQLite, and its columns that name a race by this node's row id: in PostgreSQL they
# are (series, season, round[, upload]). SQLite's quotes and races also hold server data, reshaped as guild_quotes,
# server_races and server_entries.
TWINS = {
    "guild_settings": set(),
    "guild_series": set(),
    "race_day": set(),
    "recap_versions": {"race_id"},
    "recap_posts": {"race_id"},
    "corrections": {"race_id"},
    "audit_log": set(),
    "announce_watermarks": set(),
    "announcements": {"race_id"},
    "race_day_posts": set(),
    "post_stops": set(),
}


async def test_every_table_of_server_data_holds_every_column_sqlite_has(pool: asyncpg.Pool, empty_store: Store):
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({})".format(",".join("?" * len(TWINS)))
    assert len(await empty_store.connection.execute_fetchall(query, tuple(TWINS))) == len(TWINS)
    for table, row_ids in TWINS.items():
        rows = await empty_store.connection.execute_fetchall("SELECT name FROM pragma_table_info(?)", (table,))
        sqlite_columns = {row[0] for row in rows} - row_ids
        query = "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        postgres_columns = {row["column_name"] for row in await pool.fetch(query, table)}
        missing = sqlite_columns - postgres_columns
        assert not missing, f"{table}: add {sorted(missing)} to a PostgreSQL migration too"
        if row_ids:
            assert {"series", "season", "round"} <= postgres_columns


async def test_snowflakes_and_times_round_trip(pool: asyncpg.Pool):
    query = """
        INSERT INTO guild_settings (guild_id, recap_channel_id, announce, announce_since, updated_at)
        VALUES ($1, $2, true, $3, $3)
    """
    await pool.execute(query, GUILD, 2**63 - 1, NOW)
    row = await pool.fetchrow("SELECT * FROM guild_settings WHERE guild_id = $1", GUILD)
    assert row is not None
    assert (row["recap_channel_id"], row["announce_since"], row["spoiler_hours"]) == (2**63 - 1, NOW, 0)
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("UPDATE guild_settings SET spoiler_hours = 169 WHERE guild_id = $1", GUILD)


async def test_a_shared_race_needs_no_row_here_but_an_upload_does(pool: asyncpg.Pool):
    await _add_version(pool, round_=5, upload=False)  # the shared race lives in each process's SQLite
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await _add_version(pool, round_=5, upload=True)
    await _upload(pool)
    await _add_version(pool, round_=5, upload=True)  # the upload of the same round, beside the shared race
    with pytest.raises(asyncpg.UniqueViolationError):
        await _add_version(pool, round_=5, upload=True)


async def test_deleting_an_upload_deletes_what_hangs_on_it_and_nothing_of_the_shared_race(pool: asyncpg.Pool):
    await _upload(pool)
    for upload in (False, True):
        await _add_version(pool, round_=5, upload=upload)
        query = """
            INSERT INTO recap_posts (guild_id, series, season, round, upload, channel_id, message_id, version,
                                     published_by, published_at)
            VALUES ($1, 'truck', 2025, 5, $2, 1, 2, 1, 42, $3)
        """
        await pool.execute(query, GUILD, upload, NOW)
        query = """
            INSERT INTO guild_quotes (guild_id, series, season, round, upload, driver_key, speaker, text, source_url,
                                      added_by, created_at)
            VALUES ($1, 'truck', 2025, 5, $2, 'ann driver', 'Ann Driver', 'We won.', 'https://example.org/q', 42, $3)
        """
        await pool.execute(query, GUILD, upload, NOW)
    query = """
        INSERT INTO corrections (guild_id, series, season, round, author_id, summary, reason, created_at)
        VALUES ($1, 'truck', 2025, 5, 42, '#7 Bo Racer: finish 2 → 3', 'penalty', $2)
    """
    await pool.execute(query, GUILD, NOW)
    await pool.execute("DELETE FROM server_races WHERE guild_id = $1", GUILD)
    for table in ("server_entries", "corrections", "recap_versions", "recap_posts", "guild_quotes"):
        left = await pool.fetch(f"SELECT * FROM {table}")
        assert all(not row.get("upload", True) for row in left), table
    assert await pool.fetchval("SELECT count(*) FROM recap_posts WHERE NOT upload") == 1


async def test_a_correction_moves_the_other_finishers_in_one_statement(pool: asyncpg.Pool):
    await _upload(pool)
    # #07 from 1st to 3rd: the others move up one. UNIQUE (…, finish_pos) is checked at the statement's end.
    query = """
        UPDATE server_entries SET finish_pos = CASE WHEN car_number = '07' THEN 3 ELSE finish_pos - 1 END
        WHERE guild_id = $1 AND series = 'truck' AND season = 2025 AND round = 5
    """
    await pool.execute(query, GUILD)
    rows = await pool.fetch("SELECT car_number FROM server_entries ORDER BY finish_pos")
    assert [r["car_number"] for r in rows] == ["7", "11", "07"]
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute("UPDATE server_entries SET finish_pos = 1 WHERE car_number = '11'")


async def test_a_race_is_announced_once_per_server_and_kind(pool: asyncpg.Pool):
    query = """
        INSERT INTO announcements (guild_id, series, season, round, kind, created_at)
        VALUES ($1, 'truck', 2025, 5, 'results', $2)
        ON CONFLICT (guild_id, series, season, round, kind) DO NOTHING
        RETURNING id
    """
    assert await pool.fetchval(query, GUILD, NOW) is not None
    assert await pool.fetchval(query, GUILD, NOW) is None
