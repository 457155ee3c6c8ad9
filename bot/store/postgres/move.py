"""`python -m bot db move-to-postgres`: every server's data, copied once from the SQLite file into PostgreSQL.

What servers wrote while the bot ran on the file alone (settings, followed series, uploads and their corrections,
recap versions and posts, quotes, the audit log, announcements, race-day settings and posts, stopped posts) goes into
the tables PgServerData reads (migration 0001), named as it names them: a race by (series, season, round, upload)
and a driver by NASCAR's id and name key, both through the node's SqliteRaceKeys. Uploads keep their data_version,
and the file's quotes are linked to their PostgreSQL ids (server_quote_id), so the node's races and quotes stay the
node's copies of them: starting with DATABASE_URL copies nothing into the file a second time.

Everything is copied in one PostgreSQL transaction. It is refused when PostgreSQL holds any server's data already,
so a second run doubles nothing, and it is checked before it commits: every table's rows, read back from PostgreSQL,
must equal the file's, or nothing is kept. The file keeps its own rows; with DATABASE_URL set the bot reads none of
them again.
"""

import datetime as dt
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, cast

import asyncpg

from bot.store import Store
from bot.store.database import StoreError
from bot.store.postgres.database import FAILURES, connect_pool, describe_url, migrate
from bot.store.postgres.race_keys import SqliteRaceKeys
from bot.store.postgres.server_data import Connection, entry_args, translate_failure
from bot.store.race_keys import RACE_KEY_COLUMNS, DriverKey, RaceKey
from bot.store.records import EntryRecord

Row = tuple[Any, ...]
COPY_TIMEOUT = 300.0  # seconds for one table's rows: years of a busy server's audit log, on a slow link
# The key columns of a race in PostgreSQL, where the file has its own row id of it (race_id).
RACE_KEY = ("series", "season", "round", "upload")
TIMES = {
    "announce_since",
    "updated_at",
    "created_at",
    "since",
    "shown_start",
    "sent_at",
    "stopped_at",
    "published_at",
    "discarded_at",
    "shared_noted_at",
}
FLAGS = {"announce", "notify", "enabled", "ping", "thread"}  # SQLite's 0/1, PostgreSQL's boolean


@dataclass(frozen=True, slots=True)
class Table:
    """One PostgreSQL table of server data and the columns the move writes (guild_id first; no id of its own)."""

    name: str
    columns: tuple[str, ...]
    by_id: bool = False  # its ids are PostgreSQL's own: rows go in, and are compared, in the file's id order
    by_race: bool = False  # the file names its race by row id (race_id): RACE_KEY here
    upload: bool | None = None  # by_race: True, the race must be the server's own upload; False, a shared race


TABLES = (
    Table(
        "guild_settings",
        (
            "guild_id",
            "recap_channel_id",
            "mod_role_id",
            "ping_role_id",
            "spoiler_hours",
            "announce",
            "announce_since",
            "mod_channel_id",
            "notify",
            "updated_at",
        ),
    ),
    Table("guild_series", ("guild_id", "series")),
    Table(
        "server_races",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "series_name",
            "name",
            "track",
            "race_date",
            "results_status",
            "data_version",
            "shared_noted_at",
        ),
    ),
    Table(
        "server_entries",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "car_number",
            "driver",
            "driver_key",
            "team",
            "make",
            "sponsor",
            "start_pos",
            "finish_pos",
            "laps_completed",
            "status",
            "laps_led",
            "points",
            "stage_points",
            "eligibility",
            "sources",
            "confidence",
            "notes",
        ),
    ),
    Table(
        "corrections",
        ("guild_id", "series", "season", "round", "author_id", "summary", "reason", "created_at"),
        by_id=True,
        by_race=True,
        upload=True,  # PostgreSQL's corrections hang on server_races
    ),
    Table(
        "recap_versions",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "upload",
            "version",
            "headline",
            "body",
            "author_id",
            "created_at",
            "reverted_from",
            "discarded_at",
        ),
        by_id=True,
        by_race=True,
    ),
    Table(
        "recap_posts",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "upload",
            "channel_id",
            "message_id",
            "thread_id",
            "version",
            "published_by",
            "published_at",
        ),
        by_race=True,
    ),
    Table(
        "guild_quotes",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "upload",
            "driver_nascar_id",
            "driver_key",
            "speaker",
            "text",
            "context",
            "source_url",
            "added_by",
            "created_at",
        ),
        by_id=True,
    ),
    Table("audit_log", ("guild_id", "user_id", "action", "detail", "created_at"), by_id=True),
    Table("announce_watermarks", ("guild_id", "series", "season", "round")),
    Table(
        "announcements",
        (
            "guild_id",
            "series",
            "season",
            "round",
            "kind",
            "status",
            "channel_id",
            "message_id",
            "recap_version",
            "shown",
            "created_at",
            "sent_at",
        ),
        by_id=True,
        by_race=True,
        upload=False,  # only shared races are announced
    ),
    Table("race_day", ("guild_id", "enabled", "channel_id", "hours_before", "ping", "thread", "since", "updated_at")),
    Table(
        "race_day_posts",
        (
            "guild_id",
            "nascar_race_id",
            "kind",
            "status",
            "channel_id",
            "message_id",
            "thread_id",
            "shown_start",
            "created_at",
            "sent_at",
        ),
        by_id=True,
    ),
    Table("post_stops", ("guild_id", "kind", "channel_id", "reason", "stopped_at")),
)


@dataclass(frozen=True, slots=True)
class MoveReport:
    """What `db move-to-postgres` copied: the rows of each table, equal in the file and in PostgreSQL."""

    where: str  # host:port/database, never the password
    servers: int  # servers with any data
    counts: dict[str, int]  # rows per PostgreSQL table

    def lines(self) -> list[str]:
        """Return the report as the command prints it."""
        lines = [f"Moved the data of {self.servers} server(s) into PostgreSQL {self.where}:"]
        lines += [f"  {table}: {count}" for table, count in self.counts.items()]
        lines.append("checked: every table matches")
        return lines


@dataclass(frozen=True, slots=True)
class Dump:
    """Every server's rows in the file, as PostgreSQL's tables hold them, and the file's ids of its quotes."""

    rows: dict[str, list[Row]]
    quote_ids: list[int]  # the file's id of each row of guild_quotes, in order


def _instant(text: str | None) -> dt.datetime | None:
    """Return a time the file keeps as ISO-8601 text; one written without a zone is UTC, as the store writes."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _value(column: str, value: Any) -> Any:
    if column in TIMES:
        return _instant(value)
    if column in FLAGS and value is not None:
        return bool(value)
    return value


def _said(error: Exception) -> str:
    """Return PostgreSQL's message of error on one line, without its DETAIL (which quotes the whole row)."""
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())


def _normal(row: Sequence[Any]) -> Row:
    """Return a row for comparing: arrays as tuples."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def _order(row: Row) -> Row:
    """Return a sort key for a row whose columns may be NULL."""
    return tuple((value is None, value) for value in row)


class SqliteSide:
    """Reads every server's data in the file as rows of PostgreSQL's tables, naming races and drivers by their keys."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys = SqliteRaceKeys(store)
        self._races: dict[int, RaceKey | None] = {}
        self._drivers: dict[int, DriverKey | None] = {}

    async def _fetch(self, query: str) -> list[Any]:
        # The raw connection: the move is a maintenance command, and these reads are whole tables.
        return list(await self._store.connection.execute_fetchall(query))

    async def _race(self, race_id: int, guild_id: int, what: str, *, upload: bool | None = None) -> RaceKey:
        """Return the key of a race a row of guild_id's names, refusing what PostgreSQL cannot hold as it is.

        upload True: the race must be the server's own upload; False: Pit Board's shared race.
        """
        if race_id not in self._races:
            self._races[race_id] = await self._keys.key_of(race_id)
        key = self._races[race_id]
        if key is None:
            raise StoreError(f"{what} names race {race_id}, which the file does not hold; nothing was moved.")
        if key.owner not in (None, guild_id):
            raise StoreError(f"{what} is about {key.label}, server {key.owner}'s upload; nothing was moved.")
        if upload is not None and key.upload != upload:
            kind = "uploads" if upload else "shared races"
            raise StoreError(f"{what} is about {key.label}; PostgreSQL keeps them for {kind} only; nothing was moved.")
        return key

    async def _driver(self, driver_id: int) -> DriverKey:
        if driver_id not in self._drivers:
            self._drivers[driver_id] = await self._keys.driver_key_of(driver_id)
        driver = self._drivers[driver_id]
        if driver is None:
            raise StoreError(f"the file holds no driver {driver_id}, whom a quote names; nothing was moved.")
        return driver

    async def dump(self) -> Dump:
        """Return every server's rows, table by table, in TABLES' columns."""
        rows: dict[str, list[Row]] = {}
        quote_ids: list[int] = []
        for table in TABLES:
            if table.name == "server_races":
                rows[table.name] = await self._server_races()
            elif table.name == "server_entries":
                rows[table.name] = await self._server_entries()
            elif table.name == "guild_quotes":
                rows[table.name], quote_ids = await self._guild_quotes()
            else:
                rows[table.name] = await self._rows(table)
        return Dump(rows, quote_ids)

    async def _rows(self, table: Table) -> list[Row]:
        """Return a table the file holds under the same name, with the same columns but for a race's row id."""
        columns = [c for c in table.columns if not (table.by_race and c in RACE_KEY)]
        if table.by_race:
            columns.append("race_id")
        query = f"SELECT rowid AS row_id, {', '.join(columns)} FROM {table.name} ORDER BY rowid"  # noqa: S608 - fixed names
        found = []
        for row in await self._fetch(query):
            key = None
            if table.by_race:
                what = f"{table.name} row {row['row_id']}"
                key = await self._race(row["race_id"], row["guild_id"], what, upload=table.upload)
            values = []
            for column in table.columns:
                if key is not None and column in RACE_KEY:
                    values.append(key.upload if column == "upload" else getattr(key, column))
                else:
                    values.append(_value(column, row[column]))
            found.append(tuple(values))
        return found

    async def _uploads(self) -> list[Any]:
        query = f"""
            SELECT se.name AS series_name, r.name, t.name AS track, r.race_date, r.results_status, r.data_version,
                   n.noted_at, {RACE_KEY_COLUMNS}
            JOIN tracks t ON t.id = r.track_id
            LEFT JOIN upload_notices n ON n.race_id = r.id
            WHERE r.owner_guild_id IS NOT NULL
            ORDER BY r.id
        """
        return await self._fetch(query)

    async def _server_races(self) -> list[Row]:
        return [
            (
                race["owner"],
                race["series"],
                race["season"],
                race["round"],
                race["series_name"],
                race["name"],
                race["track"],
                dt.date.fromisoformat(race["race_date"]),
                race["results_status"],
                race["data_version"],
                _instant(race["noted_at"]),  # when its moderators were told the shared race of that round arrived
            )
            for race in await self._uploads()
        ]

    async def _server_entries(self) -> list[Row]:
        """Return each upload's entries as PgServerData stores an uploaded row, from the file's typed reads."""
        found = []
        for race in await self._uploads():
            sources: dict[int, list[str]] = {}
            confidence: dict[int, str | None] = {}
            for link in await self._store.fact_links(race["id"]):
                if link.subject == "entries" and link.field == "":
                    sources.setdefault(link.subject_id, []).append(link.key)
                    confidence.setdefault(link.subject_id, link.confidence)
            for entry in await self._store.entries(race["id"]):
                record = EntryRecord(
                    finish=entry.finish,
                    start=entry.start,
                    car=entry.car_number,
                    driver=entry.driver,
                    team=entry.team,
                    make=entry.make,
                    sponsor=entry.sponsor,
                    laps=entry.laps,
                    status=entry.status,
                    laps_led=entry.laps_led,
                    points=entry.points,
                    points_eligible=entry.points_eligible,
                    stage_points=entry.stage_points,
                    sources=tuple(sources.get(entry.id, ())),
                    confidence=confidence.get(entry.id),
                    notes=entry.notes,
                )
                found.append((race["owner"], race["series"], race["season"], race["round"], *entry_args(record)))
        return found

    async def _guild_quotes(self) -> tuple[list[Row], list[int]]:
        query = """
            SELECT id, guild_id, race_id, driver_id, speaker, text, context, source_url, added_by, created_at
            FROM quotes WHERE guild_id IS NOT NULL ORDER BY id
        """
        rows, ids = [], []
        for quote in await self._fetch(query):
            key = await self._race(quote["race_id"], quote["guild_id"], f"quote {quote['id']}")
            driver = await self._driver(quote["driver_id"]) if quote["driver_id"] is not None else None
            rows.append(
                (
                    quote["guild_id"],
                    key.series,
                    key.season,
                    key.round,
                    key.upload,
                    driver.nascar_id if driver else None,
                    driver.name_key if driver else None,
                    quote["speaker"],
                    quote["text"],
                    quote["context"],
                    quote["source_url"],
                    quote["added_by"],
                    _instant(quote["created_at"]),
                )
            )
            ids.append(quote["id"])
        return rows, ids


async def move_to_postgres(store: Store, url: str) -> MoveReport:
    """Copy every server's data from store's file into PostgreSQL at url, check the copy, and return the counts.

    store is the file's store with no server data attached. Raises StoreError, having kept nothing in PostgreSQL
    and changed nothing in the file, when PostgreSQL holds any server's data already, refuses a row, or the copy
    read back differs from the file.
    """
    if store.server_data is not None:
        raise RuntimeError("the store already sends what servers write to PostgreSQL; move from the file alone")
    where = describe_url(url)
    pool = await connect_pool(url, max_size=1)
    try:
        await migrate(pool)
        async with pool.acquire() as pooled:
            return await _move(store, cast(Connection, pooled), where)
    except FAILURES as error:
        if translated := translate_failure(error):
            raise translated from error
        raise StoreError(f"PostgreSQL {where} failed during the move ({_said(error)}); nothing was moved.") from error
    finally:
        await pool.close()


async def _move(store: Store, conn: Connection, where: str) -> MoveReport:
    side = SqliteSide(store)
    dump = await side.dump()
    async with AsyncExitStack() as linked, conn.transaction():
        await _refuse_if_held(conn, where)
        links = await _copy(conn, dump)
        counts = await _check(conn, await side.dump())  # read afresh: a write to the file meanwhile shows
        # The file's quotes name their PostgreSQL ids in a transaction of the file's own, opened last and
        # committed (leaving `linked`) only after PostgreSQL's commit succeeded; an error before rolls both back.
        await linked.enter_async_context(store.linking_quote_copies(links))
    servers = {row[0] for rows in dump.rows.values() for row in rows}
    return MoveReport(where, len(servers), counts)


async def _refuse_if_held(conn: Connection, where: str) -> None:
    """Lock every table of server data until the move ends, and refuse when any holds a row."""
    names = ", ".join(table.name for table in TABLES)
    # Two moves at once take turns here, and the second finds the first's rows; a running bot's writes wait.
    await conn.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
    held = []
    for table in TABLES:
        count = await conn.fetchval(f"SELECT count(*) FROM {table.name}")  # noqa: S608 - fixed names
        if count:
            held.append(f"{table.name}: {count}")
    if held:
        raise StoreError(
            f"PostgreSQL {where} already holds servers' data ({', '.join(held)}), so nothing was copied: "
            "a second move would double it."
        )


async def _copy(conn: Connection, dump: Dump) -> dict[int, int]:
    """Write every table's rows in the file's order; return the file's id -> PostgreSQL's id of each quote."""
    links: dict[int, int] = {}
    for table in TABLES:
        rows = dump.rows[table.name]
        what = table.name
        try:
            if table.name == "guild_quotes":
                # One at a time, for PostgreSQL's id of each: the file's copy must name it.
                marks = ", ".join(f"${n}" for n in range(1, len(table.columns) + 1))
                query = f"INSERT INTO guild_quotes ({', '.join(table.columns)}) VALUES ({marks}) RETURNING id"  # noqa: S608
                for quote_id, row in zip(dump.quote_ids, rows, strict=True):
                    what = f"guild_quotes (the file's quote {quote_id})"
                    server_id = await conn.fetchval(query, *row)
                    assert server_id is not None  # RETURNING always yields the inserted row's id
                    links[quote_id] = server_id
            elif rows:
                await conn.copy_records_to_table(table.name, records=rows, columns=table.columns, timeout=COPY_TIMEOUT)
        except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as error:
            raise StoreError(f"PostgreSQL refused the rows of {what} ({_said(error)}); nothing was moved.") from error
    return links


async def _check(conn: Connection, dump: Dump) -> dict[str, int]:
    """Compare each table as PostgreSQL holds it now with the file's rows; return the counts, equal on both sides."""
    counts = {}
    for table in TABLES:
        order = " ORDER BY id" if table.by_id else ""
        query = f"SELECT {', '.join(table.columns)} FROM {table.name}{order}"  # noqa: S608 - fixed names
        copied = [_normal(tuple(row.values())) for row in await conn.fetch(query)]
        held = [_normal(row) for row in dump.rows[table.name]]
        if not table.by_id:
            copied.sort(key=_order)
            held.sort(key=_order)
        if len(copied) != len(held):
            raise StoreError(
                f"the copy of {table.name} holds {len(copied)} rows, the file {len(held)}; nothing was moved."
            )
        differs = next((n for n, (a, b) in enumerate(zip(copied, held, strict=True)) if a != b), None)
        if differs is not None:
            raise StoreError(
                f"the copy of {table.name} differs from the file at row {differs + 1} of {len(held)}; "
                "nothing was moved."
            )
        counts[table.name] = len(held)
    return counts
