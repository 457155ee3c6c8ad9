"""The store: one SQLite connection and typed async methods returning frozen rows.

What servers write goes through the same methods either way: into the SQLite file, or, once use_server_data was
handed PostgreSQL's PgServerData (DATABASE_URL), into PostgreSQL, shared by every process. Races stay in the file.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from bot.store.announcements import Announcements
from bot.store.career import CareerReads
from bot.store.charts import ChartReads
from bot.store.coverage import CoverageReads
from bot.store.database import (
    StoreBusyError,
    StoreChange,
    StoreDamagedError,
    StoreError,
    StoreReadOnlyError,
    StoreWriteError,
    connect,
    migrate,
)
from bot.store.feed_records import FeedRace
from bot.store.feeds import FeedImport, FeedImportReport
from bot.store.imports import HistoryImport, ImportReport
from bot.store.meta import MetaValues
from bot.store.moderation import Moderation, ResultsRefusedError
from bot.store.quote_copies import QuoteCopies
from bot.store.race_keys import RaceKeyReads
from bot.store.raceday import RaceDayStore
from bot.store.races import RaceReads
from bot.store.records import HistoryFile, RaceBundle
from bot.store.schedule import ScheduleStore
from bot.store.upkeep import Upkeep
from bot.store.upload_copies import UploadCopies

if TYPE_CHECKING:
    from bot.store.postgres.server_data import PgServerData

log = logging.getLogger(__name__)

__all__ = [
    "ResultsRefusedError",
    "Store",
    "StoreBusyError",
    "StoreChange",
    "StoreDamagedError",
    "StoreError",
    "StoreReadOnlyError",
    "StoreWriteError",
    "open_store",
]

# The methods of what servers write that PgServerData implements, each with the SQLite store's signature; with
# PostgreSQL in use they go there. The rest (races, imports, feeds, schedule, upkeep) stay on the node's file.
SERVER_DATA_METHODS: tuple[str, ...] = (
    # settings
    "guild_settings",
    "update_guild_settings",
    "set_mod_channel",
    "set_announce",
    "followed_series",
    "set_followed_series",
    # recap versions and posts
    "add_recap_version",
    "recap_versions",
    "recap_version",
    "discard_recap_version",
    "recap_post",
    "record_recap_post",
    "published_recap",
    # a server's uploads (PostgreSQL keeps them; each node reads its own copies of them)
    "import_guild_results",
    "mark_official",
    "correct_result",
    # quotes, corrections, audit
    "add_guild_quote",
    "remove_guild_quote",
    "corrections",
    "audit_entries",
    # announcements
    "post_stops",
    "due_announcements",
    "pass_over_history",
    "claim_announcement",
    "announcement_sent",
    "announcement_failed",
    "stop_posts",
    "announcement",
    "announcements",
    "set_announcement_shown",
    "save_official_draft",
    # race-day posts
    "race_day_settings",
    "set_race_day",
    "race_day_servers",
    "race_day_post",
    "claim_race_day_post",
    "race_day_post_sent",
    "race_day_post_moved",
    "race_day_post_failed",
)


class Store(
    RaceKeyReads,
    RaceReads,
    ChartReads,
    CareerReads,
    CoverageReads,
    Moderation,
    Announcements,
    RaceDayStore,
    HistoryImport,
    FeedImport,
    ScheduleStore,
    MetaValues,
    Upkeep,
    UploadCopies,
    QuoteCopies,
):
    """Typed access to Pit Board's SQLite database, and to PostgreSQL for what servers write once handed it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn)
        self.server_data: PgServerData | None = None

    def use_server_data(self, data: "PgServerData") -> None:
        """Send what servers write (SERVER_DATA_METHODS) to data from now on; the store closes it when it closes.

        Each method is bound on this instance, so the cogs keep calling the same typed methods, and every listener
        hears data's changes too: this process's writes, and through its change feed, every other process's.
        """
        if self.server_data is not None:
            raise RuntimeError("the store already sends what servers write to PostgreSQL")
        for name in SERVER_DATA_METHODS:
            setattr(self, name, getattr(data, name))
        for listener in self._listeners:
            data.subscribe(listener)
        self.server_data = data

    def subscribe(self, listener: Callable[[StoreChange], None]) -> None:
        """Have listener told of every change committed: through this store, or in PostgreSQL by any process."""
        super().subscribe(listener)
        if self.server_data is not None:
            self.server_data.subscribe(listener)

    # --- shared imports: with PostgreSQL, uploaders are told there too -----------------------------------------

    async def _shared_races_stored(self) -> None:
        """Tell servers in PostgreSQL's audit log of shared results that replaced their upload, after a shared import.

        The file's own notice (bot.store.loading.note_replaced_uploads) went to the file's audit log inside the
        import's transaction; with PostgreSQL in use, the moderators read PostgreSQL's. The import stands either way:
        a notice that cannot be written now is written after the next shared import or at the next start.
        """
        if self.server_data is None:
            return
        try:
            await self.server_data.note_replaced_uploads()
        except StoreError as error:
            log.warning("Could not tell servers in PostgreSQL of shared results that replaced their upload: %s", error)

    async def add_race_bundle(
        self, bundle: RaceBundle, *, curated: bool = True, date_precision: str = "day"
    ) -> int | None:
        """Store a whole race atomically and return its id; None if that race is already stored (idempotent)."""
        race_id = await super().add_race_bundle(bundle, curated=curated, date_precision=date_precision)
        if race_id is not None:
            await self._shared_races_stored()
        return race_id

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
        """Merge an export into the store in one transaction (see HistoryImport.import_history)."""
        report = await super().import_history(
            history, series=series, commit=commit, progress=progress, replace_races=replace_races, meta=meta
        )
        if report.committed and report.wrote:
            await self._shared_races_stored()
        return report

    async def import_history_by_season(
        self,
        history: HistoryFile,
        *,
        series: tuple[str, str],
        progress: Callable[[int], None] | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> ImportReport:
        """Merge an export a season at a time (see HistoryImport.import_history_by_season)."""
        report = await super().import_history_by_season(history, series=series, progress=progress, meta=meta)
        if report.wrote:
            await self._shared_races_stored()
        return report

    async def import_feed_race(
        self, race: FeedRace, *, round_: int | None = None, fetched_at: dt.datetime | None = None
    ) -> FeedImportReport:
        """Store one feed race in one transaction and return what was done (see FeedImport.import_feed_race)."""
        report = await super().import_feed_race(race, round_=round_, fetched_at=fetched_at)
        if report.wrote:
            await self._shared_races_stored()
        return report

    async def close(self) -> None:
        """Close PostgreSQL's pool and change feed, when in use, then the SQLite connection."""
        try:
            if self.server_data is not None:
                await self.server_data.close()
        finally:
            await super().close()


async def open_store(path: Path | str, *, upgrade: bool = True, verify: bool = False) -> Store:
    """Open the database at path, applying pending migrations unless told not to.

    verify first reads the whole file with SQLite's quick check and refuses a damaged one (StoreDamagedError),
    before a migration could write into it.
    """
    conn = await connect(path)
    store = Store(conn)
    try:
        if verify:
            await store.verify(path)
        if upgrade:
            await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return store
