"""`make bench`: the real bot in its own process, every fan command against the floor, shipped data and 200,000 results.

Each phase starts `python -m bot` on its own database, pointed at the fake Discord in this process, restarts
it once so the measured start is an ordinary restart, then measures every row of bench.workload beside the
floor (/noop from bench.floor, answered by the same process at the same moment): one at a time, then 16 and
64 in flight. Then a few fan commands are measured again, quiet and while other members keep the bot busy
(drawing charts that miss its cache, typing 6,000-character options). The scale phase first generates a
synthetic nascaR.data history and imports it through the real importer (`python -m bot import nascar-data`).
"""

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import report, synthetic
from bench.measure import (
    Background,
    BotProcess,
    Sample,
    TimedDiscord,
    bot_environment,
    run_alternating,
    run_in_turn,
    run_row,
    vm_hwm,
)
from bench.workload import (
    FLOOR,
    FLOOR_AUTOCOMPLETE,
    DataShape,
    Load,
    Row,
    background_loads,
    build_rows,
    contention_rows,
    shape_of,
)
from bot.config import PROJECT_ROOT

LEVELS = (16, 64)  # in flight, besides one at a time
UNDER_LOAD = "under load"  # --only text that selects the measurements under other members' load


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


async def import_history(database: Path, folder: Path, results: int) -> list[ImportRun]:
    """Generate the synthetic history and import each series file through the bot's own command line."""
    runs = []
    files = synthetic.generate(folder, results=results)
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
        if process.returncode != 0:
            raise RuntimeError(f"importing {path.name} failed ({process.returncode}):\n{text}")
        runs.append(ImportRun(series, rows, seconds, text, startup))
        print(f"imported {series}: {rows:,} rows in {seconds:.2f}s ({rows / seconds:,.0f} rows/s)", flush=True)  # noqa: T201
    return runs


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
    fake.bot_pid = bot.pid
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
        fake.bot_pid = None
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


async def main_async(args: argparse.Namespace) -> int:
    """Run both phases and write the report."""
    budget = Budget(n=args.n, seconds=args.seconds) if not args.quick else Budget(n=60, seconds=0.5, minimum=20)
    options = Options(budget, args.only, args.profile)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    phases: list[Phase] = []
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
                imports = []
                if not (args.workdir and database.exists()):
                    imports = await import_history(database, folder / "history", args.results)
                name = f"{shape_of(database).results:,} results"
                phases.append(await run_phase(name, fake, database, options, imports=imports))
    finally:
        await fake.stop()
    finished = dt.datetime.now(dt.UTC)
    text = report.render(phases, started=started, finished=finished, budget=budget)
    print("\n" + text)  # noqa: T201
    if args.write:
        report.write(args.out, text)
        print(f"Written to {args.out}")  # noqa: T201
    return 1 if any(phase.problems for phase in phases) else 0


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
    return asyncio.run(main_async(parser.parse_args(argv)))
