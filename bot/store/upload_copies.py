"""The node's copies of servers' uploads when PostgreSQL holds them: written as they are there, never edited here.

With DATABASE_URL set, a server's uploads live in PostgreSQL (bot.store.postgres.server_data), but fans' reads
(the catalog, search, careers) read the node's SQLite file. So each node keeps a copy of every upload as an
owner_guild_id race, written only by bot.store.postgres.mirror. A copy carries PostgreSQL's data_version, which goes
up with every change there, so a node can tell the copies it holds already from those it must write again.
Moving a server's data to PostgreSQL must carry each upload's data_version with it, or the node's newer-looking
copies of them are kept.
"""

import datetime as dt
from dataclasses import dataclass

from bot.store.loading import RaceLoading, season_id_for, series_id_for, upload_track_id_for
from bot.store.race_keys import RaceKey
from bot.store.records import EntryRecord


@dataclass(frozen=True, slots=True)
class UploadCopy:
    """One server's upload of a round as PostgreSQL holds it, to be copied into the node's race store."""

    guild_id: int
    series: tuple[str, str]  # full name, code
    season: int
    round: int
    name: str
    track: str
    date: dt.date
    results_status: str
    data_version: int
    entries: tuple[EntryRecord, ...]

    @property
    def key(self) -> RaceKey:
        """Return the upload's natural key."""
        return RaceKey(self.series[1], self.season, self.round, self.guild_id)


class UploadCopies(RaceLoading):
    """Writing and listing the node's copies of servers' uploads."""

    async def upload_copy_versions(self, guild_id: int | None = None) -> dict[RaceKey, int]:
        """Return the data_version of every upload the node holds, of one server or (None) of all."""
        query = """
            SELECT se.short_name AS series, sn.year, r.round, r.owner_guild_id, r.data_version
            FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE r.owner_guild_id IS NOT NULL AND (:guild IS NULL OR r.owner_guild_id = :guild)
        """
        rows = await self._fetchall(query, {"guild": guild_id})
        return {RaceKey(r["series"], r["year"], r["round"], r["owner_guild_id"]): r["data_version"] for r in rows}

    async def write_upload_copy(self, copy: UploadCopy) -> int | None:
        """Store copy as the node's race of that upload, replacing its entries; return its id, None if held already.

        A copy no newer than the node's (by data_version) is left out, so copying the same upload twice (two
        notices, a restart) writes nothing, and a copy read before a later change, by another process sharing
        this file, never overwrites that change's. Nothing is audited: the server's audit log is PostgreSQL's.
        """
        async with self._transaction() as conn:
            series_id = await series_id_for(conn, *copy.series)
            season_id = await season_id_for(conn, series_id, copy.season, None)
            query = "SELECT id, data_version FROM races WHERE season_id = ? AND round = ? AND owner_guild_id = ?"
            async with conn.execute(query, (season_id, copy.round, copy.guild_id)) as cursor:
                held = await cursor.fetchone()
            if held is not None and held["data_version"] >= copy.data_version:
                return None
            track_id = await upload_track_id_for(conn, copy.track)
            params = (copy.name, track_id, copy.date.isoformat(), copy.results_status, copy.data_version)
            if held is None:
                query = """
                    INSERT INTO races (name, track_id, race_date, results_status, data_version, season_id, round,
                                       curated, owner_guild_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id
                """
                async with conn.execute(query, (*params, season_id, copy.round, copy.guild_id)) as cursor:
                    row = await cursor.fetchone()
                assert row is not None  # RETURNING always yields the inserted row
                race_id = int(row[0])
            else:
                race_id = int(held["id"])
                # An entry's id is reused once it is gone, so its source links go with it.
                query = """
                    DELETE FROM fact_sources
                    WHERE subject = 'entries' AND subject_id IN (SELECT id FROM entries WHERE race_id = ?)
                """
                await conn.execute(query, (race_id,))
                await conn.execute("DELETE FROM entries WHERE race_id = ?", (race_id,))
                query = """
                    UPDATE races SET name = ?, track_id = ?, race_date = ?, results_status = ?, data_version = ?
                    WHERE id = ?
                """
                await conn.execute(query, (*params, race_id))
            await self._insert_entries(conn, race_id, copy.entries, {}, {}, guild_id=copy.guild_id)
        self._changed("races", copy.guild_id)
        return race_id
