"""One refresh of one followed series: download nascaR.data's file if it changed, and merge it a season at a time.

The same refresh serves `python -m bot refresh` and the running bot, which runs that command in a child process
(bot.follow.follower): the download, the parsing of up to 100,000 rows and the merge then have their own process,
connection and core, and the bot's event loop only waits for the child to finish.

What a refresh remembers goes in the meta table under bot.store.coverage's refresh keys: when it last succeeded,
when the file last changed (both stored with the merge's last season, so they name the data fans see), and the
last error in one line, which a later success clears.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.importers.download import DownloadError, NascarDataDownloader, Progress
from bot.importers.nascar_data import HistoryFile, HistoryFileError, read_history
from bot.series import BY_CODE
from bot.store import Store
from bot.store.coverage import refresh_key
from bot.store.imports import ImportReport

log = logging.getLogger(__name__)


class RefreshError(Exception):
    """The refresh stored no new data; the message says why in one line (and was remembered as the last error)."""


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What one refresh did: nothing new (the file unchanged), or the file merged."""

    series: str
    url: str
    history: HistoryFile | None = None  # None: unchanged since the last refresh
    report: ImportReport | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


async def refresh_series(
    store: Store,
    series: str,
    *,
    data_url: str,
    folder: Path,
    download_progress: Progress | None = None,
    read_progress: Callable[[int], None] | None = None,
    write_progress: Callable[[int], None] | None = None,
) -> Refreshed:
    """Download a series' file if it changed since the last refresh and merge it; raise RefreshError on failure."""
    downloader = NascarDataDownloader(store, data_url, folder=folder, progress=download_progress)
    try:
        path = await downloader.fetch(series)
        if path is None:
            await store.set_meta_values(
                {refresh_key(series, "refreshed_at"): _now(), refresh_key(series, "last_error"): ""}
            )
            return Refreshed(series, downloader.url(series))
        # The parse is plain Python over the whole file: on a thread, so a caller's event loop keeps turning.
        history = await asyncio.to_thread(read_history, path, series=series, progress=read_progress)
    except (DownloadError, HistoryFileError) as error:
        await _failed(store, series, str(error))
        raise RefreshError(str(error)) from error
    report = await store.import_history_by_season(
        history,
        series=(BY_CODE[series].name, series),
        progress=write_progress,
        meta=downloader.validators(series),
    )
    return Refreshed(series, downloader.url(series), history, report)


async def _failed(store: Store, series: str, reason: str) -> None:
    """Remember why the refresh failed, keeping when it last succeeded."""
    log.debug("Refreshing %s failed: %s", series, reason)
    await store.set_meta_values({refresh_key(series, "last_error"): reason})
