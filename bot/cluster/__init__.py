"""Running past one machine: the processes that share one PostgreSQL (DATABASE_URL) make one bot together.

Each process runs a slice of the shards (SHARD_IDS) and answers its own servers' interactions from its own race
store; what servers write is in PostgreSQL for all. What must happen once for the whole bot happens on the leader
(bot.cluster.lease): the command sync, asking NASCAR's feeds (bot.cluster.feeds) and deciding what is posted by
itself. The leader writes those decisions to the outbox, and the process running each server's shard sends them
(bot.cluster.outbox). Identifies take turns across processes (bot.cluster.identify), and each process reports
itself for `python -m bot status` (bot.cluster.registry).
"""

from collections.abc import Callable

import asyncpg

from bot.cluster.identify import IdentifyGate
from bot.cluster.lease import LeaderLease
from bot.cluster.outbox import Outbox
from bot.cluster.registry import ProcessIdentity, Registry


class Cluster:
    """This process's part in the cluster: its identity, the lease, the outbox, identify turns and its status line."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.me = ProcessIdentity.of_this_process()
        self._listeners: list[Callable[[bool], None]] = []
        self.lease = LeaderLease(url, on_change=self._leadership_changed)
        self.outbox = Outbox(pool, self.me.process_id)
        self.identify = IdentifyGate(pool)
        self.registry = Registry(pool, self.me)

    @property
    def leading(self) -> bool:
        """Return whether this process leads the cluster now."""
        return self.lease.leading

    def on_leadership(self, listener: Callable[[bool], None]) -> None:
        """Have listener called with True when this process starts leading, False when it stops."""
        self._listeners.append(listener)

    def _leadership_changed(self, leading: bool) -> None:
        for listener in self._listeners:
            listener(leading)
