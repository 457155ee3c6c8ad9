"""`python -m bot import nascar-feed FILE|URL`: one race weekend from NASCAR's feed, and the summary it prints.

Exit status as the other import commands: 0 stored (or unchanged); 1 done, but the race is curated and the feed
disagrees with it (compared, nothing written); 2 nothing stored (raised as FeedFileError, DownloadError or
FeedMatchError, which bot.importers.commands turns into one line on stderr).
"""

import asyncio
from pathlib import Path
from typing import TextIO

from bot.importers.nascar_feed import FeedFileError, fetch_weekend_feed, parse_weekend_feed
from bot.store import Store
from bot.store.feed_records import FEED_CREDIT
from bot.store.feeds import FeedImportReport

SHOWN = 20  # disagreements and changes printed


async def import_feed(store: Store, source: str, *, round_: int | None, series: str | None, out: TextIO) -> int:
    """Read a weekend feed from a file or URL, store its race, print what was done; return the exit status."""
    if source.startswith(("http://", "https://")):
        text = await fetch_weekend_feed(source)
    else:
        path = Path(source)
        try:
            text = await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            raise FeedFileError(f"{source} cannot be read: {error.strerror or error}") from error
    race = parse_weekend_feed(text, source=source, series=series)
    report = await store.import_feed_race(race, round_=round_)
    for line in feed_summary(report):
        out.write(line + "\n")
    return 1 if report.action == "kept" and report.disagreements else 0


def feed_summary(report: FeedImportReport) -> list[str]:
    """Return the lines printed after a feed import."""
    done = {
        "added": "added",
        "updated": "updated",
        "unchanged": "unchanged (the same results as the stored version; nothing written)",
        "kept": "kept: a curated race (data/) is compared, never written",
    }[report.action]
    version = f"version {report.version}" if report.version is not None else "no feed version"
    lines = [
        f"{report.race}: {report.series} {report.season} round {report.round}, race #{report.race_id} {done}",
        f"Source: {FEED_CREDIT} (weekend feed) · results {report.status} · {version}",
        f"Entries: {report.entries} · stages with results: {report.stages} · cautions: {report.cautions} · "
        f"lead changes: {report.lead_changes}",
    ]
    if report.changes:
        lines.append(f"Changed since the last version: {len(report.changes)}")
        lines += [f"  {change}" for change in report.changes[:SHOWN]]
    lines += [f"  why: {reason}" for reason in report.reasons[:SHOWN]]
    if report.replaced:
        lines.append(f"nascaR.data values replaced by NASCAR's: {len(report.replaced)}")
        lines += [_line(d.race, d.driver, d.field, f"was {d.stored}, now {d.file}") for d in report.replaced[:SHOWN]]
    lines.append(f"Disagreements with curated races (their values kept): {len(report.disagreements)}")
    lines += [
        _line(d.race, d.driver, d.field, f"curated {d.stored}, feed {d.file}") for d in report.disagreements[:SHOWN]
    ]
    if max(len(report.changes), len(report.replaced), len(report.disagreements)) > SHOWN:
        lines.append(f"  … and more (the first {SHOWN} of each are shown)")
    lines += [f"  note: {note}" for note in report.notes]
    return lines


def _line(race: str, driver: str, field: str, what: str) -> str:
    return f"  {race} · {driver or 'race'} · {field}: {what}"
