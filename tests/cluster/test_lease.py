"""The leader lease: of the processes sharing one PostgreSQL, exactly one leads, and another takes over when it dies."""

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from bot.cluster.lease import LeaderLease

WAIT = 30  # seconds: only a guard against hanging; nothing here measures how fast the lead moves


class Process:
    """One process's lease, and every on_change it was told, in order."""

    def __init__(self, url: str, *, check_every: float = 5.0) -> None:
        self.changes: list[bool] = []
        self.led = asyncio.Event()  # set once it is told it leads
        self.lease = LeaderLease(url, on_change=self._changed, check_every=check_every)

    def _changed(self, leading: bool) -> None:
        self.changes.append(leading)
        if leading:
            self.led.set()


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[Callable[..., Process]]:
    """`make(check_every=…)` returns a new process's lease on the test's database; all are closed at the end."""
    made: list[Process] = []

    def make(check_every: float = 5.0) -> Process:
        made.append(Process(postgres_url, check_every=check_every))
        return made[-1]

    yield make
    for process in made:
        await process.lease.close()


async def kill_the_lease_holder(url: str) -> int:
    """Terminate the backend holding an advisory lock in the test's database, as a dead process leaves it."""
    conn = await asyncpg.connect(url)
    try:
        query = """
            SELECT pid FROM pg_locks
            WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """
        (holder,) = [row["pid"] for row in await conn.fetch(query)]
        # The second argument waits (ms) until the backend is gone, and with it the lock.
        assert await conn.fetchval("SELECT pg_terminate_backend($1, 10000)", holder)
        return holder
    finally:
        await conn.close()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.cluster.lease" and r.levelno >= logging.WARNING]


async def test_of_two_processes_exactly_one_leads(processes: Callable[..., Process]):
    one, two = processes(), processes()
    assert await one.lease.check()
    assert not await two.lease.check()
    assert not await two.lease.check()  # asked again: still held by the first
    assert await one.lease.check()  # the leader's own check keeps the lead
    assert (one.lease.leading, two.lease.leading) == (True, False)
    assert (one.changes, two.changes) == ([True], [])


async def test_when_the_leader_stops_the_other_leads_at_its_next_check(processes: Callable[..., Process]):
    one, two = processes(), processes()
    assert await one.lease.check()
    assert not await two.lease.check()
    await one.lease.close()
    assert not one.lease.leading
    assert await two.lease.check()
    assert two.changes == [True]


async def test_when_the_leaders_process_dies_the_other_leads_and_the_old_one_steps_down(
    processes: Callable[..., Process], postgres_url: str, caplog: pytest.LogCaptureFixture
):
    one, two = processes(), processes()
    assert await one.lease.check()
    assert not await two.lease.check()
    await kill_the_lease_holder(postgres_url)

    assert await two.lease.check()
    assert not await one.lease.check()  # its connection is gone, and the lock with it: it must not lead too
    assert (one.changes, two.changes) == ([True, False], [True])
    assert any("no longer leads" in message for message in warnings(caplog))
    # Back on PostgreSQL, the old leader finds the lease taken and follows.
    assert not await one.lease.check()
    assert (one.lease.leading, two.lease.leading) == (False, True)


async def test_a_leader_that_checks_first_after_its_connection_died_does_not_keep_leading(
    processes: Callable[..., Process], postgres_url: str
):
    one, two = processes(), processes()
    assert await one.lease.check()
    await kill_the_lease_holder(postgres_url)
    await asyncio.sleep(0.1)  # the client has heard its connection end by now

    assert not await one.lease.check()  # not on a new connection that never took the lock
    assert await two.lease.check()
    assert (one.changes, two.changes) == ([True, False], [True])


async def test_running_leases_hand_the_lead_over_by_themselves(processes: Callable[..., Process]):
    one, two = processes(check_every=0.2), processes(check_every=0.2)
    one.lease.start()
    await asyncio.wait_for(one.led.wait(), WAIT)
    two.lease.start()
    await asyncio.sleep(0.5)  # a few of the follower's tries
    assert not two.lease.leading
    await one.lease.close()
    await asyncio.wait_for(two.led.wait(), WAIT)
    assert two.lease.leading and two.changes == [True]


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_postgresql_leads_nothing_and_says_so_once(caplog: pytest.LogCaptureFixture):
    process = Process(f"postgresql://pitboard@127.0.0.1:{closed_port()}/pitboard", check_every=1.0)
    try:
        assert not await process.lease.check()
        assert not await process.lease.check()
        assert not await process.lease.check()
    finally:
        await process.lease.close()
    assert not process.lease.leading
    assert process.changes == []
    (warning,) = warnings(caplog)
    assert warning.startswith("Cannot reach PostgreSQL for the leader lease")
