"""Writing one race of NASCAR's weekend feed, in one transaction, and reading back what it adds for the fan replies.

Precedence (README, "Loading race history"): curated races (data/) are compared and never written; NASCAR's feed
beats nascaR.data, so a race nascaR.data alone wrote takes the feed's values and the differences are reported; a
race the feed wrote is updated by the next fetch of it. Each change of a race's results is kept as a new version
(result_versions); fetching the same feed again changes nothing.

A feed race is matched to a stored one by NASCAR's race_id once known; else by series, season, track and date; a
race nascaR.data wrote knows only its season, so then by the round the caller gives, or the one stored race of that
season at that track. A new race needs its round: given, or derived only when the stored races of the season are
rounds 1..k all run before it. Anything else is refused (FeedMatchError), never guessed.
"""

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from bot.names import fold, name_key
from bot.series import BY_CODE
from bot.store.feed_records import (
    FEED_DESCRIPTION,
    FEED_SOURCE_KEY,
    CautionSegment,
    FeedEntry,
    FeedRace,
    LeadChange,
    RaceFlow,
    ResultsStatus,
    ResultVersion,
)
from bot.store.imports import SOURCE_KEY as NASCAR_DATA_KEY
from bot.store.imports import Disagreement
from bot.store.loading import (
    RaceLoading,
    add_alias,
    driver_id_for,
    note_replaced_uploads,
    season_id_for,
    series_id_for,
    team_id_for,
    track_id_for,
)
from bot.store.rows import entry_facts
from bot.tracks import track_zone
from bot.wording import ordinal

log = logging.getLogger(__name__)


class FeedMatchError(Exception):
    """The feed's race cannot be placed among the stored races without guessing; the message says what to give."""


@dataclass(frozen=True, slots=True)
class FeedImportReport:
    """What importing one feed race did."""

    action: Literal["added", "updated", "unchanged", "kept"]  # kept: a curated race, compared and not written
    race_id: int
    race: str  # '2025 Clean Harbors 200 (Martinsville Speedway)'
    series: str
    season: int
    round: int
    status: ResultsStatus  # the results status stored for the race
    version: int | None  # the race's latest results version; None for a curated race
    entries: int
    stages: int  # stages with results
    cautions: int
    lead_changes: int
    disagreements: tuple[Disagreement, ...] = ()  # with a curated race: its values kept
    replaced: tuple[Disagreement, ...] = ()  # nascaR.data's values the feed replaced
    changes: tuple[str, ...] = ()  # what this version changed from the one before
    reasons: tuple[str, ...] = ()  # why, when the feed says
    notes: tuple[str, ...] = ()

    @property
    def wrote(self) -> bool:
        """Return whether the import changed what fans see."""
        return self.action in ("added", "updated")


def _text(value: object) -> str:
    return "not recorded" if value is None else str(value)


def _miles(text: str | None) -> float | None:
    return float(text) if text is not None else None


def _snapshot_row(entry: FeedEntry, driver_id: int) -> dict[str, Any]:
    """Return one car of a version's snapshot (see migration 0009)."""
    return {
        "driver_id": driver_id,
        "driver": entry.driver,
        "car": entry.car,
        "finish": entry.finish,
        "start": entry.start,
        "laps": entry.laps,
        "laps_led": entry.laps_led,
        "status": entry.status,
        "points": entry.points,
        "playoff_points": entry.playoff_points,
        "disqualified": entry.disqualified,
    }


def version_changes(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> list[str]:
    """Return what moved between two snapshots, in our words: disqualifications first, then by the new finish."""
    old = {row["driver_id"]: row for row in before}
    new = {row["driver_id"]: row for row in after}
    disqualified, moved = [], []
    for row in sorted(after, key=lambda r: r["finish"]):
        was = old.get(row["driver_id"])
        who = f"#{row['car']} {row['driver']}"
        if was is None:
            moved.append(f"{who} added ({ordinal(row['finish'])})")
            continue
        if row["disqualified"] and not was["disqualified"]:
            disqualified.append(f"{who} disqualified")
        elif row["finish"] != was["finish"]:
            moved.append(f"{who} {ordinal(was['finish'])} → {ordinal(row['finish'])}")
        for field, label in (("car", "car"), ("points", "points"), ("laps", "laps"), ("status", "status")):
            if row[field] != was[field] and not (field == "status" and row["disqualified"]):
                moved.append(f"{row['driver']} {label} {_text(was[field])} → {_text(row[field])}")
    gone = [f"#{row['car']} {row['driver']} no longer listed" for key, row in old.items() if key not in new]
    return disqualified + moved + gone


class FeedImport(RaceLoading):
    """Importing NASCAR's weekend feed, and the reads of what it adds (versions, cautions, lead changes)."""

    async def import_feed_race(
        self, race: FeedRace, *, round_: int | None = None, fetched_at: dt.datetime | None = None
    ) -> FeedImportReport:
        """Store one feed race in one transaction and return what was done; raise FeedMatchError to ask for a round.

        round_ is the race's place among its season's points races, when the caller knows it (`--round N`).
        fetched_at is when the feed was fetched (now when not given), recorded with a new version.
        """
        moment = fetched_at or dt.datetime.now(dt.UTC)
        async with self._transaction() as conn:
            report = await _FeedWrite(conn, race, moment).run(round_)
        if report.wrote:
            self._changed("races")
        log.info(
            "Feed %s: %s race %d (version %s, %s)", race.label, report.action, report.race_id, report.version,
            report.status,
        )  # fmt: skip
        return report

    async def feed_race_of(self, feed_race_id: int) -> int | None:
        """Return the id of the stored race NASCAR knows by feed_race_id, if any."""
        row = await self._fetchone("SELECT id FROM races WHERE feed_race_id = ?", (feed_race_id,))
        return int(row["id"]) if row else None

    async def result_versions(self, race_id: int) -> list[ResultVersion]:
        """Return every results version of a race, oldest first."""
        query = """
            SELECT version, status, fetched_at, changes, reasons FROM result_versions
            WHERE race_id = ? ORDER BY version
        """
        return [_version(r) for r in await self._fetchall(query, (race_id,))]

    async def race_flow(self, race_id: int) -> RaceFlow | None:
        """Return what the feed adds to a race (latest version, cautions, lead changes), or None when nothing."""
        query = """
            SELECT r.start_utc,
                   EXISTS (SELECT 1 FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
                           WHERE fs.subject = 'races' AND fs.subject_id = r.id AND s.key = ?) AS from_feed,
                   EXISTS (SELECT 1 FROM caution_segments WHERE race_id = r.id)
                   OR EXISTS (SELECT 1 FROM lead_changes WHERE race_id = r.id)
                   OR EXISTS (SELECT 1 FROM result_versions WHERE race_id = r.id) AS more
            FROM races r WHERE r.id = ?
        """
        row = await self._fetchone(query, (FEED_SOURCE_KEY, race_id))
        if row is None or not (row["from_feed"] or row["more"]):
            return None
        query = """
            SELECT version, status, fetched_at, changes, reasons FROM result_versions
            WHERE race_id = ? ORDER BY version DESC LIMIT 1
        """
        latest = await self._fetchone(query, (race_id,))
        query = """
            SELECT start_lap, end_lap, reason, beneficiary_car FROM caution_segments WHERE race_id = ? ORDER BY ordinal
        """
        cautions = tuple(
            CautionSegment(r["start_lap"], r["end_lap"], r["reason"], r["beneficiary_car"])
            for r in await self._fetchall(query, (race_id,))
        )
        query = """
            SELECT lc.start_lap, lc.end_lap, lc.car_number, d.name AS driver
            FROM lead_changes lc LEFT JOIN entries e ON e.id = lc.entry_id LEFT JOIN drivers d ON d.id = e.driver_id
            WHERE lc.race_id = ? ORDER BY lc.ordinal
        """
        leads = tuple(
            LeadChange(r["start_lap"], r["end_lap"], r["car_number"], r["driver"])
            for r in await self._fetchall(query, (race_id,))
        )
        start = dt.datetime.fromisoformat(row["start_utc"]) if row["start_utc"] else None
        return RaceFlow(
            from_feed=bool(row["from_feed"]),
            version=_version(latest) if latest is not None else None,
            cautions=cautions,
            lead_changes=leads,
            start_utc=start,
        )


def _version(row: aiosqlite.Row) -> ResultVersion:
    return ResultVersion(
        version=row["version"],
        status=row["status"],
        fetched_at=dt.datetime.fromisoformat(row["fetched_at"]),
        changes=tuple(json.loads(row["changes"])),
        reasons=tuple(json.loads(row["reasons"])),
    )


class _FeedWrite:
    """One feed race inside its transaction."""

    def __init__(self, conn: aiosqlite.Connection, race: FeedRace, fetched_at: dt.datetime) -> None:
        self.conn = conn
        self.race = race
        self.fetched_at = fetched_at
        self.notes: list[str] = []
        self.disagreements: list[Disagreement] = []
        self.replaced: list[Disagreement] = []

    async def _rows(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(query, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        rows = await self._rows(query, params)
        return rows[0] if rows else None

    async def run(self, round_: int | None) -> FeedImportReport:
        """Match the race, then compare it (curated), leave it (unchanged) or write it; return what was done."""
        race = self.race
        family = BY_CODE[race.series]
        found = await self._one("SELECT id FROM series WHERE short_name = ?", (race.series,))
        series_id = int(found["id"]) if found else await series_id_for(self.conn, family.name, race.series)
        season_id = await season_id_for(self.conn, series_id, race.season, None)
        stored = await self._match(season_id, round_)
        if stored is not None and stored["curated"]:
            return await self._compare(stored)
        latest = None
        if stored is not None:
            query = "SELECT version, digest, snapshot FROM result_versions WHERE race_id = ? ORDER BY version DESC"
            latest = await self._one(query, (stored["id"],))
            if latest is not None and latest["digest"] == race.digest():
                return await self._report("unchanged", stored["id"], latest["version"])
        if stored is None:
            race_id = await self._insert(season_id, await self._new_round(season_id, round_))
            action: Literal["added", "updated"] = "added"
        else:
            race_id = stored["id"]
            action = "updated"
            if latest is None:
                self.notes.append(f"NASCAR's results replace the ones {stored['sources'] or 'nascaR.data'} gave")
        drivers = await self._drivers()
        entries = await self._entries(race_id, drivers, compare=stored is not None and latest is None)
        await self._facts(race_id, stored, entries, drivers)
        await self._lap_by_lap(race_id, entries, drivers)
        await self._link_source(race_id)
        snapshot = [_snapshot_row(e, drivers[i]) for i, e in enumerate(race.entries)]
        before = json.loads(latest["snapshot"]) if latest is not None else None
        changes = version_changes(before, snapshot) if before is not None else []
        version = (latest["version"] if latest is not None else 0) + 1
        reasons = self._reasons(before, snapshot)
        query = """
            INSERT INTO result_versions (race_id, version, status, source_id, fetched_at, digest, changes, reasons,
                                         snapshot)
            VALUES (?, ?, ?, (SELECT id FROM sources WHERE key = ?), ?, ?, ?, ?, ?)
        """
        params = (race_id, version, race.status, FEED_SOURCE_KEY, self.fetched_at.astimezone(dt.UTC).isoformat(),
                  race.digest(), json.dumps(changes), json.dumps(reasons), json.dumps(snapshot))  # fmt: skip
        await self.conn.execute(query, params)
        if noticed := await note_replaced_uploads(self.conn):
            self.notes.append(f"Servers' uploads of this round now stored here: {noticed}; each server is told once")
        return await self._report(action, race_id, version, changes=tuple(changes), reasons=tuple(reasons))

    async def _report(
        self,
        action: Literal["added", "updated", "unchanged", "kept"],
        race_id: int,
        version: int | None,
        *,
        changes: tuple[str, ...] = (),
        reasons: tuple[str, ...] = (),
    ) -> FeedImportReport:
        query = """
            SELECT r.round, r.results_status,
                   (SELECT count(*) FROM entries WHERE race_id = r.id) AS entries,
                   (SELECT count(DISTINCT stage) FROM stage_results WHERE race_id = r.id) AS stages,
                   (SELECT count(*) FROM caution_segments WHERE race_id = r.id) AS cautions,
                   (SELECT count(*) FROM lead_changes WHERE race_id = r.id) AS leads
            FROM races r WHERE r.id = ?
        """
        row = await self._one(query, (race_id,))
        assert row is not None  # the race was just matched or written in this transaction
        race = self.race
        return FeedImportReport(
            action=action,
            race_id=race_id,
            race=race.label,
            series=race.series,
            season=race.season,
            round=row["round"],
            status=row["results_status"],
            version=version,
            entries=row["entries"],
            stages=row["stages"],
            cautions=row["cautions"],
            lead_changes=row["leads"],
            disagreements=tuple(self.disagreements),
            replaced=tuple(self.replaced),
            changes=changes,
            reasons=reasons,
            notes=tuple(self.notes),
        )

    # --- matching ----------------------------------------------------------------------------------------------

    async def _track_ids(self) -> dict[str, int]:
        """Return folded name -> id of every shared track and its other names."""
        query = "SELECT id, name FROM tracks WHERE id NOT IN (SELECT track_id FROM upload_tracks)"
        found = {fold(r["name"]): r["id"] for r in await self._rows(query)}
        query = "SELECT alias_key, track_id FROM track_aliases"
        return found | {r["alias_key"]: r["track_id"] for r in await self._rows(query)}

    def _same_track(self, row: aiosqlite.Row, tracks: dict[str, int]) -> bool:
        """Return whether a stored race is at the feed's track: by a name of it, or the same place (bot.tracks)."""
        if tracks.get(fold(self.race.track)) == row["track_id"]:
            return True
        place = track_zone(self.race.track)
        return place is not None and track_zone(row["track"]) is place

    async def _match(self, season_id: int, round_: int | None) -> aiosqlite.Row | None:
        columns = """
            r.id, r.round, r.name, r.track_id, t.name AS track, r.race_date, r.date_precision, r.curated,
            r.feed_race_id, r.laps_run, r.scheduled_laps, r.margin_s, r.cautions, r.caution_laps, r.lead_changes,
            r.leaders,
            (SELECT group_concat(DISTINCT s.key) FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
             WHERE fs.subject = 'races' AND fs.subject_id = r.id) AS sources
        """
        query = f"""
            SELECT {columns} FROM races r JOIN tracks t ON t.id = r.track_id
            WHERE r.feed_race_id = ? AND r.owner_guild_id IS NULL
        """  # noqa: S608 - a fixed column list
        if (known := await self._one(query, (self.race.feed_race_id,))) is not None:
            return known
        query = f"""
            SELECT {columns} FROM races r JOIN tracks t ON t.id = r.track_id
            WHERE r.season_id = ? AND r.owner_guild_id IS NULL AND r.feed_race_id IS NULL
            ORDER BY r.round
        """  # noqa: S608 - a fixed column list
        season = await self._rows(query, (season_id,))
        tracks = await self._track_ids()
        day = self.race.race_date.isoformat()
        for row in season:
            if row["date_precision"] == "day" and row["race_date"] == day and self._same_track(row, tracks):
                return await self._learn_track(row, tracks)
        if round_ is not None:
            row = next((r for r in season if r["round"] == round_), None)
            if row is None:
                return None
            if self._same_track(row, tracks) or fold(row["name"]) == fold(self.race.name):
                return await self._learn_track(row, tracks)
            raise FeedMatchError(
                f"round {round_} of {self.race.season} is stored as the {row['name']} at {row['track']}, not the "
                f"{self.race.label}; give the round this race is"
            )
        undated = [r for r in season if r["date_precision"] == "season" and self._same_track(r, tracks)]
        if len(undated) == 1:
            return await self._learn_track(undated[0], tracks)
        return None

    async def _learn_track(self, row: aiosqlite.Row, tracks: dict[str, int]) -> aiosqlite.Row:
        """Remember the feed's name of a matched race's track as another name of it, when it is new."""
        key = fold(self.race.track)
        if key not in tracks:
            query = "INSERT OR IGNORE INTO track_aliases (alias_key, alias, track_id) VALUES (?, ?, ?)"
            await self.conn.execute(query, (key, self.race.track, row["track_id"]))
            self.notes.append(f"Track '{self.race.track}' is stored as another name of {row['track']}")
        return row

    async def _new_round(self, season_id: int, given: int | None) -> int:
        """Return the new race's round: the one given, else k+1 when rounds 1..k are stored and all ran before it."""
        query = """
            SELECT round, name, race_date, date_precision FROM races WHERE season_id = ? AND owner_guild_id IS NULL
        """
        season = await self._rows(query, (season_id,))
        if given is not None:
            if held := next((r for r in season if r["round"] == given), None):
                # A race the feed stored earlier holds it (it is matched by its own feed id, never by round).
                raise FeedMatchError(
                    f"round {given} of the {self.race.season} season is already stored as the {held['name']}, not "
                    f"the {self.race.label}; give the round this race is"
                )
            return given
        rounds = sorted(r["round"] for r in season)
        day = self.race.race_date.isoformat()
        earlier = all(r["date_precision"] == "day" and r["race_date"] < day for r in season)
        if season and rounds == list(range(1, len(rounds) + 1)) and earlier:
            return len(rounds) + 1
        raise FeedMatchError(
            f"cannot tell which round of the {self.race.season} season the {self.race.label} is; "
            "give it with --round N (its place among the season's points races)"
        )

    # --- writing -----------------------------------------------------------------------------------------------

    async def _insert(self, season_id: int, round_: int) -> int:
        tracks = await self._track_ids()
        track_id = tracks.get(fold(self.race.track)) or await track_id_for(self.conn, self.race.track, None, None, None)
        query = """
            INSERT INTO races (season_id, round, name, track_id, race_date, date_precision, curated)
            VALUES (?, ?, ?, ?, ?, 'day', 0) RETURNING id
        """
        row = await self._one(query, (season_id, round_, self.race.name, track_id, self.race.race_date.isoformat()))
        assert row is not None  # RETURNING always yields the inserted row
        return int(row["id"])

    async def _driver_of(self, entry: FeedEntry) -> int | None:
        """Return the stored driver of a feed entry without adding one: NASCAR's id, then any name of theirs."""
        if entry.nascar_id is not None:
            row = await self._one("SELECT driver_id FROM nascar_drivers WHERE nascar_id = ?", (entry.nascar_id,))
            if row is not None:
                return int(row["driver_id"])
        key = name_key(entry.driver)
        query = """
            SELECT driver_id FROM driver_aliases WHERE alias_key = :key
            UNION ALL SELECT id FROM drivers WHERE name_key = :key
            LIMIT 1
        """
        row = await self._one(query, {"key": key})
        return int(row[0]) if row else None

    async def _drivers(self) -> list[int]:
        """Return the driver id of each feed entry, in order, adding new drivers and new spellings as aliases."""
        ids = []
        for entry in self.race.entries:
            driver_id = await self._driver_of(entry) or await driver_id_for(self.conn, entry.driver)
            # A new spelling is another name of the same driver, never a second driver.
            await add_alias(self.conn, driver_id, entry.driver)
            if entry.nascar_id is not None:
                query = "INSERT OR IGNORE INTO nascar_drivers (nascar_id, driver_id) VALUES (?, ?)"
                await self.conn.execute(query, (entry.nascar_id, driver_id))
            ids.append(driver_id)
        return ids

    async def _entries(self, race_id: int, drivers: list[int], *, compare: bool) -> dict[int, int]:
        """Write the feed's entries over the race's, matched on driver; return driver id -> entry id.

        compare reports each stored value the feed replaces (a race nascaR.data wrote).
        """
        query = """
            SELECT e.id, e.driver_id, d.name AS driver, e.car_number, tm.name AS team, e.make, e.start_pos,
                   e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points
            FROM entries e JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams tm ON tm.id = e.team_id
            WHERE e.race_id = ?
        """
        stored = {r["driver_id"]: r for r in await self._rows(query, (race_id,))}
        label = self.race.label
        # Every finishing place is let go first: a penalty moves many cars, and two must never collide midway.
        await self.conn.execute("UPDATE entries SET finish_pos = NULL WHERE race_id = ?", (race_id,))
        stage_points: dict[int, int] = {}
        for result in self.race.stage_results:
            if result.points is not None and (index := self._entry_index(result.nascar_id, result.car)) is not None:
                stage_points[index] = stage_points.get(index, 0) + result.points
        ids: dict[int, int] = {}
        for index, (entry, driver_id) in enumerate(zip(self.race.entries, drivers, strict=True)):
            values = {
                "race": race_id,
                "driver": driver_id,
                "car": entry.car,
                "team": await team_id_for(self.conn, entry.team),
                "make": entry.make,
                "sponsor": entry.sponsor,
                "start": entry.start,
                "finish": entry.finish,
                "laps": entry.laps,
                "status": entry.status,
                "led": entry.laps_led,
                "points": entry.points,
                "stage_points": stage_points.get(index),
                "times_led": entry.times_led,
                "playoff": entry.playoff_points,
                "dq": None if entry.disqualified is None else int(entry.disqualified),
            }
            held = stored.get(driver_id)
            if held is None:
                query = """
                    INSERT INTO entries (race_id, driver_id, car_number, team_id, make, sponsor, start_pos, finish_pos,
                                         laps_completed, status, laps_led, points, stage_points, times_led,
                                         playoff_points, disqualified)
                    VALUES (:race, :driver, :car, :team, :make, :sponsor, :start, :finish, :laps, :status, :led,
                            :points, :stage_points, :times_led, :playoff, :dq)
                    RETURNING id
                """
                row = await self._one(query, values)
                assert row is not None  # RETURNING always yields the inserted row
                ids[driver_id] = int(row["id"])
                if compare:
                    self.replaced.append(
                        Disagreement(label, entry.driver, "entry", "absent", f"#{entry.car}", None, NASCAR_DATA_KEY)
                    )
                continue
            query = """
                UPDATE entries SET car_number = :car, team_id = :team, make = :make, sponsor = :sponsor,
                                   start_pos = :start, finish_pos = :finish, laps_completed = :laps, status = :status,
                                   laps_led = :led, points = :points, stage_points = :stage_points,
                                   times_led = :times_led, playoff_points = :playoff, disqualified = :dq
                WHERE id = :id
            """
            await self.conn.execute(query, values | {"id": held["id"]})
            ids[driver_id] = held["id"]
            if compare:
                self._differences(entry, held, self.replaced, NASCAR_DATA_KEY)
        gone = [row for driver_id, row in stored.items() if driver_id not in ids]
        for row in gone:
            # The feed lists the whole field: a stored row it lacks was another source's mistake.
            self.replaced.append(
                Disagreement(label, row["driver"], "entry", f"#{row['car_number']}", "absent", None, NASCAR_DATA_KEY)
            )
        await self.conn.executemany("DELETE FROM entries WHERE id = ?", [(row["id"],) for row in gone])
        return ids

    def _entry_index(self, nascar_id: int | None, car: str | None) -> int | None:
        """Return the index of the feed entry a stage result or lead change names: by NASCAR's id, else by car."""
        for index, entry in enumerate(self.race.entries):
            if nascar_id is not None and entry.nascar_id == nascar_id:
                return index
        for index, entry in enumerate(self.race.entries):
            if car is not None and car in (entry.car, entry.feed_car):
                return index
        return None

    def _differences(self, entry: FeedEntry, held: aiosqlite.Row, into: list[Disagreement], source: str) -> None:
        """Add each value of a stored entry the feed gives differently."""
        pairs = [("car", held["car_number"], entry.car), *entry_facts(held, entry)]
        for name, kept, given in pairs:
            same = fold(kept) == fold(given) if isinstance(kept, str) and isinstance(given, str) else kept == given
            if not same:
                into.append(
                    Disagreement(self.race.label, held["driver"], name, _text(kept), _text(given), None, source)
                )

    async def _facts(
        self, race_id: int, stored: aiosqlite.Row | None, entries: dict[int, int], drivers: list[int]
    ) -> None:
        """Write the race's own facts and stages; report nascaR.data's values that differ."""
        race = self.race
        pole = self._entry_index(race.pole_nascar_id, None) if race.pole_nascar_id is not None else None
        if stored is not None and stored["sources"] and FEED_SOURCE_KEY not in stored["sources"].split(","):
            for name, kept, given in (
                ("race name", stored["name"], race.name),
                ("laps", stored["laps_run"], race.laps_run),
            ):
                if kept != given:
                    self.replaced.append(
                        Disagreement(race.label, "", name, _text(kept), _text(given), None, NASCAR_DATA_KEY)
                    )
        query = """
            UPDATE races SET name = :name, race_date = :date, date_precision = 'day', start_time_local = :start,
                             start_utc = :utc, scheduled_laps = :scheduled, laps_run = :laps, distance_miles = :miles,
                             margin_s = :margin, leaders = :leaders, lead_changes = :changes, cautions = :cautions,
                             caution_laps = :caution_laps, pole_entry_id = :pole, pole_speed_mph = :pole_speed,
                             average_speed_mph = :speed, race_duration = :duration, attendance = :attendance,
                             purse_usd = :purse, tv_network = :tv, results_status = :status, feed_race_id = :feed,
                             import_digest = NULL, data_version = data_version + 1
            WHERE id = :id
        """
        params = {
            "name": race.name, "date": race.race_date.isoformat(), "start": race.start_local,
            "utc": race.start_utc.isoformat() if race.start_utc else None, "scheduled": race.scheduled_laps,
            "laps": race.laps_run, "miles": _miles(race.distance_miles), "margin": race.margin,
            "leaders": race.leaders, "changes": race.lead_changes, "cautions": race.cautions,
            "caution_laps": race.caution_laps, "pole": entries[drivers[pole]] if pole is not None else None,
            "pole_speed": race.pole_speed, "speed": race.average_speed, "duration": race.race_time,
            "attendance": race.attendance, "purse": race.purse, "tv": race.tv, "status": race.status,
            "feed": race.feed_race_id, "id": race_id,
        }  # fmt: skip
        await self.conn.execute(query, params)
        await self.conn.execute("DELETE FROM race_stages WHERE race_id = ?", (race_id,))
        first, stages = 1, []
        for number, length in enumerate(race.stage_laps, start=1):
            last = first + length - 1
            if number == len(race.stage_laps) and race.laps_run is not None:
                last = max(last, race.laps_run)  # overtime runs the last stage past its length
            stages.append((race_id, number, first, last))
            first = last + 1
        query = "INSERT INTO race_stages (race_id, number, first_lap, last_lap) VALUES (?, ?, ?, ?)"
        await self.conn.executemany(query, stages)
        await self.conn.execute("DELETE FROM stage_results WHERE race_id = ?", (race_id,))
        rows = []
        for result in race.stage_results:
            index = self._entry_index(result.nascar_id, result.car)
            entry_id = entries[drivers[index]] if index is not None else None
            rows.append((race_id, result.stage, result.position, entry_id, result.points))
        query = """
            INSERT INTO stage_results (race_id, stage, position, entry_id, points, confidence, basis)
            VALUES (?, ?, ?, ?, ?, 'one source', 'NASCAR feed')
        """
        await self.conn.executemany(query, rows)

    async def _lap_by_lap(self, race_id: int, entries: dict[int, int], drivers: list[int]) -> None:
        """Write the caution segments and lead changes as the feed lists them."""
        race = self.race
        await self.conn.execute("DELETE FROM caution_segments WHERE race_id = ?", (race_id,))
        query = """
            INSERT INTO caution_segments (race_id, ordinal, start_lap, end_lap, reason, comment, beneficiary_car)
            VALUES (?, ?, ?, ?, ?, ?, ?)
        """
        await self.conn.executemany(
            query,
            [
                (race_id, n, c.start_lap, c.end_lap, c.reason, c.comment, c.beneficiary_car)
                for n, c in enumerate(race.caution_segments, start=1)
            ],
        )
        await self.conn.execute("DELETE FROM lead_changes WHERE race_id = ?", (race_id,))
        rows = []
        for n, leader in enumerate(race.race_leaders, start=1):
            index = self._entry_index(None, leader.car)
            entry_id = entries[drivers[index]] if index is not None else None
            rows.append((race_id, n, leader.start_lap, leader.end_lap, leader.car, entry_id))
        query = """
            INSERT INTO lead_changes (race_id, ordinal, start_lap, end_lap, car_number, entry_id)
            VALUES (?, ?, ?, ?, ?, ?)
        """
        await self.conn.executemany(query, rows)

    async def _link_source(self, race_id: int) -> None:
        """Link the race to NASCAR's feed, and unlink nascaR.data, whose values the feed's replaced."""
        query = """
            INSERT INTO sources (key, description) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET description = excluded.description RETURNING id
        """
        row = await self._one(query, (FEED_SOURCE_KEY, FEED_DESCRIPTION))
        assert row is not None  # RETURNING always yields the row
        query = """
            INSERT OR IGNORE INTO fact_sources (subject, subject_id, field, source_id, confidence)
            VALUES ('races', ?, '', ?, 'one source')
        """
        await self.conn.execute(query, (race_id, row["id"]))
        query = """
            DELETE FROM fact_sources WHERE subject = 'races' AND subject_id = ?
              AND source_id = (SELECT id FROM sources WHERE key = ?)
        """
        await self.conn.execute(query, (race_id, NASCAR_DATA_KEY))

    def _reasons(self, before: list[dict[str, Any]] | None, after: list[dict[str, Any]]) -> list[str]:
        """Return why this version differs, as far as the feed says: its disqualified flags, infractions, status."""
        old = {row["driver_id"]: row for row in before or []}
        reasons = []
        newly = [
            row for row in after if row["disqualified"] and not (old.get(row["driver_id"]) or {}).get("disqualified")
        ]
        for row in newly:
            reasons.append(f"#{row['car']} {row['driver']} disqualified (NASCAR's results flag it)")
        cars = {f"#{row['car']} " for row in newly}
        reasons += [line for line in self.race.infractions if any(car in f"{line} " for car in cars)]
        if self.race.inspection_complete and before is not None:
            reasons.append("NASCAR completed inspection: the results are official")
        return reasons

    async def _compare(self, stored: aiosqlite.Row) -> FeedImportReport:
        """Report every way the feed differs from a curated race, whose values are kept; write nothing of its."""
        race = self.race
        label = race.label
        query = """
            SELECT e.id, e.driver_id, d.name AS driver, e.car_number, tm.name AS team, e.make, e.start_pos,
                   e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points
            FROM entries e JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams tm ON tm.id = e.team_id
            WHERE e.race_id = ?
        """
        curated = {r["driver_id"]: r for r in await self._rows(query, (stored["id"],))}
        for name, kept, given in (
            ("race name", stored["name"], race.name),
            ("scheduled laps", stored["scheduled_laps"], race.scheduled_laps),
            ("laps", stored["laps_run"], race.laps_run),
            ("margin", stored["margin_s"], race.margin),
            ("cautions", stored["cautions"], race.cautions),
            ("caution laps", stored["caution_laps"], race.caution_laps),
            ("lead changes", stored["lead_changes"], race.lead_changes),
            ("leaders", stored["leaders"], race.leaders),
        ):
            if kept != given:
                self.disagreements.append(Disagreement(label, "", name, _text(kept), _text(given), None, "curated"))
        seen = set()
        for entry in race.entries:
            driver_id = await self._driver_of(entry)
            held = curated.get(driver_id) if driver_id is not None else None
            if held is None:
                self.disagreements.append(
                    Disagreement(label, entry.driver, "entry", "absent", f"#{entry.car}", None, "curated")
                )
                continue
            seen.add(driver_id)
            self._differences(entry, held, self.disagreements, "curated")
        for driver_id, held in curated.items():
            if driver_id not in seen:
                car = f"#{held['car_number']}"
                self.disagreements.append(Disagreement(label, held["driver"], "entry", car, "absent", None, "curated"))
        # Knowing NASCAR's id of the race is no fact of the race: the next fetch then finds it at once.
        query = "UPDATE races SET feed_race_id = ? WHERE id = ? AND feed_race_id IS NULL"
        await self.conn.execute(query, (race.feed_race_id, stored["id"]))
        self.notes.append("A curated race (data/): compared, nothing of it written")
        return await self._report("kept", stored["id"], None)
