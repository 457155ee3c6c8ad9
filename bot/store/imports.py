"""Writing imported series histories, race folders and driver merges: each one transaction, bulk where it is big."""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

import aiosqlite

from bot.names import fold, name_key
from bot.store.loading import RaceLoading, add_alias, series_id_for
from bot.store.records import HistoryEntry, HistoryFile, HistoryRace

log = logging.getLogger(__name__)

SOURCE_KEY = "NASCAR_DATA"
SOURCE_DESCRIPTION = (
    "DriverAverages.com results as exported by the nascaR.data R package (export_series); imported as one source"
)
SQLITE_MAX_INTEGER = 2**63 - 1
_CHUNK = 10_000  # entries per executemany, so the progress bar moves and no giant parameter list is built

T = TypeVar("T")


def _chunks(items: Iterable[T], size: int = _CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A value a curated race holds that the imported file gives differently; the curated value was kept."""

    race: str
    driver: str
    field: str
    curated: str
    file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would have done)."""

    races_added: int
    races_updated: int
    races_unchanged: int
    races_kept: int  # curated or server-uploaded races the file also holds: compared, never written
    entries_added: int
    entries_removed: int  # the old entries of updated races
    drivers_added: int
    drivers_updated: int  # drivers already stored who gained or changed results
    tracks_added: int
    disagreements: tuple[Disagreement, ...]
    car_repairs: tuple[Disagreement, ...]  # e.g. the file's '7' for a curated '07': same driver, curated text kept
    notes: tuple[str, ...]
    committed: bool


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """What merging two drivers did."""

    kept: str
    merged: str
    entries_moved: int
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FactLink:
    """One source behind a stored fact, in the order it was linked."""

    subject: str
    subject_id: int
    field: str
    key: str
    confidence: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class RaceExtras:
    """A race's facts that Race leaves out."""

    date_precision: str  # 'day', or 'season' when only the year is known
    curated: bool
    owner_guild_id: int | None  # set: a server's own upload
    track_surface: str | None


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A shared quote as its race folder had it."""

    id: int
    slug: str | None
    speaker: str
    role: str | None
    text: str
    context: str | None
    source_url: str | None
    confidence: str | None


class MergeRefusedError(Exception):
    """The two drivers cannot be merged; the message says why."""


class _DryRun(Exception):
    """Not an error: raised inside a dry run's transaction so that it rolls back, carrying the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def _season_results_status(season: int) -> str:
    """Return 'official' for a finished season's results, 'provisional' for the current season's."""
    return "official" if season < dt.datetime.now(dt.UTC).year else "provisional"


def _text(value: object) -> str:
    return "not recorded" if value is None else str(value)


def _same_number(a: str, b: str) -> bool:
    """Return whether two car numbers are the same number written differently ('07' and '7')."""
    return a != b and a.isdigit() and b.isdigit() and int(a) == int(b)


class HistoryImport(RaceLoading):
    """Bulk imports of series histories, race-folder loads, driver merges and the reads behind race-folder export."""

    # --- nascaR.data histories --------------------------------------------------------------------------------

    async def import_history(
        self,
        history: HistoryFile,
        *,
        series: tuple[str, str],
        commit: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Store every new or changed race of an export in one transaction; curated races are compared, not written.

        series is the (name, short name) to use when no stored series has that short name yet. A race already
        stored from an identical file is left alone, so importing a file twice changes nothing. With commit=False
        everything is done and then rolled back, for a report of what would change. progress, when given, is
        called with the number of entries written since its last call; an exception from it rolls everything back.
        """
        try:
            async with self._transaction() as conn:
                report = await _HistoryWrite(conn, history, progress).run(series)
                if not commit:
                    raise _DryRun(report)
        except _DryRun as dry:
            return replace(dry.report, committed=False)
        log.info(
            "Imported %s: %d races added, %d updated, %d entries",
            history.source,
            report.races_added,
            report.races_updated,
            report.entries_added,
        )
        return report

    # --- race folders ------------------------------------------------------------------------------------------

    async def race_extras(self, race_id: int) -> RaceExtras | None:
        """Return what a race folder needs beyond Race: date precision, track surface and who owns the race."""
        query = """
            SELECT r.date_precision, r.curated, r.owner_guild_id, t.surface
            FROM races r JOIN tracks t ON t.id = r.track_id WHERE r.id = ?
        """
        row = await self._fetchone(query, (race_id,))
        if row is None:
            return None
        return RaceExtras(row["date_precision"], bool(row["curated"]), row["owner_guild_id"], row["surface"])

    async def fact_links(self, race_id: int) -> list[FactLink]:
        """Return the sources linked to a race and to its entries, key moments and shared quotes, in linking order."""
        query = """
            SELECT fs.subject, fs.subject_id, fs.field, s.key, fs.confidence, fs.note
            FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
            WHERE (fs.subject = 'races' AND fs.subject_id = :race)
               OR (fs.subject = 'entries' AND fs.subject_id IN (SELECT id FROM entries WHERE race_id = :race))
               OR (fs.subject = 'key_moments'
                   AND fs.subject_id IN (SELECT id FROM key_moments WHERE race_id = :race))
               OR (fs.subject = 'quotes'
                   AND fs.subject_id IN (SELECT id FROM quotes WHERE race_id = :race AND guild_id IS NULL))
            ORDER BY fs.rowid
        """
        rows = await self._fetchall(query, {"race": race_id})
        return [FactLink(r["subject"], r["subject_id"], r["field"], r["key"], r["confidence"], r["note"]) for r in rows]

    async def source_descriptions(self, keys: Sequence[str]) -> dict[str, str]:
        """Return key -> description of the named sources, in the order they were first stored."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        query = f"SELECT key, description FROM sources WHERE key IN ({marks}) ORDER BY id"  # noqa: S608 - only ?s
        return {r["key"]: r["description"] for r in await self._fetchall(query, tuple(keys))}

    async def key_moment_ids(self, race_id: int) -> dict[int, int]:
        """Return ordinal -> id of a race's key moments."""
        query = "SELECT ordinal, id FROM key_moments WHERE race_id = ?"
        return {r["ordinal"]: r["id"] for r in await self._fetchall(query, (race_id,))}

    async def race_quotes(self, race_id: int) -> list[StoredQuote]:
        """Return a race's shared quotes (not the ones servers added) in the order they were stored."""
        query = """
            SELECT id, slug, speaker, role, text, context, source_url, confidence FROM quotes
            WHERE race_id = ? AND guild_id IS NULL ORDER BY id
        """
        rows = await self._fetchall(query, (race_id,))
        return [
            StoredQuote(
                r["id"], r["slug"], r["speaker"], r["role"], r["text"], r["context"], r["source_url"], r["confidence"]
            )
            for r in rows
        ]

    # --- drivers -----------------------------------------------------------------------------------------------

    async def find_driver(self, text: str) -> tuple[int, str] | None:
        """Return (id, name) of the driver whose name or alias is text once normalised, or whose id is '#12'."""
        number = text.strip().lstrip("#")
        if number.isdecimal():
            if int(number) > SQLITE_MAX_INTEGER:
                return None  # no row has an id SQLite could not even store
            row = await self._fetchone("SELECT id, name FROM drivers WHERE id = ?", (int(number),))
        else:
            query = """
                SELECT d.id, d.name FROM drivers d
                WHERE d.id = (SELECT driver_id FROM driver_aliases WHERE alias_key = :key)
                   OR (d.name_key = :key AND NOT EXISTS (SELECT 1 FROM driver_aliases WHERE alias_key = :key))
            """
            row = await self._fetchone(query, {"key": name_key(text)})
        return (row["id"], row["name"]) if row else None

    async def merge_drivers(self, keep_id: int, merge_id: int) -> MergeOutcome:
        """Make merge_id's results, quotes and names belong to keep_id, and remove merge_id; all or nothing.

        Refused when both drove in the same race: two entries in one race are two people, not one misspelt.
        """
        if keep_id == merge_id:
            raise MergeRefusedError("Those are the same driver already.")
        async with self._transaction() as conn:
            names = {}
            for driver_id in (keep_id, merge_id):
                async with conn.execute("SELECT name FROM drivers WHERE id = ?", (driver_id,)) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    raise MergeRefusedError(f"No driver #{driver_id}.")
                names[driver_id] = row["name"]
            query = """
                SELECT sn.year, r.name FROM entries a
                JOIN entries b ON b.race_id = a.race_id AND b.driver_id = :merge
                JOIN races r ON r.id = a.race_id JOIN seasons sn ON sn.id = r.season_id
                WHERE a.driver_id = :keep ORDER BY r.race_date LIMIT 3
            """
            async with conn.execute(query, {"keep": keep_id, "merge": merge_id}) as cursor:
                shared = await cursor.fetchall()
            if shared:
                where = "; ".join(f"{r['year']} {r['name']}" for r in shared)
                raise MergeRefusedError(f"{names[keep_id]} and {names[merge_id]} both started {where}.")
            await conn.execute(
                "UPDATE races SET data_version = data_version + 1 WHERE id IN "
                "(SELECT race_id FROM entries WHERE driver_id = ?)",
                (merge_id,),
            )
            async with conn.execute(
                "UPDATE entries SET driver_id = ? WHERE driver_id = ?", (keep_id, merge_id)
            ) as cursor:
                moved = cursor.rowcount
            await conn.execute("UPDATE quotes SET driver_id = ? WHERE driver_id = ?", (keep_id, merge_id))
            await conn.execute(
                "UPDATE races SET fastest_lap_driver_id = ? WHERE fastest_lap_driver_id = ?", (keep_id, merge_id)
            )
            await conn.execute("UPDATE driver_aliases SET driver_id = ? WHERE driver_id = ?", (keep_id, merge_id))
            await add_alias(conn, keep_id, names[merge_id])
            await conn.execute("DELETE FROM drivers WHERE id = ?", (merge_id,))
            async with conn.execute(
                "SELECT alias FROM driver_aliases WHERE driver_id = ? ORDER BY alias", (keep_id,)
            ) as cursor:
                aliases = tuple(r["alias"] for r in await cursor.fetchall())
        log.info("Merged driver %s into %s (%d entries)", names[merge_id], names[keep_id], moved)
        return MergeOutcome(names[keep_id], names[merge_id], moved, aliases)


class _HistoryWrite:
    """One import inside its transaction: ids are read once into dicts and every big write is an executemany."""

    def __init__(
        self, conn: aiosqlite.Connection, history: HistoryFile, progress: Callable[[int], None] | None
    ) -> None:
        self.conn = conn
        self.history = history
        self.progress = progress
        self.notes: list[str] = []
        self.disagreements: list[Disagreement] = []
        self.repairs: list[Disagreement] = []

    def _advance(self, written: int) -> None:
        if self.progress is not None:
            self.progress(written)

    async def _rows(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(query, params) as cursor:
            return list(await cursor.fetchall())

    async def run(self, series: tuple[str, str]) -> ImportReport:
        """Write the file's new and changed races and compare its curated ones; return what happened."""
        series_id = await self._series(series)
        season_ids = await self._seasons(series_id)
        query = """
            SELECT r.id, sn.year, r.round, r.name, r.track_id, r.curated, r.owner_guild_id, r.import_digest
            FROM races r JOIN seasons sn ON sn.id = r.season_id WHERE sn.series_id = ?
        """
        stored = {(r["year"], r["round"]): r for r in await self._rows(query, (series_id,))}
        new: list[HistoryRace] = []
        changed: list[tuple[HistoryRace, aiosqlite.Row]] = []
        kept: list[tuple[HistoryRace, aiosqlite.Row]] = []
        unchanged = 0
        digests: dict[tuple[int, int], str] = {}
        for race in self.history.races:
            row = stored.get((race.season, race.round))
            if row is None:
                new.append(race)
            elif row["curated"] or row["owner_guild_id"] is not None:
                kept.append((race, row))
            elif race.rejected:
                self.notes.append(f"{race.label}: some of its rows were rejected, so the stored race was kept")
                unchanged += 1
            else:
                digests[(race.season, race.round)] = race.digest()
                if row["import_digest"] == digests[(race.season, race.round)]:
                    unchanged += 1
                else:
                    changed.append((race, row))

        track_ids, tracks_added = await self._tracks(kept, [*new, *(race for race, _ in changed)])
        drivers, drivers_before, drivers_added = await self._drivers([*new, *(race for race, _ in changed)])
        await self._compare(kept, drivers)
        teams = await self._teams([*new, *(race for race, _ in changed)])

        removed = await self._clear(changed, track_ids, digests)
        race_ids = await self._insert_races(series_id, season_ids, new, track_ids, digests)
        race_ids.update({(race.season, race.round): row["id"] for race, row in changed})
        written = [*new, *(race for race, _ in changed)]
        entries = await self._insert_entries(written, race_ids, drivers, teams)
        await self._link_source(race_ids.values())

        touched = {drivers[e.driver_key] for race in written for e in race.entries}
        return ImportReport(
            races_added=len(new),
            races_updated=len(changed),
            races_unchanged=unchanged,
            races_kept=len(kept),
            entries_added=entries,
            entries_removed=removed,
            drivers_added=drivers_added,
            drivers_updated=len(touched & drivers_before),
            tracks_added=tracks_added,
            disagreements=tuple(self.disagreements),
            car_repairs=tuple(self.repairs),
            notes=tuple(self.notes),
            committed=True,
        )

    async def _series(self, series: tuple[str, str]) -> int:
        """Return the stored series with this short name, adding it under its full name when new."""
        rows = await self._rows("SELECT id FROM series WHERE short_name = ?", (series[1],))
        return int(rows[0]["id"]) if rows else await series_id_for(self.conn, *series)

    async def _seasons(self, series_id: int) -> dict[int, int]:
        years = sorted({race.season for race in self.history.races})
        await self.conn.executemany(
            "INSERT INTO seasons (series_id, year) VALUES (?, ?) ON CONFLICT (series_id, year) DO NOTHING",
            [(series_id, year) for year in years],
        )
        rows = await self._rows("SELECT id, year FROM seasons WHERE series_id = ?", (series_id,))
        return {r["year"]: r["id"] for r in rows}

    async def _track_map(self) -> dict[str, int]:
        """Return folded name -> track id, for every track name and alias."""
        by_name = {fold(r["name"]): r["id"] for r in await self._rows("SELECT id, name FROM tracks")}
        aliases = {
            r["alias_key"]: r["track_id"] for r in await self._rows("SELECT alias_key, track_id FROM track_aliases")
        }
        return by_name | aliases

    async def _tracks(
        self, kept: list[tuple[HistoryRace, aiosqlite.Row]], written: list[HistoryRace]
    ) -> tuple[dict[str, int], int]:
        """Return folded track name -> id, learning other names from curated races and adding unknown tracks."""
        track_ids = await self._track_map()
        for race, row in kept:
            key = fold(race.track)
            if key not in track_ids:
                # The file's name for a curated race's track is another name of that track (DriverAverages'
                # 'Homestead' for Homestead-Miami Speedway): remember it, so every year of it lands on one track.
                await self.conn.execute(
                    "INSERT INTO track_aliases (alias_key, alias, track_id) VALUES (?, ?, ?)",
                    (key, race.track, row["track_id"]),
                )
                track_ids[key] = row["track_id"]
                self.notes.append(f"Track '{race.track}' is stored as another name of the {race.label} track")
            elif track_ids[key] != row["track_id"]:
                self.notes.append(f"Track '{race.track}' is stored apart from the track of the curated {race.label}")
        unknown: dict[str, HistoryRace] = {}
        for race in written:
            if fold(race.track) not in track_ids:
                unknown.setdefault(fold(race.track), race)
        await self.conn.executemany(
            "INSERT INTO tracks (name, length_miles, surface) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [(race.track, race.length_miles, race.surface) for race in unknown.values()],
        )
        if unknown:
            track_ids = await self._track_map()
        # Fill facts a known track lacks; a known value is never replaced.
        facts = {track_ids[fold(r.track)]: (r.length_miles, r.surface) for r in written}
        await self.conn.executemany(
            "UPDATE tracks SET length_miles = coalesce(length_miles, ?), surface = coalesce(surface, ?) WHERE id = ?",
            [(length, surface, track_id) for track_id, (length, surface) in facts.items() if length or surface],
        )
        return track_ids, len(unknown)

    async def _drivers(self, written: list[HistoryRace]) -> tuple[dict[str, int], set[int], int]:
        """Return name key -> driver id for every driver of the written races (adding new ones), ids stored before."""
        rows = await self._rows("SELECT id, name_key FROM drivers")
        before = {r["id"] for r in rows}
        ids = {r["name_key"]: r["id"] for r in rows}
        ids |= {
            r["alias_key"]: r["driver_id"] for r in await self._rows("SELECT alias_key, driver_id FROM driver_aliases")
        }
        # A new driver is stored under the spelling the file uses most (first seen wins a tie).
        spellings: dict[str, dict[str, int]] = {}
        for race in written:
            for entry in race.entries:
                if entry.driver_key not in ids:
                    counts = spellings.setdefault(entry.driver_key, {})
                    counts[entry.driver] = counts.get(entry.driver, 0) + 1
        new = {key: max(counts, key=counts.__getitem__) for key, counts in spellings.items()}
        if new:
            await self.conn.executemany(
                "INSERT INTO drivers (name, name_key) VALUES (?, ?) ON CONFLICT (name_key) DO NOTHING",
                [(name, key) for key, name in new.items()],
            )
            rows = await self._rows("SELECT id, name_key FROM drivers")
            added = {r["name_key"]: r["id"] for r in rows if r["name_key"] in new}
            ids |= added
            await self.conn.executemany(
                "INSERT OR IGNORE INTO driver_aliases (alias_key, alias, driver_id) VALUES (?, ?, ?)",
                [(key, new[key], driver_id) for key, driver_id in added.items()],
            )
        return ids, before, len(new)

    async def _teams(self, written: list[HistoryRace]) -> dict[str, int]:
        names = {e.team for race in written for e in race.entries if e.team}
        await self.conn.executemany(
            "INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [(name,) for name in sorted(names)]
        )
        return {r["name"]: r["id"] for r in await self._rows("SELECT id, name FROM teams")}

    async def _compare(self, kept: list[tuple[HistoryRace, aiosqlite.Row]], drivers: dict[str, int]) -> None:
        """Report every way the file differs from the curated (or server-uploaded) races it also holds."""
        for race, row in kept:
            if row["owner_guild_id"] is not None:
                self.notes.append(f"{race.label}: stored from a server's own upload, left as it is")
                continue
            label = f"{race.season} {row['name']}"
            query = """
                SELECT e.driver_id, d.name AS driver, e.car_number, tm.name AS team, e.make, e.start_pos,
                       e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points
                FROM entries e JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams tm ON tm.id = e.team_id
                WHERE e.race_id = ? ORDER BY e.finish_pos
            """
            curated = {r["driver_id"]: r for r in await self._rows(query, (row["id"],))}
            if fold(race.name) != fold(row["name"]):
                self.disagreements.append(Disagreement(label, "", "race name", row["name"], race.name, race.first_line))
            seen = set()
            for entry in race.entries:
                driver_id = drivers.get(entry.driver_key)
                stored = curated.get(driver_id) if driver_id is not None else None
                if stored is None:
                    car = f"#{entry.car}, finish {entry.finish}"
                    self.disagreements.append(Disagreement(label, entry.driver, "entry", "absent", car, entry.line))
                    continue
                seen.add(driver_id)
                self._compare_entry(label, entry, stored)
            for driver_id, stored in curated.items():
                if driver_id not in seen:
                    car = f"#{stored['car_number']}, finish {_text(stored['finish_pos'])}"
                    self.disagreements.append(Disagreement(label, stored["driver"], "entry", car, "absent", None))

    def _compare_entry(self, label: str, entry: HistoryEntry, stored: aiosqlite.Row) -> None:
        if entry.car != stored["car_number"]:
            target = self.repairs if _same_number(entry.car, stored["car_number"]) else self.disagreements
            target.append(Disagreement(label, stored["driver"], "car", stored["car_number"], entry.car, entry.line))
        pairs: list[tuple[str, Any, Any]] = [
            ("finish", stored["finish_pos"], entry.finish),
            ("start", stored["start_pos"], entry.start),
            ("team", stored["team"], entry.team),
            ("make", stored["make"], entry.make),
            ("laps", stored["laps_completed"], entry.laps),
            ("status", stored["status"], entry.status),
            ("laps led", stored["laps_led"], entry.laps_led),
            ("points", stored["points"], entry.points),
        ]
        for field, curated, given in pairs:
            same = fold(curated) == fold(given) if isinstance(curated, str) and isinstance(given, str) else None
            if not same and curated != given:
                self.disagreements.append(
                    Disagreement(label, stored["driver"], field, _text(curated), _text(given), entry.line)
                )

    async def _clear(
        self,
        changed: list[tuple[HistoryRace, aiosqlite.Row]],
        track_ids: dict[str, int],
        digests: dict[tuple[int, int], str],
    ) -> int:
        """Empty the races whose rows changed since they were imported, and update their own facts."""
        removed = 0
        for race, row in changed:
            async with self.conn.execute("DELETE FROM entries WHERE race_id = ?", (row["id"],)) as cursor:
                removed += cursor.rowcount
            query = """
                UPDATE races SET name = ?, track_id = ?, laps_run = ?, import_digest = ?,
                                 data_version = data_version + 1
                WHERE id = ?
            """
            params = (race.name, track_ids[fold(race.track)], _laps_run(race), digests[(race.season, race.round)])
            await self.conn.execute(query, (*params, row["id"]))
        return removed

    async def _insert_races(
        self,
        series_id: int,
        season_ids: dict[int, int],
        new: list[HistoryRace],
        track_ids: dict[str, int],
        digests: dict[tuple[int, int], str],
    ) -> dict[tuple[int, int], int]:
        """Insert the new races; return (season, round) -> id for them."""
        query = """
            INSERT INTO races (season_id, round, name, track_id, race_date, date_precision, laps_run, results_status,
                               curated, import_digest)
            VALUES (?, ?, ?, ?, ?, 'season', ?, ?, 0, ?)
        """
        params = []
        for race in new:
            digest = digests.setdefault((race.season, race.round), race.digest())
            params.append(
                (
                    season_ids[race.season],
                    race.round,
                    race.name,
                    track_ids[fold(race.track)],
                    f"{race.season:04d}-01-01",  # date_precision 'season': only the year is known
                    _laps_run(race),
                    _season_results_status(race.season),
                    digest,
                )
            )
        await self.conn.executemany(query, params)
        if not new:
            return {}
        wanted = {(race.season, race.round) for race in new}
        query = (
            "SELECT r.id, sn.year, r.round FROM races r JOIN seasons sn ON sn.id = r.season_id WHERE sn.series_id = ?"
        )
        rows = await self._rows(query, (series_id,))
        return {(r["year"], r["round"]): r["id"] for r in rows if (r["year"], r["round"]) in wanted}

    async def _insert_entries(
        self,
        written: list[HistoryRace],
        race_ids: dict[tuple[int, int], int],
        drivers: dict[str, int],
        teams: dict[str, int],
    ) -> int:
        """Insert the written races' entries; return how many."""
        query = """
            INSERT INTO entries (race_id, driver_id, car_number, team_id, make, start_pos, finish_pos, laps_completed,
                                 status, laps_led, points)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
        rows = (
            (
                race_ids[(race.season, race.round)],
                drivers[e.driver_key],
                e.car,
                teams[e.team] if e.team else None,
                e.make,
                e.start,
                e.finish,
                e.laps,
                e.status,
                e.laps_led,
                e.points,
            )
            for race in written
            for e in race.entries
        )
        entries = 0
        pending: asyncio.Future[Any] | None = None
        for chunk in _chunks(rows):
            # SQLite writes one chunk on the connection's thread while this one builds the next.
            if pending is not None:
                await pending
                self._advance(_CHUNK)
            pending = asyncio.ensure_future(self.conn.executemany(query, chunk))
            await asyncio.sleep(0)  # let the write start before building the next chunk
            entries += len(chunk)
        if pending is not None:
            await pending
            self._advance(entries % _CHUNK or _CHUNK)
        # S1-S3 are not stored: nascaR.data documents them both as stage finishing positions and as stage
        # points, and a stage result stored under the wrong meaning would be a made-up fact.
        return entries

    async def _link_source(self, race_ids: Iterable[int]) -> None:
        """Link every written race to the one source all its rows came from."""
        query = """
            INSERT INTO sources (key, description) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id
        """
        rows = await self._rows(query, (SOURCE_KEY, SOURCE_DESCRIPTION))
        source_id = rows[0]["id"]
        await self.conn.executemany(
            "INSERT OR IGNORE INTO fact_sources (subject, subject_id, field, source_id, confidence) "
            "VALUES ('races', ?, '', ?, 'one source')",
            [(race_id, source_id) for race_id in race_ids],
        )


def _laps_run(race: HistoryRace) -> int | None:
    """Return the laps the winner completed: the laps the race ran."""
    return race.entries[0].laps if race.entries and race.entries[0].finish == 1 else None
