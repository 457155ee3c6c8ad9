"""What servers write, in PostgreSQL: the same methods, arguments and rows as the SQLite store's.

Settings, recap versions and posts, quotes, corrections, the audit log, announcements and race-day posts live in
PostgreSQL, shared by every process of a cluster; races stay in each node's own SQLite file. A race is stored here
by its natural key (series, season, round, and whether it is the server's upload), and the node's RaceKeys turn the
race ids the cogs pass into keys and back, so every row handed out carries this node's race id as SQLite's do.

Every write is one transaction that publishes a StoreChange on the change feed, so every other process's catalog
drops its copy once the write commits; this process's own listeners are told as the SQLite store tells them.

A server's uploads are the one thing fans read that servers write: PostgreSQL holds them (server_races and
server_entries), and each node copies them into its own SQLite file, where the catalog, search and careers read
(bot.store.postgres.mirror). The process that wrote an upload copies it once its transaction commits; the others on
hearing StoreChange("races", guild), and tell their listeners only once their copy is written. A server's quotes are
copied the same way on StoreChange("quotes", guild); the id fans and moderators see is the node's copy's.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, cast

import asyncpg

from bot.names import car_key, name_key
from bot.store.announcements import MOD_NOTICE, PIT_BOARD, RESULTS
from bot.store.database import (
    StoreBusyError,
    StoreChange,
    StoreDamagedError,
    StoreError,
    StoreReadOnlyError,
    StoreWriteError,
)
from bot.store.models import (
    Announcement,
    AuditEntry,
    Correction,
    DueAnnouncement,
    GuildSettings,
    ImportOutcome,
    PostStop,
    PublishedRecap,
    RecapPost,
    RecapVersion,
)
from bot.store.moderation import ResultsRefusedError
from bot.store.postgres.database import FAILURES, connect_pool, migrate
from bot.store.postgres.mirror import NodeCopies, mirror_quotes, mirror_uploads
from bot.store.postgres.notify import ChangeFeed
from bot.store.postgres.race_keys import RaceKeys
from bot.store.race_keys import RaceKey
from bot.store.raceday import OFFICIAL_DRAFT, PRE_RACE, RaceDayPost, RaceDayServer, RaceDaySettings
from bot.store.records import EntryRecord

log = logging.getLogger(__name__)

# The first key of the two-key advisory locks that serialize one server's writes of one kind ("pitb"); two-key
# locks never meet the one-key ones (the migration lock, the leader lease).
LOCK_CLASS = 0x7069_7462
SETTINGS = ("recap_channel_id", "mod_role_id", "ping_role_id", "spoiler_hours", "notify")
ChangeKind = Literal["races", "quotes", "guild"]
# A pool hands out proxies that act as the connection they wrap.
Connection = asyncpg.Connection

_BUSY = (
    asyncpg.LockNotAvailableError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.QueryCanceledError,
    asyncpg.TooManyConnectionsError,
    TimeoutError,  # asyncpg's command_timeout, or no pooled connection came free in time
)
_UNREACHABLE = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, OSError)
UPLOAD_KEY = "guild_id = $1 AND series = $2 AND season = $3 AND round = $4"  # an upload's rows, by its key


def translate_failure(error: BaseException) -> StoreError | None:
    """Return the StoreError an operator or moderator should see for error, or None to let it through."""
    if isinstance(error, _BUSY):
        return StoreBusyError("the database is busy with another writer; try again in a moment.")
    if isinstance(error, asyncpg.ReadOnlySQLTransactionError):
        return StoreReadOnlyError("the database is read-only right now (a standby server?), so nothing was saved.")
    if isinstance(error, asyncpg.DiskFullError):
        return StoreWriteError("the PostgreSQL server's disk is full, so nothing was saved.")
    if isinstance(error, asyncpg.InsufficientResourcesError | asyncpg.exceptions.PostgresIOError):
        return StoreWriteError(f"the PostgreSQL server refused to write ({error}), so nothing was saved.")
    if isinstance(error, asyncpg.DataCorruptedError | asyncpg.IndexCorruptedError):
        return StoreDamagedError(f"PostgreSQL found its data damaged ({error}); restore it from a backup.")
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        # A server's upload is written here before anything about it; a race only the node holds has no row.
        return StoreError(f"what this refers to is not stored in PostgreSQL ({error}).")
    if isinstance(error, _UNREACHABLE):
        return StoreError(f"the PostgreSQL server cannot be reached ({error}); nothing was saved.")
    if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
        return StoreError("the connection to PostgreSQL is closed; nothing was saved.")
    return None


def _rows(status: str) -> int:
    """Return the row count of a command status such as 'UPDATE 2' or 'INSERT 0 1'."""
    return int(status.rsplit(" ", 1)[-1])


def _key_args(key: RaceKey) -> tuple[str, int, int, bool]:
    return key.series, key.season, key.round, key.upload


def entry_args(record: EntryRecord) -> tuple[Any, ...]:
    """Return an uploaded row as server_entries' columns from car_number on."""
    return (
        record.car,
        record.driver,
        name_key(record.driver),
        record.team,
        record.make,
        record.sponsor,
        record.start,
        record.finish,
        record.laps,
        record.status,
        record.laps_led,
        record.points,
        record.stage_points,
        record.points_eligible,
        list(record.sources),
        record.confidence,
        record.notes,
    )


def _version(row: asyncpg.Record, race_id: int) -> RecapVersion:
    return RecapVersion(
        id=row["id"],
        guild_id=row["guild_id"],
        race_id=race_id,
        version=row["version"],
        headline=row["headline"],
        body=row["body"],
        author_id=row["author_id"],
        created_at=row["created_at"],
        reverted_from=row["reverted_from"],
        discarded=row["discarded_at"] is not None,
    )


def _post(row: asyncpg.Record, race_id: int) -> RecapPost:
    return RecapPost(
        guild_id=row["guild_id"],
        race_id=race_id,
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        version=row["version"],
        published_by=row["published_by"],
        published_at=row["published_at"],
    )


def _announcement(row: asyncpg.Record, race_id: int) -> Announcement:
    return Announcement(
        guild_id=row["guild_id"],
        race_id=race_id,
        kind=row["kind"],
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        recap_version=row["recap_version"],
        created_at=row["created_at"],
        shown=row["shown"],
    )


def _race_day(row: asyncpg.Record) -> RaceDaySettings:
    return RaceDaySettings(
        guild_id=row["guild_id"],
        enabled=row["enabled"],
        channel_id=row["channel_id"],
        hours_before=row["hours_before"],
        ping=row["ping"],
        thread=row["thread"],
        since=row["since"],
    )


def _guild_settings(row: asyncpg.Record) -> GuildSettings:
    return GuildSettings(
        row["guild_id"],
        row["recap_channel_id"],
        row["mod_role_id"],
        row["ping_role_id"],
        row["spoiler_hours"],
        announce=row["announce"],
        announce_since=row["announce_since"],
        mod_channel_id=row["mod_channel_id"],
        notify=row["notify"],
    )


def _second(moment: dt.datetime) -> dt.datetime:
    """Return moment in UTC to the second, as SQLite's race-day posts keep it."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


async def _audit(conn: Connection, guild_id: int, user_id: int | None, action: str, detail: str) -> None:
    """Record an action in a server's audit log inside the caller's transaction; user_id None is Pit Board."""
    query = "INSERT INTO audit_log (guild_id, user_id, action, detail, created_at) VALUES ($1, $2, $3, $4, now())"
    await conn.execute(query, guild_id, user_id, action, detail)


async def _lock(conn: Connection, name: str) -> None:
    """Hold an advisory lock named name until the transaction ends, so two processes take turns."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, name)


async def _insert_version(
    conn: Connection,
    guild_id: int,
    key: RaceKey,
    *,
    headline: str,
    body: str,
    author_id: int,
    reverted_from: int | None = None,
) -> asyncpg.Record:
    """Save the next version of a server's recap of a race; the lock keeps two processes from taking one number."""
    await _lock(conn, f"recap {guild_id} {key.label}")
    query = """
        INSERT INTO recap_versions (guild_id, series, season, round, upload, version, headline, body, author_id,
                                    created_at, reverted_from)
        VALUES ($1, $2, $3, $4, $5,
                (SELECT coalesce(max(version), 0) + 1 FROM recap_versions
                 WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND upload = $5),
                $6, $7, $8, now(), $9)
        RETURNING *
    """
    row = await conn.fetchrow(query, guild_id, *_key_args(key), headline, body, author_id, reverted_from)
    assert row is not None  # RETURNING always yields the inserted row
    return row


class PgServerData:
    """Typed access to what servers write, in PostgreSQL; races are named through the node's RaceKeys.

    node is the node's SQLite race store, into which this process copies servers' uploads and quotes for fans to
    read.
    """

    def __init__(self, pool: asyncpg.Pool, keys: RaceKeys, *, url: str, node: NodeCopies) -> None:
        self._pool = pool
        self.url = url  # for the connections of its own the cluster keeps (bot.cluster)
        self._keys = keys
        self._node = node
        self._listeners: list[Callable[[StoreChange], None]] = []
        self._mirroring = asyncio.Lock()  # one copy at a time: two would read and compare the same rows twice
        self._copy_tasks: set[asyncio.Task[None]] = set()
        self.feed = ChangeFeed(url, self._heard)

    # --- plumbing ---------------------------------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool:
        """Return the pool, which the cluster's own tables (bot.cluster) share with what servers write."""
        return self._pool

    def subscribe(self, listener: Callable[[StoreChange], None]) -> None:
        """Have listener told of every change committed, through this process or any other."""
        self._listeners.append(listener)

    def _tell(self, change: StoreChange) -> None:
        for listener in self._listeners:
            listener(change)

    def _changed(self, kind: ChangeKind, guild_id: int | None = None) -> None:
        self._tell(StoreChange(kind, guild_id))

    def _heard(self, change: StoreChange) -> None:
        """Take another process's change: uploads and quotes are copied into the node before listeners hear of them."""
        # ("guild", None) follows a lost connection: any server's uploads and quotes may have changed meanwhile.
        if change.kind == "guild" and change.guild_id is not None:
            self._tell(change)
            return
        task = asyncio.get_running_loop().create_task(self._copy_then_tell(change))
        self._copy_tasks.add(task)
        task.add_done_callback(self._copy_done)

    async def _copy_then_tell(self, change: StoreChange) -> None:
        try:
            if change.kind != "quotes":
                await self.mirror_uploads(change.guild_id)
            # After the uploads: a quote about an upload is copied once the node holds that upload.
            await self.mirror_quotes(change.guild_id)
        except StoreError as error:
            log.warning("Could not copy the data of server %s into this node: %s", change.guild_id, error)
        finally:
            self._tell(change)

    def _copy_done(self, task: asyncio.Task[None]) -> None:
        self._copy_tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("Copying uploads into this node failed", exc_info=error)

    async def mirror_uploads(self, guild_id: int | None = None) -> int:
        """Copy a server's uploads (every server's when None) from PostgreSQL into the node; return how many."""
        async with self._mirroring:
            try:
                return await mirror_uploads(self._pool, self._node, guild_id)
            except FAILURES as error:
                if translated := translate_failure(error):
                    raise translated from error
                raise

    async def mirror_quotes(self, guild_id: int | None = None) -> dict[int, int]:
        """Copy a server's quotes (every server's when None) into the node, dropping removed ones; return the ids."""
        async with self._mirroring:
            try:
                return await mirror_quotes(self._pool, self._keys, self._node, guild_id)
            except FAILURES as error:
                if translated := translate_failure(error):
                    raise translated from error
                raise

    async def close(self) -> None:
        """Stop listening and copying, and close the pool."""
        await self.feed.close()
        tasks = list(self._copy_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pool.close()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Connection]:
        """Run a write unit in one transaction on a pooled connection; PostgreSQL's failures become StoreErrors."""
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield cast(Connection, conn)
        except FAILURES as error:
            if translated := translate_failure(error):
                raise translated from error
            raise

    async def _publish(self, conn: Connection, kind: ChangeKind, guild_id: int | None) -> None:
        await self.feed.publish(conn, StoreChange(kind, guild_id))

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        try:
            return await self._pool.fetch(query, *args)
        except FAILURES as error:
            if translated := translate_failure(error):
                raise translated from error
            raise

    async def _fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        rows = await self._fetch(query, *args)
        return rows[0] if rows else None

    async def _key(self, race_id: int, guild_id: int | None = None) -> RaceKey:
        """Return the key of a race this node holds, refusing another server's upload when guild_id is given."""
        key = await self._keys.key_of(race_id)
        if key is None:
            raise StoreError(f"race {race_id} is not in this node's race store.")
        if key.owner is not None and guild_id is not None and key.owner != guild_id:
            raise StoreError(f"{key.label} is another server's upload.")
        return key

    async def _shared_key(self, race_id: int) -> RaceKey:
        key = await self._key(race_id)
        if key.upload:
            raise StoreError(f"{key.label} is a server's upload; only shared races get automated posts.")
        return key

    # --- settings ---------------------------------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """Return a server's settings (defaults when it never changed any)."""
        row = await self._fetchrow("SELECT * FROM guild_settings WHERE guild_id = $1", guild_id)
        return GuildSettings(guild_id, None, None, None, 0) if row is None else _guild_settings(row)

    async def update_guild_settings(
        self, guild_id: int, user_id: int, *, setting: str, value: int | None, detail: str
    ) -> GuildSettings:
        """Change one setting (a column of guild_settings) and record who did it."""
        if setting not in SETTINGS:
            raise ValueError(f"unknown setting {setting}")
        stored: int | bool | None = bool(value) if setting == "notify" and value is not None else value
        async with self._write() as conn:
            query = f"""
                INSERT INTO guild_settings (guild_id, {setting}, updated_at) VALUES ($1, $2, now())
                ON CONFLICT (guild_id) DO UPDATE SET {setting} = excluded.{setting}, updated_at = excluded.updated_at
                RETURNING *
            """  # noqa: S608 - the column name is checked against a fixed set above
            row = await conn.fetchrow(query, guild_id, stored)
            assert row is not None  # RETURNING always yields the upserted row
            saved = _guild_settings(row)
            if setting == "recap_channel_id":
                # Choosing the recap channel again is how moderators say they fixed the cards that failed there.
                await conn.execute("DELETE FROM post_stops WHERE guild_id = $1 AND kind = $2", guild_id, RESULTS)
            await _audit(conn, guild_id, user_id, "settings", detail)
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)
        return saved

    async def set_mod_channel(self, guild_id: int, user_id: int, channel_id: int | None, *, detail: str) -> None:
        """Set or clear the moderators' channel; setting it lifts a stop on notices there."""
        async with self._write() as conn:
            query = """
                INSERT INTO guild_settings (guild_id, mod_channel_id, updated_at) VALUES ($1, $2, now())
                ON CONFLICT (guild_id) DO UPDATE SET mod_channel_id = excluded.mod_channel_id,
                                                     updated_at = excluded.updated_at
            """
            await conn.execute(query, guild_id, channel_id)
            await conn.execute("DELETE FROM post_stops WHERE guild_id = $1 AND kind = $2", guild_id, MOD_NOTICE)
            await _audit(conn, guild_id, user_id, "settings", detail)
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)

    async def set_announce(self, guild_id: int, user_id: int, *, on: bool) -> None:
        """Turn announcements on or off; turning them on records the newest shared race of each series stored now.

        Turning them on also lifts every stopped kind of post: it is how moderators say they fixed what failed.
        Turning them on while on keeps the watermarks, so races that arrived meanwhile are still announced.
        """
        newest = await self._keys.newest_shared() if on else {}  # read before the transaction: it is SQLite's
        async with self._write() as conn:
            await _lock(conn, f"announce {guild_id}")
            was_on = bool(await conn.fetchval("SELECT announce FROM guild_settings WHERE guild_id = $1", guild_id))
            query = """
                INSERT INTO guild_settings (guild_id, announce, announce_since, updated_at)
                VALUES ($1, $2, CASE WHEN $2 THEN now() END, now())
                ON CONFLICT (guild_id) DO UPDATE SET announce = excluded.announce,
                    announce_since = CASE WHEN guild_settings.announce AND excluded.announce
                                          THEN guild_settings.announce_since ELSE excluded.announce_since END,
                    updated_at = excluded.updated_at
            """
            await conn.execute(query, guild_id, on)
            if on and not was_on:
                await conn.execute("DELETE FROM announce_watermarks WHERE guild_id = $1", guild_id)
                query = "INSERT INTO announce_watermarks (guild_id, series, season, round) VALUES ($1, $2, $3, $4)"
                await conn.executemany(query, [(guild_id, s, *mark) for s, mark in newest.items()])
            if on:
                await conn.execute("DELETE FROM post_stops WHERE guild_id = $1", guild_id)
            said = "announcements turned on" if on else "announcements turned off"
            if on and was_on:
                said = "announcements turned on again (they were on; stopped posts resume)"
            await _audit(conn, guild_id, user_id, "settings", said)
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)

    async def followed_series(self, guild_id: int) -> tuple[str, ...]:
        """Return the series codes a server chose to follow; () when it never chose (every series the bot follows)."""
        query = 'SELECT series FROM guild_series WHERE guild_id = $1 ORDER BY series COLLATE "C"'
        return tuple(r["series"] for r in await self._fetch(query, guild_id))

    async def set_followed_series(self, guild_id: int, user_id: int, series: Sequence[str], *, detail: str) -> None:
        """Replace the series a server follows; () goes back to every series the bot follows."""
        async with self._write() as conn:
            await conn.execute("DELETE FROM guild_series WHERE guild_id = $1", guild_id)
            query = "INSERT INTO guild_series (guild_id, series) VALUES ($1, $2)"
            await conn.executemany(query, [(guild_id, code) for code in series])
            await _audit(conn, guild_id, user_id, "settings", detail)
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)

    # --- recap versions and posts -----------------------------------------------------------------------------

    async def add_recap_version(
        self, guild_id: int, race_id: int, *, headline: str, body: str, author_id: int, reverted_from: int | None = None
    ) -> RecapVersion:
        """Save a new version of a server's recap of a race; earlier versions stay as they were."""
        key = await self._key(race_id, guild_id)
        async with self._write() as conn:
            row = await _insert_version(
                conn, guild_id, key, headline=headline, body=body, author_id=author_id, reverted_from=reverted_from
            )
            saved = _version(row, race_id)
            action = f"reverted to version {reverted_from} as" if reverted_from else "saved"
            await _audit(conn, guild_id, author_id, "recap", f"{action} version {saved.version} of {key.label}")
            await self._publish(conn, "guild", guild_id)
        return saved

    async def recap_versions(self, guild_id: int, race_id: int) -> list[RecapVersion]:
        """Return every version of a server's recap of a race, newest first."""
        key = await self._keys.key_of(race_id)
        if key is None:
            return []
        query = """
            SELECT * FROM recap_versions
            WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND upload = $5
            ORDER BY version DESC
        """
        return [_version(r, race_id) for r in await self._fetch(query, guild_id, *_key_args(key))]

    async def recap_version(self, guild_id: int, race_id: int, version: int | None = None) -> RecapVersion | None:
        """Return one version, or the latest that was not discarded when version is None."""
        key = await self._keys.key_of(race_id)
        if key is None:
            return None
        query = """
            SELECT * FROM recap_versions
            WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND upload = $5
              AND ($6::integer IS NULL AND discarded_at IS NULL OR version = $6)
            ORDER BY version DESC LIMIT 1
        """
        row = await self._fetchrow(query, guild_id, *_key_args(key), version)
        return _version(row, race_id) if row else None

    async def discard_recap_version(self, guild_id: int, race_id: int, version: int, user_id: int) -> bool:
        """Mark a draft discarded (it stays in the history); return False if it was published or is unknown."""
        key = await self._keys.key_of(race_id)
        if key is None:
            return False
        async with self._write() as conn:
            query = """
                UPDATE recap_versions v SET discarded_at = now()
                WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND upload = $5 AND version = $6
                  AND discarded_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM recap_posts p
                                  WHERE p.guild_id = v.guild_id AND p.series = v.series AND p.season = v.season
                                    AND p.round = v.round AND p.upload = v.upload AND p.version = v.version)
            """
            if _rows(await conn.execute(query, guild_id, *_key_args(key), version)) == 0:
                return False
            await _audit(conn, guild_id, user_id, "recap", f"discarded version {version} of {key.label}")
            await self._publish(conn, "guild", guild_id)
        return True

    async def recap_post(self, guild_id: int, race_id: int) -> RecapPost | None:
        """Return where this server's recap of the race was posted, if it was."""
        key = await self._keys.key_of(race_id)
        if key is None:
            return None
        query = """
            SELECT * FROM recap_posts
            WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND upload = $5
        """
        row = await self._fetchrow(query, guild_id, *_key_args(key))
        return _post(row, race_id) if row else None

    async def record_recap_post(
        self,
        *,
        guild_id: int,
        race_id: int,
        channel_id: int,
        message_id: int,
        thread_id: int | None,
        version: int,
        user_id: int,
        edited: bool,
    ) -> RecapPost:
        """Remember the message a recap lives in (replacing an older one) and record the action."""
        key = await self._key(race_id, guild_id)
        async with self._write() as conn:
            query = """
                INSERT INTO recap_posts (guild_id, series, season, round, upload, channel_id, message_id, thread_id,
                                         version, published_by, published_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
                ON CONFLICT (guild_id, series, season, round, upload) DO UPDATE SET
                    channel_id = excluded.channel_id, message_id = excluded.message_id,
                    thread_id = coalesce(excluded.thread_id, recap_posts.thread_id),
                    version = excluded.version, published_by = excluded.published_by,
                    published_at = excluded.published_at
                RETURNING *
            """
            args = (channel_id, message_id, thread_id, version, user_id)
            row = await conn.fetchrow(query, guild_id, *_key_args(key), *args)
            assert row is not None  # RETURNING always yields the upserted row
            verb = "edited the post of" if edited else "published"
            await _audit(conn, guild_id, user_id, "publish", f"{verb} version {version} of {key.label}")
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)
        return _post(row, race_id)

    async def published_recap(self, race_id: int, guild_id: int) -> PublishedRecap | None:
        """Return the recap this server published for the race, as fans should see it."""
        key = await self._keys.key_of(race_id)
        if key is None:
            return None
        query = """
            SELECT v.headline, v.body, v.author_id, v.version, p.published_at
            FROM recap_posts p
            JOIN recap_versions v USING (guild_id, series, season, round, upload, version)
            WHERE p.guild_id = $1 AND p.series = $2 AND p.season = $3 AND p.round = $4 AND p.upload = $5
        """
        row = await self._fetchrow(query, guild_id, *_key_args(key))
        if row is None:
            return None
        return PublishedRecap(row["headline"], row["body"], row["author_id"], row["version"], row["published_at"])

    # --- quotes, corrections, audit ---------------------------------------------------------------------------

    async def add_guild_quote(
        self,
        *,
        guild_id: int,
        race_id: int,
        driver_id: int | None,
        speaker: str,
        text: str,
        context: str | None,
        source_url: str,
        author_id: int,
    ) -> int:
        """Add a quote visible in this server only, attributed to the moderator; return the id fans see it by here.

        The quote is copied into the node inside its transaction, so the audit line names it by the number the
        moderator is shown; should the commit fail, the copy is dropped again.
        """
        key = await self._key(race_id, guild_id)
        nascar_id, driver_key = None, None
        if driver_id is not None:
            driver = await self._keys.driver_key_of(driver_id)
            if driver is None:
                raise StoreError(f"driver {driver_id} is not in this node's race store.")
            nascar_id, driver_key = driver.nascar_id, driver.name_key
        # Held throughout: a copy made meanwhile from a snapshot without this quote would drop its copy.
        async with self._mirroring:
            try:
                async with self._write() as conn:
                    query = """
                        INSERT INTO guild_quotes (guild_id, series, season, round, upload, driver_nascar_id,
                                                  driver_key, speaker, text, context, source_url, added_by,
                                                  created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
                        RETURNING id
                    """
                    args = (nascar_id, driver_key, speaker, text, context, source_url, author_id)
                    server_id = await conn.fetchval(query, guild_id, *_key_args(key), *args)
                    assert server_id is not None  # RETURNING always yields the inserted row's id
                    quote_id = (await mirror_quotes(conn, self._keys, self._node, guild_id))[server_id]
                    await _audit(conn, guild_id, author_id, "quote", f"added quote #{quote_id} by {speaker}")
                    await self._publish(conn, "quotes", guild_id)
            except BaseException:
                await self._drop_uncommitted_copies(guild_id)
                raise
        self._changed("quotes", guild_id)
        return quote_id

    async def _drop_uncommitted_copies(self, guild_id: int) -> None:
        """Copy a server's quotes again after a failed write, dropping a copy of a quote that was never committed."""
        try:
            await mirror_quotes(self._pool, self._keys, self._node, guild_id)
        except (StoreError, *FAILURES) as error:
            log.warning("Could not copy the quotes of server %s again after a failed write: %s", guild_id, error)

    async def remove_guild_quote(self, guild_id: int, quote_id: int, user_id: int) -> str | None:
        """Delete a quote this server added, by the id fans see it by here; return its speaker, or None if none."""
        server_id = await self._node.quote_copy_id(guild_id, quote_id)
        if server_id is None:
            return None
        async with self._write() as conn:
            query = "DELETE FROM guild_quotes WHERE id = $1 AND guild_id = $2 RETURNING speaker"
            speaker = await conn.fetchval(query, server_id, guild_id)
            if speaker is None:
                return None
            await _audit(conn, guild_id, user_id, "quote", f"removed quote #{quote_id} by {speaker}")
            await self._publish(conn, "quotes", guild_id)
        try:
            await self.mirror_quotes(guild_id)
        except StoreError as error:
            raise StoreError(
                f"quote #{quote_id} was removed, but this process still shows it ({error}); "
                "it goes after the server's next change or the next restart."
            ) from error
        self._changed("quotes", guild_id)
        return str(speaker)

    async def corrections(self, race_id: int) -> list[Correction]:
        """Return the corrections made to a race's results, oldest first (only uploads are ever corrected)."""
        key = await self._keys.key_of(race_id)
        if key is None or key.owner is None:
            return []
        query = """
            SELECT * FROM corrections WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 ORDER BY id
        """
        rows = await self._fetch(query, key.owner, key.series, key.season, key.round)
        return [Correction(r["id"], race_id, r["author_id"], r["summary"], r["reason"], r["created_at"]) for r in rows]

    # --- a server's uploads ------------------------------------------------------------------------------------

    async def import_guild_results(
        self,
        *,
        guild_id: int,
        user_id: int,
        series: tuple[str, str],
        season: int,
        round_: int,
        name: str,
        track: str,
        date: dt.date,
        entries: tuple[EntryRecord, ...],
    ) -> ImportOutcome:
        """Store a server's uploaded results as a provisional race only it sees, all or nothing.

        As the SQLite store's: every server may upload the same round, uploading it again replaces the entries of
        the server's own provisional race, and official results are never replaced. The upload is written to
        PostgreSQL, then copied into this node's race store, whose id of it is returned.
        """
        key = RaceKey(series[1], season, round_, guild_id)
        if await self._keys.id_of(RaceKey(key.series, season, round_)) is not None:
            # Fans here would see the shared race of that round, never the upload (bot.store.races.REPLACED_UPLOAD).
            raise ResultsRefusedError(
                f"Pit Board already has the shared results of {season} round {round_} of this series, and this "
                "server's fans see those; an upload of that round would never be shown."
            )
        args = (guild_id, key.series, season, round_)
        async with self._write() as conn:
            query = """
                INSERT INTO server_races (guild_id, series, season, round, series_name, name, track, race_date)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (guild_id, series, season, round) DO NOTHING
            """
            replaced = _rows(await conn.execute(query, *args, series[0], name, track, date)) == 0
            if replaced:
                if (await self._lock_upload(conn, key))["results_status"] == "official":
                    raise ResultsRefusedError(
                        "Those results are official already; record a change with /manage results correct instead."
                    )
                query = f"DELETE FROM server_entries WHERE {UPLOAD_KEY}"  # noqa: S608 - fixed text
                await conn.execute(query, *args)
                query = f"""
                    UPDATE server_races SET series_name = $5, name = $6, track = $7, race_date = $8,
                                            data_version = data_version + 1
                    WHERE {UPLOAD_KEY}
                """  # noqa: S608 - UPLOAD_KEY is fixed text
                await conn.execute(query, *args, series[0], name, track, date)
            query = """
                INSERT INTO server_entries (guild_id, series, season, round, car_number, driver, driver_key, team,
                                            make, sponsor, start_pos, finish_pos, laps_completed, status, laps_led,
                                            points, stage_points, eligibility, sources, confidence, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                        $21)
            """
            await conn.executemany(query, [(*args, *entry_args(record)) for record in entries])
            verb = "replaced the results of" if replaced else "imported"
            await _audit(
                conn, guild_id, user_id, "results", f"{verb} {season} {name} ({key.label}, {len(entries)} entries)"
            )
            await self._publish(conn, "races", guild_id)
        race_id = await self._copied(key)
        self._changed("races", guild_id)
        return ImportOutcome(race_id, replaced, len(entries))

    async def _copied(self, key: RaceKey) -> int:
        """Copy the server's uploads into this node now that key's was written; return the node's id of it."""
        assert key.owner is not None  # only uploads are copied
        try:
            await self.mirror_uploads(key.owner)
        except StoreError as error:
            raise StoreError(
                f"{key.label} was saved, but this process could not show it yet ({error}); "
                "it will be shown after the server's next change or the next restart."
            ) from error
        race_id = await self._keys.id_of(key)
        if race_id is None:
            raise StoreError(f"{key.label} was saved, but this node's race store does not hold it.")
        return race_id

    async def note_replaced_uploads(self) -> int:
        """Tell each server once, in its audit log, that shared results came for a round it uploaded; return how many.

        The SQLite store notes it inside the transaction that stores the shared race (bot.store.loading); here the
        node's store calls this once that import committed, and so does every process at start. An upload is noted
        once whatever process notices first: shared_noted_at is set in the same transaction as the audit line.
        """
        query = """
            SELECT guild_id, series, season, round, series_name, name FROM server_races
            WHERE shared_noted_at IS NULL ORDER BY guild_id, series, season, round
        """
        told = 0
        for race in await self._fetch(query):
            shared_id = await self._keys.id_of(RaceKey(race["series"], race["season"], race["round"]))
            if shared_id is None:
                continue
            key = RaceKey(race["series"], race["season"], race["round"], race["guild_id"])
            upload_id = await self._keys.id_of(key)
            detail = (
                f"Pit Board's shared results of {race['season']} {race['series_name']} round {race['round']} "
                f"({await self._keys.name_of(shared_id)}) arrived; fans here now see them instead of this server's "
                f"upload {race['name']} (race {upload_id if upload_id is not None else key.label}), which stays stored."
            )
            async with self._write() as conn:
                query = f"""
                    UPDATE server_races SET shared_noted_at = now() WHERE {UPLOAD_KEY} AND shared_noted_at IS NULL
                """  # noqa: S608 - UPLOAD_KEY is fixed text
                if _rows(await conn.execute(query, key.owner, key.series, key.season, key.round)) != 1:
                    continue  # another process noted it first
                await _audit(conn, race["guild_id"], PIT_BOARD, "shared results", detail)
                await self._publish(conn, "guild", race["guild_id"])
            self._changed("guild", race["guild_id"])
            told += 1
        if told:
            log.info("Told %d server(s) that shared results replaced their upload of that round", told)
        return told

    async def _own_upload(self, guild_id: int, race_id: int) -> RaceKey:
        """Return the key of a race this server uploaded, refusing Pit Board's shared races and other servers'."""
        key = await self._keys.key_of(race_id)
        if key is None or key.owner not in (None, guild_id):
            raise ResultsRefusedError("No such race in this server.")
        if key.owner is None:
            raise ResultsRefusedError(
                "That race is Pit Board's shared, source-checked data; "
                "only results this server uploaded can be changed."
            )
        return key

    async def _lock_upload(self, conn: Connection, key: RaceKey) -> asyncpg.Record:
        """Lock an upload's row until the transaction ends and return it; it must be stored in PostgreSQL."""
        query = f"SELECT * FROM server_races WHERE {UPLOAD_KEY} FOR UPDATE"  # noqa: S608 - fixed text
        race = await conn.fetchrow(query, key.owner, key.series, key.season, key.round)
        if race is None:
            # Uploaded into this node's SQLite before the server's data moved to PostgreSQL, and not moved.
            raise StoreError(f"{key.label} is not stored in PostgreSQL; move this server's data there first.")
        return race

    async def mark_official(self, guild_id: int, race_id: int, user_id: int) -> bool:
        """Mark a server's uploaded results official; return False if they already were."""
        key = await self._own_upload(guild_id, race_id)
        async with self._write() as conn:
            race = await self._lock_upload(conn, key)
            if race["results_status"] == "official":
                return False
            query = f"""
                UPDATE server_races SET results_status = 'official', data_version = data_version + 1
                WHERE {UPLOAD_KEY}
            """  # noqa: S608 - UPLOAD_KEY is fixed text
            await conn.execute(query, guild_id, key.series, key.season, key.round)
            await _audit(conn, guild_id, user_id, "results", f"marked {race['name']} ({key.label}) official")
            await self._publish(conn, "races", guild_id)
        await self._copied(key)
        self._changed("races", guild_id)
        return True

    async def correct_result(
        self,
        *,
        guild_id: int,
        race_id: int,
        user_id: int,
        car: str,
        reason: str,
        finish: int | None = None,
        status: str | None = None,
        points: int | None = None,
    ) -> Correction:
        """Change one entry's finish, status or points with a reason; other finishers move up or down one place."""
        key = await self._own_upload(guild_id, race_id)
        car = car_key(car)
        args = (guild_id, key.series, key.season, key.round)
        async with self._write() as conn:
            await self._lock_upload(conn, key)
            query = f"SELECT * FROM server_entries WHERE {UPLOAD_KEY} AND car_number = $5"  # noqa: S608 - fixed text
            entry = await conn.fetchrow(query, *args, car)
            if entry is None:
                raise ResultsRefusedError(f"No car #{car} in that race.")
            query = f"SELECT count(*) FROM server_entries WHERE {UPLOAD_KEY}"  # noqa: S608 - fixed text
            field_size = int(await conn.fetchval(query, *args) or 0)
            changes = []
            old_finish = entry["finish_pos"]
            if finish is not None and finish != old_finish:
                if not 1 <= finish <= field_size or old_finish is None:
                    raise ResultsRefusedError(f"The finish must be between 1 and {field_size}.")
                # One statement moves the entry and everyone between its old and new place: UNIQUE finish_pos is
                # checked at the statement's end (DEFERRABLE), when every place is taken once again.
                query = f"""
                    UPDATE server_entries SET finish_pos = CASE WHEN driver_key = $5 THEN $6::integer
                                                                WHEN $6::integer > $7::integer THEN finish_pos - 1
                                                                ELSE finish_pos + 1 END
                    WHERE {UPLOAD_KEY}
                      AND (driver_key = $5 OR finish_pos BETWEEN least($6::integer, $7::integer)
                                                             AND greatest($6::integer, $7::integer))
                """  # noqa: S608 - UPLOAD_KEY is fixed text
                await conn.execute(query, *args, entry["driver_key"], finish, old_finish)
                changes.append(f"finish {old_finish} → {finish}")
            if status is not None and status != entry["status"]:
                query = f"UPDATE server_entries SET status = $6 WHERE {UPLOAD_KEY} AND driver_key = $5"  # noqa: S608 - fixed text
                await conn.execute(query, *args, entry["driver_key"], status)
                changes.append(f"status {entry['status'] or 'not recorded'} → {status}")
            if points is not None and points != entry["points"]:
                query = f"UPDATE server_entries SET points = $6 WHERE {UPLOAD_KEY} AND driver_key = $5"  # noqa: S608 - fixed text
                await conn.execute(query, *args, entry["driver_key"], points)
                old_points = "not recorded" if entry["points"] is None else entry["points"]
                changes.append(f"points {old_points} → {points}")
            if not changes:
                raise ResultsRefusedError("That changes nothing: give a new finish, status or points.")
            summary = f"#{car} {entry['driver']}: " + "; ".join(changes)
            query = f"UPDATE server_races SET data_version = data_version + 1 WHERE {UPLOAD_KEY}"  # noqa: S608 - fixed text
            await conn.execute(query, *args)
            query = """
                INSERT INTO corrections (guild_id, series, season, round, author_id, summary, reason, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id, created_at
            """
            row = await conn.fetchrow(query, *args, user_id, summary, reason)
            assert row is not None  # RETURNING always yields the inserted row
            await _audit(conn, guild_id, user_id, "correction", f"{summary} ({reason})")
            await self._publish(conn, "races", guild_id)
        await self._copied(key)
        self._changed("races", guild_id)
        return Correction(row["id"], race_id, user_id, summary, reason, row["created_at"])

    async def audit_entries(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        """Return a server's latest audit entries, moderators' actions and Pit Board's notices, newest first."""
        query = "SELECT * FROM audit_log WHERE guild_id = $1 ORDER BY id DESC LIMIT $2"
        return [
            AuditEntry(r["id"], r["user_id"], r["action"], r["detail"], r["created_at"])
            for r in await self._fetch(query, guild_id, limit)
        ]

    # --- announcements ----------------------------------------------------------------------------------------

    async def post_stops(self, guild_id: int) -> list[PostStop]:
        """Return the kinds of automated post stopped in a server, and why."""
        query = 'SELECT * FROM post_stops WHERE guild_id = $1 ORDER BY kind COLLATE "C"'
        return [
            PostStop(r["guild_id"], r["kind"], r["channel_id"], r["reason"], r["stopped_at"])
            for r in await self._fetch(query, guild_id)
        ]

    async def due_announcements(
        self, follow: Mapping[str, tuple[int, int] | None], kind: str = RESULTS
    ) -> list[DueAnnouncement]:
        """Return the shared races each server with announcements on is due a post of this kind about, oldest first.

        As the SQLite store's: the servers and what they were told come from PostgreSQL, the races from the node.
        """
        query = """
            SELECT g.guild_id, g.recap_channel_id, g.mod_channel_id,
                   (SELECT array_agg(gs.series) FROM guild_series gs WHERE gs.guild_id = g.guild_id) AS chosen
            FROM guild_settings g
            WHERE g.announce AND g.recap_channel_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM post_stops s WHERE s.guild_id = g.guild_id AND s.kind = $1)
            ORDER BY g.guild_id
        """
        wanting = await self._fetch(query, kind)
        if not wanting or not follow:
            return []
        guilds = [r["guild_id"] for r in wanting]
        query = "SELECT guild_id, series, season, round FROM announce_watermarks WHERE guild_id = ANY($1::bigint[])"
        marks = {(r["guild_id"], r["series"]): (r["season"], r["round"]) for r in await self._fetch(query, guilds)}
        query = """
            SELECT guild_id, series, season, round FROM announcements
            WHERE guild_id = ANY($1::bigint[]) AND kind = $2 AND series = ANY($3::text[])
        """
        told = {tuple(r) for r in await self._fetch(query, guilds, kind, list(follow))}
        races: dict[str, list[tuple[int, RaceKey]]] = {}
        for race_id, key in await self._keys.shared_races(list(follow)):
            races.setdefault(key.series, []).append((race_id, key))
        due = []
        for server in wanting:
            chosen = set(server["chosen"] or follow)
            for series in sorted(code for code in follow if code in chosen):
                mark, through = marks.get((server["guild_id"], series)), follow[series]
                for race_id, key in races.get(series, []):
                    at = (key.season, key.round)
                    if (mark and at <= mark) or (through and at <= through):
                        continue
                    if (server["guild_id"], series, key.season, key.round) in told:
                        continue
                    due.append(
                        DueAnnouncement(
                            server["guild_id"],
                            race_id,
                            series,
                            key.season,
                            key.round,
                            server["recap_channel_id"],
                            server["mod_channel_id"],
                        )
                    )
        return due

    async def pass_over_history(self, guild_id: int, series: str, newest: tuple[int, int], count: int) -> None:
        """Move a server's watermark of a series to newest without announcing the races before it, and say so."""
        async with self._write() as conn:
            query = """
                INSERT INTO announce_watermarks (guild_id, series, season, round) VALUES ($1, $2, $3, $4)
                ON CONFLICT (guild_id, series) DO UPDATE SET season = excluded.season, round = excluded.round
            """
            await conn.execute(query, guild_id, series, *newest)
            detail = (
                f"{count} {series} races arrived at once, up to {newest[0]} round {newest[1]}: a history being "
                "loaded, not races being run, so none of them was announced"
            )
            await _audit(conn, guild_id, PIT_BOARD, "announcement", detail)
            await self._publish(conn, "guild", guild_id)

    async def claim_announcement(self, guild_id: int, race_id: int, kind: str, channel_id: int) -> bool:
        """Record that a post about the race is going out; return False if one was already claimed (never post it).

        The claim is committed before anything is posted, so no crash, second pass or other process posts it twice.
        """
        key = await self._shared_key(race_id)
        async with self._write() as conn:
            query = """
                INSERT INTO announcements (guild_id, series, season, round, kind, status, channel_id, created_at)
                VALUES ($1, $2, $3, $4, $5, 'pending', $6, now())
                ON CONFLICT (guild_id, series, season, round, kind) DO NOTHING
            """
            args = (guild_id, key.series, key.season, key.round, kind, channel_id)
            if _rows(await conn.execute(query, *args)) != 1:
                return False
            await self._publish(conn, "guild", guild_id)
        return True

    async def announcement_sent(
        self,
        guild_id: int,
        race_id: int,
        kind: str,
        message_id: int,
        *,
        headline: str,
        body: str,
        author_id: int,
        shown: str | None = None,
        official: bool = False,
    ) -> RecapVersion:
        """Mark the post sent and save the generated recap as a draft version by Pit Board, together."""
        key = await self._shared_key(race_id)
        async with self._write() as conn:
            row = await _insert_version(conn, guild_id, key, headline=headline, body=body, author_id=author_id)
            query = """
                UPDATE announcements SET status = 'sent', message_id = $1, recap_version = $2, sent_at = now(),
                                         shown = $3
                WHERE guild_id = $4 AND series = $5 AND season = $6 AND round = $7 AND kind = $8
            """
            await conn.execute(
                query, message_id, row["version"], shown, guild_id, key.series, key.season, key.round, kind
            )
            if official:
                query = """
                    INSERT INTO announcements (guild_id, series, season, round, kind, status, recap_version,
                                               created_at, sent_at)
                    VALUES ($1, $2, $3, $4, $5, 'sent', $6, now(), now())
                    ON CONFLICT (guild_id, series, season, round, kind) DO NOTHING
                """
                await conn.execute(query, guild_id, key.series, key.season, key.round, OFFICIAL_DRAFT, row["version"])
            detail = f"announced {key.label} and saved a draft recap as version {row['version']}"
            await _audit(conn, guild_id, PIT_BOARD, "announcement", detail)
            await self._publish(conn, "guild", guild_id)
        return _version(row, race_id)

    async def announcement_failed(self, guild_id: int, race_id: int, kind: str, *, retry: bool) -> None:
        """Record that a claimed post failed: forgotten when retry (nothing was posted), else kept as failed."""
        key = await self._shared_key(race_id)
        async with self._write() as conn:
            where = "guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND kind = $5"
            if retry:
                query = f"DELETE FROM announcements WHERE {where} AND status = 'pending'"  # noqa: S608 - fixed text
            else:
                query = f"UPDATE announcements SET status = 'failed' WHERE {where}"  # noqa: S608 - fixed text
            await conn.execute(query, guild_id, key.series, key.season, key.round, kind)
            await self._publish(conn, "guild", guild_id)

    async def stop_posts(self, guild_id: int, kind: str, channel_id: int | None, reason: str) -> bool:
        """Stop a kind of automated post in a server and note why in its audit log; False if it was stopped already."""
        async with self._write() as conn:
            query = """
                INSERT INTO post_stops (guild_id, kind, channel_id, reason, stopped_at) VALUES ($1, $2, $3, $4, now())
                ON CONFLICT (guild_id, kind) DO NOTHING
            """
            if _rows(await conn.execute(query, guild_id, kind, channel_id, reason)) != 1:
                return False
            await _audit(conn, guild_id, PIT_BOARD, "automated post stopped", reason)
            await self._publish(conn, "guild", guild_id)
        self._changed("guild", guild_id)
        return True

    async def announcement(self, guild_id: int, race_id: int, kind: str = RESULTS) -> Announcement | None:
        """Return a server's post of this kind about a race, if one was claimed."""
        key = await self._keys.key_of(race_id)
        if key is None or key.upload:
            return None
        query = """
            SELECT * FROM announcements
            WHERE guild_id = $1 AND series = $2 AND season = $3 AND round = $4 AND kind = $5
        """
        row = await self._fetchrow(query, guild_id, key.series, key.season, key.round, kind)
        return _announcement(row, race_id) if row is not None else None

    async def announcements(self, guild_id: int) -> list[Announcement]:
        """Return a server's automated posts, oldest first; those about races this node does not hold are left out."""
        found = []
        for row in await self._fetch("SELECT * FROM announcements WHERE guild_id = $1 ORDER BY id", guild_id):
            key = RaceKey(row["series"], row["season"], row["round"])
            race_id = await self._keys.id_of(key)
            if race_id is None:
                log.debug("Left out a %s post of %s: no such race here", row["kind"], key.label)
                continue
            found.append(_announcement(row, race_id))
        return found

    # --- race-day posts ---------------------------------------------------------------------------------------

    async def race_day_settings(self, guild_id: int) -> RaceDaySettings:
        """Return a server's race-day settings (off, with the defaults, when it never set them)."""
        row = await self._fetchrow("SELECT * FROM race_day WHERE guild_id = $1", guild_id)
        return _race_day(row) if row is not None else RaceDaySettings(guild_id)

    async def set_race_day(self, settings: RaceDaySettings, user_id: int, *, detail: str) -> RaceDaySettings:
        """Store a server's race-day settings and audit who changed them; return them as stored."""
        async with self._write() as conn:
            query = """
                INSERT INTO race_day (guild_id, enabled, channel_id, hours_before, ping, thread, since, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, now(), now())
                ON CONFLICT (guild_id) DO UPDATE SET
                    since = CASE WHEN race_day.enabled AND excluded.enabled THEN race_day.since
                                 WHEN excluded.enabled THEN excluded.since ELSE race_day.since END,
                    enabled = excluded.enabled, channel_id = excluded.channel_id,
                    hours_before = excluded.hours_before, ping = excluded.ping, thread = excluded.thread,
                    updated_at = excluded.updated_at
                RETURNING *
            """
            row = await conn.fetchrow(
                query,
                settings.guild_id,
                settings.enabled,
                settings.channel_id,
                settings.hours_before,
                settings.ping,
                settings.thread,
            )
            assert row is not None  # RETURNING always yields the row
            if settings.enabled:
                query = "DELETE FROM post_stops WHERE guild_id = $1 AND kind IN ($2, $3)"
                await conn.execute(query, settings.guild_id, RESULTS, PRE_RACE)
            await _audit(conn, settings.guild_id, user_id, "settings", detail)
            await self._publish(conn, "guild", settings.guild_id)
        self._changed("guild", settings.guild_id)
        return _race_day(row)

    async def race_day_servers(self, guild_id: int | None = None) -> list[RaceDayServer]:
        """Return every server (or guild_id only) with race-day posts on: its channel, ping role and mods' channel."""
        query = """
            SELECT rd.*, coalesce(rd.channel_id, g.recap_channel_id) AS post_channel_id, g.ping_role_id,
                   g.mod_channel_id
            FROM race_day rd LEFT JOIN guild_settings g ON g.guild_id = rd.guild_id
            WHERE rd.enabled AND ($1::bigint IS NULL OR rd.guild_id = $1) ORDER BY rd.guild_id
        """
        return [
            RaceDayServer(_race_day(r), r["post_channel_id"], r["ping_role_id"], r["mod_channel_id"])
            for r in await self._fetch(query, guild_id)
        ]

    async def race_day_post(self, guild_id: int, nascar_race_id: int, kind: str = PRE_RACE) -> RaceDayPost | None:
        """Return a server's post of this kind about a scheduled race, if one was claimed."""
        query = "SELECT * FROM race_day_posts WHERE guild_id = $1 AND nascar_race_id = $2 AND kind = $3"
        row = await self._fetchrow(query, guild_id, nascar_race_id, kind)
        if row is None:
            return None
        return RaceDayPost(
            guild_id=row["guild_id"],
            nascar_race_id=row["nascar_race_id"],
            kind=row["kind"],
            status=row["status"],
            channel_id=row["channel_id"],
            message_id=row["message_id"],
            thread_id=row["thread_id"],
            shown_start=row["shown_start"],
        )

    async def claim_race_day_post(self, guild_id: int, nascar_race_id: int, kind: str, channel_id: int) -> bool:
        """Record that a post about a scheduled race is going out; False if one was claimed already (never post)."""
        async with self._write() as conn:
            query = """
                INSERT INTO race_day_posts (guild_id, nascar_race_id, kind, status, channel_id, created_at)
                VALUES ($1, $2, $3, 'pending', $4, now())
                ON CONFLICT (guild_id, nascar_race_id, kind) DO NOTHING
            """
            if _rows(await conn.execute(query, guild_id, nascar_race_id, kind, channel_id)) != 1:
                return False
            await self._publish(conn, "guild", guild_id)
        return True

    async def race_day_post_sent(
        self,
        guild_id: int,
        nascar_race_id: int,
        kind: str,
        *,
        message_id: int,
        thread_id: int | None,
        shown_start: dt.datetime | None,
        detail: str,
    ) -> None:
        """Mark a claimed post sent, with its message, the thread it opened and the start it shows; audit it."""
        async with self._write() as conn:
            query = """
                UPDATE race_day_posts SET status = 'sent', message_id = $1, thread_id = $2, shown_start = $3,
                                          sent_at = now()
                WHERE guild_id = $4 AND nascar_race_id = $5 AND kind = $6
            """
            shown = _second(shown_start) if shown_start else None
            await conn.execute(query, message_id, thread_id, shown, guild_id, nascar_race_id, kind)
            await _audit(conn, guild_id, PIT_BOARD, "race day", detail)
            await self._publish(conn, "guild", guild_id)

    async def race_day_post_moved(self, guild_id: int, nascar_race_id: int, kind: str, start: dt.datetime) -> None:
        """Record the start a posted card shows now that it was edited to a moved start."""
        async with self._write() as conn:
            query = """
                UPDATE race_day_posts SET shown_start = $1 WHERE guild_id = $2 AND nascar_race_id = $3 AND kind = $4
            """
            await conn.execute(query, _second(start), guild_id, nascar_race_id, kind)
            await self._publish(conn, "guild", guild_id)

    async def race_day_post_failed(self, guild_id: int, nascar_race_id: int, kind: str, *, retry: bool) -> None:
        """Record that a claimed post failed: forgotten when retry (nothing was posted), else kept as failed."""
        async with self._write() as conn:
            where = "guild_id = $1 AND nascar_race_id = $2 AND kind = $3"
            if retry:
                query = f"DELETE FROM race_day_posts WHERE {where} AND status = 'pending'"  # noqa: S608 - fixed text
            else:
                query = f"UPDATE race_day_posts SET status = 'failed' WHERE {where}"  # noqa: S608 - fixed text
            await conn.execute(query, guild_id, nascar_race_id, kind)
            await self._publish(conn, "guild", guild_id)

    async def set_announcement_shown(self, guild_id: int, race_id: int, kind: str, shown: str) -> None:
        """Record what a posted card shows now that it was edited."""
        key = await self._shared_key(race_id)
        async with self._write() as conn:
            query = """
                UPDATE announcements SET shown = $1
                WHERE guild_id = $2 AND series = $3 AND season = $4 AND round = $5 AND kind = $6
            """
            await conn.execute(query, shown, guild_id, key.series, key.season, key.round, kind)
            await self._publish(conn, "guild", guild_id)

    async def save_official_draft(
        self, guild_id: int, race_id: int, *, headline: str, body: str, author_id: int
    ) -> RecapVersion | None:
        """Save the recap written from a race's official results as a draft version by Pit Board, once per server.

        Return None when it was saved already (or the results card's draft was written from official results).
        """
        key = await self._shared_key(race_id)
        async with self._write() as conn:
            query = """
                INSERT INTO announcements (guild_id, series, season, round, kind, status, created_at, sent_at)
                VALUES ($1, $2, $3, $4, $5, 'sent', now(), now())
                ON CONFLICT (guild_id, series, season, round, kind) DO NOTHING
            """
            args = (guild_id, key.series, key.season, key.round, OFFICIAL_DRAFT)
            if _rows(await conn.execute(query, *args)) != 1:
                return None
            row = await _insert_version(conn, guild_id, key, headline=headline, body=body, author_id=author_id)
            query = """
                UPDATE announcements SET recap_version = $1
                WHERE guild_id = $2 AND series = $3 AND season = $4 AND round = $5 AND kind = $6
            """
            await conn.execute(query, row["version"], *args)
            detail = (
                f"{key.label} is official: saved a draft recap from the official results as version {row['version']}"
            )
            await _audit(conn, guild_id, PIT_BOARD, "announcement", detail)
            await self._publish(conn, "guild", guild_id)
        return _version(row, race_id)


async def open_server_data(url: str, keys: RaceKeys, *, node: NodeCopies, max_size: int = 10) -> PgServerData:
    """Connect to PostgreSQL, migrate it, hear the other processes, and copy into node the uploads and quotes it lacks.

    Then tell the servers whose uploads the node's shared races replaced meanwhile (note_replaced_uploads).
    """
    pool = await connect_pool(url, max_size=max_size)
    try:
        await migrate(pool)
        data = PgServerData(pool, keys, url=url, node=node)
        await data.feed.start()  # first, so no change made while copying goes unheard
    except BaseException:
        await pool.close()
        raise
    try:
        await data.mirror_uploads()
        await data.mirror_quotes()
    except StoreError as error:
        # Fans are still served what the node holds; the next change of each server's data copies it.
        log.warning("Could not copy servers' uploads and quotes into this node at start: %s", error)
    try:
        await data.note_replaced_uploads()
    except StoreError as error:
        log.warning("Could not tell servers of shared results that replaced their uploads: %s", error)
    return data
