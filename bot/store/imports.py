"""Writing imported series histories, race folders and driver merges: each one transaction, bulk where it is big.

A nascaR.data import is a merge. Curated races (data/) and races whose entries another source wrote are compared and
never written; a server's upload is never read or changed. A race is matched across sources by series, season, round
(its place among the season's points races) and track; a race the rules cannot match is reported, never guessed.
Within a race matched to an earlier nascaR.data import, rows are matched on car and driver: a row the file lacks is
kept, a corrected value moves the row, and a row that cannot be merged without overwriting another is reported as a
clash. Only `replace` (the command line's --replace, naming the race) swaps a race's rows for the file's.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any, Literal, TypeVar

import aiosqlite

from bot.names import fold, name_key
from bot.store.loading import RaceLoading, add_alias, note_replaced_uploads, series_id_for
from bot.store.records import HistoryEntry, HistoryFile, HistoryRace
from bot.store.rows import entry_facts

log = logging.getLogger(__name__)

SOURCE_KEY = "NASCAR_DATA"
SOURCE_CREDIT = "DriverAverages.com via nascaR.data"  # the credit the data's licence posture asks for
SOURCE_DESCRIPTION = (
    f"{SOURCE_CREDIT}: DriverAverages.com results as the nascaR.data R package publishes them (export_series, "
    "or its files at nascar.kylegrealis.com); imported as one source"
)
SQLITE_MAX_INTEGER = 2**63 - 1
_CHUNK = 10_000  # entries per executemany, so the progress bar moves and no giant parameter list is built
# Seconds a merge a season at a time leaves SQLite's write lock free between seasons. Another process's writer (the
# bot, saving a moderator's change) retries every WRITE_ATTEMPT_MS for at most WRITE_WAIT: without a gap longer
# than its retry it rarely lands between two seasons, and gives up as busy. Also lets this process's own waiters in.
SEASON_GAP = 0.12

T = TypeVar("T")


def _chunks(items: Iterable[T], size: int = _CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A value a stored race holds that the imported file gives differently.

    Against a curated race (or another source's), the stored value was kept. In the changes of a race an earlier
    nascaR.data import wrote, the file's value replaced it.
    """

    race: str
    driver: str
    field: str
    stored: str
    file: str
    line: int | None
    source: str = "curated"  # who holds the stored value: 'curated' (data/), or the key of the source


@dataclass(frozen=True, slots=True)
class Clash:
    """A file row that could not be merged without overwriting another stored row; the stored rows were kept."""

    race: str
    driver: str
    reason: str
    line: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A stored race the file holds fewer rows of: the stored rows the file lacks were kept."""

    race: str
    key: str  # SERIES/SEASON/ROUND, as --replace names it
    kept: tuple[str, ...]  # 'Kyle Larson #7 (finish 2)'


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would have done)."""

    races_added: int
    races_updated: int  # races an earlier nascaR.data import wrote that gained or changed rows or facts
    races_unchanged: int
    races_kept: int  # curated races, and races another source wrote, that the file also holds: compared, not written
    entries_added: int
    entries_removed: int  # the old entries of races replaced on request (--replace)
    drivers_added: int
    drivers_updated: int  # drivers already stored who gained or changed results
    tracks_added: int
    disagreements: tuple[Disagreement, ...]
    car_repairs: tuple[Disagreement, ...]  # e.g. the file's '7' for a curated '07': same driver, curated text kept
    notes: tuple[str, ...]
    committed: bool
    entries_updated: int = 0  # stored rows the file corrected (a moved finish, a filled-in value)
    entries_kept: int = 0  # stored rows the file lacks: kept, never deleted
    races_replaced: int = 0
    unmatched: tuple[str, ...] = ()  # races the matching rules could not pair with the stored one: left alone
    clashes: tuple[Clash, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    changes: tuple[Disagreement, ...] = ()  # each stored nascaR.data value the file corrected
    refused: tuple[str, ...] = ()  # --replace requests not carried out, and why
    # Which drivers: a file merged a season at a time counts a driver once, not once per season (see _combined).
    updated_driver_ids: frozenset[int] = field(default=frozenset(), repr=False)
    added_driver_ids: frozenset[int] = field(default=frozenset(), repr=False)

    @property
    def wrote(self) -> bool:
        """Return whether the import changed anything readers see."""
        return bool(
            self.races_added or self.races_updated or self.races_replaced or self.drivers_added or self.tracks_added
        )


@dataclass(frozen=True, slots=True)
class RaceOrigin:
    """Where a race's entries came from."""

    kind: Literal["curated", "nascar-data", "upload", "other"]
    sources: tuple[str, ...]  # keys of the sources linked to the race and its entries


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


def first_import_key(series: str) -> str:
    """Return the meta key holding 'SEASON:ROUND' of the newest race a series' first import brought: 'truck'."""
    return f"nascar_data:{series}:first_import_through"


async def _set_meta(conn: aiosqlite.Connection, values: Mapping[str, str]) -> None:
    query = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    await conn.executemany(query, list(values.items()))


async def _remember_first_import(conn: aiosqlite.Connection, series: str) -> None:
    """Store the newest shared race of the series under first_import_key, unless an earlier import did."""
    query = """
        INSERT INTO meta (key, value)
        SELECT :key, sn.year || ':' || r.round
        FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
        WHERE se.short_name = :series AND r.owner_guild_id IS NULL
        ORDER BY sn.year DESC, r.round DESC LIMIT 1
        ON CONFLICT (key) DO NOTHING
    """
    await conn.execute(query, {"key": first_import_key(series), "series": series})


def _nothing_merged(unchanged: int) -> ImportReport:
    """Return the report of races a merge found stored exactly as the file has them."""
    return ImportReport(
        races_added=0,
        races_updated=0,
        races_unchanged=unchanged,
        races_kept=0,
        entries_added=0,
        entries_removed=0,
        drivers_added=0,
        drivers_updated=0,
        tracks_added=0,
        disagreements=(),
        car_repairs=(),
        notes=(),
        committed=True,
    )


def _combined(reports: Sequence[ImportReport]) -> ImportReport:
    """Return one report for the seasons of one file, each merged on its own."""
    counts = (
        "races_added", "races_updated", "races_unchanged", "races_kept", "entries_added", "entries_removed",
        "drivers_added", "tracks_added", "entries_updated", "entries_kept", "races_replaced",
    )  # fmt: skip
    lists = (
        "disagreements", "car_repairs", "notes", "unmatched", "clashes", "shortfalls", "changes", "refused",
    )  # fmt: skip
    first = reports[0]
    added = frozenset().union(*(r.added_driver_ids for r in reports))
    # A driver a first season added is no "updated" driver when a later season adds results to them.
    updated = frozenset().union(*(r.updated_driver_ids for r in reports))
    return replace(
        first,
        **{name: sum(getattr(r, name) for r in reports) for name in counts},
        **{name: tuple(item for r in reports for item in getattr(r, name)) for name in lists},
        drivers_updated=len(updated - added),
        updated_driver_ids=updated - added,
        added_driver_ids=added,
    )


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
        replace_races: Iterable[tuple[int, int]] = (),
        meta: Mapping[str, str] | None = None,
    ) -> ImportReport:
        """Merge an export into the store in one transaction; curated and other sources' races are compared only.

        series is the (name, short name) to use when no stored series has that short name yet. A race already
        stored from an identical file is left alone, so importing a file twice changes nothing. replace_races names
        the (season, round) races whose stored rows the file's rows replace. meta is stored in the same transaction
        (a download's validators, so they are remembered exactly when its data is). With commit=False everything is
        done and then rolled back, for a report of what would change. progress, when given, is called with the
        number of entries written since its last call; an exception from it rolls everything back.
        """
        try:
            async with self._transaction() as conn:
                write = _HistoryWrite(conn, history, progress, frozenset(replace_races))
                report = await write.run(series)
                if meta:
                    await _set_meta(conn, meta)
                await _remember_first_import(conn, series[1])
                if not commit:
                    raise _DryRun(report)
        except _DryRun as dry:
            return replace(dry.report, committed=False)
        if report.wrote:
            self._changed("races")
        log.info(
            "Imported %s: %d races added, %d updated, %d replaced, %d entries added, %d updated",
            history.source,
            report.races_added,
            report.races_updated,
            report.races_replaced,
            report.entries_added,
            report.entries_updated,
        )
        return report

    async def import_history_by_season(
        self,
        history: HistoryFile,
        *,
        series: tuple[str, str],
        progress: Callable[[int], None] | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> ImportReport:
        """Merge an export a season at a time, each season its own transaction; return what all of them did.

        For the refresh that runs beside the bot: one transaction over a whole Cup history would hold SQLite's write
        lock for many seconds, and a moderator's save, which waits at most WRITE_WAIT for it, would fail as busy.
        A season is a fraction of a second. Each season is a complete merge of its races, so a refresh that stops
        halfway leaves whole seasons merged, and the next one (meta, the download's validators, is stored with the
        last season only, so the file is fetched again) merges the rest. The first import of a series also
        remembers the newest race it brought (first_import_key), so announcements leave that whole history out.
        """
        seasons: dict[int, list[HistoryRace]] = {}
        for race in history.races:
            seasons.setdefault(race.season, []).append(race)
        # A season whose every race is stored exactly as this file has it (a Monday's file changes one season, if
        # any) has nothing to merge: it is not written, and holds the lock for no one.
        query = """
            SELECT sn.year, r.round, r.import_digest
            FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE se.short_name = ? AND r.owner_guild_id IS NULL AND r.import_digest IS NOT NULL
        """
        digests = {(r["year"], r["round"]): r["import_digest"] for r in await self._fetchall(query, (series[1],))}
        pieces = []
        unchanged = 0
        for _, races in sorted(seasons.items()):
            if all(digests.get((race.season, race.round)) == race.digest() for race in races):
                unchanged += len(races)
            else:
                pieces.append(replace(history, races=tuple(races)))
        reports = [_nothing_merged(unchanged)]
        for number, piece in enumerate(pieces or [replace(history, races=())], start=1):
            last = number == max(len(pieces), 1)
            async with self._transaction() as conn:
                if piece.races:
                    reports.append(await _HistoryWrite(conn, piece, progress).run(series))
                if last:
                    if meta:
                        await _set_meta(conn, meta)
                    await _remember_first_import(conn, series[1])
            if not last:
                await asyncio.sleep(SEASON_GAP)
        report = _combined(reports)
        if report.wrote:
            self._changed("races")
        log.info(
            "Merged %s a season at a time (%d of %d seasons changed): %d races added, %d updated, %d entries added, "
            "%d updated",
            history.source,
            len(pieces),
            len(seasons),
            report.races_added,
            report.races_updated,
            report.entries_added,
            report.entries_updated,
        )
        return report

    async def race_origin(self, race_id: int) -> RaceOrigin | None:
        """Return where a race's entries came from: data/ (curated), nascaR.data, a server's upload, or elsewhere."""
        query = """
            SELECT r.curated, r.owner_guild_id,
                   (SELECT group_concat(key) FROM (
                        SELECT DISTINCT s.key FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
                        WHERE (fs.subject = 'races' AND fs.subject_id = r.id)
                           OR (fs.subject = 'entries'
                               AND fs.subject_id IN (SELECT id FROM entries WHERE race_id = r.id))
                        ORDER BY s.key)) AS keys,
                   (SELECT group_concat(DISTINCT s.key) FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
                    WHERE fs.subject = 'races' AND fs.subject_id = r.id) AS race_keys
            FROM races r WHERE r.id = ?
        """
        row = await self._fetchone(query, (race_id,))
        if row is None:
            return None
        sources = tuple(row["keys"].split(",")) if row["keys"] else ()
        kind: Literal["curated", "nascar-data", "upload", "other"]
        if row["curated"]:
            kind = "curated"
        elif row["owner_guild_id"] is not None:
            kind = "upload"
        elif row["race_keys"] == SOURCE_KEY:
            kind = "nascar-data"
        else:
            kind = "other"
        return RaceOrigin(kind, sources)

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


@dataclass(slots=True)
class _RacePlan:
    """What merging one race of the file does: which stored rows it corrects, which rows it adds."""

    race: HistoryRace
    row: aiosqlite.Row | None  # the stored race; None for a new one
    updates: list[tuple[HistoryEntry, aiosqlite.Row, list[tuple[str, Any, Any]]]] = field(default_factory=list)
    inserts: list[HistoryEntry] = field(default_factory=list)
    missing: list[aiosqlite.Row] = field(default_factory=list)  # stored rows the file lacks: kept


class _HistoryWrite:
    """One import inside its transaction: ids are read once into dicts and every big write is an executemany."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        history: HistoryFile,
        progress: Callable[[int], None] | None,
        replace_races: frozenset[tuple[int, int]] = frozenset(),
    ) -> None:
        self.conn = conn
        self.history = history
        self.progress = progress
        self.replace_races = replace_races
        self.notes: list[str] = []
        self.refused: list[str] = []
        self.disagreements: list[Disagreement] = []
        self.repairs: list[Disagreement] = []
        self.changes: list[Disagreement] = []
        self.clashes: list[Clash] = []
        self.shortfalls: list[Shortfall] = []
        self.unmatched: list[str] = []

    def _advance(self, written: int) -> None:
        if self.progress is not None:
            self.progress(written)

    async def _rows(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(query, params) as cursor:
            return list(await cursor.fetchall())

    def _key(self, season: int, round_: int) -> str:
        """Return SERIES/SEASON/ROUND, as --replace names a race."""
        return f"{self.history.series}/{season}/{round_}"

    async def run(self, series: tuple[str, str]) -> ImportReport:
        """Merge the file's races into the stored ones and compare the ones it must not write; return what happened."""
        series_id = await self._series(series)
        season_ids = await self._seasons(series_id)
        # Only shared races are looked at: a server's upload is never read, matched or changed by a shared import.
        query = """
            SELECT r.id, sn.year, r.round, r.name, r.track_id, t.name AS track, r.curated, r.import_digest,
                   r.laps_run,
                   (SELECT group_concat(DISTINCT s.key) FROM fact_sources fs JOIN sources s ON s.id = fs.source_id
                    WHERE fs.subject = 'races' AND fs.subject_id = r.id) AS sources
            FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN tracks t ON t.id = r.track_id
            WHERE sn.series_id = ? AND r.owner_guild_id IS NULL
        """
        stored = {(r["year"], r["round"]): r for r in await self._rows(query, (series_id,))}
        track_ids = await self._track_map()
        new: list[HistoryRace] = []
        merging: list[tuple[HistoryRace, aiosqlite.Row]] = []
        replacing: list[tuple[HistoryRace, aiosqlite.Row]] = []
        kept: list[tuple[HistoryRace, aiosqlite.Row]] = []
        unchanged = 0
        for race in self.history.races:
            row = stored.get((race.season, race.round))
            if row is None:
                new.append(race)
                continue
            # Precedence: only a race nascaR.data alone wrote is written by a nascaR.data import.
            ours = not row["curated"] and row["sources"] == SOURCE_KEY
            if (race.season, race.round) in self.replace_races:
                if ours:
                    replacing.append((race, row))
                    continue
                whose = "curated" if row["curated"] else f"from {row['sources'] or 'another source'}"
                self.refused.append(
                    f"--replace {self._key(race.season, race.round)}: that race is {whose}, and an import never "
                    "overwrites it; it was compared instead"
                )
            if not await self._matches(race, row, track_ids):
                hint = f"; --replace {self._key(race.season, race.round)} takes the file's version" if ours else ""
                self.unmatched.append(
                    f"{race.label} at {race.track}: the stored {race.season} round {race.round} is {row['name']} at "
                    f"{row['track']}; left alone, never guessed{hint}"
                )
            elif not ours:
                kept.append((race, row))
            elif row["import_digest"] == race.digest():
                unchanged += 1
            else:
                merging.append((race, row))
        in_file = {(race.season, race.round) for race in self.history.races}
        for season, round_ in sorted(self.replace_races - in_file):
            self.refused.append(f"--replace {self._key(season, round_)}: the file holds no such race; nothing replaced")

        written = [*new, *(race for race, _ in merging), *(race for race, _ in replacing)]
        track_ids, tracks_added = await self._tracks(written, track_ids)
        drivers, drivers_before = await self._driver_ids()
        stored_entries = await self._stored_entries([row["id"] for _, row in merging])
        plans = [self._plan(race, None, [], drivers) for race in new]
        plans += [self._plan(race, row, [], drivers) for race, row in replacing]
        plans += [self._plan(race, row, stored_entries.get(row["id"], []), drivers) for race, row in merging]
        drivers_added = await self._add_drivers([e for plan in plans for e in plan.inserts], drivers)
        await self._compare(kept, drivers)
        teams = await self._teams(plans)

        removed = await self._replace(replacing, track_ids)
        updated_races = await self._merge(plans, teams)
        race_ids = await self._insert_races(series_id, season_ids, new, track_ids)
        race_ids.update({(race.season, race.round): row["id"] for race, row in (*merging, *replacing)})
        entries = await self._insert_entries(plans, race_ids, drivers, teams)
        await self._link_source(race_ids.values())
        if noticed := await note_replaced_uploads(self.conn):
            self.notes.append(
                f"Servers' uploads of a round now stored here: {noticed}; their fans see the shared race instead, "
                "each server's moderators are told once (audit log), and each upload stays stored"
            )

        touched = {drivers[e.driver_key] for plan in plans for e in plan.inserts}
        touched |= {stored["driver_id"] for plan in plans for _, stored, _ in plan.updates}
        merged = len(merging)
        return ImportReport(
            races_added=len(new),
            races_updated=updated_races,
            races_unchanged=unchanged + merged - updated_races,
            races_kept=len(kept),
            entries_added=entries,
            entries_removed=removed,
            drivers_added=drivers_added,
            drivers_updated=len(touched & drivers_before),
            updated_driver_ids=frozenset(touched & drivers_before),
            added_driver_ids=frozenset(touched - drivers_before),
            tracks_added=tracks_added,
            disagreements=tuple(self.disagreements),
            car_repairs=tuple(self.repairs),
            notes=tuple(self.notes),
            committed=True,
            entries_updated=sum(len(plan.updates) for plan in plans),
            entries_kept=sum(len(plan.missing) for plan in plans),
            races_replaced=len(replacing),
            unmatched=tuple(self.unmatched),
            clashes=tuple(self.clashes),
            shortfalls=tuple(self.shortfalls),
            changes=tuple(self.changes),
            refused=tuple(self.refused),
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
        """Return folded name -> track id, for every shared track's names (never a track only uploads named)."""
        query = "SELECT id, name FROM tracks WHERE id NOT IN (SELECT track_id FROM upload_tracks)"
        by_name = {fold(r["name"]): r["id"] for r in await self._rows(query)}
        query = (
            "SELECT alias_key, track_id FROM track_aliases WHERE track_id NOT IN (SELECT track_id FROM upload_tracks)"
        )
        aliases = {r["alias_key"]: r["track_id"] for r in await self._rows(query)}
        return by_name | aliases

    async def _matches(self, race: HistoryRace, row: aiosqlite.Row, track_ids: dict[str, int]) -> bool:
        """Return whether the file's race is the stored race at its season and round: its track or its name agrees.

        An unknown track name on a race of the same name is learnt as another name of the stored race's track.
        """
        key = fold(race.track)
        known = track_ids.get(key)
        if known == row["track_id"]:
            return True
        if fold(race.name) != fold(row["name"]):
            return False
        if known is not None:
            # An earlier import stored the file's name as a track of its own: the same race, but two tracks.
            self.notes.append(f"Track '{race.track}' is stored apart from the track of the {race.label}")
            return True
        # The file's name for the stored race's track is another name of that track (DriverAverages' 'Homestead'
        # for Homestead-Miami Speedway): remember it, so every year of it lands on one track.
        await self.conn.execute(
            "INSERT INTO track_aliases (alias_key, alias, track_id) VALUES (?, ?, ?)",
            (key, race.track, row["track_id"]),
        )
        track_ids[key] = row["track_id"]
        self.notes.append(f"Track '{race.track}' is stored as another name of the {race.label} track")
        return True

    async def _tracks(self, written: list[HistoryRace], track_ids: dict[str, int]) -> tuple[dict[str, int], int]:
        """Return folded track name -> id, adding the tracks of written races that are not stored yet."""
        unknown: dict[str, HistoryRace] = {}
        for race in written:
            if fold(race.track) not in track_ids:
                unknown.setdefault(fold(race.track), race)
        await self.conn.executemany(
            "INSERT INTO tracks (name, length_miles, surface) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [(race.track, race.length_miles, race.surface) for race in unknown.values()],
        )
        # A track an upload named with exactly the file's text becomes shared: the name is this source's own too.
        await self.conn.executemany(
            "DELETE FROM upload_tracks WHERE track_id = (SELECT id FROM tracks WHERE name = ?)",
            [(race.track,) for race in unknown.values()],
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

    async def _driver_ids(self) -> tuple[dict[str, int], set[int]]:
        """Return name key or alias key -> driver id, and the ids of every stored driver."""
        rows = await self._rows("SELECT id, name_key FROM drivers")
        ids = {r["name_key"]: r["id"] for r in rows}
        ids |= {
            r["alias_key"]: r["driver_id"] for r in await self._rows("SELECT alias_key, driver_id FROM driver_aliases")
        }
        return ids, {r["id"] for r in rows}

    async def _add_drivers(self, entries: list[HistoryEntry], ids: dict[str, int]) -> int:
        """Add the drivers of entries that are not stored yet to ids (and the store); return how many."""
        # A new driver is stored under the spelling the file uses most (first seen wins a tie).
        spellings: dict[str, dict[str, int]] = {}
        for entry in entries:
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
        return len(new)

    async def _teams(self, plans: list[_RacePlan]) -> dict[str, int]:
        names = {e.team for plan in plans for e in plan.inserts if e.team}
        names |= {e.team for plan in plans for e, _, _ in plan.updates if e.team}
        await self.conn.executemany(
            "INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [(name,) for name in sorted(names)]
        )
        return {r["name"]: r["id"] for r in await self._rows("SELECT id, name FROM teams")}

    async def _stored_entries(self, race_ids: list[int]) -> dict[int, list[aiosqlite.Row]]:
        """Return race id -> its stored entries, for the races the file is merged into."""
        found: dict[int, list[aiosqlite.Row]] = {}
        for chunk in _chunks(race_ids, 500):
            marks = ", ".join("?" for _ in chunk)
            query = f"""
                SELECT e.id, e.race_id, e.driver_id, d.name AS driver, e.car_number, e.team_id, tm.name AS team,
                       e.make, e.start_pos, e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points
                FROM entries e JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams tm ON tm.id = e.team_id
                WHERE e.race_id IN ({marks}) ORDER BY e.race_id, e.finish_pos
            """  # noqa: S608 - only ?s are formatted in
            for row in await self._rows(query, chunk):
                found.setdefault(row["race_id"], []).append(row)
        return found

    def _clash(self, race: HistoryRace, entry: HistoryEntry, reason: str) -> None:
        self.clashes.append(Clash(race.label, entry.driver, reason, entry.line))

    def _plan(
        self, race: HistoryRace, row: aiosqlite.Row | None, stored: list[aiosqlite.Row], drivers: dict[str, int]
    ) -> _RacePlan:
        """Match the file's rows to the stored rows on car and driver, and decide what each one does."""
        plan = _RacePlan(race, row)
        by_driver = {s["driver_id"]: s for s in stored}
        seen: set[int] = set()
        matched: dict[int, tuple[HistoryEntry, aiosqlite.Row]] = {}
        for entry in race.entries:
            driver_id = drivers.get(entry.driver_key)
            if driver_id is not None and driver_id in seen:
                self._clash(race, entry, "is another name of a driver already in this race; the row was left out")
                continue
            if driver_id is not None:
                seen.add(driver_id)
            held = by_driver.get(driver_id) if driver_id is not None else None
            if held is None:
                plan.inserts.append(entry)
            elif held["car_number"] == entry.car:
                matched[held["id"]] = (entry, held)
            else:
                self._clash(
                    race, entry, f"car #{entry.car} in the file, #{held['car_number']} stored; the stored row was kept"
                )
        plan.missing = [s for s in stored if s["driver_id"] not in seen]
        kept = [s for s in stored if s["id"] not in matched]
        cars = {s["car_number"]: s["driver"] for s in kept}
        finishes = {s["finish_pos"]: s["driver"] for s in kept if s["finish_pos"] is not None}
        # A corrected finish moves its row, unless a stored row the file does not account for holds that place;
        # then the row stays as stored, and its place may in turn block another: repeat until nothing moves.
        moved = True
        while moved:
            moved = False
            for stored_id, (entry, held) in list(matched.items()):
                if entry.finish != held["finish_pos"] and entry.finish in finishes:
                    self._clash(
                        race,
                        entry,
                        f"finish {entry.finish} is held by {finishes[entry.finish]}, whose stored row stays; "
                        f"the stored row (finish {_text(held['finish_pos'])}) was kept",
                    )
                    del matched[stored_id]
                    if held["finish_pos"] is not None:
                        finishes[held["finish_pos"]] = held["driver"]
                    moved = True
        for entry in list(plan.inserts):
            holder = cars.get(entry.car) or finishes.get(entry.finish)
            if holder is not None:
                what = f"car #{entry.car}" if entry.car in cars else f"finish {entry.finish}"
                self._clash(race, entry, f"{what} is held by {holder}, whose stored row stays; the row was left out")
                plan.inserts.remove(entry)
        for entry, held in matched.values():
            changed = [
                (name, old, new)
                for name, old, new in entry_facts(held, entry)
                # NA in the file is not a deletion either: a value the store holds is only ever corrected.
                if new is not None and new != old
            ]
            if changed:
                plan.updates.append((entry, held, changed))
                for name, old, new in changed:
                    self.changes.append(
                        Disagreement(race.label, held["driver"], name, _text(old), _text(new), entry.line, SOURCE_KEY)
                    )
        if plan.missing:
            kept_rows = tuple(
                f"{s['driver']} #{s['car_number']} (finish {_text(s['finish_pos'])})" for s in plan.missing
            )
            self.shortfalls.append(Shortfall(race.label, self._key(race.season, race.round), kept_rows))
        return plan

    async def _compare(self, kept: list[tuple[HistoryRace, aiosqlite.Row]], drivers: dict[str, int]) -> None:
        """Report every way the file differs from the curated (or other sources') races it also holds."""
        for race, row in kept:
            source = "curated" if row["curated"] else (row["sources"] or "stored")
            label = f"{race.season} {row['name']}"
            query = """
                SELECT e.driver_id, d.name AS driver, e.car_number, tm.name AS team, e.make, e.start_pos,
                       e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points
                FROM entries e JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams tm ON tm.id = e.team_id
                WHERE e.race_id = ? ORDER BY e.finish_pos
            """
            curated = {r["driver_id"]: r for r in await self._rows(query, (row["id"],))}
            if fold(race.name) != fold(row["name"]):
                self.disagreements.append(
                    Disagreement(label, "", "race name", row["name"], race.name, race.first_line, source)
                )
            seen = set()
            for entry in race.entries:
                driver_id = drivers.get(entry.driver_key)
                stored = curated.get(driver_id) if driver_id is not None else None
                if stored is None:
                    car = f"#{entry.car}, finish {entry.finish}"
                    self.disagreements.append(
                        Disagreement(label, entry.driver, "entry", "absent", car, entry.line, source)
                    )
                    continue
                seen.add(driver_id)
                self._compare_entry(label, entry, stored, source)
            for driver_id, stored in curated.items():
                if driver_id not in seen:
                    car = f"#{stored['car_number']}, finish {_text(stored['finish_pos'])}"
                    self.disagreements.append(
                        Disagreement(label, stored["driver"], "entry", car, "absent", None, source)
                    )

    def _compare_entry(self, label: str, entry: HistoryEntry, stored: aiosqlite.Row, source: str) -> None:
        if entry.car != stored["car_number"]:
            target = self.repairs if _same_number(entry.car, stored["car_number"]) else self.disagreements
            target.append(
                Disagreement(label, stored["driver"], "car", stored["car_number"], entry.car, entry.line, source)
            )
        for name, kept, given in entry_facts(stored, entry):
            same = fold(kept) == fold(given) if isinstance(kept, str) and isinstance(given, str) else None
            if not same and kept != given:
                self.disagreements.append(
                    Disagreement(label, stored["driver"], name, _text(kept), _text(given), entry.line, source)
                )

    async def _replace(self, replacing: list[tuple[HistoryRace, aiosqlite.Row]], track_ids: dict[str, int]) -> int:
        """Empty the races named for replacement and take the file's facts for them; return the entries removed."""
        removed = 0
        for race, row in replacing:
            async with self.conn.execute("DELETE FROM entries WHERE race_id = ?", (row["id"],)) as cursor:
                removed += cursor.rowcount
            query = """
                UPDATE races SET name = ?, track_id = ?, laps_run = ?, import_digest = ?,
                                 data_version = data_version + 1
                WHERE id = ?
            """
            params = (race.name, track_ids[fold(race.track)], _laps_run(race), race.digest(), row["id"])
            await self.conn.execute(query, params)
        return removed

    async def _merge(self, plans: list[_RacePlan], teams: dict[str, int]) -> int:
        """Correct the stored rows the file corrects and the merged races' own facts; return the races changed."""
        merged = [plan for plan in plans if plan.row is not None and not self._replacing(plan)]
        # Rows whose finish moves let go of their place first: two finishers swapped must not collide midway.
        await self.conn.executemany(
            "UPDATE entries SET finish_pos = NULL WHERE id = ?",
            [(held["id"],) for plan in merged for entry, held, _ in plan.updates if entry.finish != held["finish_pos"]],
        )
        query = """
            UPDATE entries SET team_id = ?, make = ?, start_pos = ?, finish_pos = ?, laps_completed = ?, status = ?,
                               laps_led = ?, points = ?
            WHERE id = ?
        """
        await self.conn.executemany(
            query,
            [
                (
                    teams[e.team] if e.team else held["team_id"],
                    _given(e.make, held["make"]),
                    _given(e.start, held["start_pos"]),
                    e.finish,
                    _given(e.laps, held["laps_completed"]),
                    _given(e.status, held["status"]),
                    _given(e.laps_led, held["laps_led"]),
                    _given(e.points, held["points"]),
                    held["id"],
                )
                for plan in merged
                for e, held, _ in plan.updates
            ],
        )
        changed = 0
        query = """
            UPDATE races SET name = ?, laps_run = ?, import_digest = ?,
                             data_version = data_version + (CASE WHEN ? THEN 1 ELSE 0 END)
            WHERE id = ?
        """
        params = []
        for plan in merged:
            assert plan.row is not None  # merged plans are the ones with a stored race
            race, row = plan.race, plan.row
            # The winner's laps are the race's laps, once the winner's row is the file's.
            winner = any(e.finish == 1 for e in (*plan.inserts, *(entry for entry, _, _ in plan.updates)))
            laps = _given(_laps_run(race) if winner else None, row["laps_run"])
            if race.name != row["name"]:
                self.changes.append(
                    Disagreement(race.label, "", "race name", row["name"], race.name, race.first_line, SOURCE_KEY)
                )
            facts_changed = race.name != row["name"] or laps != row["laps_run"]
            entries_changed = bool(plan.updates or plan.inserts)
            changed += facts_changed or entries_changed
            params.append((race.name, laps, race.digest(), facts_changed or entries_changed, row["id"]))
        await self.conn.executemany(query, params)
        return changed

    def _replacing(self, plan: _RacePlan) -> bool:
        return (plan.race.season, plan.race.round) in self.replace_races and plan.row is not None

    async def _insert_races(
        self,
        series_id: int,
        season_ids: dict[int, int],
        new: list[HistoryRace],
        track_ids: dict[str, int],
    ) -> dict[tuple[int, int], int]:
        """Insert the new races; return (season, round) -> id for them."""
        # A server's upload of the same round lives beside the shared race (migration 0007): no conflict with it.
        query = """
            INSERT INTO races (season_id, round, name, track_id, race_date, date_precision, laps_run, results_status,
                               curated, import_digest)
            VALUES (?, ?, ?, ?, ?, 'season', ?, ?, 0, ?)
        """
        params = [
            (
                season_ids[race.season],
                race.round,
                race.name,
                track_ids[fold(race.track)],
                f"{race.season:04d}-01-01",  # date_precision 'season': only the year is known
                _laps_run(race),
                _season_results_status(race.season),
                race.digest(),
            )
            for race in new
        ]
        await self.conn.executemany(query, params)
        if not new:
            return {}
        wanted = {(race.season, race.round) for race in new}
        query = """
            SELECT r.id, sn.year, r.round FROM races r JOIN seasons sn ON sn.id = r.season_id
            WHERE sn.series_id = ? AND r.owner_guild_id IS NULL
        """
        rows = await self._rows(query, (series_id,))
        return {(r["year"], r["round"]): r["id"] for r in rows if (r["year"], r["round"]) in wanted}

    async def _insert_entries(
        self,
        plans: list[_RacePlan],
        race_ids: dict[tuple[int, int], int],
        drivers: dict[str, int],
        teams: dict[str, int],
    ) -> int:
        """Insert the rows the plans add; return how many."""
        query = """
            INSERT INTO entries (race_id, driver_id, car_number, team_id, make, start_pos, finish_pos, laps_completed,
                                 status, laps_led, points)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
        rows = (
            (
                race_ids[(plan.race.season, plan.race.round)],
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
            for plan in plans
            for e in plan.inserts
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
        """Link every written race to the one source its rows came from: that is where its entries came from."""
        # DO UPDATE: a database made before the credit was part of the description gets it now.
        query = """
            INSERT INTO sources (key, description) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET description = excluded.description RETURNING id
        """
        rows = await self._rows(query, (SOURCE_KEY, SOURCE_DESCRIPTION))
        source_id = rows[0]["id"]
        await self.conn.executemany(
            "INSERT OR IGNORE INTO fact_sources (subject, subject_id, field, source_id, confidence) "
            "VALUES ('races', ?, '', ?, 'one source')",
            [(race_id, source_id) for race_id in race_ids],
        )


def _given(value: T | None, stored: T | None) -> T | None:
    """Return the file's value, or the stored one when the file gives none (NA is not a deletion)."""
    return stored if value is None else value


def _laps_run(race: HistoryRace) -> int | None:
    """Return the laps the winner completed: the laps the race ran."""
    return race.entries[0].laps if race.entries and race.entries[0].finish == 1 else None
