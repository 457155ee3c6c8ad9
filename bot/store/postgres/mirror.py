"""Copying servers' uploads and quotes from PostgreSQL, where they are kept, into the node's SQLite, where fans read.

PostgreSQL is the truth: an upload, its official mark and its corrections are written there first. Each node then
copies what changed into its own race store as an owner_guild_id race (bot.store.upload_copies), the process that
wrote it at once, every other one on hearing StoreChange("races", guild), and every one when it starts. Copying
compares PostgreSQL's data_version with the copy's, so it is cheap to repeat and writes only what is newer.

A server's quotes are copied the same way (bot.store.quote_copies), on hearing StoreChange("quotes", guild), keyed
by their PostgreSQL id: a quote is never edited, so a copy is written once and dropped when the quote is removed.
"""

import logging
from collections.abc import Collection, Sequence
from typing import Protocol, cast

import asyncpg

from bot.store.postgres.race_keys import RaceKeys
from bot.store.quote_copies import QuoteCopy
from bot.store.race_keys import DriverKey, RaceKey
from bot.store.records import EntryRecord
from bot.store.upload_copies import UploadCopy

log = logging.getLogger(__name__)


class NodeCopies(Protocol):
    """What copying needs of the node's race store: its copies of uploads (UploadCopies) and quotes (QuoteCopies)."""

    async def upload_copy_versions(self, guild_id: int | None = None) -> dict[RaceKey, int]:
        """Return the data_version of every upload the node holds, of one server or (None) of all."""
        ...

    async def write_upload_copy(self, copy: UploadCopy) -> int | None:
        """Store copy as the node's race of that upload; return its id, None if held already."""
        ...

    async def quote_copy_ids(self, guild_id: int | None = None) -> dict[int, int]:
        """Return PostgreSQL id -> node id of every quote copy the node holds, of one server or (None) of all."""
        ...

    async def quote_copy_id(self, guild_id: int, quote_id: int) -> int | None:
        """Return the PostgreSQL id of the node's quote quote_id when it is a copy of this server's, else None."""
        ...

    async def sync_quote_copies(
        self, copies: Sequence[QuoteCopy], present: Collection[int], guild_id: int | None = None
    ) -> dict[int, int]:
        """Write the copies the node lacks and drop those of quotes no longer present; return PG id -> node id."""
        ...


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


async def mirror_uploads(pool: asyncpg.Pool, store: NodeCopies, guild_id: int | None = None) -> int:
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


async def mirror_quotes(
    source: asyncpg.Pool | asyncpg.Connection, keys: RaceKeys, store: NodeCopies, guild_id: int | None = None
) -> dict[int, int]:
    """Make store's copies of a server's quotes (every server's when None) what source holds; return PG id -> node id.

    source is the pool, or a writer's connection inside its transaction (whose quote is then copied before it
    commits). A quote about a race the node does not hold yet is not copied; the next copy after it arrives is.
    """
    query = "SELECT * FROM guild_quotes WHERE $1::bigint IS NULL OR guild_id = $1 ORDER BY id"
    rows = await source.fetch(query, guild_id)
    held = await store.quote_copy_ids(guild_id)
    races: dict[RaceKey, int | None] = {}
    copies = []
    for row in rows:
        if row["id"] in held:
            continue
        key = RaceKey(row["series"], row["season"], row["round"], row["guild_id"] if row["upload"] else None)
        if key not in races:
            races[key] = await keys.id_of(key)
        if (race_id := races[key]) is None:
            log.debug("Quote %d is about %s, which this node does not hold yet", row["id"], key.label)
            continue
        driver_id = None
        if row["driver_key"] is not None:
            driver_id = await keys.driver_id_of(DriverKey(row["driver_nascar_id"], row["driver_key"]))
        copies.append(
            QuoteCopy(
                server_quote_id=row["id"],
                guild_id=row["guild_id"],
                race_id=race_id,
                driver_id=driver_id,
                speaker=row["speaker"],
                text=row["text"],
                context=row["context"],
                source_url=row["source_url"],
                added_by=row["added_by"],
                created_at=row["created_at"],
            )
        )
    present = {row["id"] for row in rows}
    if not copies and held.keys() <= present:
        return held
    return await store.sync_quote_copies(copies, present, guild_id)
