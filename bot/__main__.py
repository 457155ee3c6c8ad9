"""The composition root: Settings → Store → Bot → cogs, and the maintenance command line."""

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot import maintenance
from bot.cluster import Cluster
from bot.cluster.registry import read_status
from bot.config import ConfigError, Settings, load_settings, read_environment
from bot.importers import commands as data_commands
from bot.logs import setup_logging
from bot.store import Store, StoreDamagedError, StoreError, open_store
from bot.store.postgres import upkeep as postgres_upkeep
from bot.store.postgres.database import connect_pool, describe_url, migrate
from bot.store.postgres.move import move_to_postgres
from bot.store.postgres.race_keys import SqliteRaceKeys
from bot.store.postgres.server_data import open_server_data

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser: no arguments runs the bot."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Pit Board, a Discord race-recap bot.")
    commands = parser.add_subparsers(dest="command")
    db = commands.add_parser("db", help="maintain the database").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply pending migrations")
    db.add_parser("seed", help="load the races under data/ that are not stored yet")
    db.add_parser("check", help="run integrity and foreign-key checks and count rows")
    backup = db.add_parser(
        "backup", help="copy the database safely, even while the bot runs (and PostgreSQL to PATH.pgdump)"
    )
    backup.add_argument("path", type=Path)
    db.add_parser(
        "move-to-postgres",
        help="copy every server's data from the SQLite file to PostgreSQL (DATABASE_URL), check it, report the counts",
    )
    preview_parser = commands.add_parser("preview", help="run a fan command offline and print its reply")
    preview_parser.add_argument(
        "line", metavar="COMMAND", help='a slash command as typed in Discord, e.g. "/results top:5"'
    )
    preview_parser.add_argument("--page", type=int, default=1, help="which page of a paged reply to show (default 1)")
    preview_parser.add_argument("--out", type=Path, metavar="FILE", help="write the reply's picture (a /chart) to FILE")
    commands.add_parser(
        "status", help="show each running process of the bot: its shards, servers, latency, leader, last refresh"
    )
    data_commands.add_parsers(commands)
    return parser


async def open_ready_store(settings: Settings, *, seed: bool = True, server_data: bool = True) -> Store:
    """Open the store, refusing a damaged file, apply migrations, and load data/ into it if it holds no race yet.

    The check reads the whole file once: a damaged one is refused before anyone is served from it or writes to it.
    With DATABASE_URL set (and server_data), what servers write goes to PostgreSQL, its schema brought up to date
    first; the store closes it with itself.
    """
    store = await open_store(settings.database_path, verify=True)
    try:
        if seed and not await store.race_summaries():
            loaded = await maintenance.seed(store, settings.data_dir)
            log.info("Seeded an empty database with %s", ", ".join(loaded) or "nothing")
        if server_data and settings.database_url is not None:
            store.use_server_data(
                await open_server_data(settings.database_url.reveal(), SqliteRaceKeys(store), node=store)
            )
    except BaseException:
        await store.close()
        raise
    return store


async def run_bot(settings: Settings) -> None:
    """Open the store, seed it if empty, and run the bot until it is stopped."""
    assert settings.token is not None  # load_settings(require_token=True) guarantees it
    # discord.py loads only for what needs it (see main)
    from bot.client import PitBoard
    from bot.endpoints import use_discord_endpoints

    store = await open_ready_store(settings)
    try:
        use_discord_endpoints(settings.api_base, settings.gateway_url)
        # With DATABASE_URL this process is one of a cluster (perhaps the only one): see bot.cluster.
        cluster = Cluster(store.server_data.pool, store.server_data.url) if store.server_data is not None else None
        async with PitBoard(settings=settings, store=store, freeze_startup_objects=True, cluster=cluster) as bot:
            # A service manager stops the bot with SIGTERM: close the gateway and the store cleanly.
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
            await bot.start(settings.token.reveal())
    finally:
        await store.close()


async def run_db(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `db` action and return the exit status."""
    if args.action == "check":
        return await run_check(settings)
    if args.action == "backup":
        return await run_backup(settings, args.path)
    if args.action == "move-to-postgres":
        return await run_move(settings)
    # Seeding and backing up write no server's data: PostgreSQL is opened only to bring its schema up to date.
    store = await open_ready_store(settings, seed=args.action != "upgrade", server_data=args.action == "upgrade")
    try:
        match args.action:
            case "upgrade":
                print(f"{settings.database_path}: schema up to date")  # noqa: T201 - command-line output
                if store.server_data is not None:
                    print(f"PostgreSQL {postgres_where(settings)}: schema up to date")  # noqa: T201
            case "seed":
                loaded = await maintenance.seed(store, settings.data_dir)
                print("Loaded: " + ", ".join(loaded) if loaded else "Nothing new to load.")  # noqa: T201
    finally:
        await store.close()
    return 0


def postgres_where(settings: Settings) -> str:
    """Return host:port/database of DATABASE_URL, never its password."""
    assert settings.database_url is not None  # asked only with PostgreSQL in use
    return describe_url(settings.database_url.reveal())


async def run_backup(settings: Settings, path: Path) -> int:
    """Back up the SQLite file to path and PostgreSQL, when in use, to path.pgdump; 1 when pg_dump is missing."""
    store = await open_ready_store(settings, server_data=False)
    try:
        await store.backup(path)
    finally:
        await store.close()
    print(f"Backed up to {path}; the copy passed SQLite's quick check.")  # noqa: T201 - command-line output
    if settings.database_url is None:
        return 0
    pg_dump = postgres_upkeep.find_pg_dump()
    if pg_dump is None:
        print(  # noqa: T201
            f"PostgreSQL {postgres_where(settings)} was not backed up: pg_dump is not installed (on PATH or under "
            "/usr/lib/postgresql/*/bin); install PostgreSQL's client tools, or back it up where it runs.",
            file=sys.stderr,
        )
        return 1
    target = path.with_name(path.name + ".pgdump")
    await postgres_upkeep.backup(settings.database_url.reveal(), target, pg_dump)
    print(f"Backed up PostgreSQL {postgres_where(settings)} to {target} (pg_restore reads it).")  # noqa: T201
    return 0


async def run_move(settings: Settings) -> int:
    """Copy every server's data from the SQLite file to PostgreSQL, check the copy, and print the counts."""
    if settings.database_url is None:
        print(  # noqa: T201 - command-line output
            "db move-to-postgres copies into PostgreSQL: set DATABASE_URL to its URL (postgresql://user@host/db).",
            file=sys.stderr,
        )
        return 2
    # Nothing is seeded: the move copies what servers wrote, never Pit Board's races.
    store = await open_ready_store(settings, seed=False, server_data=False)
    try:
        report = await move_to_postgres(store, settings.database_url.reveal())
    finally:
        await store.close()
    print(f"From {settings.database_path}:")  # noqa: T201 - command-line output
    print("\n".join(report.lines()))  # noqa: T201
    return 0


async def run_check(settings: Settings) -> int:
    """Print SQLite's checks and the row counts; 1, with one line on stderr, when a check fails."""
    try:
        store = await open_ready_store(settings, server_data=False)  # PostgreSQL is checked as it is, unmigrated
    except StoreDamagedError:
        # Diagnosing damage is this command's job: open the file as it is, without migrating or seeding it.
        store = await open_store(settings.database_path, upgrade=False)
    try:
        report = await maintenance.check(store)
    finally:
        await store.close()
    print("\n".join(report.lines()))  # noqa: T201 - command-line output
    failure = report.failure(settings.database_path)
    if failure:
        print(failure, file=sys.stderr)  # noqa: T201
    if settings.database_url is None:
        return 0 if report.ok else 1
    postgres = await postgres_upkeep.check(settings.database_url.reveal())
    print("\n".join(postgres.lines()))  # noqa: T201
    if postgres.problem is not None:
        print(f"PostgreSQL {postgres.where}: {postgres.problem}", file=sys.stderr)  # noqa: T201
    return 0 if report.ok and postgres.ok else 1


async def run_status(settings: Settings) -> int:
    """Print what each process sharing DATABASE_URL last reported of itself; 1 when none is running."""
    if settings.database_url is None:
        print(  # noqa: T201 - command-line output
            "status reads what the running processes report in PostgreSQL; set DATABASE_URL (a single process "
            "without it logs its state instead).",
            file=sys.stderr,
        )
        return 2
    pool = await connect_pool(settings.database_url.reveal(), max_size=1)
    try:
        await migrate(pool)  # a cluster that never ran has no tables yet: created, and found empty
        processes, waiting, now = await read_status(pool)
    finally:
        await pool.close()
    running = [p for p in processes if p.state(now) == "running"]
    leaders = [p for p in running if p.leader]
    print(f"PostgreSQL {postgres_where(settings)}: {len(running)} running, {len(processes) - len(running)} not")  # noqa: T201
    for process in processes:
        print("\n".join(process.lines(now)))  # noqa: T201
    guilds = sum(p.guilds for p in running)
    leader = f"{leaders[0].host} pid {leaders[0].pid}" if leaders else "none right now"
    print(f"Servers: {guilds:,}; leader: {leader}; posts waiting in the outbox: {waiting}")  # noqa: T201
    return 0 if running else 1


async def run_preview(settings: Settings, args: argparse.Namespace) -> int:
    """Answer one fan command from the store with no Discord connection and print the reply."""
    # Nothing connects, so discord.py's start-up notices (such as missing voice libraries) are noise here.
    logging.getLogger("discord").setLevel(logging.ERROR)
    from bot import preview  # discord.py loads only for what needs it (see main)

    try:
        if args.out is not None:
            preview.check_picture_path(args.out)  # before the command runs, which may take a while to draw
        # The preview answers as a direct message would: no server, so nothing of PostgreSQL's is read.
        store = await open_ready_store(settings, server_data=False)
        try:
            return await preview.run(settings, store, args.line, page=args.page, out=sys.stdout, image=args.out)
        finally:
            await store.close()
    except preview.PictureNotWrittenError as error:
        print(error, file=sys.stderr)  # noqa: T201
        return 2


async def run_data(settings: Settings, args: argparse.Namespace) -> int:
    """Run one import, export or drivers command against the store (seeded first if empty)."""
    store = await open_ready_store(settings)
    try:
        return await data_commands.run(
            store,
            args,
            data_dir=settings.data_dir,
            out=sys.stdout,
            err=sys.stderr,
            data_url=settings.nascar_data_url,
            follow_series=settings.follow_series,
        )
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load settings, and run; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(read_environment(), require_token=args.command is None)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)  # noqa: T201 - before logging exists
        return 2
    secrets = [settings.token.reveal()] if settings.token else []
    if settings.database_url is not None:
        # asyncpg's errors may quote the URL; its password never reaches a log line.
        url = settings.database_url.reveal()
        password = postgres_upkeep.without_password(url)[1] or ""
        secrets += [url, password] if len(password) >= 4 else [url]  # a masked "a" would garble every line
    # The bot and preview import discord.py inside their run functions: that import takes most of a second,
    # which the data commands (imports timed over whole histories) should not pay.
    setup_logging(settings.log_level, secrets, with_discord=args.command in (None, "preview"))
    try:
        if args.command == "db":
            return asyncio.run(run_db(settings, args))
        if args.command == "preview":
            return asyncio.run(run_preview(settings, args))
        if args.command == "status":
            return asyncio.run(run_status(settings))
        if args.command in data_commands.COMMANDS:
            return asyncio.run(run_data(settings, args))
        asyncio.run(run_bot(settings))
    except StoreError as error:
        print(f"Database error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    except FileExistsError as error:
        print(error, file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
