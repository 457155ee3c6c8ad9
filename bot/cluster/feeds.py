"""NASCAR's feeds asked once for the whole cluster: the leader fetches, every other process reads its copies.

Each process still keeps its own race store, so each imports the same files: the leader's FeedClient asks NASCAR's
host (conditionally, backing off, as one process does) and writes each answer to PostgreSQL's feed_documents; any
other process's poller runs on the same plan but reads those copies instead of asking the host. When leadership
moves, the new leader's next fetch goes to the host.
"""

import datetime as dt
import logging
from collections.abc import Callable

import asyncpg

from bot.feeds.client import FeedClient, FeedUnavailableError, Fetched, decode_feed, utc_now
from bot.store.postgres.database import FAILURES
from bot.store.schedule import ScheduleStore

log = logging.getLogger(__name__)

NOT_FETCHED_YET = dt.timedelta(minutes=1)  # a file the leader has not fetched yet is looked for again this soon


class SharedFeeds:
    """The FeedClient the poller is handed in a cluster: the host's answers while leading, the leader's otherwise."""

    def __init__(
        self,
        client: FeedClient,
        store: ScheduleStore,
        pool: asyncpg.Pool,
        *,
        leading: Callable[[], bool],
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.client = client
        self.store = store
        self._pool = pool
        self._leading = leading
        self.clock = clock
        self._looked: dt.datetime | None = None  # the newest change this process has seen

    def url(self, path: str) -> str:
        """Return the full URL of a feed path, as the leader asks for it."""
        return self.client.url(path)

    @property
    def paused_until(self) -> dt.datetime | None:
        """Return until when the host is not asked (only the leader asks it)."""
        return self.client.paused_until if self._leading() else None

    async def fetch(self, path: str) -> Fetched:
        """Return a feed's JSON: from the host (and shared) while leading, else the leader's last copy."""
        if self._leading():
            fetched = await self.client.fetch(path)
            await self._share(fetched)
            return fetched
        url = self.url(path)
        row = await self._pool.fetchrow("SELECT body, fetched_at FROM feed_documents WHERE url = $1", url)
        if row is None:
            raise FeedUnavailableError(f"the leader has not fetched {url} yet", self.clock() + NOT_FETCHED_YET)
        # This process's own cache tells whether the copy changed since it last read it.
        changed = await self.store.save_feed(
            url, row["body"], etag=None, last_modified=None, fetched_at=row["fetched_at"]
        )
        return Fetched(url, decode_feed(row["body"]), changed, row["fetched_at"])

    async def changed_since_last_look(self) -> set[str]:
        """Return the URLs whose copy changed since this process last asked (every URL, the first time)."""
        query = "SELECT url, changed_at FROM feed_documents WHERE $1::timestamptz IS NULL OR changed_at > $1"
        rows = await self._pool.fetch(query, self._looked)
        if rows:
            self._looked = max(row["changed_at"] for row in rows)
        return {row["url"] for row in rows}

    async def _share(self, fetched: Fetched) -> None:
        """Write the host's answer for the other processes (the body only when it changed)."""
        try:
            if not fetched.changed:
                query = "UPDATE feed_documents SET fetched_at = $2 WHERE url = $1"
                if await self._pool.execute(query, fetched.url, fetched.fetched_at) != "UPDATE 0":
                    return
            cached = await self.store.feed_cached(fetched.url)
            if cached is None:
                return
            query = """
                INSERT INTO feed_documents (url, body, fetched_at, changed_at) VALUES ($1, $2, $3, $3)
                ON CONFLICT (url) DO UPDATE SET
                    body = excluded.body,
                    fetched_at = excluded.fetched_at,
                    changed_at = CASE WHEN feed_documents.body = excluded.body THEN feed_documents.changed_at
                                      ELSE excluded.fetched_at END
            """
            await self._pool.execute(query, fetched.url, cached.body, fetched.fetched_at)
        except FAILURES as error:
            # This process imports it all the same; the others catch up with the next answer shared.
            log.warning("Could not share %s with the other processes: %s", fetched.url, error)

    async def close(self) -> None:
        """Close the host's connection pool."""
        await self.client.close()
