"""Round trips: the fake Discord that times every interaction, and the bot running as its own process.

The clock starts when the fake writes INTERACTION_CREATE to the gateway socket and stops when the bot's
callback POST reaches the fake (for a deferred reply: its follow-up), all in the benchmark process.
"""

import asyncio
import contextlib
import itertools
import os
import re
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.workload import Load, Row
from bot.config import PROJECT_ROOT
from tests.fakediscord.interactions import Who
from tests.fakediscord.models import OWNER, FakeUser, RecordedRequest
from tests.fakediscord.server import FakeDiscord

TOKEN = "MTAwMDAwMDAwMDAwMDAwOTk5.bench.token-for-benchmarks-only"  # noqa: S105 - the fake accepts any
EPHEMERAL = 1 << 6
DEFERRED = 5
FIRST_FAN_ID = 10**17  # members of a row with many members: ids from here up (the fake's own users are below)
_PROBLEM = re.compile(r"\[(ERROR|CRITICAL)\s*\]|Traceback")


@dataclass(slots=True)
class Answer:
    """When an interaction was sent and answered, and what the answer was."""

    sent: float
    answered: float = 0.0
    error: str | None = None  # an ephemeral (error) reply's text, or a missing answer
    choices: int | None = None  # for an autocomplete
    embeds: int = 0  # embeds in the answer: a private answer without text is a moderator's reading, not an error


class TimedDiscord(FakeDiscord):
    """FakeDiscord that stamps each interaction's dispatch and answer, and the gateway handshake."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pending: dict[str, tuple[Answer, asyncio.Future[Answer]]] = {}
        self.identified_at = 0.0
        self.guilds_sent_at = 0.0
        self.guilds_sent = asyncio.Event()
        self.bot_pids: tuple[int, ...] = ()  # the bot processes whose CPU time each run reads, once started
        # Each IDENTIFY's shard (None: unsharded), when it came and when READY and its GUILD_CREATEs were written.
        self.handshakes: list[tuple[int | None, float, float]] = []
        self._handshaken = asyncio.Condition()
        # Servers the interactions come from, in turn (so from every shard); empty: the fake's first server.
        self.guild_ids: tuple[int, ...] = ()
        self._turns: dict[str, Iterator[int]] = {}  # per row: whose turn it is, for rows of many members
        self._guild_turn = itertools.count()

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Start the clock of an interaction just before it is written to the socket."""
        if event == "INTERACTION_CREATE":
            future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self.pending[data["token"]] = (Answer(time.perf_counter()), future)
        await super().dispatch(event, data, guild_id=guild_id)

    async def handle_callback(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """Stop the clock when the callback arrives (unless it only defers)."""
        arrived = time.perf_counter()
        result = await super().handle_callback(rec, p)
        body = rec.body if isinstance(rec.body, dict) else {}
        if body.get("type") != DEFERRED:
            self._answer(p["token"], arrived, body.get("data") or {})
        return result

    async def handle_followup(self, rec: RecordedRequest, p: dict[str, str]) -> tuple[int, Any]:
        """Stop the clock of a deferred interaction at its first follow-up."""
        arrived = time.perf_counter()
        result = await super().handle_followup(rec, p)
        self._answer(p["token"], arrived, rec.body if isinstance(rec.body, dict) else {})
        return result

    def _answer(self, token: str, arrived: float, data: Mapping[str, Any]) -> None:
        entry = self.pending.pop(token, None)
        if entry is None:
            return
        answer, future = entry
        answer.answered = arrived
        answer.embeds = len(data.get("embeds") or [])
        if "choices" in data:
            answer.choices = len(data["choices"])
        elif int(data.get("flags") or 0) & EPHEMERAL:
            answer.error = str(data.get("content") or "")[:200]
        if not future.done():
            future.set_result(answer)

    async def _identify(self, conn: Any, d: dict[str, Any]) -> None:
        """Note when the bot identified, and when READY and every GUILD_CREATE have been written."""
        self.identified_at = time.perf_counter()
        await super()._identify(conn, d)
        self.guilds_sent_at = time.perf_counter()
        shard = int(d["shard"][0]) if d.get("shard") else None
        self.handshakes.append((shard, self.identified_at, self.guilds_sent_at))
        self.guilds_sent.set()
        async with self._handshaken:
            self._handshaken.notify_all()

    async def shard_sent(self, shard: int | None) -> None:
        """Wait until READY and every GUILD_CREATE of a shard have been written (since handshakes was cleared)."""
        async with self._handshaken:
            await self._handshaken.wait_for(lambda: any(s == shard for s, _, _ in self.handshakes))

    def forget(self) -> None:
        """Drop what the fake keeps about finished interactions, so a long run stays small and quick.

        A background load may have interactions under way: their state and messages (a deferred chart's
        "thinking…" message, replaced by its follow-up) are kept.
        """
        self.requests.clear()
        self.gateway_log.clear()
        self.interaction_shards.clear()
        self.interactions = {token: state for token, state in self.interactions.items() if token in self.pending}
        live = {mid for state in self.interactions.values() for mid in (state.original_id, *state.message_ids)}
        self.messages = {mid: message for mid, message in self.messages.items() if mid in live}

    def member(self, row: Row) -> FakeUser | None:
        """Return who sends a row's next interaction: the fake's one fan, the next of its members, or the owner."""
        if row.moderator:
            return OWNER
        if row.members <= 1:
            return None
        turn = next(self._turns.setdefault(row.label, itertools.count())) % row.members
        return FakeUser(FIRST_FAN_ID + turn, f"fan{turn}", f"Fan {turn}")

    async def ask(
        self,
        row: Row,
        options: Mapping[str, Any],
        timeout: float = 60.0,  # noqa: ASYNC109
        *,
        guild_id: int | None = None,
    ) -> Answer:
        """Send one interaction of a row (from guild_id, else the next of guild_ids) and wait for its answer."""
        user = self.member(row)
        who: Who = {"user": user} if user is not None else {}
        if guild_id is None and self.guild_ids:
            guild_id = self.guild_ids[next(self._guild_turn) % len(self.guild_ids)]
        if guild_id is not None:
            who["guild_id"] = guild_id
        if row.focused is not None:
            interaction = await self.send_autocomplete(row.command, options, row.focused, **who)
        else:
            interaction = await self.send_slash(row.command, options, **who)
        _, future = self.pending[interaction.token]
        try:
            answer = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            entry = self.pending.pop(interaction.token, None)
            answer = entry[0] if entry else Answer(0.0)
            answer.error = f"no answer within {timeout:.0f}s"
            return answer
        if row.moderator and answer.error is not None and (answer.error.startswith("Done:") or answer.embeds):
            # A moderator's save is confirmed privately, and what a moderator reads (an embed) is private too;
            # anything else said privately is a failure (errors and refusals are plain text).
            answer.error = None
        return answer


@dataclass(slots=True)
class Sample:
    """Round trips of one row at one number in flight."""

    latencies: list[float]  # seconds
    elapsed: float  # wall time of the whole run, seconds
    errors: list[str] = field(default_factory=list)
    bot_cpu: float = 0.0  # CPU seconds (user + system) of the bot process and its workers during the run
    bench_cpu: float = 0.0  # CPU seconds of this (the benchmark's, the fake's) process during the run

    @property
    def n(self) -> int:
        """Return how many interactions were answered."""
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        """Return the q-th percentile (0-100) in milliseconds, nearest rank."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000

    @property
    def throughput(self) -> float:
        """Return answered interactions per second."""
        return self.n / self.elapsed if self.elapsed else float("nan")

    def cpu_ms(self, *, bot: bool = True) -> float:
        """Return the CPU milliseconds per answered interaction of the bot (or of the benchmark process)."""
        spent = self.bot_cpu if bot else self.bench_cpu
        return spent / self.n * 1000 if self.n and spent else float("nan")

    def merged(self, other: "Sample") -> "Sample":
        """Return both samples as one."""
        return Sample(
            self.latencies + other.latencies,
            self.elapsed + other.elapsed,
            self.errors + other.errors,
            self.bot_cpu + other.bot_cpu,
            self.bench_cpu + other.bench_cpu,
        )


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) a process and its child processes have used so far (Linux)."""
    total = 0.0
    for one in (pid, *children(pid)):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The fields after the command name (which may hold spaces) start at field 3: utime, stime are 14, 15.
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


@dataclass(frozen=True, slots=True)
class TreeCpu:
    """CPU seconds of the bot and its live workers, of the child processes it has waited for, and of the benchmark."""

    bot: float
    reaped: float  # children that have exited (a refresh's `python -m bot refresh`)
    bench: float

    def __sub__(self, other: "TreeCpu") -> "TreeCpu":
        return TreeCpu(self.bot - other.bot, self.reaped - other.reaped, self.bench - other.bench)


def tree_cpu(pid: int) -> TreeCpu:
    """Return the CPU seconds used so far by a process and its children, living and exited, and by this one (Linux)."""
    reaped = 0.0
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        reaped = (int(fields[13]) + int(fields[14])) / _TICK  # cutime, cstime: children waited for
    return TreeCpu(process_cpu(pid), reaped, time.process_time())


def _cpu_now(fake: "TimedDiscord") -> tuple[float, float]:
    return sum(process_cpu(pid) for pid in fake.bot_pids), time.process_time()


async def run_row(fake: TimedDiscord, row: Row, n: int, in_flight: int, start: int = 0) -> Sample:
    """Send n interactions of a row, keeping in_flight of them outstanding, cycling its option values."""
    variants = itertools.islice(itertools.cycle(row.variants), start, None)
    latencies: list[float] = []
    errors: list[str] = []
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            answer = await fake.ask(row, next(variants))
            if answer.error is not None:
                errors.append(answer.error)
            elif answer.answered:
                latencies.append(answer.answered - answer.sent)

    bot_before, bench_before = _cpu_now(fake)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - began
    bot_after, bench_after = _cpu_now(fake)
    fake.forget()
    return Sample(latencies, elapsed, errors, bot_after - bot_before, bench_after - bench_before)


async def run_alternating(fake: TimedDiscord, first: Row, second: Row, n: int) -> tuple[Sample, Sample]:
    """Send n interactions of each row one at a time, alternating, so both see the same moment."""
    a, b = await run_in_turn(fake, [first, second], n)
    return a, b


async def run_in_turn(fake: TimedDiscord, rows: list[Row], n: int, *, min_seconds: float = 0.0) -> list[Sample]:
    """Send n interactions of each row one at a time, the rows in turn, so all of them see the same moments.

    With min_seconds, go on past n until that long has passed (at most 20 n), so a slow background load is seen
    many times over rather than once.
    """
    samples = [Sample([], 0.0) for _ in rows]
    began = time.perf_counter()
    for i in itertools.count():
        if i >= n and (time.perf_counter() - began >= min_seconds or i >= 20 * n):
            break
        for row, sample in zip(rows, samples, strict=True):
            began = time.perf_counter()
            answer = await fake.ask(row, row.variants[i % len(row.variants)])
            sample.elapsed += time.perf_counter() - began
            if answer.error is not None:
                sample.errors.append(answer.error)
            elif answer.answered:
                sample.latencies.append(answer.answered - answer.sent)
    fake.forget()
    return samples


async def run_until(
    fake: TimedDiscord, rows: list[Row], until: "asyncio.Future[Any]", *, start: int = 0
) -> tuple[list[Sample], int]:
    """Send the rows one at a time, in turn, round after round until `until` is done; return them and the rounds.

    Every round is whole, so each row is measured the same number of times over the same stretch. Option values
    go on from round `start`, so a row measured again does not start over at its first value.
    """
    samples = [Sample([], 0.0) for _ in rows]
    rounds = 0
    while not until.done():
        for row, sample in zip(rows, samples, strict=True):
            began = time.perf_counter()
            answer = await fake.ask(row, row.variants[(start + rounds) % len(row.variants)])
            sample.elapsed += time.perf_counter() - began
            if answer.error is not None:
                sample.errors.append(answer.error)
            elif answer.answered:
                sample.latencies.append(answer.answered - answer.sent)
        rounds += 1
    fake.forget()
    return samples, rounds


class Background:
    """A load other members keep up while rows are measured: a new request as soon as one is answered."""

    WARM = 3  # answers before measuring: the first chart starts the bot's drawing worker

    def __init__(self, fake: TimedDiscord, load: Load) -> None:
        self.fake = fake
        self.load = load
        self.sample = Sample([], 0.0)
        self._stop = asyncio.Event()
        self._warm = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._began = 0.0
        self._cpu = (0.0, 0.0)

    async def _work(self, turn: Iterator[int]) -> None:
        variants = self.load.row.variants
        while not self._stop.is_set():
            answer = await self.fake.ask(self.load.row, variants[next(turn) % len(variants)])
            if answer.error is not None:
                self.sample.errors.append(answer.error)
            elif answer.answered:
                self.sample.latencies.append(answer.answered - answer.sent)
            if self.sample.n + len(self.sample.errors) >= self.WARM:
                self._warm.set()

    async def __aenter__(self) -> "Background":
        self._began = time.perf_counter()
        self._cpu = _cpu_now(self.fake)
        turn = itertools.count()
        self._workers = [asyncio.create_task(self._work(turn)) for _ in range(self.load.in_flight)]
        return self

    async def warmed(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until the load has had its first few answers (or timeout seconds have passed)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._warm.wait(), timeout)

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._workers)
        self.sample.elapsed = time.perf_counter() - self._began
        bot_cpu, bench_cpu = _cpu_now(self.fake)
        self.sample.bot_cpu, self.sample.bench_cpu = bot_cpu - self._cpu[0], bench_cpu - self._cpu[1]


# --- the bot as its own process -------------------------------------------------------------------------------


def vm_hwm(pid: int, field: str = "VmHWM") -> int | None:
    """Return a process's peak resident memory in bytes (Linux VmHWM; VmRSS: now), or None if it cannot be read."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return None


def children(pid: int) -> list[int]:
    """Return the ids of a process's child processes (Linux)."""
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def bot_environment(database: Path) -> dict[str, str]:
    """Return this environment without Discord, database or shard settings, plus a token and the database given."""
    own = ("DISCORD_", "DATABASE_", "DEV_GUILD", "EXTRA_", "SHARD_")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return keep | {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(database), "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}


class BotProcess:
    """`python -m bot` started with the settings a server owner would use, pointed at the fake."""

    def __init__(
        self,
        fake: TimedDiscord,
        database: Path,
        *,
        extra_env: Mapping[str, str] | None = None,
        profile: Path | None = None,
    ) -> None:
        self.fake = fake
        self.database = database
        self.extra_env = dict(extra_env or {})
        self.profile = profile  # write a cProfile of the whole run of the bot here
        self.process: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self.spawned_at = 0.0
        self.ready_logged_at = 0.0
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    def environment(self) -> dict[str, str]:
        """Return the bot's environment, pointed at the fake, with the floor extension loaded."""
        return bot_environment(self.database) | {
            "DISCORD_API_BASE": self.fake.api_base,
            "DISCORD_GATEWAY_URL": self.fake.gateway_url,
            "EXTRA_EXTENSIONS": "bench.floor",
            **self.extra_env,
        }

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Spawn the bot and wait for its 'Ready as' line."""
        self.fake.guilds_sent.clear()
        self.spawned_at = time.perf_counter()
        profiler = ("-m", "cProfile", "-o", str(self.profile)) if self.profile else ()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler,
            "-m",
            "bot",
            cwd=PROJECT_ROOT,
            env=self.environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({ready, self._reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            raise RuntimeError("the bot did not log 'Ready as':\n" + "".join(self.log[-30:]))

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None  # piped in start()
        while line := await self.process.stderr.readline():
            text = line.decode(errors="replace")
            self.log.append(text)
            if "Ready as" in text and not self._ready.is_set():
                self.ready_logged_at = time.perf_counter()
                self._ready.set()

    @property
    def pid(self) -> int:
        """Return the bot's process id."""
        assert self.process is not None  # started
        return self.process.pid

    def peak_memory(self) -> tuple[int | None, int | None]:
        """Return the peak resident memory of the bot and the largest of its worker processes, in bytes."""
        workers = [m for m in (vm_hwm(c) for c in children(self.pid)) if m is not None]
        return vm_hwm(self.pid), max(workers) if workers else None

    async def stop(self) -> int:
        """Stop the bot as a service manager would (SIGTERM) and return its exit status."""
        if self.process is None:
            return 0
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 30)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 30)
        return code

    def problems(self) -> list[str]:
        """Return the log lines that report an error or a traceback."""
        return [line.rstrip() for line in self.log if _PROBLEM.search(line)]
