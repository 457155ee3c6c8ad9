"""The one SQLite connection: opening, migrations, and the transaction discipline every store method follows."""

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000  # how long a read waits out another connection's brief lock (WAL recovery, checkpoints)
WRITE_ATTEMPT_MS = 50  # how long one attempt to take the write lock waits inside SQLite
WRITE_WAIT = 2.0  # seconds a write waits in all for another process to finish writing
_MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


class StoreBusyError(StoreError):
    """Another writer held the database for too long."""


class StoreReadOnlyError(StoreError):
    """The database file cannot be written."""


class StoreWriteError(StoreError):
    """The disk refused a write: it is full, or failing. The operator has to act."""


class StoreDamagedError(StoreError):
    """SQLite's own check found the database file damaged; it has to be restored from a backup."""


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


def _prepare_file(file: Path, *, read_only: bool) -> tuple[str, bool]:
    """Refuse a file that is not SQLite before SQLite touches it; return the target to open and whether read-only.

    A file this process may not write (a read-only mount, another user's file, a folder that cannot hold the
    -wal file beside it) is opened read-only: fans are still answered, and every write fails with
    StoreReadOnlyError.
    """
    if not read_only and file.exists() and not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK)):
        log.warning("%s cannot be written, so it is open read-only: nothing can be saved until it can", file)
        read_only = True
    if not read_only:
        file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists() and file.stat().st_size:
        with file.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"{file} is not a SQLite database; move it away or set DATABASE_PATH to another file.")
    if not read_only:
        return str(file), False
    target = f"{file.resolve().as_uri()}?mode=ro"
    wal = file.with_name(file.name + "-wal")
    if not os.access(file.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size):
        # Reading a WAL database needs a -shm file beside it, which a read-only folder cannot hold. With no
        # pending WAL content the file alone is the whole database, and immutable reads it without one.
        target += "&immutable=1"
    return target, True


async def connect(path: Path | str, *, read_only: bool = False) -> aiosqlite.Connection:
    """Open the database with our pragmas, refusing a file that is not ours before changing anything in it."""
    try:
        if str(path) == ":memory:":
            target = str(path)
        else:
            target, read_only = _prepare_file(Path(path), read_only=read_only)
            # A file SQLite cannot open fails here rather than in aiosqlite, whose worker thread, left behind by a
            # failed connect, prints a traceback of its own once the event loop has closed.
            sqlite3.connect(target, uri=read_only).close()
        conn = await aiosqlite.connect(target, isolation_level=None, uri=read_only)
    except (OSError, sqlite3.OperationalError) as error:
        # A folder that cannot be made, or a new file in one that cannot be written: the operator's to fix.
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise StoreError(
            f"{path} cannot be opened or created ({reason}); check that its folder exists and can be written, "
            "or set DATABASE_PATH to another file."
        ) from error
    try:
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if await _looks_foreign(conn):
            raise StoreError(f"{path} holds another program's tables; set DATABASE_PATH to a new file.")
        if not read_only:  # only now: switching to WAL rewrites the file's header
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
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
        return StoreWriteError("the disk is full, so nothing was saved.")
    if "disk i/o error" in message:  # what a write past a file-size limit, or a failing disk, gives
        return StoreWriteError("the disk refused to write the database (disk I/O error), so nothing was saved.")
    return None


Params = Iterable[Any] | Mapping[str, Any]


def _bind(params: Params) -> tuple[Any, ...] | dict[str, Any]:
    return dict(params) if isinstance(params, Mapping) else tuple(params)


@dataclass(frozen=True, slots=True)
class StoreChange:
    """What a write through this store changed, for whoever keeps copies of it (the catalog)."""

    kind: Literal["races", "quotes", "guild"]  # race facts, quotes, or one server's settings and posts
    guild_id: int | None = None  # the server whose data it was, for "guild"


class StoreBase:
    """The connection plus the one lock that keeps every method a complete unit."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[StoreChange], None]] = []

    def subscribe(self, listener: Callable[[StoreChange], None]) -> None:
        """Have listener told of every change written through this store, once it is committed."""
        self._listeners.append(listener)

    def _changed(self, kind: Literal["races", "quotes", "guild"], guild_id: int | None = None) -> None:
        change = StoreChange(kind, guild_id)
        for listener in self._listeners:
            listener(change)

    @property
    def connection(self) -> aiosqlite.Connection:
        """Return the raw connection, for maintenance commands only."""
        return self._conn

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    # One trip to aiosqlite's thread per read: execute + fetch + close as a cursor would take three, and each trip
    # costs the event loop a thread handoff.
    async def _fetchall(self, query: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._conn.execute_fetchall(query, _bind(params)))

    async def _fetchone(self, query: str, params: Params = ()) -> aiosqlite.Row | None:
        """Return the first row; only for queries that answer one row (a key lookup, an aggregate, LIMIT 1)."""
        rows = await self._fetchall(query, params)
        return rows[0] if rows else None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a write unit: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error.

        Never await Discord inside: the connection is shared by every command.
        """
        await self._begin()
        try:
            yield self._conn
            await self._conn.execute("COMMIT")
        except BaseException as error:
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and (translated := _translate(error)):
                raise translated from error
            raise
        finally:
            self._lock.release()

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, holding the lock; retried for WRITE_WAIT seconds while another process writes.

        Each attempt waits at most WRITE_ATTEMPT_MS inside SQLite, and the lock is let go between attempts, so
        reads on this shared connection (every fan's command) go on while a write waits. The bound keeps the
        moderator's answer, "busy", within the 3 seconds Discord gives an interaction.
        """
        deadline = asyncio.get_running_loop().time() + WRITE_WAIT
        while True:
            await self._lock.acquire()
            try:
                await self._conn.execute(f"PRAGMA busy_timeout = {WRITE_ATTEMPT_MS}")
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                finally:
                    await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                return
            except sqlite3.OperationalError as error:
                self._lock.release()
                translated = _translate(error)
                if not isinstance(translated, StoreBusyError) or asyncio.get_running_loop().time() >= deadline:
                    raise (translated or error) from error
            except BaseException:
                self._lock.release()
                raise
            await asyncio.sleep(WRITE_ATTEMPT_MS / 1000)
