"""Change notices between processes: a setting written through one is seen by the other."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.store.database import StoreChange
from bot.store.postgres import CHANNEL, ChangeFeed, connect_pool, migrate

GUILD = 111_222_333_444_555_666
WAIT = 30  # seconds: only a guard against hanging; nothing here measures how fast a notice arrives


class Process:
    """One bot process's part: its own pool, and its change feed with the changes it was told of."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.changes: asyncio.Queue[StoreChange] = asyncio.Queue()
        self.feed = ChangeFeed(url, self.changes.put_nowait)

    async def open(self, *, listen: bool) -> "Process":
        self.pool = await connect_pool(self.url, max_size=2)
        await migrate(self.pool)
        if listen:
            await self.feed.start()
        return self

    async def close(self) -> None:
        await self.feed.close()
        await self.pool.close()

    async def set_spoiler_hours(self, guild_id: int, hours: int) -> None:
        """Write a setting and publish it in one transaction, as the PostgreSQL store will."""
        async with self.pool.acquire() as conn, conn.transaction():
            query = """
                INSERT INTO guild_settings (guild_id, spoiler_hours, updated_at) VALUES ($1, $2, now())
                ON CONFLICT (guild_id) DO UPDATE SET spoiler_hours = excluded.spoiler_hours,
                                                     updated_at = excluded.updated_at
            """
            await conn.execute(query, guild_id, hours)
            await self.feed.publish(conn, StoreChange("guild", guild_id))

    async def spoiler_hours(self, guild_id: int) -> int | None:
        return await self.pool.fetchval("SELECT spoiler_hours FROM guild_settings WHERE guild_id = $1", guild_id)

    async def next_change(self) -> StoreChange:
        async with asyncio.timeout(WAIT):
            return await self.changes.get()


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[tuple[Process, Process]]:
    first = await Process(postgres_url).open(listen=True)
    second = await Process(postgres_url).open(listen=True)
    yield first, second
    await first.close()
    await second.close()


async def test_a_setting_written_through_one_process_is_seen_by_the_other(processes: tuple[Process, Process]):
    first, second = processes
    assert await second.spoiler_hours(GUILD) is None  # what second would have cached
    await first.set_spoiler_hours(GUILD, 6)
    assert await second.next_change() == StoreChange("guild", GUILD)
    assert await second.spoiler_hours(GUILD) == 6
    await second.set_spoiler_hours(GUILD, 12)
    assert await first.next_change() == StoreChange("guild", GUILD)
    assert await first.spoiler_hours(GUILD) == 12
    # Neither was told of its own writes: each tells its own listeners when it writes.
    assert first.changes.empty()
    assert second.changes.empty()


async def test_a_write_rolled_back_is_never_announced(processes: tuple[Process, Process]):
    first, second = processes
    async with first.pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            async with conn.transaction():
                await first.feed.publish(conn, StoreChange("guild", GUILD))
                query = "INSERT INTO guild_settings (guild_id, spoiler_hours, updated_at) VALUES ($1, 999, now())"
                await conn.execute(query, GUILD)  # refused, so all of it is rolled back
    await first.set_spoiler_hours(GUILD + 1, 3)
    assert await second.next_change() == StoreChange("guild", GUILD + 1)  # notices arrive in commit order


async def test_a_notice_that_is_not_a_change_is_ignored(processes: tuple[Process, Process]):
    first, second = processes
    for payload in ("not json", '{"kind": "everything", "guild_id": 1, "origin": "x"}', '{"kind": "guild"}'):
        await first.pool.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
    await first.set_spoiler_hours(GUILD, 1)
    assert await second.next_change() == StoreChange("guild", GUILD)


async def test_a_listener_that_lost_its_connection_listens_again_and_says_all_may_have_changed(postgres_url: str):
    writer = await Process(postgres_url).open(listen=False)
    reader = await Process(postgres_url).open(listen=True)
    try:
        query = """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'pitboard listener' AND datname = current_database()
        """
        assert await writer.pool.fetchval(query)
        assert await reader.next_change() == StoreChange("guild", None)
        assert reader.feed.listening
        await writer.set_spoiler_hours(GUILD, 2)
        assert await reader.next_change() == StoreChange("guild", GUILD)
    finally:
        await writer.close()
        await reader.close()
