"""`db check` and `db backup` for the PostgreSQL side: the connection, the schema's migrations, counts, pg_dump."""

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import asyncpg

from bot.store.database import StoreError, migration_files
from bot.store.postgres.database import MIGRATIONS_DIR, connect_pool, describe_url

SYSTEM_INSTALLS = Path("/usr/lib/postgresql")  # where Debian's postgresql-NN packages put their binaries


@dataclass(frozen=True, slots=True)
class PgCheckReport:
    """What `db check` found in PostgreSQL."""

    where: str  # host:port/database, never the password
    problem: str | None  # why the server or its schema cannot be used as it is; None when both are fine
    version: int  # the newest migration applied
    counts: dict[str, int]  # rows per table

    @property
    def ok(self) -> bool:
        """Return whether the server answered and its schema is this bot's, up to date."""
        return self.problem is None

    def lines(self) -> list[str]:
        """Return the report as `db check` prints it, after the SQLite file's."""
        if self.problem is not None and not self.counts:
            return [f"postgresql {self.where}: {self.problem}"]
        said = f"; {self.problem}" if self.problem else ""
        lines = [f"postgresql {self.where}: schema version {self.version}{said}"]
        lines += [f"  {table}: {count}" for table, count in self.counts.items()]
        return lines


async def check(url: str) -> PgCheckReport:
    """Connect, compare the applied migrations with this bot's, and count each table's rows; never migrate."""
    where = describe_url(url)
    try:
        pool = await connect_pool(url, max_size=1)
    except StoreError as error:
        return PgCheckReport(where, f"cannot connect ({error.__cause__ or error})", 0, {})
    try:
        async with pool.acquire() as conn:
            return await _check(conn, where)
    finally:
        await pool.close()


async def _check(conn: asyncpg.pool.PoolConnectionProxy, where: str) -> PgCheckReport:
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return PgCheckReport(where, "holds no Pit Board schema; run `python -m bot db upgrade`", 0, {})
    applied = {row["version"]: row["name"] for row in await conn.fetch("SELECT version, name FROM schema_migrations")}
    known = dict(migration_files(MIGRATIONS_DIR))
    problem = None
    if unknown := sorted(set(applied) - set(known)):
        problem = f"migration {unknown[-1]} is newer than this bot knows ({len(known)})"
    elif renamed := [v for v, name in applied.items() if known[v].name != name]:
        problem = f"migration {renamed[0]} was applied as {applied[renamed[0]]}, not {known[renamed[0]].name}"
    elif pending := sorted(set(known) - set(applied)):
        problem = f"{len(pending)} migration(s) pending; run `python -m bot db upgrade`"
    query = """
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
        ORDER BY table_name COLLATE "C"
    """
    counts = {}
    for row in await conn.fetch(query):
        table = row["table_name"]
        # The name comes from the catalog, quoted as an identifier: no value of anyone's reaches this text.
        counts[table] = await conn.fetchval(f"SELECT count(*) FROM {_identifier(table)}")  # noqa: S608
    return PgCheckReport(where, problem, max(applied, default=0), counts)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def find_pg_dump() -> Path | None:
    """Return pg_dump on PATH, else the newest of Debian's /usr/lib/postgresql/NN/bin, else None."""
    found = shutil.which("pg_dump")
    if found:
        return Path(found)
    installed = [p for p in SYSTEM_INSTALLS.glob("*/bin/pg_dump") if p.parent.parent.name.isdigit()]
    return max(installed, key=lambda p: int(p.parent.parent.name)) if installed else None


def without_password(url: str) -> tuple[str, str | None]:
    """Return url without its password, and the password (for PGPASSWORD: a command line is visible to all)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}@{host}" if user else host
    return SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment).geturl(), parts.password


async def backup(url: str, target: Path, pg_dump: Path) -> None:
    """Write PostgreSQL's whole database to target with pg_dump (its custom format, for pg_restore)."""
    if await asyncio.to_thread(target.exists):
        raise FileExistsError(f"{target} exists already; choose a new file for the PostgreSQL backup.")
    dsn, password = without_password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    process = await asyncio.create_subprocess_exec(
        str(pg_dump),
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--dbname={dsn}",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        said = stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1] if said else f"exit status {process.returncode}"
        raise StoreError(f"pg_dump could not back up PostgreSQL at {describe_url(url)}: {reason}")
