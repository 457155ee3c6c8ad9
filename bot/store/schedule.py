"""NASCAR's schedule and points standings as the feeds give them, and the cache of what the feeds answered."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.names import name_key
from bot.store.database import StoreBase

SOURCE = "NASCAR"  # what every row of these tables came from, and what replies credit


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC) if text else None


# --- what the feeds bring (built by bot.feeds.parse) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One race as the race list (and the schedule feed, when it has the race) describe it."""

    nascar_race_id: int
    series: str  # 'truck', 'nxs' or 'cup'
    season: int
    name: str
    track: str
    nascar_track_id: int | None
    start: dt.datetime | None  # aware, UTC; None when no time is announced
    day: dt.date | None  # the race's day at the track, known with or without a start
    start_basis: str | None  # 'offset' or 'track zone'
    tv: str | None
    radio: str | None
    race_type_id: int | None
    points_race: bool
    scheduled_laps: int | None
    scheduled_distance: float | None
    winner_nascar_driver_id: int | None


@dataclass(frozen=True, slots=True)
class StandingEntry:
    """One driver's line of drivers-points.json."""

    position: int
    driver_name: str
    nascar_driver_id: int | None
    car_number: str | None
    manufacturer: str | None
    points: int
    playoff_points: int | None
    starts: int | None
    wins: int | None
    top_5: int | None
    top_10: int | None


# --- what the store hands out ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedFeed:
    """The last good answer for a feed URL."""

    url: str
    etag: str | None
    last_modified: str | None
    body: str
    fetched_at: dt.datetime
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ScheduledRace:
    """One race of NASCAR's schedule; None means the feed did not say."""

    nascar_race_id: int
    series: str
    season: int
    name: str
    track: str
    start: dt.datetime | None  # UTC; None: not announced (or no date at all)
    day: dt.date | None  # at the track; None only for a row saved before migration 0013 and not since
    start_basis: str | None
    tv: str | None
    radio: str | None
    points_race: bool
    round: int | None
    scheduled_laps: int | None
    winner_nascar_driver_id: int | None
    winner_name: str | None  # the stored driver NASCAR's id names, else as NASCAR's standings name the winner
    stored_race_id: int | None  # the shared stored race imported from this race's weekend feed, if any
    results_complete: bool
    inspection_complete: bool
    weekend_checked_at: dt.datetime | None
    fetched_at: dt.datetime
    source: str = SOURCE


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """What saving a race list changed: races new to the store, and races whose start moved."""

    added: tuple[int, ...]
    moved: tuple[tuple[int, dt.datetime | None, dt.datetime | None], ...]  # race id, old start, new start


@dataclass(frozen=True, slots=True)
class StandingRow:
    """One driver's place in the standings, with the gaps worked out from the points."""

    position: int
    driver_name: str
    driver_id: int | None  # the stored driver this is, when a name or alias joins them
    nascar_driver_id: int | None
    car_number: str | None
    manufacturer: str | None
    points: int
    gap_leader: int  # points behind the leader (0 for the leader)
    gap_next: int | None  # points behind the driver one place up (None for the leader)
    playoff_points: int | None
    starts: int | None
    wins: int | None
    top_5: int | None
    top_10: int | None


@dataclass(frozen=True, slots=True)
class Standings:
    """The official points standings of a series' season after a number of its points races."""

    series: str
    season: int
    after_round: int
    after_race: str | None  # the name of race after_round, when the schedule is stored
    rows: tuple[StandingRow, ...]
    fetched_at: dt.datetime
    source: str = SOURCE


def _scheduled(row: aiosqlite.Row) -> ScheduledRace:
    fetched = _instant(row["fetched_at"])
    assert fetched is not None  # NOT NULL column
    return ScheduledRace(
        nascar_race_id=row["nascar_race_id"],
        series=row["series"],
        season=row["season"],
        name=row["name"],
        track=row["track"],
        start=_instant(row["start_utc"]),
        day=dt.date.fromisoformat(row["race_day"]) if row["race_day"] else None,
        start_basis=row["start_basis"],
        tv=row["tv"],
        radio=row["radio"],
        points_race=bool(row["points_race"]),
        round=row["round"],
        scheduled_laps=row["scheduled_laps"],
        winner_nascar_driver_id=row["winner_nascar_driver_id"],
        winner_name=row["winner_name"],
        stored_race_id=row["stored_race_id"],
        results_complete=bool(row["results_complete"]),
        inspection_complete=bool(row["inspection_complete"]),
        weekend_checked_at=_instant(row["weekend_checked_at"]),
        fetched_at=fetched,
        source=row["source"],
    )


# The winner's name: the stored driver NASCAR's driver id is joined to (nascar_drivers, from the weekend feeds),
# else as NASCAR's standings name them (they list every driver who scored, by the same id the race list uses).
SCHEDULE_COLUMNS = """
    s.nascar_race_id, s.series, s.season, s.name, s.track, s.start_utc, s.race_day, s.start_basis, s.tv, s.radio,
    s.points_race, s.round, s.scheduled_laps, s.winner_nascar_driver_id, s.results_complete, s.inspection_complete,
    s.weekend_checked_at, s.fetched_at, s.source,
    coalesce(
        (SELECT d.name FROM nascar_drivers nd JOIN drivers d ON d.id = nd.driver_id
         WHERE nd.nascar_id = s.winner_nascar_driver_id),
        (SELECT r.driver_name FROM standing_rows r JOIN standings st ON st.id = r.standings_id
         WHERE r.nascar_driver_id = s.winner_nascar_driver_id ORDER BY st.fetched_at DESC LIMIT 1)
    ) AS winner_name,
    (SELECT r.id FROM races r WHERE r.feed_race_id = s.nascar_race_id AND r.owner_guild_id IS NULL) AS stored_race_id
"""
# The order of a season: by the day at the track, a day's announced starts in start order, then its races whose time
# is not announced, then races with no date at all. A row saved before 0013 has no race_day until the next save;
# its start's UTC date stands in.
RACE_DAY = "coalesce(s.race_day, substr(s.start_utc, 1, 10))"
RACE_ORDER = f"{RACE_DAY} IS NULL, {RACE_DAY}, s.start_utc IS NULL, s.start_utc, s.nascar_race_id"


class ScheduleStore(StoreBase):
    """The feed cache, NASCAR's schedule and its points standings."""

    # --- the feed cache ---------------------------------------------------------------------------------------

    async def feed_cached(self, url: str) -> CachedFeed | None:
        """Return the last good answer fetched from url, if any."""
        query = "SELECT url, etag, last_modified, body, fetched_at, changed_at FROM feed_cache WHERE url = ?"
        row = await self._fetchone(query, (url,))
        if row is None:
            return None
        fetched, changed = _instant(row["fetched_at"]), _instant(row["changed_at"])
        assert fetched is not None and changed is not None  # NOT NULL columns
        return CachedFeed(row["url"], row["etag"], row["last_modified"], row["body"], fetched, changed)

    async def save_feed(
        self, url: str, body: str, *, etag: str | None, last_modified: str | None, fetched_at: dt.datetime
    ) -> bool:
        """Keep a good answer for url; return whether its body differs from the one kept before."""
        async with self._transaction() as conn:
            query = "SELECT body FROM feed_cache WHERE url = ?"
            async with conn.execute(query, (url,)) as cursor:
                before = await cursor.fetchone()
            changed = before is None or before["body"] != body
            query = """
                INSERT INTO feed_cache (url, etag, last_modified, body, fetched_at, changed_at)
                VALUES (:url, :etag, :modified, :body, :at, :at)
                ON CONFLICT (url) DO UPDATE SET
                    etag = excluded.etag, last_modified = excluded.last_modified, body = excluded.body,
                    fetched_at = excluded.fetched_at,
                    changed_at = CASE WHEN feed_cache.body = excluded.body THEN feed_cache.changed_at
                                      ELSE excluded.changed_at END
            """
            params = {"url": url, "etag": etag, "modified": last_modified, "body": body, "at": _iso(fetched_at)}
            await conn.execute(query, params)
        return changed

    async def forget_feed(self, url: str) -> None:
        """Drop what is kept of url, so the next request asks for it whole (what it held could not be stored)."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM feed_cache WHERE url = ?", (url,))

    async def touch_feed(self, url: str, fetched_at: dt.datetime) -> None:
        """Record that the host answered 304 for url: what is kept is current as of fetched_at."""
        async with self._transaction() as conn:
            await conn.execute("UPDATE feed_cache SET fetched_at = ? WHERE url = ?", (_iso(fetched_at), url))

    # --- the schedule -----------------------------------------------------------------------------------------

    async def save_schedule(
        self, series: str, season: int, races: Sequence[ScheduleEntry], *, fetched_at: dt.datetime
    ) -> ScheduleChange:
        """Store a season's race list for a series, numbering its points races by date; return what changed.

        A race the list no longer names is kept: a list is what NASCAR shows now, not a record of deletions, and
        the race's results may be stored already.
        """
        added: list[int] = []
        moved: list[tuple[int, dt.datetime | None, dt.datetime | None]] = []
        async with self._transaction() as conn:
            query = "SELECT nascar_race_id, start_utc FROM schedule_races WHERE series = ? AND season = ?"
            async with conn.execute(query, (series, season)) as cursor:
                before = {row["nascar_race_id"]: _instant(row["start_utc"]) for row in await cursor.fetchall()}
            for race in races:
                if race.nascar_race_id not in before:
                    added.append(race.nascar_race_id)
                elif before[race.nascar_race_id] != race.start:
                    moved.append((race.nascar_race_id, before[race.nascar_race_id], race.start))
            query = """
                INSERT INTO schedule_races (
                    nascar_race_id, series, season, name, track, nascar_track_id, start_utc, race_day, start_basis, tv,
                    radio, race_type_id, points_race, scheduled_laps, scheduled_distance, winner_nascar_driver_id,
                    source, fetched_at
                ) VALUES (
                    :race_id, :series, :season, :name, :track, :track_id, :start, :day, :basis, :tv, :radio,
                    :race_type, :points_race, :laps, :distance, :winner, :source, :fetched_at
                )
                ON CONFLICT (nascar_race_id) DO UPDATE SET
                    series = excluded.series, season = excluded.season, name = excluded.name, track = excluded.track,
                    nascar_track_id = excluded.nascar_track_id, start_utc = excluded.start_utc,
                    race_day = excluded.race_day, start_basis = excluded.start_basis,
                    tv = coalesce(excluded.tv, schedule_races.tv),
                    radio = coalesce(excluded.radio, schedule_races.radio), race_type_id = excluded.race_type_id,
                    points_race = excluded.points_race, scheduled_laps = excluded.scheduled_laps,
                    scheduled_distance = excluded.scheduled_distance,
                    winner_nascar_driver_id = excluded.winner_nascar_driver_id, source = excluded.source,
                    fetched_at = excluded.fetched_at
            """
            await conn.executemany(
                query,
                [
                    {
                        "race_id": r.nascar_race_id,
                        "series": series,
                        "season": season,
                        "name": r.name,
                        "track": r.track,
                        "track_id": r.nascar_track_id,
                        "start": _iso(r.start) if r.start else None,
                        "day": r.day.isoformat() if r.day else None,
                        "basis": r.start_basis,
                        "tv": r.tv,
                        "radio": r.radio,
                        "race_type": r.race_type_id,
                        "points_race": int(r.points_race),
                        "laps": r.scheduled_laps,
                        "distance": r.scheduled_distance,
                        "winner": r.winner_nascar_driver_id,
                        "source": SOURCE,
                        "fetched_at": _iso(fetched_at),
                    }
                    for r in races
                ],
            )
            # Rounds are worked out again on every save: a postponed race can change the order of the season. A race
            # whose time is not announced still has its day, so it keeps its place; an exhibition has no round.
            query = f"""
                UPDATE schedule_races SET round = (
                    SELECT n.round FROM (
                        SELECT s.nascar_race_id, row_number() OVER (ORDER BY {RACE_ORDER}) AS round
                        FROM schedule_races s WHERE s.series = :series AND s.season = :season AND s.points_race = 1
                    ) n
                    WHERE n.nascar_race_id = schedule_races.nascar_race_id
                )
                WHERE series = :series AND season = :season
            """  # noqa: S608 - fixed ordering expression
            await conn.execute(query, {"series": series, "season": season})
        return ScheduleChange(tuple(added), tuple(moved))

    async def scheduled_races(self, series: str | None, season: int) -> list[ScheduledRace]:
        """Return a season's races in order of day and start, of one series or (None) every series."""
        query = f"""
            SELECT {SCHEDULE_COLUMNS} FROM schedule_races s
            WHERE s.season = :season AND (:series IS NULL OR s.series = :series)
            ORDER BY {RACE_ORDER}
        """  # noqa: S608 - fixed column list
        rows = await self._fetchall(query, {"season": season, "series": series})
        return [_scheduled(row) for row in rows]

    async def scheduled_race(self, nascar_race_id: int) -> ScheduledRace | None:
        """Return one race of the schedule by NASCAR's race id."""
        query = f"SELECT {SCHEDULE_COLUMNS} FROM schedule_races s WHERE s.nascar_race_id = ?"  # noqa: S608
        row = await self._fetchone(query, (nascar_race_id,))
        return _scheduled(row) if row else None

    async def next_scheduled(self, series: str | None, after: dt.datetime) -> ScheduledRace | None:
        """Return the first race whose results are not complete, of one or every series, starting at or after `after`.

        A race whose time is not announced counts from its day: it is next until after's (UTC) date is past it.
        """
        query = f"""
            SELECT {SCHEDULE_COLUMNS} FROM schedule_races s
            WHERE (s.start_utc >= :after OR (s.start_utc IS NULL AND s.race_day >= :after_day))
              AND s.results_complete = 0 AND (:series IS NULL OR s.series = :series)
            ORDER BY {RACE_ORDER} LIMIT 1
        """  # noqa: S608 - fixed column list
        params = {"after": _iso(after), "after_day": after.astimezone(dt.UTC).date().isoformat(), "series": series}
        row = await self._fetchone(query, params)
        return _scheduled(row) if row else None

    async def schedule_seasons(self, series: str | None = None) -> list[int]:
        """Return the seasons with a stored schedule, newest first."""
        query = "SELECT DISTINCT season FROM schedule_races WHERE ? IS NULL OR series = ? ORDER BY season DESC"
        return [row["season"] for row in await self._fetchall(query, (series, series))]

    async def set_weekend_state(
        self, nascar_race_id: int, *, results_complete: bool, inspection_complete: bool, checked_at: dt.datetime
    ) -> None:
        """Record how far a race's weekend feed has come, so polling stops for good once it is official."""
        async with self._transaction() as conn:
            query = """
                UPDATE schedule_races
                SET results_complete = max(results_complete, ?), inspection_complete = max(inspection_complete, ?),
                    weekend_checked_at = ?
                WHERE nascar_race_id = ?
            """
            await conn.execute(
                query, (int(results_complete), int(inspection_complete), _iso(checked_at), nascar_race_id)
            )

    # --- the standings ----------------------------------------------------------------------------------------

    async def save_standings(
        self, series: str, season: int, rows: Sequence[StandingEntry], *, fetched_at: dt.datetime
    ) -> int:
        """Store a drivers-points.json as the standings after the season's points races run so far; return N.

        N is the most starts any driver has (the leader has started every race); a fetch after the same race
        replaces that race's snapshot.
        """
        after_round = max((row.starts or 0 for row in rows), default=0)
        async with self._transaction() as conn:
            query = """
                INSERT INTO standings (series, season, after_round, source, fetched_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (series, season, after_round) DO UPDATE SET fetched_at = excluded.fetched_at
                RETURNING id
            """
            async with conn.execute(query, (series, season, after_round, SOURCE, _iso(fetched_at))) as cursor:
                found = await cursor.fetchone()
            assert found is not None  # RETURNING always yields the row
            standings_id = found["id"]
            await conn.execute("DELETE FROM standing_rows WHERE standings_id = ?", (standings_id,))
            query = """
                INSERT INTO standing_rows (
                    standings_id, position, driver_name, name_key, nascar_driver_id, car_number, manufacturer, points,
                    playoff_points, starts, wins, top_5, top_10
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
            await conn.executemany(
                query,
                [
                    (
                        standings_id, r.position, r.driver_name, name_key(r.driver_name), r.nascar_driver_id,
                        r.car_number, r.manufacturer, r.points, r.playoff_points, r.starts, r.wins, r.top_5, r.top_10,
                    )
                    for r in rows
                ],
            )  # fmt: skip
        return after_round

    async def standings(self, series: str, season: int, *, before_round: int | None = None) -> Standings | None:
        """Return a season's latest standings, or the latest after fewer than before_round races, if stored."""
        query = """
            SELECT st.id, st.after_round, st.fetched_at, st.source,
                   (SELECT s.name FROM schedule_races s WHERE s.series = st.series AND s.season = st.season
                    AND s.round = st.after_round) AS after_race
            FROM standings st
            WHERE st.series = ? AND st.season = ? AND (? IS NULL OR st.after_round < ?)
            ORDER BY st.after_round DESC LIMIT 1
        """
        head = await self._fetchone(query, (series, season, before_round, before_round))
        if head is None:
            return None
        # Stored drivers are found by NASCAR's driver id first (nascar_drivers, learnt from the weekend feeds), then
        # by the feed's name: a driver's own name, then any alias of theirs.
        query = """
            SELECT r.position, r.driver_name, r.nascar_driver_id, r.car_number, r.manufacturer, r.points,
                   r.playoff_points, r.starts, r.wins, r.top_5, r.top_10,
                   coalesce(nd.driver_id, d.id, a.driver_id) AS driver_id
            FROM standing_rows r
            LEFT JOIN nascar_drivers nd ON nd.nascar_id = r.nascar_driver_id
            LEFT JOIN drivers d ON d.name_key = r.name_key
            LEFT JOIN driver_aliases a ON a.alias_key = r.name_key
            WHERE r.standings_id = ? ORDER BY r.position
        """
        rows = await self._fetchall(query, (head["id"],))
        fetched = _instant(head["fetched_at"])
        assert fetched is not None  # NOT NULL column
        leader = rows[0]["points"] if rows else 0
        lines = []
        for n, row in enumerate(rows):
            lines.append(
                StandingRow(
                    position=row["position"],
                    driver_name=row["driver_name"],
                    driver_id=row["driver_id"],
                    nascar_driver_id=row["nascar_driver_id"],
                    car_number=row["car_number"],
                    manufacturer=row["manufacturer"],
                    points=row["points"],
                    gap_leader=leader - row["points"],
                    gap_next=rows[n - 1]["points"] - row["points"] if n else None,
                    playoff_points=row["playoff_points"],
                    starts=row["starts"],
                    wins=row["wins"],
                    top_5=row["top_5"],
                    top_10=row["top_10"],
                )
            )
        return Standings(series, season, head["after_round"], head["after_race"], tuple(lines), fetched, head["source"])

    async def standings_seasons(self, series: str | None = None) -> list[tuple[str, int]]:
        """Return (series, season) of every stored standings, newest season first."""
        query = """
            SELECT DISTINCT series, season FROM standings WHERE ? IS NULL OR series = ? ORDER BY season DESC, series
        """
        return [(row["series"], row["season"]) for row in await self._fetchall(query, (series, series))]
