"""NASCAR's feeds asked once for the cluster: the leader asks the (local stand-in) host, the others read its copies.

Each process keeps its own SQLite store, as in the cluster: the leader's and a follower's are two files here.
"""

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.cluster.feeds import NOT_FETCHED_YET, SharedFeeds
from bot.feeds.client import FeedClient, FeedUnavailableError
from bot.store import Store, open_store
from tests.feed_host import FeedHost, feed_host

PATH = "/cacher/2025/race_list_basic.json"
LIST = {"series_3": [{"race_id": 5515, "race_name": "Baptist Health 200"}]}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 11, 14, 20, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class Process:
    """One process's feeds as the bot makes them in a cluster: its own store and client, the shared copies."""

    def __init__(self, store: Store, host: FeedHost, pool: asyncpg.Pool, *, leading: bool) -> None:
        self.store = store
        self.clock = Clock()
        self.leading = leading
        client = FeedClient(store, host.url, timeout=2.0, clock=self.clock)
        self.feeds = SharedFeeds(client, store, pool, leading=lambda: self.leading, clock=self.clock)


@pytest.fixture
def host() -> Iterator[FeedHost]:
    with feed_host() as running:
        running.publish(PATH, LIST)
        yield running


@pytest.fixture
async def processes(tmp_path: Path, host: FeedHost, pool: asyncpg.Pool) -> AsyncIterator[tuple[Process, Process]]:
    """Yield the leader and a follower, each over its own new store file, sharing the test's database."""
    made: list[Process] = []
    try:
        for name, leading in (("leader", True), ("follower", False)):
            store = await open_store(tmp_path / f"{name}.db")
            made.append(Process(store, host, pool, leading=leading))
        yield made[0], made[1]
    finally:
        for process in made:
            await process.feeds.close()
            await process.store.close()


async def test_the_leader_asks_the_host_and_the_follower_reads_its_copy_without_asking(
    processes: tuple[Process, Process], host: FeedHost, pool: asyncpg.Pool
):
    leader, follower = processes
    fetched = await leader.feeds.fetch(PATH)
    assert (fetched.data, fetched.changed) == (LIST, True)
    assert len(host.requests) == 1
    shared = await pool.fetchrow("SELECT * FROM feed_documents WHERE url = $1", leader.feeds.url(PATH))
    assert shared is not None and shared["fetched_at"] == leader.clock.now

    copy = await follower.feeds.fetch(PATH)
    assert (copy.url, copy.data, copy.changed, copy.fetched_at) == (fetched.url, LIST, True, leader.clock.now)
    again = await follower.feeds.fetch(PATH)
    assert (again.data, again.changed) == (LIST, False)
    assert len(host.requests) == 1  # NASCAR was asked once for the whole cluster
    assert (await follower.store.feed_cached(copy.url)) is not None  # imported into its own store, as the leader's


async def test_a_change_the_leader_fetched_reaches_the_follower_and_a_304_changes_nothing(
    processes: tuple[Process, Process], host: FeedHost
):
    leader, follower = processes
    await leader.feeds.fetch(PATH)
    url = leader.feeds.url(PATH)
    assert await follower.feeds.changed_since_last_look() == {url}
    assert (await follower.feeds.fetch(PATH)).changed

    leader.clock.now += dt.timedelta(minutes=1)
    assert not (await leader.feeds.fetch(PATH)).changed  # a 304
    assert [r.status for r in host.requests] == [200, 304]
    assert await follower.feeds.changed_since_last_look() == set()
    unchanged = await follower.feeds.fetch(PATH)
    assert (unchanged.changed, unchanged.fetched_at) == (False, leader.clock.now)

    moved = {"series_3": [{"race_id": 5515, "race_name": "Baptist Health 200 (moved to Saturday)"}]}
    host.publish(PATH, moved)
    leader.clock.now += dt.timedelta(minutes=1)
    assert (await leader.feeds.fetch(PATH)).changed
    assert await follower.feeds.changed_since_last_look() == {url}
    latest = await follower.feeds.fetch(PATH)
    assert (latest.data, latest.changed) == (moved, True)
    assert len(host.requests) == 3  # the leader's three asks; the follower's none


async def test_before_the_leader_fetched_a_file_the_follower_is_told_to_look_again_soon(
    processes: tuple[Process, Process], host: FeedHost
):
    _, follower = processes
    with pytest.raises(FeedUnavailableError) as missing:
        await follower.feeds.fetch(PATH)
    assert "the leader has not fetched" in str(missing.value)
    assert missing.value.retry_at == follower.clock.now + NOT_FETCHED_YET
    assert host.requests == []


async def test_a_follower_that_comes_to_lead_asks_the_host_itself(processes: tuple[Process, Process], host: FeedHost):
    leader, follower = processes
    await leader.feeds.fetch(PATH)
    await follower.feeds.fetch(PATH)
    leader.leading, follower.leading = False, True  # the lead moved

    follower.clock.now += dt.timedelta(minutes=1)
    fetched = await follower.feeds.fetch(PATH)
    assert (fetched.data, fetched.changed) == (LIST, False)  # the same file it had from the old leader
    assert len(host.requests) == 2  # asked by the new leader
    assert (await leader.feeds.fetch(PATH)).fetched_at == follower.clock.now  # its copy is the new leader's
    assert len(host.requests) == 2
