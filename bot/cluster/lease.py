"""The leader lease: of all the processes sharing one PostgreSQL, one leads at a time.

The leader syncs the command list, asks NASCAR's feeds, and decides what is posted (announcements, race-day cards).
It holds a session advisory lock on a connection of its own: PostgreSQL releases the lock the moment that
connection ends, so when the leader's process dies, the next process to ask (every few seconds) leads. TCP
keepalives make a vanished machine's connection end within about half a minute. A leader that cannot reach
PostgreSQL steps down at once: the lock may be someone else's by then.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from bot.background import stop_task
from bot.store.postgres.database import FAILURES

log = logging.getLogger(__name__)

# Every advisory lock of Pit Board is "pitb" and a number; 1 is the migrations' (bot.store.postgres.database).
LEADER_LOCK = 0x7069_7462_0002
CHECK_EVERY = 5.0  # seconds between a follower's tries, and between the leader's checks of its connection
KEEPALIVES = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


class LeaderLease:
    """Try for the lease every few seconds; on_change(True) when this process starts leading, (False) when it stops."""

    def __init__(self, url: str, *, on_change: Callable[[bool], None], check_every: float = CHECK_EVERY) -> None:
        self._url = url
        self._on_change = on_change
        self.check_every = check_every
        self._conn: asyncpg.Connection | None = None
        self._leading = False
        self._unreachable_reported = False
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        """Return whether this process holds the lease now."""
        return self._leading

    def start(self) -> None:
        """Start trying for the lease (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pitboard-leader-lease")

    async def close(self) -> None:
        """Stop, and give the lease up at once if this process holds it (the connection's end releases it)."""
        await stop_task(self._task)
        self._task = None
        if self._conn is not None:
            with contextlib.suppress(*FAILURES):
                await asyncio.wait_for(self._conn.close(), self.check_every)
            self._conn = None
        self._leading = False

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.check_every)

    async def check(self) -> bool:
        """Take the lease if it is free, or make sure this process still holds it; return whether it leads."""
        try:
            conn = self._conn
            if conn is None or conn.is_closed():
                if self._leading:
                    # The lock ended with the connection that held it: another process may lead by now.
                    raise ConnectionError("the connection holding it closed")
                conn = self._conn = await asyncpg.connect(
                    self._url,
                    timeout=int(self.check_every) or 1,
                    server_settings={"application_name": "pitboard leader lease", **KEEPALIVES},
                )
            if self._leading:
                await conn.fetchval("SELECT 1", timeout=self.check_every)
            elif await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK, timeout=self.check_every):
                self._set(True)
            if self._unreachable_reported:
                log.info("PostgreSQL answers the leader lease again")
                self._unreachable_reported = False
        except FAILURES as error:
            if self._leading:
                log.warning("Lost the connection holding the leader lease (%s); this process no longer leads", error)
            elif not self._unreachable_reported:
                log.warning("Cannot reach PostgreSQL for the leader lease (%s); trying again every few seconds", error)
            self._unreachable_reported = True
            self._set(False)
            if self._conn is not None:
                self._conn.terminate()
                self._conn = None
        return self._leading

    def _set(self, leading: bool) -> None:
        if leading == self._leading:
            return
        self._leading = leading
        if leading:
            log.info("This process now leads the cluster: command sync, NASCAR's feeds and what to post run here")
        self._on_change(leading)
