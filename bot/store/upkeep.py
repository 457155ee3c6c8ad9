"""Checks and copies of the database file itself, behind `python -m bot db check|backup` and start-up."""

import asyncio
import sqlite3
from pathlib import Path

from bot.store.database import StoreBase


class Upkeep(StoreBase):
    """SQLite's own checks and online backup, run under the store's lock like every other method."""

    async def quick_check(self) -> list[str]:
        """Return what SQLite's quick check finds (['ok'] when the file is sound); it reads every page once."""
        try:
            return [row[0] for row in await self._fetchall("PRAGMA quick_check")]
        except sqlite3.DatabaseError as error:
            return [str(error)]

    async def integrity_check(self) -> list[str]:
        """Return what SQLite's full integrity check finds (['ok'] when the file is sound)."""
        return [row[0] for row in await self._fetchall("PRAGMA integrity_check")]

    async def foreign_key_problems(self) -> int:
        """Return how many rows point at rows that do not exist."""
        return len(await self._fetchall("PRAGMA foreign_key_check"))

    async def backup(self, target: Path) -> None:
        """Copy the live database to target, a new file, with SQLite's online backup (safe while the bot runs)."""
        destination = await asyncio.to_thread(_new_database_file, target)
        try:
            async with self._lock:
                await self._conn.backup(destination)
        finally:
            destination.close()


def _new_database_file(target: Path) -> sqlite3.Connection:
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(target, check_same_thread=False)  # the copy runs on aiosqlite's thread
