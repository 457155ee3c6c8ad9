"""Who is running: each process writes a line about itself every few seconds, and `python -m bot status` reads them."""

import datetime as dt
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

BEAT_EVERY = dt.timedelta(seconds=10)
SILENT_AFTER = dt.timedelta(seconds=45)  # a process not heard from for this long is shown as not answering
FORGOTTEN_AFTER = dt.timedelta(days=1)  # a process that stopped (or died) longer ago than this is not shown


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """This process as the cluster names it."""

    process_id: str
    host: str
    pid: int
    started_at: dt.datetime

    @classmethod
    def of_this_process(cls) -> "ProcessIdentity":
        """Return this process's identity: host, pid and start time (unique across restarts)."""
        host, pid, started = socket.gethostname(), os.getpid(), dt.datetime.now(dt.UTC)
        return cls(f"{host}:{pid}:{started:%Y%m%dT%H%M%S}", host, pid, started)


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    """One process's last report of itself, as `python -m bot status` shows it."""

    process_id: str
    host: str
    pid: int
    shard_ids: tuple[int, ...]
    shard_count: int
    guilds: int
    latency_ms: float | None
    leader: bool
    last_refresh: str | None
    started_at: dt.datetime
    seen_at: dt.datetime
    stopped_at: dt.datetime | None

    def state(self, now: dt.datetime) -> str:
        """Return 'running', 'stopped' or 'not answering for N s'."""
        if self.stopped_at is not None:
            return "stopped"
        silent = (now - self.seen_at).total_seconds()
        return f"not answering for {silent:.0f} s" if silent > SILENT_AFTER.total_seconds() else "running"

    def _role(self, now: dt.datetime) -> str:
        # A silent process's lease has lapsed (or soon will), so its last report of leading is history, not fact.
        if not self.leader or self.stopped_at is not None:
            return "follower"
        return "leader" if self.state(now) == "running" else "last seen leading"

    def lines(self, now: dt.datetime) -> list[str]:
        """Return the lines `python -m bot status` prints for this process."""
        shards = ", ".join(str(shard) for shard in self.shard_ids)
        latency = f"{self.latency_ms:.0f} ms" if self.latency_ms is not None else "not measured yet"
        role = self._role(now)
        return [
            f"{self.host} pid {self.pid} ({self.state(now)}, {role}, up since {self.started_at:%Y-%m-%d %H:%M} UTC)",
            f"  shards {shards} of {self.shard_count}; {self.guilds:,} servers; gateway latency {latency}",
            f"  last refresh: {self.last_refresh or 'none yet'}; last heard from {self.seen_at:%H:%M:%S} UTC",
        ]


class Registry:
    """This process's line in cluster_processes."""

    def __init__(self, pool: asyncpg.Pool, me: ProcessIdentity) -> None:
        self._pool = pool
        self.me = me

    async def beat(
        self,
        *,
        shard_ids: Sequence[int],
        shard_count: int,
        guilds: int,
        latency_ms: float | None,
        leader: bool,
        last_refresh: str | None,
    ) -> None:
        """Write what this process is doing now."""
        query = """
            INSERT INTO cluster_processes (process_id, host, pid, shard_ids, shard_count, guilds, latency_ms, leader,
                                           last_refresh, started_at, seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
            ON CONFLICT (process_id) DO UPDATE SET
                shard_ids = excluded.shard_ids, shard_count = excluded.shard_count,
                guilds = excluded.guilds, latency_ms = excluded.latency_ms, leader = excluded.leader,
                last_refresh = excluded.last_refresh, seen_at = excluded.seen_at, stopped_at = NULL
        """
        me = self.me
        await self._pool.execute(
            query,
            me.process_id,
            me.host,
            me.pid,
            list(shard_ids),
            shard_count,
            guilds,
            latency_ms,
            leader,
            last_refresh,
            me.started_at,
        )

    async def stopped(self) -> None:
        """Note that this process stopped cleanly."""
        query = "UPDATE cluster_processes SET stopped_at = now(), leader = false WHERE process_id = $1"
        await self._pool.execute(query, self.me.process_id)


async def read_status(pool: asyncpg.Pool) -> tuple[list[ProcessStatus], int, dt.datetime]:
    """Return the processes heard from in the last day (running first), the outbox's waiting posts, and now."""
    query = """
        SELECT *, now() AS now FROM cluster_processes
        WHERE seen_at > now() - $1::interval
        ORDER BY stopped_at IS NOT NULL, shard_ids, started_at
    """
    rows = await pool.fetch(query, FORGOTTEN_AFTER)
    now = await pool.fetchval("SELECT now()")
    waiting = await pool.fetchval("SELECT count(*) FROM outbox WHERE done_at IS NULL")
    processes = [
        ProcessStatus(
            process_id=row["process_id"],
            host=row["host"],
            pid=row["pid"],
            shard_ids=tuple(row["shard_ids"]),
            shard_count=row["shard_count"],
            guilds=row["guilds"],
            latency_ms=row["latency_ms"],
            leader=row["leader"],
            last_refresh=row["last_refresh"],
            started_at=row["started_at"],
            seen_at=row["seen_at"],
            stopped_at=row["stopped_at"],
        )
        for row in rows
    ]
    return processes, int(waiting), now
