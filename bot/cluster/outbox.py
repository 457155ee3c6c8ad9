"""The outbox: what the leader decided to post, sent by the process that runs each server's shard.

The leader writes each decision (bot.posts.Post) once; a waiting decision is never written twice. Every process
claims the waiting decisions of the servers on its own shards, makes each post through the same code one process
uses (Announcer.send), and marks it done. A process that dies holding a claim leaves it to expire: the process
that runs those shards next takes it over, and the store's own claim of each post (announcements, race-day posts)
keeps a post whose sending was cut short from going out twice. A decision about a race this process's race store
does not hold yet is put back and tried again at the next sweep.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from bot.background import stop_task
from bot.posts import NotHereYetError, Post
from bot.store.postgres.database import FAILURES

log = logging.getLogger(__name__)

CHANNEL = "pitboard_outbox"
CLAIM_FOR = dt.timedelta(minutes=2)  # a claim older than this belongs to a process that died: it is taken over
SWEEP_EVERY = 10.0  # seconds between sweeps when no notice comes (a notice wakes the sweep at once)
BATCH = 20


@dataclass(frozen=True, slots=True)
class Claimed:
    """A decision this process claimed, with the outbox row it came from."""

    id: int
    post: Post


class Outbox:
    """The outbox table: the leader puts, each shard's process claims and finishes."""

    def __init__(self, pool: asyncpg.Pool, process_id: str) -> None:
        self._pool = pool
        self.process_id = process_id

    async def put(self, post: Post) -> bool:
        """Write a decision unless the same one is waiting already; wake the processes; True if written."""
        async with self._pool.acquire() as conn, conn.transaction():
            query = """
                INSERT INTO outbox (guild_id, kind, subject, revision, channel_id, mod_channel_id, decided_by,
                                    decided_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, now())
                ON CONFLICT (guild_id, kind, subject, revision) WHERE done_at IS NULL DO NOTHING
                RETURNING id
            """
            args = (post.guild_id, post.kind, post.subject, post.revision, post.channel_id, post.mod_channel_id)
            written = await conn.fetchval(query, *args, self.process_id)
            if written is not None:
                await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
        return written is not None

    async def claim(self, shard_count: int, shard_ids: Sequence[int], limit: int = BATCH) -> list[Claimed]:
        """Claim waiting decisions of servers on these shards (and those whose claim expired), oldest first."""
        query = """
            UPDATE outbox SET claimed_by = $1, claimed_at = now()
            WHERE id IN (
                SELECT id FROM outbox
                WHERE done_at IS NULL AND ((guild_id >> 22) % $2) = ANY($3::integer[])
                  AND (claimed_by IS NULL OR claimed_at < now() - $4::interval)
                ORDER BY id LIMIT $5
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, guild_id, kind, subject, revision, channel_id, mod_channel_id
        """
        rows = await self._pool.fetch(query, self.process_id, shard_count, list(shard_ids), CLAIM_FOR, limit)
        claimed = [
            Claimed(
                row["id"],
                Post(
                    row["guild_id"],
                    row["kind"],
                    row["subject"],
                    row["revision"],
                    row["channel_id"],
                    row["mod_channel_id"],
                ),
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda c: c.id)

    async def finish(self, claimed: Claimed, outcome: str) -> None:
        """Mark a claimed decision done, with what came of it."""
        query = "UPDATE outbox SET done_at = now(), outcome = $3 WHERE id = $1 AND claimed_by = $2"
        await self._pool.execute(query, claimed.id, self.process_id, outcome[:500])

    async def put_back(self, claimed: Claimed) -> None:
        """Give a claimed decision back, to be tried again at the next sweep."""
        query = "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL WHERE id = $1 AND claimed_by = $2"
        await self._pool.execute(query, claimed.id, self.process_id)

    async def waiting(self) -> int:
        """Return how many decisions wait to be sent, across the cluster."""
        return int(await self._pool.fetchval("SELECT count(*) FROM outbox WHERE done_at IS NULL"))


class OutboxSender:
    """This process's end of the outbox: sweep for its shards' decisions at every notice and every few seconds."""

    def __init__(
        self,
        outbox: Outbox,
        url: str,
        *,
        shards: Callable[[], tuple[int, Sequence[int]]],
        send: Callable[[Post], Awaitable[str]],
        ready: Callable[[], Awaitable[object]],
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.outbox = outbox
        self._url = url
        self._shards = shards  # (shard count, this process's shards), known once the gateway is connected
        self._send = send  # makes one post (Announcer.send): 'sent' or why not; NotHereYetError to try again
        self._ready = ready  # awaited before the first sweep: channels are reached once the gateway is ready
        self.sweep_every = sweep_every
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # decisions this process finished, for its status line and the tests

    def start(self) -> None:
        """Start sweeping (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pitboard-outbox")

    def wake(self) -> None:
        """Sweep now (a decision was just written, here or by a notice from the leader)."""
        self._wake.set()

    async def close(self) -> None:
        """Stop sweeping and listening."""
        await stop_task(self._task)
        self._task = None
        if self._listener is not None:
            with contextlib.suppress(*FAILURES):
                await self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            listener = await asyncpg.connect(
                self._url, timeout=int(self.sweep_every) or 1, server_settings={"application_name": "pitboard outbox"}
            )
            await listener.add_listener(CHANNEL, lambda *_: self._wake.set())
            self._listener = listener
        except FAILURES as error:
            # The sweeps every few seconds still find every decision; only the instant wake-up is missing.
            log.debug("Not listening for the outbox's notices (%s); sweeping every %g s", error, self.sweep_every)
            self._listener = None

    async def _run(self) -> None:
        await self._ready()
        while True:
            await self._listen()
            self._wake.clear()  # before the sweep: a notice that comes during it wakes the next one at once
            try:
                while await self.sweep():
                    pass  # a full batch: there may be more
            except FAILURES as error:
                log.warning("Could not read the outbox (%s); trying again in %g s", error, self.sweep_every)
            except Exception:
                log.exception("Sending the outbox failed; trying again in %g s", self.sweep_every)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.sweep_every)

    async def sweep(self) -> bool:
        """Send what waits for this process's shards; return whether a full batch was sent (more may wait)."""
        shard_count, shard_ids = self._shards()
        batch = await self.outbox.claim(shard_count, shard_ids)
        done = 0
        for claimed in batch:
            try:
                outcome = await self._send(claimed.post)
            except NotHereYetError as error:
                log.debug("Outbox %s waits: %s", claimed.id, error)
                await self.outbox.put_back(claimed)
                continue
            except Exception:
                # A bug: logged with its traceback, and the decision closed, so it is not tried on every sweep.
                log.exception("Could not make the %s post in server %s", claimed.post.kind, claimed.post.guild_id)
                outcome = "failed: see the log"
            await self.outbox.finish(claimed, outcome)
            self.sent += outcome == "sent"
            done += 1
        return len(batch) == BATCH and done > 0
