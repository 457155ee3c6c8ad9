"""The one SQLite connection: opening, migrations, and the transaction discipline every store method follows."""

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


class StoreBusyError(StoreError):
    """Another writer held the database for too long."""


class StoreReadOnlyError(StoreError):
    """The database file cannot be written."""


def migration_files(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """Return the numbered migrations in order, checking that the numbers run 1, 2, 3 … without gaps."""
    found = []
    for path in folder.iterdir():
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append((int(match["version"]), path))
    found.sort()
    for expected, (version, path) in enumerate(found, start=1):
        if version != expected:
            raise StoreError(f"migration {path.name} should be number {expected:04d}")
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return PRAGMA user_version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None  # PRAGMA user_version always answers one row
    return int(row[0])


async def migrate(conn: aiosqlite.Connection, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration newer than user_version, each in its own transaction; return those applied."""
    current = await schema_version(conn)
    files = migration_files(folder)
    if current > len(files):
        raise StoreError(f"the database is at schema version {current}, newer than this bot knows ({len(files)}).")
    applied = []
    for version, path in files[current:]:
        script = path.read_text(encoding="utf-8")
        try:
            await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        except sqlite3.Error as error:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise StoreError(f"migration {path.name} failed and was rolled back: {error}") from error
        log.info("Applied migration %s", path.name)
        applied.append(version)
    return applied


async def _looks_foreign(conn: aiosqlite.Connection) -> bool:
    """Return whether the file holds tables but none of ours (another program's database)."""
    if await schema_version(conn) != 0:
        return False
    async with conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'") as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


def _prepare_file(file: Path, *, read_only: bool) -> str:
    """Refuse a file that is not SQLite before SQLite touches it; return the target to open."""
    if not read_only:
        file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists() and file.stat().st_size:
        with file.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"{file} is not a SQLite database; move it away or set DATABASE_PATH to another file.")
    return f"file:{file.resolve()}?mode=ro" if read_only else str(file)


async def connect(path: Path | str, *, read_only: bool = False) -> aiosqlite.Connection:
    """Open the database with our pragmas, refusing a file that is not ours."""
    target = str(path) if str(path) == ":memory:" else _prepare_file(Path(path), read_only=read_only)
    conn = await aiosqlite.connect(target, isolation_level=None, uri=read_only)
    try:
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        if not read_only:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        if await _looks_foreign(conn):
            raise StoreError(f"{path} holds another program's tables; set DATABASE_PATH to a new file.")
    except sqlite3.DatabaseError as error:
        await conn.close()
        raise StoreError(f"{path} cannot be opened as a database ({error}); it was left untouched.") from error
    except BaseException:
        await conn.close()
        raise
    conn.row_factory = aiosqlite.Row
    return conn


def _translate(error: sqlite3.OperationalError) -> StoreError | None:
    message = str(error).lower()
    if "locked" in message or "busy" in message:
        return StoreBusyError("the database is busy with another writer; try again in a moment.")
    if "readonly" in message or "read-only" in message:
        return StoreReadOnlyError("the database is read-only right now, so nothing was saved.")
    if "disk" in message and "full" in message:
        return StoreError("the disk is full, so nothing was saved.")
    return None


Params = Iterable[Any] | Mapping[str, Any]


def _bind(params: Params) -> tuple[Any, ...] | dict[str, Any]:
    return dict(params) if isinstance(params, Mapping) else tuple(params)


class StoreBase:
    """The connection plus the one lock that keeps every method a complete unit."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @property
    def connection(self) -> aiosqlite.Connection:
        """Return the raw connection, for maintenance commands only."""
        return self._conn

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def _fetchall(self, query: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._conn.execute(query, _bind(params)) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, query: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock, self._conn.execute(query, _bind(params)) as cursor:
            return await cursor.fetchone()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a write unit: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error.

        Never await Discord inside: the connection is shared by every command.
        """
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise (_translate(error) or error) from error
            try:
                yield self._conn
                await self._conn.execute("COMMIT")
            except BaseException as error:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError) and (translated := _translate(error)):
                    raise translated from error
                raise
