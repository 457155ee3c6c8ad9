"""What the store holds, in brief: which races have results, stage results and quotes, and how current each series is.

A bare /stages or /quote answers with the latest race that has what it shows, so which races have what is read in
one go (three sets of race ids) rather than race by race. How current each series is comes from its newest shared
race and from what the nascaR.data refresh remembers in the meta table, under the keys below.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.store.database import StoreBase
from bot.store.imports import SOURCE_CREDIT, SOURCE_KEY

# What the nascaR.data refresh remembers per series (its code: truck, nxs, cup), in the meta table. Fill in with
# refresh_key(series, ...) or REFRESHED_AT_KEY.format(series=...).
# When a refresh of the series last succeeded (the file imported, or found unchanged): ISO-8601 in UTC, such as
# '2025-06-02T10:14:03+00:00'. Absent until the first refresh succeeds.
REFRESHED_AT_KEY = "nascar_data:{series}:refreshed_at"
# Why the last refresh failed, in one line; absent or empty when the last refresh succeeded.
LAST_ERROR_KEY = "nascar_data:{series}:last_error"
RefreshFact = Literal["refreshed_at", "last_error", "changed_at", "next_at"]
# When a refresh last found the file changed and merged it (ISO-8601 UTC): this week's data is in once it is later
# than Monday's 10:00 UTC publication.
CHANGED_AT_KEY = "nascar_data:{series}:changed_at"
# When the running bot will next refresh the series (ISO-8601 UTC); absent when no running bot follows it.
NEXT_AT_KEY = "nascar_data:{series}:next_at"
_KEYS: dict[RefreshFact, str] = {
    "refreshed_at": REFRESHED_AT_KEY,
    "last_error": LAST_ERROR_KEY,
    "changed_at": CHANGED_AT_KEY,
    "next_at": NEXT_AT_KEY,
}

Holding = Literal["results", "stages", "quotes"]


def refresh_key(series: str, what: RefreshFact) -> str:
    """Return the meta key under which a series' refresh facts are remembered: 'nascar_data:truck:refreshed_at'."""
    return _KEYS[what].format(series=series)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which races have results (entries), stage results and quotes; the quotes per server (None: shared ones)."""

    results: frozenset[int]
    stages: frozenset[int]
    quotes: Mapping[int | None, frozenset[int]]

    def races_with(self, what: Holding, guild_id: int | None) -> frozenset[int]:
        """Return the ids of the races that have what a command shows, as a server sees them (its own quotes too)."""
        if what == "results":
            return self.results
        if what == "stages":
            return self.stages
        shared = self.quotes.get(None, frozenset())
        return shared | self.quotes.get(guild_id, frozenset()) if guild_id is not None else shared


@dataclass(frozen=True, slots=True)
class NewestRace:
    """A series' newest shared race, and whether the series' races came from nascaR.data (which asks for credit)."""

    series: str
    series_short: str
    season: int
    round: int
    race: str  # its name
    credit: str | None  # "DriverAverages.com via nascaR.data" when races of the series came from nascaR.data


@dataclass(frozen=True, slots=True)
class RefreshStatus:
    """What the nascaR.data refresh remembers of a series."""

    refreshed_at: dt.datetime | None  # None: never refreshed (or not remembered)
    last_error: str | None
    changed_at: dt.datetime | None = None  # when a changed file was last merged
    next_at: dt.datetime | None = None  # when the running bot refreshes it next (None: no bot follows it)


@dataclass(frozen=True, slots=True)
class SeriesFreshness:
    """How current one series' shared races are: its newest race, and when nascaR.data was last refreshed."""

    series: str
    series_short: str
    season: int
    round: int
    race: str  # the newest shared race's name
    credit: str | None
    refreshed_at: dt.datetime | None
    last_error: str | None
    next_at: dt.datetime | None = None  # when the running bot refreshes it next (None: not followed, or not yet)

    @classmethod
    def of(cls, newest: NewestRace, status: RefreshStatus | None) -> "SeriesFreshness":
        """Return a series' freshness from its newest race and what its refresh remembers (None: nothing)."""
        return cls(
            series=newest.series,
            series_short=newest.series_short,
            season=newest.season,
            round=newest.round,
            race=newest.race,
            credit=newest.credit,
            refreshed_at=status.refreshed_at if status else None,
            last_error=status.last_error if status else None,
            next_at=status.next_at if status else None,
        )


@dataclass(frozen=True, slots=True)
class SeriesCounts:
    """How many shared races and entries a series holds, by where the races' entries came from."""

    series: str
    series_short: str
    races: int
    entries: int
    curated: int  # races from data/
    nascar_data: int  # races nascaR.data alone wrote
    other: int  # races another source wrote


@dataclass(frozen=True, slots=True)
class DataStatus:
    """What /manage data shows: each series' counts and freshness, the sources stored and a server's uploads."""

    series: tuple[tuple[SeriesCounts, SeriesFreshness | None], ...]
    sources: int  # sources stored (every one a fact names)
    uploads: int  # races the asking server uploaded
    upload_entries: int


def _moment(text: str | None) -> dt.datetime | None:
    """Return a stored ISO-8601 time as an aware datetime (UTC when it names no zone), or None if unreadable."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None  # something else wrote the key: saying "never" beats inventing a time
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class CoverageReads(StoreBase):
    """Which races have what, and how current the store is."""

    async def coverage(self) -> Coverage:
        """Return the ids of the races with entries, with stage results, and with quotes (per server)."""
        results = frozenset(r[0] for r in await self._fetchall("SELECT DISTINCT race_id FROM entries"))
        stages = frozenset(r[0] for r in await self._fetchall("SELECT DISTINCT race_id FROM stage_results"))
        quotes: dict[int | None, set[int]] = {}
        for row in await self._fetchall("SELECT DISTINCT guild_id, race_id FROM quotes"):
            quotes.setdefault(row["guild_id"], set()).add(row["race_id"])
        return Coverage(results, stages, {guild: frozenset(ids) for guild, ids in quotes.items()})

    async def newest_races(self) -> list[NewestRace]:
        """Return, per series with shared races, its newest shared race and whether its races credit nascaR.data.

        They change only with the races (the catalog keeps them as long as its index); what a refresh remembers
        is read apart, by refresh_status, since it changes without them.
        """
        query = """
            SELECT series_id, series, series_short, season, round, race FROM (
                SELECT se.id AS series_id, se.name AS series, se.short_name AS series_short, sn.year AS season,
                       r.round, r.name AS race,
                       row_number() OVER (
                           PARTITION BY se.id
                           ORDER BY substr(r.race_date, 1, 4) DESC, r.round DESC, r.race_date DESC, r.id DESC
                       ) AS newest
                FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
                WHERE r.owner_guild_id IS NULL
            ) WHERE newest = 1 ORDER BY series
        """
        rows = await self._fetchall(query)
        credited = await self._series_from_nascar_data()
        return [
            NewestRace(
                series=row["series"],
                series_short=row["series_short"],
                season=row["season"],
                round=row["round"],
                race=row["race"],
                credit=SOURCE_CREDIT if row["series_id"] in credited else None,
            )
            for row in rows
        ]

    async def refresh_status(self, series: Sequence[str]) -> dict[str, RefreshStatus]:
        """Return what the nascaR.data refresh remembers of these series (by code), for those it remembers any."""
        keys = [refresh_key(code, what) for code in series for what in _KEYS]
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await self._fetchall(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)  # noqa: S608
        meta = {row["key"]: row["value"] for row in rows}
        return {
            code: RefreshStatus(
                refreshed_at=_moment(meta.get(refresh_key(code, "refreshed_at"))),
                last_error=meta.get(refresh_key(code, "last_error")) or None,
                changed_at=_moment(meta.get(refresh_key(code, "changed_at"))),
                next_at=_moment(meta.get(refresh_key(code, "next_at"))),
            )
            for code in series
            if any(refresh_key(code, what) in meta for what in _KEYS)
        }

    async def freshness(self) -> list[SeriesFreshness]:
        """Return, per series with shared races, its newest shared race and the last refresh it remembers."""
        newest = await self.newest_races()
        status = await self.refresh_status([n.series_short for n in newest])
        return [SeriesFreshness.of(n, status.get(n.series_short)) for n in newest]

    async def _series_from_nascar_data(self) -> set[int]:
        """Return the ids of the series with a shared race whose entries came from nascaR.data."""
        query = """
            SELECT DISTINCT sn.series_id FROM fact_sources fs
            JOIN sources s ON s.id = fs.source_id
            JOIN races r ON r.id = fs.subject_id
            JOIN seasons sn ON sn.id = r.season_id
            WHERE fs.subject = 'races' AND s.key = ? AND r.owner_guild_id IS NULL
        """
        return {row[0] for row in await self._fetchall(query, (SOURCE_KEY,))}

    async def data_status(self, guild_id: int | None) -> DataStatus:
        """Return each series' shared races and entries by origin, its freshness, the sources and a server's uploads."""
        query = """
            SELECT se.name AS series, se.short_name AS series_short, count(*) AS races,
                   coalesce(sum((SELECT count(*) FROM entries e WHERE e.race_id = r.id)), 0) AS entries,
                   coalesce(sum(r.curated), 0) AS curated,
                   coalesce(sum(NOT r.curated AND EXISTS (
                       SELECT 1 FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
                       WHERE fs.subject = 'races' AND fs.subject_id = r.id AND s.key = :source)), 0) AS nascar_data
            FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE r.owner_guild_id IS NULL
            GROUP BY se.id ORDER BY se.name
        """
        counts = [
            SeriesCounts(
                series=row["series"],
                series_short=row["series_short"],
                races=row["races"],
                entries=row["entries"],
                curated=row["curated"],
                nascar_data=row["nascar_data"],
                other=row["races"] - row["curated"] - row["nascar_data"],
            )
            for row in await self._fetchall(query, {"source": SOURCE_KEY})
        ]
        fresh = {f.series_short: f for f in await self.freshness()}
        query = """
            SELECT count(*) AS races,
                   coalesce(sum((SELECT count(*) FROM entries e WHERE e.race_id = r.id)), 0) AS entries
            FROM races r WHERE r.owner_guild_id = ?
        """
        uploads = await self._fetchone(query, (guild_id,))
        sources = await self._fetchone("SELECT count(*) FROM sources")
        return DataStatus(
            series=tuple((c, fresh.get(c.series_short)) for c in counts),
            sources=int(sources[0]) if sources else 0,
            uploads=int(uploads["races"]) if uploads else 0,
            upload_entries=int(uploads["entries"]) if uploads else 0,
        )
