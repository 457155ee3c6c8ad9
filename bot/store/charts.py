"""Read-only queries behind the race charts: a season's races with their entries, and the entries' sources."""

from dataclasses import dataclass

from bot.store.database import StoreBase
from bot.store.models import Entry, RaceSummary, SourceLink
from bot.store.races import REPLACED_UPLOAD
from bot.store.rows import ENTRY_COLUMNS, ENTRY_FROM, SUMMARY_COLUMNS, SUMMARY_FROM, entry_of, summary_of


@dataclass(frozen=True, slots=True)
class SeasonRace:
    """One race of a season with its data version and entries, for points after each race."""

    race: RaceSummary
    data_version: int
    entries: tuple[Entry, ...]


class ChartReads(StoreBase):
    """Queries the chart service needs beyond one race's facts."""

    async def season_races(self, race_id: int, *, guild_id: int | None = None) -> list[SeasonRace]:
        """Return the races of race_id's series and season up to and including it, in race order.

        The round is a race's place among the season's points races; dates can't order them, since a race imported
        from nascaR.data knows only its season (stored as 1 January).

        Only races a server can see count: shared ones, plus its own uploads when guild_id is given.
        """
        query = f"""
            SELECT {SUMMARY_COLUMNS}, r.data_version
            {SUMMARY_FROM}
            JOIN races this ON this.id = :race AND this.season_id = r.season_id
            WHERE r.round <= this.round
              AND (r.owner_guild_id IS NULL OR r.owner_guild_id = :guild OR r.id = this.id)
              AND (NOT {REPLACED_UPLOAD} OR r.id = this.id)
            ORDER BY r.round, r.race_date
        """
        races = await self._fetchall(query, {"race": race_id, "guild": guild_id})
        if not races:
            return []
        ids = [row["id"] for row in races]
        query = f"""
            SELECT {ENTRY_COLUMNS} {ENTRY_FROM}
            WHERE e.race_id IN ({",".join("?" * len(ids))})
            ORDER BY e.race_id, e.finish_pos IS NULL, e.finish_pos, e.id
        """
        by_race: dict[int, list[Entry]] = {race_id: [] for race_id in ids}
        for row in await self._fetchall(query, ids):
            by_race[row["race_id"]].append(entry_of(row))
        return [SeasonRace(summary_of(row), row["data_version"], tuple(by_race[row["id"]])) for row in races]

    async def entry_sources(self, race_id: int) -> list[SourceLink]:
        """Return the distinct sources behind a race's entries (finishes, starts, laps led, points)."""
        query = """
            SELECT s.key, s.description, min(fs.confidence) AS confidence
            FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
            WHERE fs.subject = 'entries' AND fs.subject_id IN (SELECT id FROM entries WHERE race_id = ?)
            GROUP BY s.id ORDER BY count(*) DESC, s.key
        """
        rows = await self._fetchall(query, (race_id,))
        return [SourceLink(r["key"], r["description"], r["confidence"]) for r in rows]
