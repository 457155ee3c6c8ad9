"""The scale-out phase (issue 17): one process against two over half the shards each, and 10,000 servers.

Three setups, running side by side, each against a fake Discord of its own, answer the same commands from two
servers on the two shards in turn (SHARD_COUNT=2): one process with everything in SQLite, one process with what
servers write in PostgreSQL (DATABASE_URL), and two processes (SHARD_IDS=0 and 1) sharing a PostgreSQL database,
each with its own copy of the races. The same two processes are measured once more with every command from the
server on shard 0 (one process works, the other idles): against one process, what being in a cluster costs apart
from splitting the work. Each command is measured one at a time, then at 64 in flight, the setups taking turns,
with the CPU time of every bot process and of PostgreSQL.

Then one process (SQLite, SHARD_COUNT=4) starts with 10,000 servers, each sent as Discord sends a GUILD_CREATE to a
bot with only the guilds intent (20 channels, 12 roles, only the bot's own member), and once more with one server:
the difference is what 10,000 servers cost in memory and time to READY.
"""

import asyncio
import contextlib
import gc
import itertools
import json
import random
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import BotProcess, Sample, TimedDiscord, process_cpu, run_in_turn, run_row, vm_hwm
from bench.workload import FLOOR, MODERATOR_READ, MODERATOR_WRITE, Row, build_rows
from bot import maintenance
from bot.config import PROJECT_ROOT
from bot.store import open_store
from tests.fakediscord.models import (
    BOT_USER,
    EVERYONE_DEFAULT,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    Overwrite,
    Perm,
)
from tests.postgres.server import PostgresServer, fresh_database, preferred_bin_dir, running_postgres

IN_FLIGHT = 64
CLUSTER_SHARDS = 2
SERVERS = 10_000
MANY_SHARDS = 4  # Discord requires sharding from 2,500 servers: 2,500 a shard
CHANNELS = 20  # per server: 2 categories, 14 text, 1 announcement and 3 voice channels
ROLES = 10  # per server, besides @everyone and the bot's own
IDLE_SECONDS = 3.0  # with nothing asked: what each process spends on its own (the cluster's lease, heartbeat)
CHUNKS = 4  # each row runs in this many chunks on each setup in turn
LEADER_TIMEOUT = 30.0  # seconds a cluster may take to elect its leader
START_TIMEOUT = 180.0  # seconds a start with 10,000 servers may take to 'Ready as'
FAN_ROWS = ("/results race: typed", "/driver name: typed", "/recap (latest race)", "autocomplete /wins driver")
_SERVERS_LINE = re.compile(r"Ready as .* in (?P<servers>\d+) servers")
_LEADER_LINE = "now leads the cluster"
_ROLE_NAMES = ("Admin", "Moderator", "Crew Chief", "Spotter", "Regular", "Cup fan", "Xfinity fan", "Truck fan")
_TEXT_NAMES = ("welcome", "rules", "general", "race-chat", "results", "memes", "off-topic", "fantasy", "bots")


class BuiltGuild(FakeGuild):
    """A FakeGuild whose GUILD_CREATE is built once: the fake sends thousands of them at every start."""

    _payloads: dict[tuple[int, ...], dict[str, Any]]

    def to_json(self, members: list[FakeMember]) -> dict[str, Any]:
        """Return the GUILD_CREATE payload, with the fields Discord sends for voice channels, built on first use."""
        if not hasattr(self, "_payloads"):
            self._payloads = {}
        key = tuple(m.user.id for m in members)
        payload = self._payloads.get(key)
        if payload is None:
            payload = super().to_json(members)
            for channel in payload["channels"]:
                if channel["type"] == 2:
                    channel.update(bitrate=64_000, user_limit=0, rtc_region=None, video_quality_mode=1)
            self._payloads[key] = payload
        return payload


def server(guild_id: int, name: str) -> BuiltGuild:
    """Return a server as a bot with only the guilds intent sees it: its channels and roles, a few members.

    Ids are the guild's plus a small number (guild ids leave their low 6 bits free), so no two servers share one.
    """
    roles = [FakeRole(guild_id, "@everyone", EVERYONE_DEFAULT)]
    for k in range(ROLES):
        label = _ROLE_NAMES[k] if k < len(_ROLE_NAMES) else f"Team {k}"
        perms = Perm.ADMINISTRATOR if k == 0 else (Perm.MANAGE_MESSAGES | Perm.KICK_MEMBERS if k == 1 else 0)
        roles.append(FakeRole(guild_id + 1 + k, label, perms, ROLES + 1 - k, color=0x3498DB * k % 0xFFFFFF))
    moderator = guild_id + 2
    text_category, voice_category = guild_id + 11, guild_id + 12
    hidden = [Overwrite(guild_id, deny=Perm.VIEW_CHANNEL), Overwrite(moderator, allow=Perm.VIEW_CHANNEL)]
    channels = [
        FakeChannel(text_category, "Text Channels", type=4, position=0),
        FakeChannel(voice_category, "Voice Channels", type=4, position=1),
        FakeChannel(guild_id + 13, "announcements", type=5, position=0, parent_id=text_category),
    ]
    for k in range(CHANNELS - 6):
        label = _TEXT_NAMES[k] if k < len(_TEXT_NAMES) else f"chat-{k}"
        overwrites = list(hidden) if label == "bots" else []
        topic = f"#{label} of {name}" if k % 2 else None
        channels.append(
            FakeChannel(
                guild_id + 14 + k, label, position=k + 1, overwrites=overwrites, parent_id=text_category, topic=topic
            )
        )
    for k in range(3):
        channels.append(FakeChannel(guild_id + 28 + k, f"Voice {k + 1}", type=2, position=k, parent_id=voice_category))
    guild = BuiltGuild(id=guild_id, name=name, roles=roles, channels=channels, bot_role_id=guild_id + 40)
    guild.with_bot(BOT_USER)  # its managed role (BOT_ROLE_DEFAULT) and its member
    return guild


def guild_id(index: int, moment_ms: int) -> int:
    """Return a snowflake made at moment_ms (since Discord's epoch): its shard is moment_ms % the shard count."""
    return (moment_ms << 22) | (index << 6)


def many_servers(count: int, *, seed: int = 17) -> list[BuiltGuild]:
    """Return count servers made at random moments over Discord's life: they spread over the shards as real ones."""
    rng = random.Random(seed)  # noqa: S311 - spreads ids, guards nothing
    return [server(guild_id(i, rng.randrange(2**36, 2**39)), f"Server {i}") for i in range(count)]


def shard_of(guild: FakeGuild, shards: int) -> int:
    """Return the shard Discord sends a server's events to."""
    return (guild.id >> 22) % shards


def bot_member(guild: FakeGuild) -> list[FakeMember]:
    """Return the members a GUILD_CREATE carries for a bot without the members or presences intent: itself."""
    return [m for m in guild.members if m.user.id == BOT_USER.id]


# --- what is measured ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class RowFigures:
    """One command in one setup: one at a time (in turn with the others) and at 64 in flight."""

    row: Row
    one: Sample
    busy: Sample  # 64 in flight; bot_cpu sums every process of the setup
    process_cpu: list[float]  # CPU seconds of each bot process during the runs at 64 in flight
    postgres_cpu: float | None = None  # CPU seconds of the PostgreSQL server meanwhile (None: not used)
    rates: list[float] = field(default_factory=list)  # throughput of each chunk at 64 in flight

    def postgres_ms(self) -> float:
        """Return PostgreSQL's CPU milliseconds per interaction at 64 in flight (nan without it)."""
        if self.postgres_cpu is None or not self.busy.n:
            return float("nan")
        return self.postgres_cpu / self.busy.n * 1000


@dataclass(slots=True)
class Setup:
    """One way of running the bot, and every command measured on it."""

    label: str
    about: str
    processes: int
    postgres: bool
    rows: list[RowFigures] = field(default_factory=list)
    start: float = 0.0  # first spawn to the last process's 'Ready as'
    leader: float | None = None  # first spawn to a process logging that it leads (a cluster only)
    idle_cpu: list[float] = field(default_factory=list)  # each process's share of a core, asked nothing
    idle_postgres: float | None = None  # PostgreSQL's share of a core meanwhile
    rss: list[int | None] = field(default_factory=list)  # each process's peak resident memory at the end
    problems: list[str] = field(default_factory=list)
    control: bool = False  # the processes of another setup, asked differently: started and stopped with that one

    def figures(self, label: str) -> RowFigures | None:
        """Return a command's figures in this setup."""
        return next((r for r in self.rows if r.row.label == label), None)


@dataclass(slots=True)
class StartFigures:
    """One start of one process over every shard: when each step happened, from spawning it."""

    servers: int
    shards: int
    identified: list[float]  # each shard's IDENTIFY, in order
    sent: float  # READY and every GUILD_CREATE of every shard written to the bot
    answered: float  # a /noop sent on each shard once its GUILD_CREATEs were written, answered on all
    intake: float  # the slowest shard: its IDENTIFY to its /noop answered (READY and its servers taken in)
    ready_logged: float  # 'Ready as' (guild_ready_timeout after the last GUILD_CREATE)
    logged_servers: int  # the servers 'Ready as' says it is in
    rss: int | None  # resident memory once ready and answering
    hwm: int | None  # peak resident memory by then
    cpu: float  # CPU seconds the bot spent from spawn to then
    bench_cpu: float  # CPU seconds the benchmark process (the fake) spent meanwhile


@dataclass(slots=True)
class ManyServers:
    """One process with many servers, against the same process with one."""

    channels: int  # per server, as sent
    roles: int
    payload_bytes: int  # every GUILD_CREATE payload, as JSON
    many: StartFigures
    one: StartFigures
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ScaleOutPhase:
    """Everything the scale-out phase measured."""

    setups: list[Setup]
    many: ManyServers | None
    guilds: list[tuple[int, int]]  # (server id, shard) the setups' interactions come from
    postgres: str  # where PostgreSQL ran from
    seconds: float = 0.0  # the whole phase
    problems: list[str] = field(default_factory=list)

    def setup(self, label: str) -> Setup | None:
        """Return a setup by its label."""
        return next((s for s in self.setups if s.label == label), None)


SQLITE = "one process, SQLite"
POSTGRES = "one process, PostgreSQL"
CLUSTER = "two processes, PostgreSQL"
CLUSTER_ONE_ASKED = "two processes, one asked"


# --- running it ----------------------------------------------------------------------------------------------


async def seed(path: Path) -> None:
    """Seed a database from data/ through the bot's own loader, as its first start would."""
    store = await open_store(path)
    try:
        await maintenance.seed(store, PROJECT_ROOT / "data")
    finally:
        await store.close()  # closing checkpoints the WAL, so the file alone holds everything


def _copy(source: Path, target: Path) -> Path:
    for suffix in ("-wal", "-shm"):
        (target.parent / f"{target.name}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def postmaster_pid(server: PostgresServer) -> int:
    """Return the process id of the PostgreSQL server (its backends are its children)."""
    return int((server.data_dir / "postmaster.pid").read_text().split()[0])


def _cpu(pids: list[int]) -> list[float]:
    return [process_cpu(pid) for pid in pids]


class Running:
    """A setup's processes, started against a fake Discord of their own, and the servers its commands come from."""

    def __init__(self, setup: Setup, fake: TimedDiscord, bots: list[BotProcess], guild_ids: tuple[int, ...]) -> None:
        self.setup = setup
        self.fake = fake
        self.bots = bots
        self.guild_ids = guild_ids

    @classmethod
    def spawn(
        cls, setup: Setup, fake: TimedDiscord, environments: list[dict[str, str]], databases: list[Path]
    ) -> "Running":
        """Return a setup whose processes are yet to start, its commands coming from every server of the fake."""
        bots = [BotProcess(fake, db, extra_env=env) for db, env in zip(databases, environments, strict=True)]
        return cls(setup, fake, bots, tuple(g.id for g in fake.guilds))

    def focus(self) -> TimedDiscord:
        """Have the fake send this setup's commands from its servers; return the fake."""
        self.fake.guild_ids = self.guild_ids
        return self.fake

    @property
    def pids(self) -> list[int]:
        """Return the processes' ids."""
        return [bot.pid for bot in self.bots]

    async def start(self) -> None:
        """Start every process together; wait for each 'Ready as' and, in a cluster, for a leader."""
        began = time.perf_counter()
        await asyncio.gather(*(bot.start(timeout=START_TIMEOUT) for bot in self.bots))
        self.setup.start = max(bot.ready_logged_at for bot in self.bots) - began
        if len(self.bots) > 1:
            self.setup.leader = await self._leader(began)
            if self.setup.leader is None:
                self.setup.problems.append(f"no process said it leads the cluster within {LEADER_TIMEOUT:.0f} s")
        self.fake.bot_pids = tuple(self.pids)
        await run_row(self.focus(), FLOOR, 200, 1)  # warm the connection pools

    async def _leader(self, began: float) -> float | None:
        """Wait for one of the processes to say it leads; return when, from began (None if none did in time)."""
        deadline = time.perf_counter() + LEADER_TIMEOUT
        while time.perf_counter() < deadline:
            if any(_LEADER_LINE in line for bot in self.bots for line in bot.log):
                return time.perf_counter() - began
            await asyncio.sleep(0.05)
        return None

    async def stop(self) -> None:
        """Stop every process; note what they logged as errors and any unclean exit."""
        self.fake.bot_pids = ()
        if all(bot.process is not None and bot.process.returncode is None for bot in self.bots):
            self.setup.rss = [vm_hwm(pid) for pid in self.pids]
        for bot in self.bots:
            code = await bot.stop()
            self.setup.problems += bot.problems()
            if code != 0:
                self.setup.problems.append(f"a process of {self.setup.label} exited with status {code}")


def _turns(runs: list[Running], chunk: int) -> list[Running]:
    """Return the setups in the order of one chunk: each goes first in turn."""
    first = chunk % len(runs)
    return runs[first:] + runs[:first]


async def measure_idle(runs: list[Running], postgres_pid: int | None) -> None:
    """Read what every process (and PostgreSQL) spends while nothing is asked of any of them."""
    pids = [pid for run in runs for pid in run.pids]
    before, pg_before, began = _cpu(pids), process_cpu(postgres_pid) if postgres_pid else 0.0, time.perf_counter()
    await asyncio.sleep(IDLE_SECONDS)
    elapsed = time.perf_counter() - began
    after = _cpu(pids)
    shares = {pid: (a - b) / elapsed for pid, a, b in zip(pids, after, before, strict=True)}
    for run in runs:
        run.setup.idle_cpu = [shares[pid] for pid in run.pids]
        if run.setup.postgres and postgres_pid:
            run.setup.idle_postgres = (process_cpu(postgres_pid) - pg_before) / elapsed


async def measure_rows(
    runs: list[Running], rows: list[Row], postgres_pid: int | None, *, seconds: float, rounds: int, warmup: int
) -> None:
    """Measure every row on every setup: one at a time, then at 64 in flight, the setups taking turns in chunks.

    The setups run side by side (each idle while another is measured), and each chunk of a row runs on every setup
    before the next chunk starts: a moment when the machine is slower (two cores shared with the fake Discord and
    PostgreSQL, whose processes the kernel may put on one core for a while) falls on all of them alike.
    """
    for run in runs:
        warm = await run_in_turn(run.focus(), rows, warmup)
        for row, sample in zip(rows, warm, strict=True):
            if sample.errors:
                raise RuntimeError(f"{row.label} answers with an error in {run.setup.label}: {sample.errors[0]!r}")
    # One at a time: the fan commands in turn, then the moderator's in turn (a save clears the server's cached
    # settings, which the fan commands would otherwise read again after every save).
    groups = [[row for row in rows if not row.moderator], [row for row in rows if row.moderator]]
    ones = {(id(run), row.label): Sample([], 0.0) for run in runs for row in rows}
    for chunk in range(CHUNKS):
        for run in _turns(runs, chunk):
            for group in filter(None, groups):
                samples = await run_in_turn(run.focus(), group, max(1, rounds // CHUNKS))
                for row, sample in zip(group, samples, strict=True):
                    ones[id(run), row.label] = ones[id(run), row.label].merged(sample)
    for row in rows:
        counts: dict[int, int] = {}
        for run in runs:
            probe = await run_row(run.focus(), row, 2 * IN_FLIGHT, IN_FLIGHT)  # also warms the row at 64 in flight
            rate = probe.throughput if probe.n else 100.0
            counts[id(run)] = max(2 * IN_FLIGHT, min(5_000, int(rate * seconds / CHUNKS)))
        figures = {
            id(run): RowFigures(row, ones[id(run), row.label], Sample([], 0.0), [0.0] * len(run.bots)) for run in runs
        }
        for chunk in range(CHUNKS):
            for run in _turns(runs, chunk):
                await _busy_chunk(run, figures[id(run)], counts[id(run)], postgres_pid, start=rounds + chunk)
        for run in runs:
            run.setup.rows.append(figures[id(run)])
            print(progress_line(run.setup, figures[id(run)]), flush=True)  # noqa: T201 - progress on the terminal


async def _busy_chunk(run: Running, figures: RowFigures, n: int, postgres_pid: int | None, *, start: int) -> None:
    """Run one chunk of a row at 64 in flight on a setup; add it, and the CPU each process spent, to its figures."""
    pids = run.pids
    cpu, pg = _cpu(pids), process_cpu(postgres_pid) if postgres_pid else 0.0
    sample = await run_row(run.focus(), figures.row, n, IN_FLIGHT, start=start * n)
    spent = [after - before for after, before in zip(_cpu(pids), cpu, strict=True)]
    figures.busy = figures.busy.merged(sample)
    figures.rates.append(sample.throughput)
    figures.process_cpu = [a + b for a, b in zip(figures.process_cpu, spent, strict=True)]
    if run.setup.postgres and postgres_pid:
        figures.postgres_cpu = (figures.postgres_cpu or 0.0) + process_cpu(postgres_pid) - pg


def progress_line(setup: Setup, figures: RowFigures) -> str:
    """Return one line for the terminal."""
    one, busy = figures.one, figures.busy
    each = " + ".join(f"{c / busy.n * 1000:.2f}" for c in figures.process_cpu) if busy.n else "n/a"
    pg = f", PostgreSQL {figures.postgres_ms():.2f}" if figures.postgres_cpu is not None else ""
    failed = one.errors + busy.errors
    errors = f"  ERRORS {len(failed)}: {failed[0]}" if failed else ""
    rates = "/".join(f"{rate:,.0f}" for rate in figures.rates)
    return (
        f"   {setup.label:<26} {figures.row.label:<42} p50 {one.percentile(50):5.2f} ms  "
        f"p99 {one.percentile(99):6.2f} ms  @64 N={busy.n:<5} {busy.throughput:6,.0f}/s ({rates}) "
        f"p50 {busy.percentile(50):6.1f} ms  CPU ms/interaction: bot {each}{pg}{errors}"
    )


async def measure_start(fake: TimedDiscord, database: Path, shards: int) -> tuple[StartFigures, list[str]]:
    """Start one process over every shard; time each step, ask a /noop on each shard, read its memory; stop it."""
    bot = BotProcess(fake, database, extra_env={"SHARD_COUNT": str(shards)})
    by_shard: dict[int, FakeGuild] = {}
    for guild in fake.guilds:
        by_shard.setdefault(shard_of(guild, shards), guild)
    fake.handshakes.clear()
    bench_before = time.process_time()

    async def probe(shard: int, guild: FakeGuild) -> tuple[int, float]:
        await fake.shard_sent(shard)
        answer = await fake.ask(FLOOR, {}, timeout=START_TIMEOUT, guild_id=guild.id)
        if answer.error is not None:
            raise RuntimeError(f"/noop on shard {shard} answered: {answer.error}")
        return shard, answer.answered

    probes = [asyncio.create_task(probe(shard, guild)) for shard, guild in sorted(by_shard.items())]
    try:
        await bot.start(timeout=START_TIMEOUT)
        answered = dict(await asyncio.gather(*probes))
        await asyncio.sleep(0.5)  # let what follows READY settle (the catalog warmed, the frozen objects)
        rss, hwm, cpu = vm_hwm(bot.pid, "VmRSS"), vm_hwm(bot.pid), process_cpu(bot.pid)
        bench_cpu = time.process_time() - bench_before
    finally:
        for task in probes:
            task.cancel()
        code = await bot.stop()
    fake.forget()
    logged = next((int(m["servers"]) for line in bot.log if (m := _SERVERS_LINE.search(line))), 0)
    spawned = bot.spawned_at
    identified = {shard: at for shard, at, _ in fake.handshakes}
    figures = StartFigures(
        servers=len(fake.guilds),
        shards=shards,
        identified=sorted(at - spawned for at in identified.values()),
        sent=max(sent for _, _, sent in fake.handshakes) - spawned,
        answered=max(answered.values()) - spawned,
        intake=max(at - identified[shard] for shard, at in answered.items()),
        ready_logged=bot.ready_logged_at - spawned,
        logged_servers=logged,
        rss=rss,
        hwm=hwm,
        cpu=cpu,
        bench_cpu=bench_cpu,
    )
    problems = bot.problems() + (
        [f"the bot with {len(fake.guilds):,} servers exited with status {code}"] if code else []
    )
    if logged != len(fake.guilds):
        problems.append(f"'Ready as' says {logged:,} servers; the fake sent {len(fake.guilds):,}")
    return figures, problems


async def measure_many_servers(
    folder: Path, seeded: Path, commands: dict[int | None, list[dict[str, Any]]]
) -> ManyServers:
    """One process (SQLite, MANY_SHARDS shards) with SERVERS servers, then with one, each on a fresh copy."""
    print(f"-- one process, {SERVERS:,} servers over {MANY_SHARDS} shards", flush=True)  # noqa: T201
    guilds = many_servers(SERVERS)
    payload_bytes = sum(len(json.dumps(g.to_json(bot_member(g)))) for g in guilds)  # built once, here
    figures = []
    problems: list[str] = []
    for count in (SERVERS, 1):
        # Compressed as Discord sends it (zlib-stream, which discord.py asks for). The servers are handed over as
        # they are, not deep-copied as FakeDiscord(guilds=...) would: the fake never changes them here.
        fake = TimedDiscord(shard_count=MANY_SHARDS, guilds=[], honor_transport_compression=True)
        fake.guilds = list[FakeGuild](guilds[:count])
        fake.commands = dict(commands)
        await fake.start()
        try:
            start, said = await measure_start(fake, _copy(seeded, folder / f"servers-{count}.db"), MANY_SHARDS)
        finally:
            await fake.stop()
        figures.append(start)
        problems += said
        print(start_line(start), flush=True)  # noqa: T201 - progress on the terminal
    return ManyServers(CHANNELS, ROLES + 2, payload_bytes, figures[0], figures[1], problems)


def start_line(start: StartFigures) -> str:
    """Return one line for the terminal."""
    identified = ", ".join(f"{s:.1f}" for s in start.identified)
    mb = 1024 * 1024
    return (
        f"   {start.servers:,} server(s): IDENTIFY at {identified} s, every GUILD_CREATE sent {start.sent:.2f} s, "
        f"/noop answered on every shard {start.answered:.2f} s, 'Ready as' {start.ready_logged:.2f} s; "
        f"RSS {(start.rss or 0) / mb:.0f} MB (peak {(start.hwm or 0) / mb:.0f} MB), bot CPU {start.cpu:.2f} s, "
        f"fake CPU {start.bench_cpu:.2f} s"
    )


def _cluster_guilds() -> list[BuiltGuild]:
    """Return one server on each of the cluster's shards."""
    moments: Iterator[int] = itertools.count(2**38)
    guilds: list[BuiltGuild] = []
    for shard in range(CLUSTER_SHARDS):
        moment = next(m for m in moments if m % CLUSTER_SHARDS == shard)
        guilds.append(server(guild_id(shard, moment), f"Shard {shard} Speedway"))
    return guilds


async def run_scale_out_phase(
    folder: Path, *, seconds: float, rounds: int, warmup: int, only: str | None = None, many: bool = True
) -> ScaleOutPhase:
    """Measure the three setups side by side, then one process with SERVERS servers."""
    print("\n== Scale-out: one process against two, and 10,000 servers ==", flush=True)  # noqa: T201
    began = time.perf_counter()
    seeded = folder / "scale-out-seeded.db"
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{seeded.name}{suffix}").unlink(missing_ok=True)
    await seed(seeded)
    fans = [row for row in build_rows(seeded) if row.label in FAN_ROWS]
    rows = [FLOOR, *fans, MODERATOR_WRITE, MODERATOR_READ]
    if only is not None:
        rows = [row for row in rows if row is FLOOR or only in row.label]
    guilds = _cluster_guilds()
    bin_dir = preferred_bin_dir()
    setups: list[Setup] = []
    commands: dict[int | None, list[dict[str, Any]]] = {}
    async with contextlib.AsyncExitStack() as stack:
        pg = stack.enter_context(running_postgres(bin_dir))
        pg_pid = postmaster_pid(pg)
        runs: list[Running] = []
        for number, (setup, environments) in enumerate(await _plans(stack, pg)):
            setups.append(setup)
            fake = TimedDiscord(guilds=guilds, shard_count=CLUSTER_SHARDS)
            fake.commands = commands  # one command list for every fake: synced by the first start
            await fake.start()
            stack.push_async_callback(fake.stop)
            databases = [_copy(seeded, folder / f"scale-out-{number}-{i}.db") for i in range(len(environments))]
            run = Running.spawn(setup, fake, environments, databases)
            stack.push_async_callback(run.stop)  # before its fake stops
            print(f"-- starting {setup.label}", flush=True)  # noqa: T201 - progress on the terminal
            try:
                await run.start()
            except (RuntimeError, TimeoutError) as failed:  # reported beside the figures of the other setups
                setup.problems.append(f"{setup.label} did not start: {failed}"[:3000])
                continue
            runs.append(run)
        await measure_idle(runs, pg_pid)
        # What this process holds by now (four fakes, the bot's modules, the earlier phases' figures) lasts:
        # frozen, the garbage collector's full passes walk only what the phase adds. They held up the fakes, and
        # every interaction in flight, for up to 150 ms at a time (80-90 ms frozen, the machine being busy too).
        gc.collect()
        gc.freeze()
        if runs and runs[-1].setup.label == CLUSTER:
            # The same two processes, every command from the first shard's server: one works, the other idles.
            # Against one process, this is what running in a cluster costs, without splitting the work.
            about = f"the same two processes, every command from the server on shard {shard_of(guilds[0], 2)} only"
            control = Setup(CLUSTER_ONE_ASKED, about, CLUSTER_SHARDS, postgres=True, control=True)
            setups.append(control)
            runs.append(Running(control, runs[-1].fake, runs[-1].bots, (guilds[0].id,)))
        try:
            await measure_rows(runs, rows, pg_pid, seconds=seconds, rounds=rounds, warmup=warmup)
        except (RuntimeError, TimeoutError) as failed:
            setups[-1].problems.append(f"measuring the commands stopped: {failed}"[:3000])
        finally:
            gc.unfreeze()
    many_result = await measure_many_servers(folder, seeded, commands) if many else None
    phase = ScaleOutPhase(
        setups, many_result, [(g.id, shard_of(g, CLUSTER_SHARDS)) for g in guilds], str(bin_dir.parent)
    )
    phase.problems = [p for s in setups for p in s.problems] + (many_result.problems if many_result else [])
    phase.seconds = time.perf_counter() - began
    return phase


async def _plans(stack: contextlib.AsyncExitStack, pg: PostgresServer) -> list[tuple[Setup, list[dict[str, str]]]]:
    """Return the three setups and each process's settings, with a fresh PostgreSQL database for each that uses it."""
    shards = str(CLUSTER_SHARDS)
    one_url = await stack.enter_async_context(fresh_database(pg))
    cluster_url = await stack.enter_async_context(fresh_database(pg))
    return [
        (
            Setup(SQLITE, f"`python -m bot`, SHARD_COUNT={shards}, no DATABASE_URL", 1, postgres=False),
            [{"SHARD_COUNT": shards}],
        ),
        (
            Setup(POSTGRES, f"`python -m bot`, SHARD_COUNT={shards}, DATABASE_URL", 1, postgres=True),
            [{"SHARD_COUNT": shards, "DATABASE_URL": one_url}],
        ),
        (
            Setup(
                CLUSTER,
                f"two `python -m bot`, SHARD_COUNT={shards}, SHARD_IDS=0 and 1, one DATABASE_URL",
                CLUSTER_SHARDS,
                postgres=True,
            ),
            [{"SHARD_COUNT": shards, "SHARD_IDS": str(i), "DATABASE_URL": cluster_url} for i in range(CLUSTER_SHARDS)],
        ),
    ]
