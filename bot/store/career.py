"""Read-only queries over whole histories: careers, leaderboards, a track's winners, head-to-heads, milestones.

Each is one indexed query over entries (plus, at most, a lookup of the reference race), so it stays quick with
hundreds of thousands of results stored.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.database import StoreBase
from bot.store.models import Driver, Entry, RaceSummary
from bot.store.races import REPLACED_UPLOAD
from bot.store.rows import ENTRY_COLUMNS, entry_of
from bot.wording import ordinal

# Races up to and including the as_of race (needs the aliases r for races and sn for seasons, and the parameters
# of _as_of_params). Within its series and season a race's round orders it; races of other series that season
# count only when both dates are known to the day and theirs came first, since an imported race knows only its year.
AS_OF_CLAUSE = """
    (:as_of_year IS NULL
     OR sn.year < :as_of_year
     OR (sn.year = :as_of_year AND sn.series_id = :as_of_series AND r.round <= :as_of_round)
     OR (sn.year = :as_of_year AND sn.series_id != :as_of_series AND r.date_precision = 'day'
         AND :as_of_precision = 'day' AND r.race_date < :as_of_date))
"""
# Races a server can see: the shared ones, plus its own uploads but those shared results replaced (as the index
# has them, so a count never holds a round twice); :exclude is a JSON list of race ids to leave out (races still
# in a server's spoiler window).
_VISIBLE = f"(r.owner_guild_id IS NULL OR (r.owner_guild_id = :guild AND NOT {REPLACED_UPLOAD}))"
_NOT_EXCLUDED = "r.id NOT IN (SELECT value FROM json_each(:exclude))"


@dataclass(frozen=True, slots=True)
class TrackWin:
    """The winner of one race at a track (driver None: no winner is stored for that race)."""

    race_id: int
    season: int
    round: int
    series_short: str
    race_name: str
    driver_id: int | None
    driver: str | None
    car: str | None
    start: int | None


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """A record at a track, counted from the stored races, with everyone who holds it."""

    label: str
    value: str
    holders: tuple[str, ...]  # 'Corey Heim', or 'Corey Heim (2025 Baptist Health 200)' for a one-race record


@dataclass(frozen=True, slots=True)
class TrackHistory:
    """A track's stored races: winners oldest first, and records."""

    wins: tuple[TrackWin, ...]
    records: tuple[TrackRecord, ...]

    def most_wins(self) -> tuple[int, tuple[str, ...]]:
        """Return the most wins any driver has here and who has that many (first to get there first)."""
        counts: dict[str, int] = {}
        for win in self.wins:
            if win.driver is not None:
                counts[win.driver] = counts.get(win.driver, 0) + 1
        if not counts:
            return 0, ()
        best = max(counts.values())
        return best, tuple(name for name, count in counts.items() if count == best)


@dataclass(frozen=True, slots=True)
class HeadToHead:
    """Two drivers in the races both started (within some filters)."""

    races: int
    a_ahead: int
    b_ahead: int
    a_wins: int
    b_wins: int
    a_average: float | None
    b_average: float | None
    first_season: int | None
    last_season: int | None


@dataclass(frozen=True, slots=True)
class StoredSeason:
    """The rounds of one season of a series that a server can see, up to a race (for WinnerHistory.has_gap)."""

    year: int
    rounds: int | None  # the season's round count, when a curated race gave it
    stored: int
    first_round: int
    last_round: int

    @property
    def contiguous(self) -> bool:
        """Return whether the stored rounds are exactly 1 to the last one (rounds are unique within a season)."""
        return self.first_round == 1 and self.last_round == self.stored


def has_gap(seasons: Sequence[StoredSeason], *, season: int, round_: int) -> bool:
    """Return whether a round is missing from the first stored season up to (not including) season's round_.

    A past season counts as whole when its rounds run from 1 without a hole, to its round count where known;
    the race's own season needs rounds 1 to round_ - 1.
    """
    if not seasons:
        return False
    by_year = {s.year: s for s in seasons}
    for year in range(seasons[0].year, season):
        stored = by_year.get(year)
        if stored is None or not stored.contiguous or (stored.rounds is not None and stored.last_round < stored.rounds):
            return True
    if round_ <= 1:
        return False
    current = by_year.get(season)
    return current is None or not current.contiguous or current.last_round != round_ - 1


@dataclass(frozen=True, slots=True)
class WinnerHistory:
    """A race's winner and their stored history in its series up to that race, for milestone lines."""

    race_id: int
    driver: str
    car: str
    series: str
    series_short: str
    season: int
    finishes: tuple[int | None, ...]  # the winner's series finishes up to and including this race, newest first
    car_wins_before: int  # earlier wins in the series by this car number, whoever drove it
    earlier_races: int  # stored races of the series before this one
    first_season_stored: int | None  # the earliest stored season of the series
    # A round is missing between first_season_stored and this race, so counts hold only for the races stored.
    # The store always sets it; the default serves histories built by hand.
    has_gap: bool = False

    @property
    def starts(self) -> int:
        """Return the winner's series starts up to and including this race."""
        return len(self.finishes)

    @property
    def wins(self) -> int:
        """Return the winner's series wins up to and including this race."""
        return sum(finish == 1 for finish in self.finishes)


class CareerReads(StoreBase):
    """Questions answered from everything stored."""

    async def _as_of_params(self, as_of: RaceSummary | None) -> dict[str, Any]:
        """Return the parameters of AS_OF_CLAUSE for a reference race (all None: no limit)."""
        keys = ("as_of_year", "as_of_series", "as_of_round", "as_of_date", "as_of_precision")
        if as_of is None:
            return dict.fromkeys(keys)
        query = """
            SELECT sn.year, sn.series_id, r.round, r.race_date, r.date_precision
            FROM races r JOIN seasons sn ON sn.id = r.season_id WHERE r.id = ?
        """
        row = await self._fetchone(query, (as_of.id,))
        if row is None:  # the race is gone: nothing is 'up to' it
            return dict(zip(keys, (-1, -1, -1, "", "day"), strict=True))
        return dict(zip(keys, tuple(row), strict=True))

    async def career_entries(
        self,
        driver_id: int,
        *,
        series_id: int | None = None,
        track_id: int | None = None,
        season: int | None = None,
        as_of: RaceSummary | None = None,
        guild_id: int | None = None,
    ) -> list[Entry]:
        """Return a driver's entries, newest race first, up to and including as_of.

        Ordered and cut by season and round, not by date, because imported races know only their year.
        Within a season, other series' races are ordered by round. The races themselves come from the
        search index (Catalog.career_results): looking up each race's winner again here cost 4 of the 5 ms
        a 600-start career took.
        """
        query = f"""
            SELECT {ENTRY_COLUMNS}
            FROM entries e
            CROSS JOIN races r ON r.id = e.race_id
            JOIN seasons sn ON sn.id = r.season_id
            JOIN drivers d ON d.id = e.driver_id
            LEFT JOIN teams tm ON tm.id = e.team_id
            WHERE e.driver_id = :driver
              AND (:series IS NULL OR sn.series_id = :series)
              AND (:track IS NULL OR r.track_id = :track)
              AND (:season IS NULL OR sn.year = :season)
              AND {AS_OF_CLAUSE}
              AND {_VISIBLE}
            ORDER BY sn.year DESC, r.round DESC, r.race_date DESC, r.id DESC
        """  # noqa: S608 - fixed clauses, values are parameters
        params = {"driver": driver_id, "series": series_id, "track": track_id, "season": season, "guild": guild_id}
        return [entry_of(r) for r in await self._fetchall(query, params | await self._as_of_params(as_of))]

    async def wins_leaderboard(
        self,
        *,
        series_id: int | None = None,
        track_id: int | None = None,
        season: int | None = None,
        as_of: RaceSummary | None = None,
        guild_id: int | None = None,
        exclude: Sequence[int] = (),
    ) -> list[tuple[Driver, int, int]]:
        """Return (driver, wins, starts) for every driver with a win, most wins first, up to and including as_of.

        The races in exclude (held back for spoilers) are left out.
        """
        # Over a whole history the quickest plan reads the covering driver index in order and looks each race up
        # (CROSS JOIN keeps SQLite to that order); a track or season picks few races, so then let SQLite choose.
        join = "JOIN" if track_id is not None or season is not None else "CROSS JOIN"
        # Only when there is something to leave out, so the usual question keeps its plan.
        excluded = f"AND {_NOT_EXCLUDED}" if exclude else ""
        query = f"""
            SELECT e.driver_id AS id, d.name, sum(e.finish_pos = 1) AS wins, count(*) AS starts
            FROM entries e
            {join} races r ON r.id = e.race_id
            {join} seasons sn ON sn.id = r.season_id
            JOIN drivers d ON d.id = e.driver_id
            WHERE (:series IS NULL OR sn.series_id = :series)
              AND (:track IS NULL OR r.track_id = :track)
              AND (:season IS NULL OR sn.year = :season)
              AND {AS_OF_CLAUSE}
              AND {_VISIBLE} {excluded}
            GROUP BY e.driver_id
            HAVING wins > 0
            ORDER BY wins DESC, starts ASC, d.name
        """  # noqa: S608 - fixed clauses, values are parameters
        params = {
            "series": series_id,
            "track": track_id,
            "season": season,
            "guild": guild_id,
            "exclude": json.dumps(list(exclude)),
        }
        rows = await self._fetchall(query, params | await self._as_of_params(as_of))
        return [(Driver(r["id"], r["name"], ()), r["wins"], r["starts"]) for r in rows]

    async def track_history(
        self,
        track_id: int,
        *,
        series_id: int | None = None,
        guild_id: int | None = None,
        exclude: Sequence[int] = (),
    ) -> TrackHistory:
        """Return a track's stored races with their winners (oldest first) and the records set there."""
        params = {"track": track_id, "series": series_id, "guild": guild_id, "exclude": json.dumps(list(exclude))}
        query = f"""
            SELECT r.id, sn.year, r.round, se.short_name, r.name, e.driver_id, d.name AS driver, e.car_number,
                   e.start_pos
            FROM races r
            JOIN seasons sn ON sn.id = r.season_id
            JOIN series se ON se.id = sn.series_id
            LEFT JOIN entries e ON e.race_id = r.id AND e.finish_pos = 1
            LEFT JOIN drivers d ON d.id = e.driver_id
            WHERE r.track_id = :track AND (:series IS NULL OR sn.series_id = :series) AND {_VISIBLE} AND {_NOT_EXCLUDED}
            ORDER BY sn.year, se.short_name, r.round
        """  # noqa: S608 - fixed clauses, values are parameters
        wins = tuple(
            TrackWin(
                r["id"],
                r["year"],
                r["round"],
                r["short_name"],
                r["name"],
                r["driver_id"],
                r["driver"],
                r["car_number"],
                r["start_pos"],
            )
            for r in await self._fetchall(query, params)
        )
        return TrackHistory(wins, tuple(await self._track_records(params, wins)))

    async def _track_records(self, params: dict[str, Any], wins: tuple[TrackWin, ...]) -> list[TrackRecord]:
        """Return the records at a track that the stored results hold; a shared record names every holder."""
        where = f"""
            r.track_id = :track AND (:series IS NULL OR sn.series_id = :series) AND {_VISIBLE} AND {_NOT_EXCLUDED}
        """
        records: list[TrackRecord] = []
        query = f"""
            SELECT name, starts FROM (
                SELECT d.name, count(*) AS starts, rank() OVER (ORDER BY count(*) DESC) AS place
                FROM entries e
                JOIN races r ON r.id = e.race_id JOIN seasons sn ON sn.id = r.season_id
                JOIN drivers d ON d.id = e.driver_id
                WHERE {where}
                GROUP BY e.driver_id
            ) WHERE place = 1 ORDER BY name
        """  # noqa: S608 - fixed clauses, values are parameters
        rows = await self._fetchall(query, params)
        if rows and rows[0]["starts"] > 1:  # after one race everyone has one start: no record to tell
            records.append(TrackRecord("Most starts", str(rows[0]["starts"]), tuple(r["name"] for r in rows)))
        query = f"""
            SELECT e.laps_led, d.name, sn.year, r.name AS race FROM entries e
            JOIN races r ON r.id = e.race_id JOIN seasons sn ON sn.id = r.season_id
            JOIN drivers d ON d.id = e.driver_id
            WHERE {where} AND e.laps_led = (
                SELECT max(e.laps_led) FROM entries e JOIN races r ON r.id = e.race_id
                JOIN seasons sn ON sn.id = r.season_id WHERE {where}
            ) AND e.laps_led > 0
            ORDER BY sn.year, r.round
        """  # noqa: S608 - fixed clauses, values are parameters
        rows = await self._fetchall(query, params)
        if rows:
            holders = tuple(f"{r['name']} ({r['year']} {r['race']})" for r in rows)
            records.append(TrackRecord("Most laps led in a race", str(rows[0]["laps_led"]), holders))
        started = [w for w in wins if w.start is not None and w.driver is not None]
        if started:
            furthest = max(w.start or 0 for w in started)
            holders = tuple(f"{w.driver} ({w.season} {w.race_name})" for w in started if w.start == furthest)
            records.append(TrackRecord("Won from furthest back", f"from {ordinal(furthest)}", holders))
        # Race-level facts that only curated races hold; each counts where it was recorded.
        query = f"""
            SELECT r.pole_speed_mph AS shown, pd.name AS holder, sn.year, r.name AS race
            FROM races r JOIN seasons sn ON sn.id = r.season_id
            LEFT JOIN entries pe ON pe.id = r.pole_entry_id LEFT JOIN drivers pd ON pd.id = pe.driver_id
            WHERE {where} AND r.pole_speed_mph IS NOT NULL
            ORDER BY CAST(r.pole_speed_mph AS REAL) DESC, sn.year LIMIT 1
        """  # noqa: S608 - fixed clauses, values are parameters
        row = await self._fetchone(query, params)
        if row is not None:
            holder = f"{row['holder'] or 'pole sitter not recorded'} ({row['year']} {row['race']})"
            records.append(TrackRecord("Fastest pole", f"{row['shown']} mph", (holder,)))
        query = f"""
            SELECT r.margin_s AS shown, wd.name AS holder, sn.year, r.name AS race
            FROM races r JOIN seasons sn ON sn.id = r.season_id
            LEFT JOIN entries we ON we.race_id = r.id AND we.finish_pos = 1 LEFT JOIN drivers wd ON wd.id = we.driver_id
            WHERE {where} AND r.margin_s IS NOT NULL
            ORDER BY CAST(r.margin_s AS REAL), sn.year LIMIT 1
        """  # noqa: S608 - fixed clauses, values are parameters
        row = await self._fetchone(query, params)
        if row is not None:
            holder = f"{row['holder'] or 'winner not recorded'} ({row['year']} {row['race']})"
            records.append(TrackRecord("Closest winning margin", f"{row['shown']} s", (holder,)))
        return records

    async def head_to_head(
        self,
        driver_a: int,
        driver_b: int,
        *,
        series_id: int | None = None,
        track_id: int | None = None,
        guild_id: int | None = None,
        exclude: Sequence[int] = (),
    ) -> HeadToHead:
        """Return how two drivers fared in the races both started: who finished ahead, wins, average finish."""
        query = f"""
            SELECT count(*) AS races,
                   coalesce(sum(a.finish_pos < b.finish_pos), 0) AS a_ahead,
                   coalesce(sum(b.finish_pos < a.finish_pos), 0) AS b_ahead,
                   coalesce(sum(a.finish_pos = 1), 0) AS a_wins,
                   coalesce(sum(b.finish_pos = 1), 0) AS b_wins,
                   avg(a.finish_pos) AS a_average,
                   avg(b.finish_pos) AS b_average,
                   min(sn.year) AS first_season,
                   max(sn.year) AS last_season
            FROM entries a
            JOIN entries b ON b.race_id = a.race_id AND b.driver_id = :b
            JOIN races r ON r.id = a.race_id
            JOIN seasons sn ON sn.id = r.season_id
            WHERE a.driver_id = :a
              AND (:series IS NULL OR sn.series_id = :series)
              AND (:track IS NULL OR r.track_id = :track)
              AND {_VISIBLE} AND {_NOT_EXCLUDED}
        """  # noqa: S608 - fixed clauses, values are parameters
        params = {
            "a": driver_a,
            "b": driver_b,
            "series": series_id,
            "track": track_id,
            "guild": guild_id,
            "exclude": json.dumps(list(exclude)),
        }
        row = await self._fetchone(query, params)
        assert row is not None  # an aggregate SELECT always answers one row
        return HeadToHead(**dict(row))

    async def winner_history(self, race_id: int, *, guild_id: int | None = None) -> WinnerHistory | None:
        """Return a race's winner with their series history up to it, or None when the race has no stored winner."""
        query = """
            SELECT r.id, sn.year, sn.series_id, se.name AS series, se.short_name, r.round, r.race_date,
                   r.date_precision, e.car_number, d.id AS driver_id, d.name AS driver
            FROM races r
            JOIN seasons sn ON sn.id = r.season_id
            JOIN series se ON se.id = sn.series_id
            JOIN entries e ON e.race_id = r.id AND e.finish_pos = 1
            JOIN drivers d ON d.id = e.driver_id
            WHERE r.id = ?
        """
        race = await self._fetchone(query, (race_id,))
        if race is None:
            return None
        params = {
            "series": race["series_id"],
            "year": race["year"],
            "round": race["round"],
            "guild": guild_id,
            "driver": race["driver_id"],
            "car": race["car_number"],
        }
        # Within one series, season and round order races exactly. CROSS JOIN keeps SQLite to the driver's own
        # entries first (hundreds), rather than every race of the series (thousands) probed for the driver.
        query = f"""
            SELECT e.finish_pos FROM entries e
            CROSS JOIN races r ON r.id = e.race_id CROSS JOIN seasons sn ON sn.id = r.season_id
            WHERE e.driver_id = :driver AND sn.series_id = :series
              AND (sn.year < :year OR (sn.year = :year AND r.round <= :round)) AND {_VISIBLE}
            ORDER BY sn.year DESC, r.round DESC
        """  # noqa: S608 - fixed clauses, values are parameters
        finishes = tuple(r["finish_pos"] for r in await self._fetchall(query, params))
        query = f"""
            SELECT count(*) FROM races r
            JOIN seasons sn ON sn.id = r.season_id
            JOIN entries e ON e.race_id = r.id AND e.finish_pos = 1
            WHERE sn.series_id = :series AND e.car_number = :car
              AND (sn.year < :year OR (sn.year = :year AND r.round < :round)) AND {_VISIBLE}
        """  # noqa: S608 - fixed clauses, values are parameters
        car_wins = await self._fetchone(query, params)
        # One row per season (a few dozen at most), so telling whether a round is missing costs no more than
        # counting the earlier races did.
        query = f"""
            SELECT sn.year, sn.rounds, count(*) AS stored, min(r.round) AS first_round, max(r.round) AS last_round
            FROM races r JOIN seasons sn ON sn.id = r.season_id
            WHERE sn.series_id = :series AND (sn.year < :year OR (sn.year = :year AND r.round < :round))
              AND {_VISIBLE}
            GROUP BY sn.year ORDER BY sn.year
        """  # noqa: S608 - fixed clauses, values are parameters
        seasons = [
            StoredSeason(r["year"], r["rounds"], r["stored"], r["first_round"], r["last_round"])
            for r in await self._fetchall(query, params)
        ]
        assert car_wins is not None  # an aggregate SELECT always answers one row
        return WinnerHistory(
            race_id=race_id,
            driver=race["driver"],
            car=race["car_number"],
            series=race["series"],
            series_short=race["short_name"],
            season=race["year"],
            finishes=finishes,
            car_wins_before=int(car_wins[0]),
            earlier_races=sum(season.stored for season in seasons),
            first_season_stored=seasons[0].year if seasons else race["year"],
            has_gap=has_gap(seasons, season=race["year"], round_=race["round"]),
        )
