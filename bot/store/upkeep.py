"""Checks and copies of the database file itself, behind `python -m bot db check|backup` and start-up."""

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.store.database import StoreBase, StoreDamagedError, StoreError, StoreWriteError

SHOWN_PROBLEM_CHARS = 160  # how much of the first problem a one-line refusal quotes


def damaged(path: Path | str, check: str, found: Sequence[str]) -> StoreDamagedError:
    """Return the one-line refusal of a damaged file: which check failed, how often, and how to restore it."""
    first = found[0] if len(found[0]) <= SHOWN_PROBLEM_CHARS else found[0][: SHOWN_PROBLEM_CHARS - 1] + "…"
    return StoreDamagedError(
        f"{path} is damaged ({check} found {len(found)} problem(s), the first: {first}); it was left untouched. "
        "Restore a copy made with `python -m bot db backup`, or move it away to start afresh."
    )


def _problems(rows: Iterable[sqlite3.Row]) -> list[str]:
    """Return a check's answer one problem a line: SQLite puts several in one row, under a '*** in database' head."""
    lines = [line.strip() for row in rows for line in str(row[0]).splitlines()]
    return [line for line in lines if line and not line.startswith("*** in database")] or ["ok"]


class Upkeep(StoreBase):
    """SQLite's own checks and online backup, run under the store's lock like every other method."""

    async def quick_check(self) -> list[str]:
        """Return what SQLite's quick check finds, a problem a line (['ok'] when sound); it reads every page once."""
        try:
            return _problems(await self._fetchall("PRAGMA quick_check"))
        except sqlite3.DatabaseError as error:
            return [str(error)]

    async def verify(self, path: Path | str) -> None:
        """Raise StoreDamagedError, saying how to restore path, if SQLite's quick check finds damage."""
        found = await self.quick_check()
        if found != ["ok"]:
            raise damaged(path, "quick_check", found)

    async def integrity_check(self) -> list[str]:
        """Return what SQLite's full integrity check finds, a problem a line (['ok'] when the file is sound)."""
        try:
            return _problems(await self._fetchall("PRAGMA integrity_check"))
        except sqlite3.DatabaseError as error:
            # Some damage stops the full check outright, while the quick check still lists what it finds.
            found = await self.quick_check()
            return found if found != ["ok"] else [str(error)]

    async def foreign_key_problems(self) -> int | None:
        """Return how many rows point at rows that do not exist; None when damage stops the check."""
        try:
            return len(await self._fetchall("PRAGMA foreign_key_check"))
        except sqlite3.DatabaseError:
            return None

    async def row_counts(self, tables: Sequence[str]) -> dict[str, int | None]:
        """Return each table's row count, None for a table damage makes unreadable (names come from the schema)."""
        counts: dict[str, int | None] = {}
        for table in tables:
            try:
                row = await self._fetchone(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - schema table names
            except sqlite3.DatabaseError:
                counts[table] = None
            else:
                counts[table] = int(row[0]) if row else 0
        return counts

    async def backup(self, target: Path) -> None:
        """Copy the live database to target, a new file, with SQLite's online backup (safe while the bot runs).

        The copy is checked before it counts as a backup: a damaged one is removed, never left to be restored.
        """
        destination = await asyncio.to_thread(_new_database_file, target)
        try:
            async with self._lock:
                await self._conn.backup(destination)
            found = await asyncio.to_thread(_quick_check, destination)
        except sqlite3.Error as error:
            await asyncio.to_thread(_discard, destination, target)
            raise StoreWriteError(f"the backup to {target} failed ({error}); nothing was kept there.") from error
        except BaseException:
            await asyncio.to_thread(_discard, destination, target)
            raise
        if found == ["ok"]:
            destination.close()
            return
        await asyncio.to_thread(_discard, destination, target)
        # The copy holds the database's own pages: when the database fails the check too, the damage is its own.
        source = await self.quick_check()
        if source != ["ok"]:
            raise damaged("the database", "quick_check", source)
        raise StoreWriteError(
            f"the copy written to {target} failed SQLite's check ({found[0]}), so it was removed; "
            "check that disk and try again."
        )


def _new_database_file(target: Path) -> sqlite3.Connection:
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new file name.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(target, check_same_thread=False)  # the copy runs on aiosqlite's thread
    except (OSError, sqlite3.OperationalError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise StoreError(f"{target} cannot be created ({reason}); choose a file in a folder you can write.") from error


def _discard(conn: sqlite3.Connection, target: Path) -> None:
    """Close and remove a copy that must not be taken for a backup."""
    conn.close()
    target.unlink(missing_ok=True)


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    try:
        return _problems(conn.execute("PRAGMA quick_check").fetchall())
    except sqlite3.DatabaseError as error:
        return [str(error)]
