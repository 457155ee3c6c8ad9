"""Who is running: each process's status line in PostgreSQL, and `python -m bot status` reading them."""

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.__main__ import main
from bot.cluster.registry import ProcessIdentity, ProcessStatus, Registry, read_status
from bot.store.postgres.database import connect_pool, migrate

STARTED = dt.datetime(2025, 11, 14, 18, 5, tzinfo=dt.UTC)
LEADER = ProcessIdentity("race-a:4101:20251114T180500", "race-a", 4101, STARTED)
FOLLOWER = ProcessIdentity("race-b:5202:20251114T180700", "race-b", 5202, STARTED + dt.timedelta(minutes=2))
REFRESHED = "cup at 2025-11-14 19:00 UTC"


async def beat_both(pool: asyncpg.Pool) -> None:
    """Two processes over shards 0 and 1 of 2 report themselves; the first leads."""
    await Registry(pool, LEADER).beat(
        shard_ids=[0], shard_count=2, guilds=1_204, latency_ms=41.6, leader=True, last_refresh=REFRESHED
    )
    await Registry(pool, FOLLOWER).beat(
        shard_ids=[1], shard_count=2, guilds=998, latency_ms=None, leader=False, last_refresh=None
    )


async def test_the_status_lists_each_process_with_its_shards_servers_latency_and_role(pool: asyncpg.Pool):
    await beat_both(pool)
    processes, waiting, now = await read_status(pool)
    assert [(p.host, p.pid, p.shard_ids, p.shard_count) for p in processes] == [
        ("race-a", 4101, (0,), 2),
        ("race-b", 5202, (1,), 2),
    ]
    leader, follower = processes
    assert (leader.guilds, leader.latency_ms, leader.leader, leader.last_refresh) == (1_204, 41.6, True, REFRESHED)
    assert (follower.guilds, follower.latency_ms, follower.leader, follower.last_refresh) == (998, None, False, None)
    assert (leader.started_at, leader.state(now), follower.state(now)) == (STARTED, "running", "running")
    assert waiting == 0
    assert abs((now - leader.seen_at).total_seconds()) < 60  # PostgreSQL's clock, for every machine alike


async def test_a_new_beat_replaces_the_processs_line(pool: asyncpg.Pool):
    await beat_both(pool)
    await Registry(pool, FOLLOWER).beat(
        shard_ids=[1], shard_count=2, guilds=1_000, latency_ms=38.0, leader=True, last_refresh=REFRESHED
    )
    processes, _, _ = await read_status(pool)
    assert [(p.host, p.guilds, p.leader) for p in processes] == [("race-a", 1_204, True), ("race-b", 1_000, True)]


def status(**changes: object) -> ProcessStatus:
    values: dict[str, object] = {
        "process_id": LEADER.process_id,
        "host": "race-a",
        "pid": 4101,
        "shard_ids": (0, 2),
        "shard_count": 4,
        "guilds": 12_345,
        "latency_ms": 41.6,
        "leader": True,
        "last_refresh": REFRESHED,
        "started_at": STARTED,
        "seen_at": dt.datetime(2025, 11, 14, 20, 30, 5, tzinfo=dt.UTC),
        "stopped_at": None,
    }
    return ProcessStatus(**(values | changes))  # type: ignore[arg-type]  # the fields' own types, as listed


def test_a_process_shows_as_three_lines():
    now = dt.datetime(2025, 11, 14, 20, 30, 15, tzinfo=dt.UTC)
    assert status().lines(now) == [
        "race-a pid 4101 (running, leader, up since 2025-11-14 18:05 UTC)",
        "  shards 0, 2 of 4; 12,345 servers; gateway latency 42 ms",
        "  last refresh: cup at 2025-11-14 19:00 UTC; last heard from 20:30:05 UTC",
    ]
    quiet = status(leader=False, latency_ms=None, last_refresh=None).lines(now)
    assert quiet[0] == "race-a pid 4101 (running, follower, up since 2025-11-14 18:05 UTC)"
    assert quiet[1].endswith("gateway latency not measured yet")
    assert quiet[2].startswith("  last refresh: none yet;")


def test_a_process_silent_for_two_minutes_shows_as_not_answering_and_a_stopped_one_as_stopped():
    now = dt.datetime(2025, 11, 14, 20, 32, 5, tzinfo=dt.UTC)
    assert status().state(now) == "not answering for 120 s"
    assert status().lines(now)[0].startswith("race-a pid 4101 (not answering for 120 s, last seen leading, ")
    assert status(seen_at=now - dt.timedelta(seconds=30)).state(now) == "running"
    stopped = status(stopped_at=now - dt.timedelta(minutes=3))
    assert stopped.lines(now)[0] == "race-a pid 4101 (stopped, follower, up since 2025-11-14 18:05 UTC)"


async def test_a_process_not_heard_from_shows_as_not_answering_and_one_that_stopped_as_stopped(pool: asyncpg.Pool):
    await beat_both(pool)
    query = "UPDATE cluster_processes SET seen_at = now() - interval '2 minutes' WHERE process_id = $1"
    await pool.execute(query, LEADER.process_id)
    await Registry(pool, FOLLOWER).stopped()
    processes, _, now = await read_status(pool)
    states = {p.host: p.state(now) for p in processes}
    assert states["race-a"].startswith("not answering for 1") and states["race-a"].endswith(" s")
    assert states["race-b"] == "stopped"
    assert [p.host for p in processes] == ["race-a", "race-b"]  # the stopped last
    assert not processes[1].leader


# --- python -m bot status -----------------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Run main() in-process as the CLI tests do: no Discord settings of the caller's, its logging set-up undone."""
    own = ("DISCORD_", "DATABASE_", "DEV_GUILD", "LOG_LEVEL", "SHARD_", "EXTRA_EXTENSIONS", "RACE_FEED", "FOLLOW_")
    for name in list(os.environ):
        if name.startswith(own):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "pitboard.db"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield monkeypatch
    root.handlers[:] = handlers
    root.setLevel(level)


def prepare(url: str, *, silent: bool = False) -> None:
    """Have the two processes report themselves in url's database (the leader silent for two minutes, if asked)."""

    async def run() -> None:
        pool = await connect_pool(url, max_size=1)
        try:
            await migrate(pool)
            await beat_both(pool)
            await pool.execute(
                "INSERT INTO outbox (guild_id, kind, subject, decided_by, decided_at) "
                "VALUES (111, 'results', 'truck/2025/4', $1, now())",
                LEADER.process_id,
            )
            if silent:
                await pool.execute("UPDATE cluster_processes SET seen_at = now() - interval '2 minutes'")
        finally:
            await pool.close()

    asyncio.run(run())


def test_status_prints_each_running_process_and_the_leader(
    environment: pytest.MonkeyPatch, postgres_url: str, capsys: pytest.CaptureFixture[str]
):
    prepare(postgres_url)
    environment.setenv("DATABASE_URL", postgres_url)
    assert main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("PostgreSQL 127.0.0.1:") and out[0].endswith(": 2 running, 0 not")
    assert out[1].startswith("race-a pid 4101 (running, leader, up since 2025-11-14 18:05 UTC)")
    assert out[2] == "  shards 0 of 2; 1,204 servers; gateway latency 42 ms"
    assert out[4].startswith("race-b pid 5202 (running, follower, ")
    assert out[5] == "  shards 1 of 2; 998 servers; gateway latency not measured yet"
    assert out[-1] == "Servers: 2,202; leader: race-a pid 4101; posts waiting in the outbox: 1"
    assert len(out) == 8


def test_status_exits_1_when_no_process_runs(
    environment: pytest.MonkeyPatch, postgres_url: str, capsys: pytest.CaptureFixture[str]
):
    environment.setenv("DATABASE_URL", postgres_url)
    assert main(["status"]) == 1  # a database no process ever used: its tables are made, and found empty
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(": 0 running, 0 not")
    assert out[-1] == "Servers: 0; leader: none right now; posts waiting in the outbox: 0"


def test_status_exits_1_when_every_process_stopped_answering(
    environment: pytest.MonkeyPatch, postgres_url: str, capsys: pytest.CaptureFixture[str]
):
    prepare(postgres_url, silent=True)
    environment.setenv("DATABASE_URL", postgres_url)
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert ": 0 running, 2 not" in out.splitlines()[0]
    assert out.count("not answering for 1") == 2
    assert "leader: none right now" in out


def test_status_without_database_url_says_so_in_one_line(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    assert main(["status"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("status reads what the running processes report in PostgreSQL; set DATABASE_URL")
