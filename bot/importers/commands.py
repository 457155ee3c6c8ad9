"""The data command line: `import nascar-data`, `import race`, `export race`, `drivers merge`, `refresh`.

Exit status: 0 done (an unchanged download too); 1 done, but some rows were rejected or could not be merged (the
others were stored), or the request was refused (no such race or driver, a folder that is not empty, a --replace
that names a curated race); 2 nothing was stored (an unreadable file, the data host unreachable, a database error,
an argument no command could use: a file where a folder belongs, an id beyond any SQLite can hold).
"""

import argparse
import csv
import functools
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.config import DEFAULT_NASCAR_DATA_URL
from bot.errors import UserFacingError
from bot.importers.download import DownloadError, NascarDataDownloader, file_name
from bot.importers.feed_command import import_feed
from bot.importers.nascar_data import (
    HistoryFile,
    HistoryFileError,
    count_rows,
    read_history,
)
from bot.importers.nascar_feed import FeedFileError
from bot.importers.race_folder import ExportRefusedError, export_race, import_race_folder
from bot.importers.refresh import RefreshError, refresh_series
from bot.racefiles import RaceFileError
from bot.series import BY_CODE
from bot.store import Store
from bot.store.feeds import FeedMatchError
from bot.store.imports import SOURCE_CREDIT, ImportReport, MergeRefusedError

SHOWN_PROBLEMS = 20  # rejected rows and disagreements printed before pointing at --report
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id names nothing and cannot even be looked up
_RACE_KEY = re.compile(r"^(?P<series>[a-z]+)/(?P<season>\d{4})/(?P<round>\d{1,3})$")
COMMANDS = ("import", "export", "drivers", "refresh")


class ArgumentError(Exception):
    """A command-line argument no command could use; the message says which and why (exit status 2)."""


def add_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the import, export and drivers commands to the command line."""
    importing = commands.add_parser("import", help="add race data to the store").add_subparsers(
        dest="kind", required=True
    )
    history = importing.add_parser(
        "nascar-data",
        help="a whole series history from nascaR.data (DriverAverages.com): downloaded, or a CSV file",
    )
    history.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="a CSV in nascaR.data's layout; leave it out to download SERIES_series.csv from NASCAR_DATA_URL",
    )
    history.add_argument("--series", required=True, choices=tuple(BY_CODE), help="which series the file holds")
    history.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="RACE",
        help="replace this race's stored rows with the file's (SERIES/SEASON/ROUND, e.g. truck/2024/1); repeatable",
    )
    history.add_argument("--report", type=Path, metavar="FILE", help="write every rejected row and disagreement here")
    history.add_argument("--dry-run", action="store_true", help="check and compare everything, but store nothing")
    feed = importing.add_parser("nascar-feed", help="one race weekend from NASCAR's weekend-feed.json: a file or a URL")
    feed.add_argument("source", help="a weekend-feed.json file, or its http(s) URL")
    feed.add_argument(
        "--round", type=int, dest="round_", metavar="N", help="the race's place among its season's points races"
    )
    feed.add_argument("--series", choices=tuple(BY_CODE), help="which series, only when the file has no series_id")
    folder = importing.add_parser("race", help="one race folder (race.json, results.csv, stages.csv, quotes.json)")
    folder.add_argument("folder", type=Path)
    exporting = commands.add_parser("export", help="write stored data out").add_subparsers(dest="kind", required=True)
    race = exporting.add_parser("race", help="one race as a race folder that `import race` loads back")
    race.add_argument("race", help="its id, SERIES/SEASON/ROUND such as truck/2025/4, or its name")
    race.add_argument("folder", type=Path, help="a new or empty folder")
    refresh = commands.add_parser(
        "refresh",
        help="bring followed series up to date from nascaR.data now, as the running bot does each Monday",
    )
    refresh.add_argument(
        "--series",
        nargs="+",
        choices=tuple(BY_CODE),
        help="the series to refresh (default: those FOLLOW_SERIES names)",
    )
    drivers = commands.add_parser("drivers", help="fix driver identities").add_subparsers(dest="action", required=True)
    merge = drivers.add_parser("merge", help="make driver B the same person as driver A (A's name is kept)")
    merge.add_argument("keep", metavar="A", help="a driver's name, alias or #id")
    merge.add_argument("merge", metavar="B", help="a driver's name, alias or #id")


async def run(
    store: Store,
    args: argparse.Namespace,
    *,
    data_dir: Path,
    out: TextIO,
    err: TextIO,
    data_url: str = DEFAULT_NASCAR_DATA_URL,
    follow_series: Sequence[str] = (),
) -> int:
    """Run one data command and return the exit status; data_url is the host of nascaR.data's series files."""
    try:
        match (args.command, getattr(args, "kind", None) or getattr(args, "action", None)):
            case ("refresh", _):
                return await refresh_histories(store, args.series or follow_series, data_url=data_url, out=out, err=err)
            case ("import", "nascar-data"):
                replace = replace_keys(args.replace, args.series)
                if args.file is None:
                    return await download_history(
                        store,
                        args.series,
                        data_url=data_url,
                        out=out,
                        err=err,
                        report=args.report,
                        dry_run=args.dry_run,
                        replace=replace,
                    )
                return await import_history(
                    store,
                    args.file,
                    args.series,
                    out=out,
                    err=err,
                    report=args.report,
                    dry_run=args.dry_run,
                    replace=replace,
                )
            case ("import", "nascar-feed"):
                return await import_feed(store, args.source, round_=args.round_, series=args.series, out=out)
            case ("import", "race"):
                race_id = await import_race_folder(store, args.folder, data_dir)
                _say(out, f"Loaded race #{race_id}." if race_id else "That race is already stored; nothing changed.")
            case ("export", "race"):
                if args.folder.exists() and not args.folder.is_dir():
                    raise ArgumentError(f"{args.folder} is a file; export into a new or empty folder.")
                race_id = await find_race(store, args.race)
                try:
                    written = await export_race(store, race_id, args.folder)
                except OSError as error:
                    raise ArgumentError(f"Cannot write to {args.folder}: {error.strerror or error}.") from error
                _say(out, f"Wrote {', '.join(p.name for p in written)} to {args.folder}")
            case ("drivers", "merge"):
                return await merge_drivers(store, args.keep, args.merge, out=out, err=err)
    except (HistoryFileError, RaceFileError, DownloadError, FeedFileError, FeedMatchError) as error:
        _say(err, f"Nothing was stored: {error}")
        return 2
    except ArgumentError as error:
        _say(err, str(error))
        return 2
    except ExportRefusedError as error:
        _say(err, str(error))
        return 1
    return 0


def _say(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")


def replace_keys(values: Sequence[str], series: str) -> list[tuple[int, int]]:
    """Return the (season, round) of each --replace RACE, or raise ArgumentError for one that names no race."""
    keys = []
    for value in values:
        key = _RACE_KEY.match(value.strip().lower())
        if key is None:
            raise ArgumentError(f"--replace '{value}' is not SERIES/SEASON/ROUND, such as {series}/2024/1.")
        if key["series"] != series:
            raise ArgumentError(f"--replace {value} is not a race of --series {series}.")
        keys.append((int(key["season"]), int(key["round"])))
    return keys


@contextmanager
def _bar(err: TextIO, *, total: int | None, what: str, unit: str = " rows") -> Iterator[Callable[[int], None]]:
    """Yield a progress callback drawing a bar on err when it is a terminal, and doing nothing otherwise."""
    divisor = 1024 if unit == "B" else 1000
    with tqdm(
        total=total,
        desc=what,
        unit=unit,
        unit_scale=True,
        unit_divisor=divisor,
        file=err,
        disable=not err.isatty(),
    ) as bar:

        def advance(amount: int) -> None:
            bar.update(amount)

        yield advance


async def download_history(
    store: Store,
    series: str,
    *,
    data_url: str,
    out: TextIO,
    err: TextIO,
    report: Path | None = None,
    dry_run: bool = False,
    replace: Sequence[tuple[int, int]] = (),
) -> int:
    """Download a series' file from the data host and import it, unless it is unchanged since the last import."""
    with tempfile.TemporaryDirectory(prefix="pitboard-") as folder:
        downloader = NascarDataDownloader(
            store,
            data_url,
            folder=Path(folder),
            progress=lambda total: _bar(err, total=total, what="Downloading", unit="B"),
        )
        # Replacing a race needs the file itself, changed or not.
        path = await downloader.fetch(series, conditional=not replace)
        if path is None:
            _say(out, f"{file_name(series)} has not changed since it was last imported: nothing downloaded or stored.")
            return 0
        _say(out, f"Downloaded {downloader.url(series)}")
        return await import_history(store, path, series, out=out, err=err, report=report, dry_run=dry_run,
                                    replace=replace, meta=downloader.validators(series))  # fmt: skip


def _download_bar(err: TextIO, series: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
    return _bar(err, total=total, what=f"Downloading {series}", unit="B")


async def refresh_histories(store: Store, series: Sequence[str], *, data_url: str, out: TextIO, err: TextIO) -> int:
    """Refresh each series from the data host, as the running bot does; 2 when any stored nothing new by failing."""
    if not series:
        raise ArgumentError("No series to refresh: name them with --series truck nxs cup, or set FOLLOW_SERIES.")
    status = 0
    for code in dict.fromkeys(series):
        with tempfile.TemporaryDirectory(prefix="pitboard-") as folder:
            try:
                done = await refresh_series(
                    store,
                    code,
                    data_url=data_url,
                    folder=Path(folder),
                    download_progress=functools.partial(_download_bar, err, code),
                )
            except RefreshError as error:
                _say(err, f"{code}: nothing was stored: {error}")
                status = 2
                continue
        if done.history is None or done.report is None:
            _say(out, f"{code}: {file_name(code)} has not changed since the last refresh; nothing to merge.")
            continue
        _say(out, f"{code}: downloaded {done.url} and merged it a season at a time")
        for line in summary(done.history, done.report):
            _say(out, line)
        if done.history.rejected or done.report.clashes or done.report.unmatched:
            status = max(status, 1)
    return status


async def import_history(
    store: Store,
    path: Path,
    series: str,
    *,
    out: TextIO,
    err: TextIO,
    report: Path | None = None,
    dry_run: bool = False,
    replace: Sequence[tuple[int, int]] = (),
    meta: Mapping[str, str] | None = None,
) -> int:
    """Check a nascaR.data export, merge it into the store in one transaction, and print a summary."""
    total = count_rows(path) if err.isatty() else 0
    with _bar(err, total=total, what="Reading") as progress:
        history = read_history(path, series=series, progress=progress)
    with _bar(err, total=history.accepted, what="Writing") as progress:
        outcome = await store.import_history(
            history,
            series=(BY_CODE[series].name, series),
            commit=not dry_run,
            progress=progress,
            replace_races=replace,
            meta=meta,
        )
    for line in summary(history, outcome, report):
        _say(out, line)
    if report is not None:
        write_report(report, history, outcome)
    return 1 if history.rejected or outcome.clashes or outcome.unmatched or outcome.refused else 0


def summary(history: HistoryFile, outcome: ImportReport, report: Path | None = None) -> list[str]:
    """Return the lines printed after an import."""
    placeholders = (
        f", {history.placeholders:,} placeholder row{'s' if history.placeholders != 1 else ''} "
        "for races not yet run skipped"
        if history.placeholders
        else ""
    )
    races = (
        f"Races: {outcome.races_added:,} added, {outcome.races_updated:,} updated, "
        f"{outcome.races_unchanged:,} unchanged, {outcome.races_kept:,} kept as curated or another source's"
    )
    races += f", {outcome.races_replaced:,} replaced (--replace)" if outcome.races_replaced else ""
    races += f", {len(outcome.unmatched):,} not matched" if outcome.unmatched else ""
    lines = [
        f"{history.source} ({history.series}): {history.rows:,} rows read, {history.accepted:,} accepted, "
        f"{len(history.rejected):,} rejected{placeholders}",
        f"Source: {SOURCE_CREDIT}",
        races,
        f"Entries: {outcome.entries_added:,} added, {outcome.entries_updated:,} updated, "
        f"{outcome.entries_kept:,} kept that the file lacks, {outcome.entries_removed:,} removed by --replace "
        "(S1-S3 are not stored: their meaning is documented two ways)",
        f"Drivers: {outcome.drivers_added:,} added, {outcome.drivers_updated:,} updated; "
        f"tracks: {outcome.tracks_added:,} added",
    ]
    if outcome.car_repairs:
        lines.append(
            f"Car numbers kept from curated races: {len(outcome.car_repairs)} "
            f"(the file wrote them as numbers, e.g. '{outcome.car_repairs[0].file}' for "
            f"'{outcome.car_repairs[0].stored}')"
        )
    lines.append(
        f"Disagreements with curated races and other sources (their values kept): {len(outcome.disagreements)}"
    )
    lines += [
        f"  {d.race} · {d.driver or 'race'} · {d.field}: {d.source} {d.stored}, file {d.file}"
        + (f" (line {d.line})" if d.line else "")
        for d in outcome.disagreements[:SHOWN_PROBLEMS]
    ]
    if outcome.shortfalls:
        lines.append(
            f"Stored rows the file lacks (kept; missing rows are not deletions): {outcome.entries_kept:,} "
            f"in {len(outcome.shortfalls):,} race{'s' if len(outcome.shortfalls) != 1 else ''}"
        )
        lines += [
            f"  {s.race}: kept {', '.join(s.kept)}; --replace {s.key} takes the file's rows instead"
            for s in outcome.shortfalls[:SHOWN_PROBLEMS]
        ]
    if outcome.clashes:
        lines.append(f"Clashes (stored rows kept): {len(outcome.clashes):,}")
        lines += [f"  line {c.line}: {c.race} · {c.driver} {c.reason}" for c in outcome.clashes[:SHOWN_PROBLEMS]]
    if outcome.unmatched:
        lines.append(f"Races not matched to the stored race at their round (left alone): {len(outcome.unmatched):,}")
        lines += [f"  {text}" for text in outcome.unmatched[:SHOWN_PROBLEMS]]
    lines += [f"  refused: {text}" for text in outcome.refused]
    lines += [f"  note: {note}" for note in outcome.notes[:SHOWN_PROBLEMS]]
    lines.append(f"Rows rejected: {len(history.rejected):,}")
    lines += [f"  line {r.line}: {r.reason}" for r in history.rejected[:SHOWN_PROBLEMS]]
    longest = (history.rejected, outcome.disagreements, outcome.notes, outcome.shortfalls, outcome.clashes,
               outcome.unmatched)  # fmt: skip
    if max(len(items) for items in longest) > SHOWN_PROBLEMS:
        lines.append(f"  … more in {report}" if report else "  … and more: --report FILE lists them all")
    if not outcome.committed:
        lines.append("Dry run: nothing was stored.")
    return lines


def write_report(path: Path, history: HistoryFile, outcome: ImportReport) -> None:
    """Write every rejected row, disagreement, kept car number, clash, kept row, correction and note as one CSV."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("kind", "line", "race", "driver", "field", "stored", "file", "reason"))
        for rejection in history.rejected:
            writer.writerow(("rejected", rejection.line, "", "", "", "", "", rejection.reason))
        for kind, items in (
            ("disagreement", outcome.disagreements),
            ("car number kept", outcome.car_repairs),
            ("updated", outcome.changes),
        ):
            for d in items:
                writer.writerow((kind, d.line or "", d.race, d.driver, d.field, d.stored, d.file, d.source))
        for clash in outcome.clashes:
            writer.writerow(("clash", clash.line, clash.race, clash.driver, "", "", "", clash.reason))
        for shortfall in outcome.shortfalls:
            for row in shortfall.kept:
                writer.writerow(("kept, not in the file", "", shortfall.race, row, "", "", "", shortfall.key))
        for kind, texts in (("not matched", outcome.unmatched), ("refused", outcome.refused), ("note", outcome.notes)):
            for text in texts:
                writer.writerow((kind, "", "", "", "", "", "", text))


async def find_race(store: Store, text: str) -> int:
    """Return the id of the race meant by an id, SERIES/SEASON/ROUND, or a race name as fans type it."""
    if text.strip().isdigit():
        return _id(text, "race")
    key = _RACE_KEY.match(text.strip().lower())
    if key:
        series = next((s for s in await store.all_series() if s.short_name == key["series"]), None)
        races = await store.race_summaries(series_id=series.id, season=int(key["season"])) if series else []
        race = next((r for r in races if r.round == int(key["round"])), None)
        if race is None:
            raise ExportRefusedError(f"No race {text} is stored.")
        return race.id
    from bot.catalog import load_index  # only here, so the other data commands start quickly
    from bot.search import resolve_race

    try:
        return resolve_race(await load_index(store), text).id
    except UserFacingError as error:
        raise ExportRefusedError(str(error)) from error


async def merge_drivers(store: Store, keep: str, merge: str, *, out: TextIO, err: TextIO) -> int:
    """Merge driver B into driver A and say what changed."""
    found = []
    for text in (keep, merge):
        if text.strip().lstrip("#").isdigit():
            _id(text, "driver")  # refused here, before the store is asked for it
        driver = await store.find_driver(text)
        if driver is None:
            _say(err, f"No driver '{text}': give a stored name, alias or #id.")
            return 1
        found.append(driver)
    try:
        outcome = await store.merge_drivers(found[0][0], found[1][0])
    except MergeRefusedError as error:
        _say(err, f"Not merged: {error}")
        return 1
    _say(out, f"Merged {outcome.merged} into {outcome.kept}: {outcome.entries_moved} entries moved.")
    _say(out, f"{outcome.kept} is also known as: {', '.join(outcome.aliases)}")
    return 0


def _id(text: str, what: str) -> int:
    """Return the id written in text ('12' or '#12'), or raise ArgumentError for one SQLite could not look up."""
    digits = text.strip().lstrip("#")
    # str.isdigit() also accepts digits such as '²', which int() refuses
    if not digits.isdecimal() or int(digits) > MAX_ID:
        raise ArgumentError(f"'{text.strip()}' is not a {what} id: ids are whole numbers up to {MAX_ID}.")
    return int(digits)
