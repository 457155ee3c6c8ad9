"""The store: one SQLite connection and typed async methods returning frozen rows."""

from pathlib import Path

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
from bot.store.feeds import FeedImport
from bot.store.imports import HistoryImport
from bot.store.meta import MetaValues
from bot.store.moderation import Moderation, ResultsRefusedError
from bot.store.raceday import RaceDayStore
from bot.store.races import RaceReads
from bot.store.schedule import ScheduleStore
from bot.store.upkeep import Upkeep

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


class Store(
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
):
    """Typed access to Pit Board's SQLite database."""


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
