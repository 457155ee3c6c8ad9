"""Read-only race queries: what fans ask for."""

import datetime as dt
from collections.abc import Sequence

import aiosqlite

from bot.store.database import StoreBase
from bot.store.models import (
    Driver,
    Entry,
    KeyMoment,
    Quote,
    Race,
    RaceCars,
    RaceNote,
    RaceSummary,
    Series,
    SourceLink,
    Stage,
    StageResult,
)
from bot.store.rows import (
    ARRIVAL,
    ENTRY_COLUMNS,
    ENTRY_FROM,
    SUMMARY_COLUMNS,
    SUMMARY_FROM,
    arrival,
    entry_of,
    summary_of,
)

# A server's upload of a round whose shared race Pit Board now holds (needs the alias r for races). That server's fans
# see the shared race instead, so the upload is left out of every list, default and count fans see; it stays
# stored, in the server's history. Every read that lists races a server sees leaves it out, as the index does.
REPLACED_UPLOAD = """
    (r.owner_guild_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM races held WHERE held.season_id = r.season_id AND held.round = r.round
                                   AND held.owner_guild_id IS NULL))
"""

# How packed_cars joins a race's entries and each entry's fields (car numbers are letters and digits only).
PACKED_ENTRY, PACKED_FIELD = "\x1e", "\x1f"


def unpack_cars(packed: str) -> RaceCars:
    """Return one race's cars from what packed_cars() gave for it, in entry order.

    A car number two entries share (a data error) keeps the later entry, as a dict filled in entry order would.
    """
    fields = sorted((item.split(PACKED_FIELD) for item in packed.split(PACKED_ENTRY)), key=lambda f: int(f[0]))
    cars: RaceCars = {}
    for _, car, driver_id, finish in fields:
        cars[car] = (int(driver_id), int(finish) if finish else None)
    return cars


def _quote(row: aiosqlite.Row) -> Quote:
    return Quote(
        id=row["id"],
        race_id=row["race_id"],
        race_label=f"{row['season']} {row['race_name']} ({row['track']})",
        driver_id=row["driver_id"],
        speaker=row["speaker"],
        role=row["role"],
        text=row["text"],
        context=row["context"],
        source_url=row["source_url"],
        confidence=row["confidence"],
        added_by=row["added_by"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


class RaceReads(StoreBase):
    """Queries behind the fan commands."""

    async def all_series(self) -> list[Series]:
        """Return every stored series."""
        query = "SELECT id, name, short_name FROM series ORDER BY name"
        return [Series(r["id"], r["name"], r["short_name"]) for r in await self._fetchall(query)]

    async def race_summaries(
        self, *, series_id: int | None = None, season: int | None = None, track_id: int | None = None
    ) -> list[RaceSummary]:
        """Return races newest first, optionally within one series, season or track; replaced uploads are left out."""
        query = f"""
            SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}
            WHERE (:series IS NULL OR se.id = :series)
              AND (:season IS NULL OR sn.year = :season)
              AND (:track IS NULL OR t.id = :track)
              AND NOT {REPLACED_UPLOAD}
            ORDER BY substr(r.race_date, 1, 4) DESC, r.round DESC, r.race_date DESC, r.id DESC
        """
        rows = await self._fetchall(query, {"series": series_id, "season": season, "track": track_id})
        return [summary_of(r) for r in rows]

    async def race(self, race_id: int) -> Race | None:
        """Return every fact of one race, or None."""
        query = f"""
            SELECT r.*, se.name AS series, se.short_name AS series_short, sn.year AS season, sn.rounds,
                   t.name AS track, t.location, t.length_miles,
                   fd.name AS fastest_lap_driver, {ARRIVAL} AS arrival,
                   (SELECT count(DISTINCT source_id) FROM fact_sources fs
                     WHERE (fs.subject = 'races' AND fs.subject_id = r.id)
                        OR (fs.subject = 'entries' AND fs.subject_id IN (SELECT id FROM entries WHERE race_id = r.id))
                   ) AS source_count
            {SUMMARY_FROM}
            LEFT JOIN drivers fd ON fd.id = r.fastest_lap_driver_id
            WHERE r.id = ?
        """  # noqa: S608 - fixed FROM clause
        row = await self._fetchone(query, (race_id,))
        if row is None:
            return None
        query = "SELECT number, first_lap, last_lap FROM race_stages WHERE race_id = ? ORDER BY number"
        stages = tuple(
            Stage(s["number"], s["first_lap"], s["last_lap"]) for s in await self._fetchall(query, (race_id,))
        )
        return Race(
            id=row["id"],
            series=row["series"],
            series_short=row["series_short"],
            season=row["season"],
            round=row["round"],
            rounds_in_season=row["rounds"],
            name=row["name"],
            track=row["track"],
            location=row["location"],
            track_length_miles=row["length_miles"],
            date=dt.date.fromisoformat(row["race_date"]),
            start_time_local=row["start_time_local"],
            scheduled_laps=row["scheduled_laps"],
            laps_run=row["laps_run"],
            distance_miles=row["distance_miles"],
            stages=stages,
            pole_entry_id=row["pole_entry_id"],
            pole_time_s=row["pole_time_s"],
            pole_speed_mph=row["pole_speed_mph"],
            margin_s=row["margin_s"],
            fastest_lap_driver=row["fastest_lap_driver"],
            fastest_lap_s=row["fastest_lap_s"],
            fastest_lap_mph=row["fastest_lap_mph"],
            leaders=row["leaders"],
            lead_changes=row["lead_changes"],
            cautions=row["cautions"],
            caution_laps=row["caution_laps"],
            average_speed_mph=row["average_speed_mph"],
            race_duration=row["race_duration"],
            attendance=row["attendance"],
            purse_usd=row["purse_usd"],
            weather=row["weather"],
            tv_network=row["tv_network"],
            results_status=row["results_status"],
            curated=bool(row["curated"]),
            data_version=row["data_version"],
            source_count=row["source_count"],
            date_precision=row["date_precision"],
            arrived_at=arrival(row["arrival"]),
            start_utc=arrival(row["start_utc"]),
        )

    async def entries(self, race_id: int) -> list[Entry]:
        """Return a race's entries in finishing order (unknown finishes last)."""
        query = f"""
            SELECT {ENTRY_COLUMNS} {ENTRY_FROM}
            WHERE e.race_id = ?
            ORDER BY e.finish_pos IS NULL, e.finish_pos, e.id
        """
        return [entry_of(r) for r in await self._fetchall(query, (race_id,))]

    async def stage_results(self, race_id: int, entries: Sequence[Entry] | None = None) -> list[StageResult]:
        """Return every stage position of a race, unresolved ones with their candidates.

        Give the race's entries when they were just read: they are not read again, and the stage results then
        point at those very entries.
        """
        by_id = {e.id: e for e in (await self.entries(race_id) if entries is None else entries)}
        query = """
            SELECT sr.id, sr.stage, sr.position, sr.entry_id, sr.points, sr.confidence, sr.basis,
                   (SELECT group_concat(sc.entry_id) FROM
                      (SELECT entry_id FROM stage_candidates WHERE stage_result_id = sr.id ORDER BY ordinal) sc
                   ) AS candidate_ids
            FROM stage_results sr
            WHERE sr.race_id = ?
            ORDER BY sr.stage, sr.position
        """
        results = []
        for row in await self._fetchall(query, (race_id,)):
            candidate_ids = [int(i) for i in row["candidate_ids"].split(",")] if row["candidate_ids"] else []
            results.append(
                StageResult(
                    stage=row["stage"],
                    position=row["position"],
                    entry=by_id.get(row["entry_id"]) if row["entry_id"] is not None else None,
                    candidates=tuple(by_id[i] for i in candidate_ids),
                    points=row["points"],
                    confidence=row["confidence"],
                    basis=row["basis"],
                )
            )
        return results

    async def key_moments(self, race_id: int) -> list[KeyMoment]:
        """Return a race's key moments in race order."""
        query = """
            SELECT ordinal, lap, laps_to_go, when_text, summary FROM key_moments
            WHERE race_id = ? ORDER BY ordinal
        """
        rows = await self._fetchall(query, (race_id,))
        return [KeyMoment(r["ordinal"], r["lap"], r["laps_to_go"], r["when_text"], r["summary"]) for r in rows]

    async def race_notes(self, race_id: int, kind: str | None = None) -> list[RaceNote]:
        """Return the race's notes (conflicts between sources, unknown facts, corrections)."""
        query = "SELECT kind, topic, text FROM race_notes WHERE race_id = ? AND (? IS NULL OR kind = ?) ORDER BY id"
        rows = await self._fetchall(query, (race_id, kind, kind))
        return [RaceNote(r["kind"], r["topic"], r["text"]) for r in rows]

    async def race_sources(self, race_id: int) -> list[SourceLink]:
        """Return the distinct sources behind a race's facts."""
        query = """
            SELECT s.key, s.description, min(fs.confidence) AS confidence
            FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
            WHERE (fs.subject = 'races' AND fs.subject_id = ?)
               OR (fs.subject = 'entries' AND fs.subject_id IN (SELECT id FROM entries WHERE race_id = ?))
            GROUP BY s.id ORDER BY s.key
        """
        rows = await self._fetchall(query, (race_id, race_id))
        return [SourceLink(r["key"], r["description"], r["confidence"]) for r in rows]

    async def quotes(
        self,
        *,
        race_id: int | None = None,
        driver_id: int | None = None,
        words: str | None = None,
        guild_id: int | None = None,
    ) -> list[Quote]:
        """Return quotes matching every filter given, the shipped ones and this server's own."""
        query = f"""
            SELECT q.*, sn.year AS season, r.name AS race_name, t.name AS track
            FROM quotes q
            JOIN races r ON r.id = q.race_id
            JOIN seasons sn ON sn.id = r.season_id
            JOIN tracks t ON t.id = r.track_id
            WHERE (:race IS NULL OR q.race_id = :race)
              AND (:driver IS NULL OR q.driver_id = :driver)
              AND (:words IS NULL OR instr(lower(q.text), lower(:words)) > 0
                   OR instr(lower(coalesce(q.context, '')), lower(:words)) > 0)
              AND (q.guild_id IS NULL OR q.guild_id = :guild)
              AND NOT {REPLACED_UPLOAD}
            ORDER BY substr(r.race_date, 1, 4) DESC, r.round DESC, r.race_date DESC, q.id
        """  # noqa: S608 - a fixed clause, values are parameters
        params = {"race": race_id, "driver": driver_id, "words": words or None, "guild": guild_id}
        return [_quote(r) for r in await self._fetchall(query, params)]

    async def drivers(self) -> list[Driver]:
        """Return every driver with their aliases."""
        query = """
            SELECT d.id, d.name, group_concat(a.alias, char(31)) AS aliases
            FROM drivers d LEFT JOIN driver_aliases a ON a.driver_id = d.id
            GROUP BY d.id ORDER BY d.name
        """
        rows = await self._fetchall(query)
        return [Driver(r["id"], r["name"], tuple(r["aliases"].split("\x1f")) if r["aliases"] else ()) for r in rows]

    async def packed_cars(self) -> dict[int, str]:
        """Return race id -> its entries' 'entry id, car, driver id, finish', for finding a driver by car.

        Packed into one string per race (fields joined by PACKED_FIELD, entries by PACKED_ENTRY, in no set
        order): SQLite builds them, and search unpacks only the races fans ask about, so a whole history is
        one short string per race rather than a Python tuple per result.
        """
        query = """
            SELECT race_id, group_concat(id || char(31) || car_number || char(31) || driver_id || char(31)
                                         || coalesce(finish_pos, ''), char(30)) AS packed
            FROM entries GROUP BY race_id
        """
        return {r["race_id"]: r["packed"] for r in await self._fetchall(query)}

    async def drivers_by_owner(self) -> dict[int | None, frozenset[int]]:
        """Return the ids of the drivers with an entry in the shared races (key None) and in each server's uploads.

        An upload that shared results replaced counts for nobody: a name only it holds is offered to no one.
        """
        query = f"""
            SELECT DISTINCT r.owner_guild_id AS owner, e.driver_id FROM entries e JOIN races r ON r.id = e.race_id
            WHERE NOT {REPLACED_UPLOAD}
        """  # noqa: S608 - a fixed clause
        found: dict[int | None, set[int]] = {}
        for row in await self._fetchall(query):
            found.setdefault(row["owner"], set()).add(row["driver_id"])
        return {owner: frozenset(ids) for owner, ids in found.items()}

    async def race_owners(self) -> dict[int, int]:
        """Return race id -> server id for the races a server uploaded itself (only that server sees them).

        An upload that shared results replaced is left out, as race_summaries leaves it out.
        """
        query = f"""
            SELECT r.id, r.owner_guild_id FROM races r WHERE r.owner_guild_id IS NOT NULL AND NOT {REPLACED_UPLOAD}
        """  # noqa: S608 - a fixed clause
        return {r["id"]: r["owner_guild_id"] for r in await self._fetchall(query)}

    def rows_written(self) -> int:
        """Return how many rows this connection has changed since it opened: free to read, so caches see own writes."""
        return self._conn.total_changes

    async def catalog_version(self) -> tuple[int, ...]:
        """Return a cheap fingerprint of the races, drivers and tracks; it changes whenever any of them does."""
        query = """
            SELECT (SELECT count(*) FROM races) AS races,
                   (SELECT coalesce(sum(data_version), 0) FROM races) AS versions,
                   (SELECT coalesce(max(id), 0) FROM races) AS newest,
                   (SELECT count(*) FROM drivers) AS drivers,
                   (SELECT count(*) FROM driver_aliases) AS aliases,
                   (SELECT count(*) FROM tracks) AS tracks
        """
        row = await self._fetchone(query)
        assert row is not None  # an aggregate SELECT always answers one row
        return tuple(int(value) for value in row)

    async def tracks(self) -> list[tuple[int, str]]:
        """Return (id, name) of every track."""
        return [(r["id"], r["name"]) for r in await self._fetchall("SELECT id, name FROM tracks ORDER BY name")]

    async def table_counts(self, tables: Sequence[str]) -> dict[str, int]:
        """Return the row count of each named table (names come from the schema, never from users)."""
        counts = {}
        for table in tables:
            row = await self._fetchone(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - schema table names
            counts[table] = int(row[0]) if row else 0
        return counts
