"""Copying servers' uploads from PostgreSQL, where they are kept, into the node's SQLite, where fans read them.

PostgreSQL is the truth: an upload, its official mark and its corrections are written there first. Each node then
copies what changed into its own race store as an owner_guild_id race (bot.store.upload_copies), the process that
wrote it at once, every other one on hearing StoreChange("races", guild), and every one when it starts. Copying
compares PostgreSQL's data_version with the copy's, so it is cheap to repeat and writes only what is newer.
"""

import logging
from typing import cast

import asyncpg

from bot.store.race_keys import RaceKey
from bot.store.records import EntryRecord
from bot.store.upload_copies import UploadCopies, UploadCopy

log = logging.getLogger(__name__)


def _entry(row: asyncpg.Record) -> EntryRecord:
    return EntryRecord(
        finish=row["finish_pos"],
        start=row["start_pos"],
        car=row["car_number"],
        driver=row["driver"],
        team=row["team"],
        make=row["make"],
        sponsor=row["sponsor"],
        laps=row["laps_completed"],
        status=row["status"],
        laps_led=row["laps_led"],
        points=row["points"],
        points_eligible=row["eligibility"],
        stage_points=row["stage_points"],
        sources=tuple(row["sources"]),
        confidence=row["confidence"],
        notes=row["notes"],
    )


async def _upload(conn: asyncpg.Connection, race: asyncpg.Record) -> UploadCopy:
    """Return an upload, whose server_races row is race, with its entries as PostgreSQL holds them."""
    query = """
        SELECT * FROM server_entries WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4
        ORDER BY finish_pos NULLS LAST, car_number COLLATE "C"
    """
    rows = await conn.fetch(query, race["guild_id"], race["series"], race["season"], race["round"])
    return UploadCopy(
        guild_id=race["guild_id"],
        series=(race["series_name"], race["series"]),
        season=race["season"],
        round=race["round"],
        name=race["name"],
        track=race["track"],
        date=race["race_date"],
        results_status=race["results_status"],
        data_version=race["data_version"],
        entries=tuple(_entry(row) for row in rows),
    )


async def mirror_uploads(pool: asyncpg.Pool, store: UploadCopies, guild_id: int | None = None) -> int:
    """Copy a server's uploads (every server's when guild_id is None) into store where it lacks them; return how many.

    What PostgreSQL holds is read in one snapshot, then written to SQLite once its connection is back in the pool;
    the node keeps a copy newer than the one read (see UploadCopies.write_upload_copy).
    """
    held = await store.upload_copy_versions(guild_id)
    copies = []
    async with pool.acquire() as pooled:
        conn = cast(asyncpg.Connection, pooled)
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            query = "SELECT * FROM server_races WHERE $1::bigint IS NULL OR guild_id = $1"
            for race in await conn.fetch(query, guild_id):
                key = RaceKey(race["series"], race["season"], race["round"], race["guild_id"])
                if held.get(key, 0) < race["data_version"]:
                    copies.append(await _upload(conn, race))
    written = 0
    for copy in copies:
        if await store.write_upload_copy(copy) is not None:
            written += 1
    if written:
        log.info("Copied %d upload(s) from PostgreSQL into this node's race store", written)
    return written
