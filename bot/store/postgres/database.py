"""The PostgreSQL pool and its migration runner: numbered, append-only, applied once across every process."""

import logging
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from bot.store.database import StoreError, migration_files

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# What a call to PostgreSQL raises when the call fails: the server refused it, the connection broke or timed out.
FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
COMMAND_TIMEOUT = 10.0  # seconds; a moderator's answer must come within Discord's interaction window
# The advisory lock key of schema changes ("pitb" and 1). Every other lock the cluster takes (the leader lease,
# identify) must use another key.
MIGRATION_LOCK = 0x7069_7462_0001


def describe_url(url: str) -> str:
    """Return host:port/database of a DATABASE_URL, without its user or password, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "DATABASE_URL (unreadable)"
    return f"{host}:{port}{parts.path or '/'}"


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is: asyncpg has already rolled back a transaction left open.

    asyncpg's default reset (UNLISTEN *, RESET ALL, unlocking every advisory lock) is one more round trip on every
    release, as long as the query itself. Pooled connections keep no session state to reset: LISTEN and the leader
    lease hold connections of their own, every other lock is taken for one transaction, nothing runs SET, and
    migrate() unlocks its session lock itself.
    """


async def connect_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool of connections to url, each speaking UTC; fail with a StoreError that says what to check."""
    try:
        return await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=COMMAND_TIMEOUT,
            reset=_keep_session,
            server_settings={"application_name": "pitboard", "timezone": "UTC"},
        )
    except (*FAILURES, ValueError) as error:
        raise StoreError(
            f"PostgreSQL at {describe_url(url)} cannot be used ({error}); check DATABASE_URL and that the server runs."
        ) from error


async def migrate(pool: asyncpg.Pool, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration not applied yet, each in its own transaction; return those this call applied.

    The whole run holds a session advisory lock, so of two processes starting together one applies the migrations
    and the other, once the lock is its, finds nothing left to do.
    """
    files = migration_files(folder)
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            return await _apply(conn, files)
        finally:
            # The pool keeps sessions as they are (_keep_session), so the lock is let go here; a connection that
            # could not let go is closed, which lets go of it too.
            try:
                if not conn.is_closed():
                    await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
            except BaseException:
                conn.terminate()
                raise


async def _apply(conn: asyncpg.pool.PoolConnectionProxy, files: list[tuple[int, Path]]) -> list[int]:
    query = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )
    """
    await conn.execute(query)
    done = {row["version"]: row["name"] for row in await conn.fetch("SELECT version, name FROM schema_migrations")}
    if done and max(done) > len(files):
        raise StoreError(
            f"the PostgreSQL database is at schema version {max(done)}, newer than this bot knows ({len(files)})."
        )
    applied = []
    for version, path in files:
        if version in done:
            if done[version] != path.name:
                raise StoreError(
                    f"migration {version} was applied as {done[version]} but is now {path.name}; "
                    "migrations are append-only, never renamed or edited."
                )
            continue
        script = path.read_text(encoding="utf-8")
        try:
            async with conn.transaction():
                await conn.execute(script)
                query = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"
                await conn.execute(query, version, path.name)
        except asyncpg.PostgresError as error:
            raise StoreError(f"migration {path.name} failed and was rolled back: {error}") from error
        log.info("Applied PostgreSQL migration %s", path.name)
        applied.append(version)
    return applied
