"""Telling every process of a cluster what another one wrote: PostgreSQL's LISTEN/NOTIFY on one channel.

A process publishes a change inside the transaction that wrote it, so PostgreSQL delivers the notice when, and only
if, that transaction commits, to every listening process at once. Each process hands the notices of the others to
the same listeners its own writes reach (the catalog drops its copy of that server's settings), so a setting written
through one process is read afresh by every other as soon as the notice arrives.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol, get_args

import asyncpg

from bot.store.database import StoreChange

log = logging.getLogger(__name__)

CHANNEL = "pitboard_changes"
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds; the last repeats until the server is back
_KINDS: tuple[str, ...] = get_args(StoreChange.__annotations__["kind"])


class Executor(Protocol):
    """Anything that runs one statement: a connection, a pool's connection, or the pool itself."""

    async def execute(self, query: str, *args: Any) -> str:
        """Run query."""
        ...


def _parse(payload: str) -> tuple[StoreChange, str] | None:
    """Return the change a notice carries and the process that sent it, or None if it is not one of ours."""
    try:
        message = json.loads(payload)
        kind, guild_id, origin = message["kind"], message["guild_id"], message["origin"]
    except (ValueError, TypeError, KeyError):
        return None
    if kind not in _KINDS or not (guild_id is None or type(guild_id) is int) or not isinstance(origin, str):
        return None
    return StoreChange(kind, guild_id), origin


class ChangeFeed:
    """One process's end of the channel: it publishes this process's writes and hands on everyone else's.

    on_change is called on the event loop with each change another process committed, and with
    StoreChange("guild", None) after the listening connection was lost and found again: what was written meanwhile
    is unknown, so every server's copies must be read afresh.
    """

    def __init__(self, url: str, on_change: Callable[[StoreChange], None]) -> None:
        self._url = url
        self._on_change = on_change
        self.origin = uuid.uuid4().hex  # tells this process's own notices from the others'
        self._conn: asyncpg.Connection | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._closed = False

    async def publish(self, conn: Executor, change: StoreChange) -> None:
        """Announce change to the other processes; call it inside the transaction that made the change."""
        payload = json.dumps({"kind": change.kind, "guild_id": change.guild_id, "origin": self.origin})
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    async def start(self) -> None:
        """Start listening, on a connection of its own (a pool's connections are reset, and unlisten, on release)."""
        self._conn = await self._listen()

    async def close(self) -> None:
        """Stop listening."""
        self._closed = True
        if self._reconnect is not None:
            self._reconnect.cancel()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def listening(self) -> bool:
        """Return whether notices are being received right now."""
        return self._conn is not None and not self._conn.is_closed()

    async def _listen(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(self._url, server_settings={"application_name": "pitboard listener"})
        try:
            await conn.add_listener(CHANNEL, self._received)
        except BaseException:
            await conn.close()
            raise
        conn.add_termination_listener(self._lost)
        return conn

    def _received(self, conn: object, pid: int, channel: str, payload: object) -> None:
        parsed = _parse(payload) if isinstance(payload, str) else None
        if parsed is None:
            log.warning("Ignored a notice on %s that is not a change: %.200r", channel, payload)
            return
        change, origin = parsed
        if origin != self.origin:  # this process told its own listeners when it wrote
            self._on_change(change)

    def _lost(self, conn: object) -> None:
        if self._closed:
            return
        log.warning("Lost the PostgreSQL connection listening for other processes' changes; reconnecting")
        self._conn = None
        self._reconnect = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            attempt += 1
            try:
                self._conn = await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.debug("Listening again failed (attempt %d): %s", attempt, error)
                continue
            log.info("Listening for other processes' changes again")
            self._on_change(StoreChange("guild", None))
            return
