"""`make bench`: the real bot in its own process, every fan command against the floor, shipped data and 200,000 results.

Each phase starts `python -m bot` on its own database, pointed at the fake Discord in this process, restarts
it once so the measured start is an ordinary restart, then measures every row of bench.workload beside the
floor (/noop from bench.floor, answered by the same process at the same moment): one at a time, then 16 and
64 in flight. Then a few fan commands are measured again, quiet and while other members keep the bot busy
(drawing charts that miss its cache, typing 6,000-character options). The scale phase first generates a
synthetic nascaR.data history and imports it through the real importer (`python -m bot import nascar-data`).
The refresh phase then measures the fan commands idle and while the bot refreshes the Cup history from a local
data host through its own path (bench.refresher): first the whole history into a database without it, then Mondays
that each append one race. The scale-out phase (bench.cluster) compares one process with two, each over half the
shards and sharing PostgreSQL, and starts one process with 10,000 servers.
"""

import argparse
import asyncio
import datetime as dt
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import report, synthetic
from bench.cluster import ScaleOutPhase, run_scale_out_phase
from bench.measure import (
    Background,
    BotProcess,
    Sample,
    TimedDiscord,
    TreeCpu,
    bot_environment,
    run_alternating,
    run_in_turn,
    run_row,
    run_until,
    tree_cpu,
    vm_hwm,
)
from bench.refresher import DONE
from bench.workload import (
    FLOOR,
    FLOOR_AUTOCOMPLETE,
    MODERATOR_WRITE,
    REFRESH,
    DataShape,
    Load,
    Row,
    background_loads,
    build_rows,
    contention_rows,
    shape_of,
)
from bot.config import PROJECT_ROOT
from tests.data_host import DataHost, data_host

MB = 1024 * 1024
LEVELS = (16, 64)  # in flight, besides one at a time
UNDER_LOAD = "under load"  # --only text that selects the measurements under other members' load
DURING_REFRESH = "during a cup refresh"  # --only text that measures every row in the refresh phase
MONDAYS = 2  # Monday refreshes after the first import: fans alone, then fans and a moderator saving
REFRESH_TIMEOUT = 600.0  # seconds the bot may take for one refresh before the benchmark gives up
_DONE_LINE = re.compile(
    re.escape(DONE) + r": series=\S+ ok=(?P<ok>\w+) child=(?P<child>[\d.]+) whole=(?P<whole>[\d.]+)"
)
_MERGED_LINE = re.compile(r"refresh cup: (?P<text>(Races|Entries): .*)")


@dataclass(frozen=True, slots=True)
class Budget:
    """How many interactions to send per row: at most n, fewer for slow rows, never fewer than the minimum."""

    n: int = 400
    seconds: float = 2.5  # per row and number in flight
    minimum: int = 60
    warmup: int = 20

    def count(self, estimate: float, in_flight: int = 1) -> int:
        """Return N for a row whose round trip is about estimate seconds."""
        wanted = int(self.seconds / max(estimate, 1e-4))
        return max(self.minimum, 2 * in_flight, min(self.n, wanted))


@dataclass(slots=True)
class RowResult:
    """A row measured one at a time and at each number in flight, with the floor measured beside it."""

    row: Row
    levels: dict[int, Sample] = field(default_factory=dict)
    floors: dict[int, Sample] = field(default_factory=dict)


@dataclass(slots=True)
class LoadResult:
    """Other members' commands measured one at a time, in turn with the floor, quiet or under one load."""

    load: Load | None  # None: nothing else going on
    rows: list[tuple[Row, Sample]]  # the floor first
    background: Sample | None = None  # the load's own requests while the rows ran

    @property
    def label(self) -> str:
        """Return what was going on: 'quiet' or the load's label."""
        return "quiet" if self.load is None else self.load.label


@dataclass(slots=True)
class ColdStart:
    """Seconds from spawning `python -m bot` to each step of its start."""

    identify: float  # the bot opened the gateway and identified
    guilds_sent: float  # READY and every GUILD_CREATE written to it
    first_answer: float  # its first interaction (/noop, sent right after GUILD_CREATE) answered
    ready_logged: float  # on_ready's 'Ready as' line: guild_ready_timeout after the last GUILD_CREATE
    first_fan_command: float  # round trip of the first fan command (/results), which builds the search index


@dataclass(slots=True)
class ImportRun:
    """One file imported through `python -m bot import nascar-data`."""

    series: str
    rows: int
    seconds: float  # the whole process
    output: str
    startup: float = 0.0  # what `python -m bot --help` takes: the interpreter and the command line, no import


@dataclass(slots=True)
class Phase:
    """Everything measured on one database."""

    name: str
    shape: DataShape
    rows: list[RowResult]
    cold: ColdStart
    first_start: float  # spawn to 'Ready as' on the very first start (seeding and command sync included)
    peak_rss: int | None
    worker_rss: int | None
    ready_rss: int | None  # resident memory once started and warmed up, before the measured load
    database_bytes: int
    imports: list[ImportRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    under_load: list[LoadResult] = field(default_factory=list)  # first quiet, then one per load
    load_notes: list[str] = field(default_factory=list)  # loads left out, and why


async def first_answer(fake: TimedDiscord) -> float:
    """Wait for READY and GUILD_CREATE to be sent, then time the first /noop; return when it was answered."""
    await fake.guilds_sent.wait()
    answer = await fake.ask(FLOOR, {})
    return answer.answered


async def start_measured(fake: TimedDiscord, bot: BotProcess) -> ColdStart:
    """Start the bot and return how long each step of the start took."""
    probe = asyncio.create_task(first_answer(fake))
    await bot.start()
    answered = await probe
    fan = await fake.ask(Row("/results", "results", ({},)), {})
    return ColdStart(
        identify=fake.identified_at - bot.spawned_at,
        guilds_sent=fake.guilds_sent_at - bot.spawned_at,
        first_answer=answered - bot.spawned_at,
        ready_logged=bot.ready_logged_at - bot.spawned_at,
        first_fan_command=fan.answered - fan.sent,
    )


async def measure_row(fake: TimedDiscord, row: Row, budget: Budget, log: list[str]) -> RowResult:
    """Warm up, then measure a row and its floor one at a time (alternating) and at each number in flight."""
    floor = FLOOR_AUTOCOMPLETE if row.autocomplete else FLOOR
    warm_floor, warm = await run_alternating(fake, floor, row, budget.warmup)
    if warm.errors:
        raise RuntimeError(f"{row.label} answers with an error: {warm.errors[0]!r}")
    estimate = statistics.median(warm.latencies) if warm.latencies else 0.01
    floor_estimate = statistics.median(warm_floor.latencies) if warm_floor.latencies else 0.001
    result = RowResult(row)
    n = budget.count(estimate + floor_estimate)
    result.floors[1], result.levels[1] = await run_alternating(fake, floor, row, n)
    for level in LEVELS:
        n_level = budget.count(estimate, level)
        result.floors[level] = await run_row(fake, floor, budget.count(floor_estimate, level), level)
        result.levels[level] = await run_row(fake, row, n_level, level, start=n)
    line = report.progress_line(result)
    log.append(line)
    print(line, flush=True)  # noqa: T201 - progress on the terminal
    return result


async def measure_under_load(
    fake: TimedDiscord, rows: list[Row], loads: list[Load], budget: Budget
) -> list[LoadResult]:
    """Measure other members' commands quiet, then while each load keeps the bot busy.

    The rows run one at a time, in turn with the floor, so every row and the floor see the same moments; the
    load runs in the background throughout, a new request as soon as one is answered.
    """
    foreground = [FLOOR, *rows]
    seconds = 4 * budget.seconds  # long enough to span many charts drawn in the background
    await run_in_turn(fake, foreground, budget.warmup)
    quiet = await run_in_turn(fake, foreground, budget.n, min_seconds=seconds)
    results = [LoadResult(None, list(zip(foreground, quiet, strict=True)))]
    for load in loads:
        async with Background(fake, load) as background:
            await background.warmed()
            samples = await run_in_turn(fake, foreground, budget.n, min_seconds=seconds)
        results.append(LoadResult(load, list(zip(foreground, samples, strict=True)), background.sample))
    for result in results:
        for line in report.load_lines(result, results[0]):
            print(line, flush=True)  # noqa: T201 - progress on the terminal
    return results


def database_bytes(database: Path) -> int:
    """Return the size of the database with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in database.parent.glob(database.name + "*") if p.is_file())


async def process_seconds(*args: str) -> float:
    """Return how long `python -m bot ARGS` takes from spawn to exit (median of three)."""
    times = []
    for _ in range(3):
        began = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=PROJECT_ROOT, stdout=asyncio.subprocess.DEVNULL
        )
        await process.wait()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def import_files(database: Path, files: dict[str, tuple[Path, int]]) -> list[ImportRun]:
    """Import each series file through the bot's own command line."""
    runs = []
    startup = await process_seconds("--help")
    for series, (path, rows) in files.items():
        env = bot_environment(database)
        began = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "import",
            "nascar-data",
            str(path),
            "--series",
            series,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        seconds = time.perf_counter() - began
        text = output.decode(errors="replace")
        if process.returncode not in (0, 1):  # 1: imported, with something reported (a race left unmatched)
            raise RuntimeError(f"importing {path.name} failed ({process.returncode}):\n{text}")
        runs.append(ImportRun(series, rows, seconds, text, startup))
        print(f"imported {series}: {rows:,} rows in {seconds:.2f}s ({rows / seconds:,.0f} rows/s)", flush=True)  # noqa: T201
    return runs


@dataclass(slots=True)
class RefreshRun:
    """One refresh through the bot's own path, with the rows measured one at a time, in turn, until it was done."""

    seconds: float  # /bench-refresh asked to answered: the follower's whole refresh, as the bot runs it
    child_seconds: float  # `python -m bot refresh` alone (spawn to exit), as the bot timed it
    ok: bool
    merged: list[str]  # the child's own report: races and entries added, updated
    rounds: int  # rounds of the rows while it ran
    rows: list[tuple[Row, Sample]]
    after: list[tuple[Row, Sample]]  # one round right after it: the first reads move to the merged data
    cpu: TreeCpu  # CPU seconds meanwhile: the bot, its refresh child, the benchmark


@dataclass(slots=True)
class RefreshPart:
    """Rows measured idle, then during one or more refreshes of the same kind."""

    label: str
    about: str
    shape: DataShape  # what fans see meanwhile (the catalog holds still during a refresh)
    idle: list[tuple[Row, Sample]] = field(default_factory=list)
    runs: list[RefreshRun] = field(default_factory=list)
    saves: bool = False  # a moderator saves once per round during the refresh; idle is the save alone
    baseline: "RefreshPart | None" = None  # with saves: the part whose idle figures stand for the fan commands'


@dataclass(slots=True)
class RefreshPhase:
    """Fan commands and a moderator's save while the bot refreshes a Cup-size history from the local data host."""

    cup_rows: int
    file_bytes: int
    imports: list[ImportRun]  # the other series, imported first
    parts: list[RefreshPart]  # first import, first import with saves, Monday, Monday with saves
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Options:
    """What to run, from the command line."""

    budget: Budget
    only: str | None = None  # measure only the rows whose label contains this
    profile: Path | None = None  # folder for a cProfile of the bot in each phase


async def run_phase(
    name: str, fake: TimedDiscord, database: Path, options: Options, *, imports: list[ImportRun] | None = None
) -> Phase:
    """Start the bot on a database (twice: the second start is measured), measure every row, stop it."""
    print(f"\n== {name} ==", flush=True)  # noqa: T201
    budget = options.budget
    first = BotProcess(fake, database)
    await first.start()
    first_start = first.ready_logged_at - first.spawned_at
    problems = first.problems()
    if await first.stop() != 0:
        raise RuntimeError("the bot did not stop cleanly:\n" + "".join(first.log[-30:]))
    shape = shape_of(database)
    rows = [row for row in build_rows(database) if options.only is None or options.only in row.label]
    profile = options.profile / f"{database.stem}.prof" if options.profile else None
    bot = BotProcess(fake, database, profile=profile)
    cold = await start_measured(fake, bot)
    fake.bot_pids = (bot.pid,)
    results: list[RowResult] = []
    log: list[str] = []
    try:
        await run_row(fake, FLOOR, 200, 1)  # warm the connection pools and both processes
        ready_rss = vm_hwm(bot.pid, "VmRSS")
        for row in rows:
            results.append(await measure_row(fake, row, budget, log))
        peak, worker = bot.peak_memory()
        under_load: list[LoadResult] = []
        load_notes: list[str] = []
        if options.only is None or options.only.lower() in UNDER_LOAD:
            loads, load_notes = background_loads(database)
            under_load = await measure_under_load(fake, contention_rows(build_rows(database)), loads, budget)
    finally:
        fake.bot_pids = ()
        code = await bot.stop()
    problems += bot.problems()
    if code != 0:
        problems.append(f"the bot exited with status {code}")
    return Phase(
        name,
        shape,
        results,
        cold,
        first_start,
        peak,
        worker,
        ready_rss,
        database_bytes(database),
        imports or [],
        problems,
        under_load,
        load_notes,
    )


async def refresh_once(fake: TimedDiscord, bot: BotProcess, rows: list[Row], *, start: int) -> RefreshRun:
    """Ask the bot to refresh the Cup history and measure the rows one at a time, in turn, until it answers."""
    mark = len(bot.log)
    cpu = tree_cpu(bot.pid)
    refresh = asyncio.ensure_future(fake.ask(REFRESH, REFRESH.variants[0], timeout=REFRESH_TIMEOUT))
    samples, rounds = await run_until(fake, rows, refresh, start=start)
    answer = refresh.result()
    spent = tree_cpu(bot.pid) - cpu
    if answer.error is not None:
        raise RuntimeError(f"the refresh did not answer: {answer.error}\n" + "".join(bot.log[-30:]))
    after = await run_in_turn(fake, rows, 1)
    done = None
    for _ in range(200):  # the bot logs the outcome just before it answers; its log is read as it comes
        done = next((m for line in bot.log[mark:] if (m := _DONE_LINE.search(line))), None)
        if done is not None:
            break
        await asyncio.sleep(0.01)
    merged = [m["text"].strip() for line in bot.log[mark:] if (m := _MERGED_LINE.search(line))]
    return RefreshRun(
        seconds=answer.answered - answer.sent,
        child_seconds=float(done["child"]) if done else float("nan"),
        ok=done is not None and done["ok"] == "True",
        merged=merged,
        rounds=rounds,
        rows=list(zip(rows, samples, strict=True)),
        after=list(zip(rows, after, strict=True)),
        cpu=spent,
    )


async def measure_refreshes(
    fake: TimedDiscord,
    bot: BotProcess,
    host: DataHost,
    part: RefreshPart,
    rows: list[Row],
    versions: list[str],
    budget: Budget,
) -> RefreshPart:
    """Measure idle, then publish each version of the Cup file in turn and measure the rows while the bot merges it.

    With part.saves, a moderator's save joins every round during the refreshes, and idle is the save alone (the
    fan commands' idle figures are those of the part without saves).
    """
    idle = [MODERATOR_WRITE] if part.saves else rows
    during = [*rows, MODERATOR_WRITE] if part.saves else rows
    await run_in_turn(fake, idle, budget.warmup)  # also moves the catalog to whatever the last refresh merged
    part.idle = list(zip(idle, await run_in_turn(fake, idle, budget.n), strict=True))
    for version in versions:
        host.publish("cup_series.csv", version)
        run = await refresh_once(fake, bot, during, start=budget.n)
        part.runs.append(run)
        print(report.refresh_line(part, run), flush=True)  # noqa: T201 - progress on the terminal
        if not run.ok:
            raise RuntimeError("the refresh failed:\n" + "".join(bot.log[-30:]))
    return part


def _copy_database(source: Path, target: Path) -> None:
    """Copy a closed database (and any WAL left beside it) to target, replacing what was there."""
    for suffix in ("", "-wal", "-shm"):
        (target.parent / f"{target.name}{suffix}").unlink(missing_ok=True)
        if (source.parent / f"{source.name}{suffix}").exists():
            shutil.copyfile(source.parent / f"{source.name}{suffix}", target.parent / f"{target.name}{suffix}")


async def _with_bot(
    fake: TimedDiscord, database: Path, host: DataHost, work: Callable[[BotProcess], Awaitable[None]]
) -> list[str]:
    """Start the bot on a database, able to refresh from the host; run work with it, stop it; return its problems."""
    extra = {"EXTRA_EXTENSIONS": "bench.floor,bench.refresher", "NASCAR_DATA_URL": host.url}
    bot = BotProcess(fake, database, extra_env=extra)
    await bot.start()
    fake.bot_pids = (bot.pid,)
    try:
        await run_row(fake, FLOOR, 200, 1)  # warm the connection pools and both processes
        await work(bot)
    finally:
        fake.bot_pids = ()
        code = await bot.stop()
    return bot.problems() + ([f"the bot exited with status {code}"] if code else [])


async def run_refresh_phase(
    fake: TimedDiscord, folder: Path, files: dict[str, tuple[Path, int]], options: Options
) -> RefreshPhase:
    """Fan commands idle and while the bot refreshes the Cup history from a data host on 127.0.0.1.

    The database holds the shipped race and the other two series. The host first serves the Cup file without its
    last MONDAYS races: the bot merges the whole history (the worst case, a first import). Then each Monday's file
    appends one race, as nascaR.data's does: the first Monday with fans only, the next with a moderator saving too.
    Last, a second bot on a copy of the database made before any refresh merges the whole history again while a
    moderator saves.
    """
    print("\n== During a Cup refresh ==", flush=True)  # noqa: T201
    budget = options.budget
    database, copy = folder / "refresh.db", folder / "refresh-saves.db"
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{database.name}{suffix}").unlink(missing_ok=True)
    imports = await import_files(database, {code: files[code] for code in ("nxs", "truck")})
    _copy_database(database, copy)
    cup_path, cup_rows = files["cup"]
    versions = synthetic.weekly_versions(cup_path.read_text(encoding="utf-8"), MONDAYS)
    everything = options.only is None or options.only.lower() in DURING_REFRESH
    rows = [row for row in build_rows(database) if everything or (options.only or "") in row.label]
    foreground = [FLOOR, FLOOR_AUTOCOMPLETE, *rows]
    first = RefreshPart(
        "first import",
        f"the whole synthetic Cup history but its last {MONDAYS} races ({len(versions[0]) / MB:.1f} MB) into a "
        "database holding the shipped race and the Xfinity and Truck histories, none of Cup",
        shape_of(database),
    )
    saved_first = RefreshPart(
        "first import, with moderator saves",
        f"the same first import on a second bot and a copy of the database, with {MODERATOR_WRITE.label} by the "
        "server's owner once per round of the fan commands",
        first.shape,
        saves=True,
        baseline=first,
    )
    with data_host() as host:

        async def fans_then_mondays(bot: BotProcess) -> None:
            await measure_refreshes(fake, bot, host, first, foreground, versions[:1], budget)
            shape = shape_of(database)
            monday.shape = saved_monday.shape = shape
            await measure_refreshes(fake, bot, host, monday, foreground, versions[1:2], budget)
            await measure_refreshes(fake, bot, host, saved_monday, foreground, versions[2:], budget)

        async def saves_in_first(bot: BotProcess) -> None:
            await measure_refreshes(fake, bot, host, saved_first, foreground, versions[:1], budget)

        monday = RefreshPart(
            "Monday",
            "the Cup file with one more race appended, as a Monday's: every season read and compared, one written",
            first.shape,
        )
        saved_monday = RefreshPart(
            "Monday, with moderator saves",
            f"the next Monday's file (one more race), with {MODERATOR_WRITE.label} once per round",
            first.shape,
            saves=True,
            baseline=monday,
        )
        problems = await _with_bot(fake, database, host, fans_then_mondays)
        problems += await _with_bot(fake, copy, host, saves_in_first)
    parts = [first, saved_first, monday, saved_monday]
    return RefreshPhase(cup_rows, len(versions[-1].encode()), imports, parts, problems)


async def main_async(args: argparse.Namespace) -> int:
    """Run both phases and write the report."""
    budget = Budget(n=args.n, seconds=args.seconds) if not args.quick else Budget(n=60, seconds=0.5, minimum=20)
    options = Options(budget, args.only, args.profile)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    phases: list[Phase] = []
    refresh: RefreshPhase | None = None
    scale_out: ScaleOutPhase | None = None
    if args.scale_out_only:
        args.scale_only, args.results, args.scale_out = True, 0, True
    fake = TimedDiscord()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="pitboard-bench-") as tmp:
            folder = args.workdir or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            if not args.scale_only:
                shipped = folder / "shipped.db"
                shipped.unlink(missing_ok=True)
                phases.append(await run_phase("Shipped data", fake, shipped, options))
            if args.results:
                database = folder / "history.db"
                files: dict[str, tuple[Path, int]] = {}
                imports = []
                if not (args.workdir and database.exists()):
                    files = synthetic.generate(folder / "history", results=args.results)
                    imports = await import_files(database, files)
                name = f"{shape_of(database).results:,} results"
                phases.append(await run_phase(name, fake, database, options, imports=imports))
                if args.refresh:
                    files = files or synthetic.generate(folder / "history", results=args.results)
                    refresh = await run_refresh_phase(fake, folder, files, options)
            if args.scale_out:
                scale_out = await run_scale_out_phase(
                    folder,
                    seconds=0.8 * budget.seconds,
                    rounds=budget.n,
                    warmup=budget.warmup,
                    only=args.only,
                    many=args.servers,
                )
    finally:
        await fake.stop()
    finished = dt.datetime.now(dt.UTC)
    text = report.render(
        phases, started=started, finished=finished, budget=budget, refresh=refresh, scale_out=scale_out
    )
    print("\n" + text)  # noqa: T201
    if args.write:
        report.write(args.out, text)
        print(f"Written to {args.out}")  # noqa: T201
    problems = any(phase.problems for phase in phases) or (refresh and refresh.problems)
    return 1 if problems or (scale_out and scale_out.problems) else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark Pit Board against the floor.")
    parser.add_argument("--results", type=int, default=200_000, help="synthetic results to import (0: skip)")
    parser.add_argument("--n", type=int, default=400, help="interactions per row and number in flight, at most")
    parser.add_argument("--seconds", type=float, default=2.5, help="time budget per row and number in flight")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (figures not meaningful)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", dest="write", action="store_false", help="print only; leave RESULTS.md")
    parser.add_argument(
        "--only", help=f"measure only the rows whose label contains this text ('{UNDER_LOAD}': only those rows)"
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="run the bot under cProfile, one file per phase")
    parser.add_argument("--workdir", type=Path, help="keep the databases here; an imported history is reused")
    parser.add_argument("--scale-only", action="store_true", help="skip the shipped-data phase")
    parser.add_argument(
        "--no-refresh",
        dest="refresh",
        action="store_false",
        help="skip the phase measured during a Cup refresh (it needs --results)",
    )
    parser.add_argument(
        "--scale-out-only",
        action="store_true",
        help="run only the scale-out phase: one process against two sharing PostgreSQL, and 10,000 servers",
    )
    parser.add_argument("--no-scale-out", dest="scale_out", action="store_false", help="skip the scale-out phase")
    parser.add_argument(
        "--no-servers",
        dest="servers",
        action="store_false",
        help="in the scale-out phase, skip starting one process with 10,000 servers",
    )
    return asyncio.run(main_async(parser.parse_args(argv)))
