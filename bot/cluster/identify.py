"""Identifying to Discord's gateway in turn across every process of a cluster.

Discord lets a bot's sessions identify max_concurrency at a time, one per bucket (shard id % max_concurrency),
with 5 seconds between two identifies of one bucket; more, and it refuses the session. discord.py keeps that order
inside one process; across processes the turn is taken in PostgreSQL: a transaction-level advisory lock per bucket
queues the processes, and the bucket's last identify time (PostgreSQL's clock, the same for every machine) says how
long the next one waits.
"""

import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)

IDENTIFY_LOCKS = 0x7069_7462_1000  # plus the bucket: one advisory lock per bucket
# Seconds between two identifies of one bucket: Discord's 5, and half a second more, because a turn is stamped in
# PostgreSQL before its IDENTIFY is sent, and one process (or machine) may take longer from stamp to send than the next.
SPACING = 5.5
QUEUE_TIMEOUT = 600.0  # seconds a shard may queue for its turn: 120 processes ahead of it


class IdentifyGate:
    """Wait for a shard's turn to identify, across processes."""

    def __init__(self, pool: asyncpg.Pool, *, spacing: float = SPACING) -> None:
        self._pool = pool
        self.spacing = spacing

    async def wait_turn(self, shard_id: int, max_concurrency: int) -> float:
        """Return once shard_id may identify, having noted its identify for the others; return the seconds waited."""
        bucket = shard_id % max(max_concurrency, 1)
        async with self._pool.acquire() as conn, conn.transaction():
            # Every process ahead in the queue waits its 5 seconds: far longer than a query's usual timeout.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", IDENTIFY_LOCKS + bucket, timeout=QUEUE_TIMEOUT)
            query = (
                "SELECT extract(epoch FROM clock_timestamp() - identified_at) FROM identify_buckets WHERE bucket = $1"
            )
            since = await conn.fetchval(query, bucket)
            waited = 0.0
            if since is not None and float(since) < self.spacing:
                waited = self.spacing - float(since)
                log.debug("Shard %s waits %.1f s for its turn to identify (bucket %s)", shard_id, waited, bucket)
                await asyncio.sleep(waited)
            query = """
                INSERT INTO identify_buckets (bucket, identified_at) VALUES ($1, clock_timestamp())
                ON CONFLICT (bucket) DO UPDATE SET identified_at = excluded.identified_at
            """
            await conn.execute(query, bucket)
        return waited
