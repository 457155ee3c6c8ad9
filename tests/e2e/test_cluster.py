"""Two `python -m bot` processes, each over one of two shards, one fake Discord, one PostgreSQL: one bot.

Servers on both shards; each interaction goes to the process holding its shard and is answered once; identifies
take turns across the processes; one process leads, syncs the commands and decides the race-day cards, which the
process holding each server's shard sends, once; a setting written through one process is acted on by the other;
killing the leader hands the lead to the other, which goes on deciding, and nothing is posted twice.
"""

import asyncio
import datetime as dt
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.config import PROJECT_ROOT
from bot.feeds.poller import race_list_path
from tests.e2e.conftest import TOKEN, text_of
from tests.fakediscord.models import OWNER, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord
from tests.feed_host import FeedHost, feed_host
from tests.feeds.schedule_feeds import listed_race, race_list

SHARD_ZERO = (111, 112)  # (guild_id >> 22) % 2 == 0
SHARD_ONE = ((1 << 22) + 111, (3 << 22) + 112)  # (guild_id >> 22) % 2 == 1
RACE = 7_001
EASTERN = ZoneInfo("America/New_York")


def guild(guild_id: int) -> FakeGuild:
    """A server with a chat channel and a race-day channel, numbered after it."""
    return FakeGuild(
        id=guild_id,
        name=f"Server {guild_id}",
        channels=[FakeChannel(guild_id * 10 + 1, "race-chat", position=0), FakeChannel(race_day(guild_id), "race-day")],
        members=[FakeMember(OWNER)],
        bot_role_id=guild_id * 10 + 4,
    )


def race_day(guild_id: int) -> int:
    return guild_id * 10 + 2


pytestmark = pytest.mark.fake_discord(guilds=[guild(g) for g in (*SHARD_ZERO, *SHARD_ONE)], shard_count=2)


class BotProcess:
    """One `python -m bot` over a slice of the shards, its log read as it comes."""

    def __init__(self, name: str, environment: dict[str, str]) -> None:
        self.name = name
        self.environment = environment
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=PROJECT_ROOT,
            env=self.environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode(errors="replace"))

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def wait_for(self, text: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        async def scan() -> None:
            while not self.said(text):
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited early:\n{self.log}")
                await asyncio.sleep(0.1)

        try:
            await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name} never logged {text!r}:\n{self.log}") from None

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 10)
        return code


@pytest.fixture
def host() -> Iterator[FeedHost]:
    """NASCAR's feed host: this season's race list with one Truck race at Martinsville, two hours from now."""
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).astimezone(EASTERN).replace(second=0, microsecond=0)
    if (start.hour, start.minute) == (0, 0):
        start += dt.timedelta(minutes=1)  # exactly midnight would read as "time not announced"
    race = listed_race(RACE, "Cluster 200", "Martinsville Speedway", start.strftime("%Y-%m-%dT%H:%M:%S"))
    race["race_season"] = start.year
    with feed_host() as running:
        running.publish(race_list_path(start.year), race_list([race]))
        yield running


@pytest.fixture
async def cluster(
    fake_discord: FakeDiscord, host: FeedHost, postgres_url: str, seeded_file: Path, tmp_path: Path
) -> AsyncIterator[list[BotProcess]]:
    """The two processes, started together, both logged in."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_", "DEV_GUILD"))}
    processes = []
    for shard in (0, 1):
        database = tmp_path / f"node{shard}.db"  # each process its own copy of the races
        shutil.copyfile(seeded_file, database)
        environment = base | {
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_PATH": str(database),
            "DATABASE_URL": postgres_url,
            "SHARD_COUNT": "2",
            "SHARD_IDS": str(shard),
            "DISCORD_API_BASE": fake_discord.api_base,
            "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
            "LOG_LEVEL": "INFO",
            "FOLLOW_SERIES": "truck",
            "RACE_FEED": "on",
            "NASCAR_FEED_URL": host.url,
            "NASCAR_DATA_URL": "http://127.0.0.1:9",  # nothing listens: each process logs it is offline, once
        }
        processes.append(BotProcess(f"shard {shard}", environment))
    try:
        await asyncio.gather(*(process.start() for process in processes))
        await asyncio.gather(*(process.wait_for("Ready as") for process in processes))
        yield processes
    finally:
        codes = [await process.stop() for process in processes]
        for process, code in zip(processes, codes, strict=True):
            assert "Traceback" not in process.log, process.log
            assert TOKEN not in process.log
            assert code in (0, -signal.SIGKILL), process.log


def leader_of(processes: list[BotProcess]) -> list[BotProcess]:
    return [p for p in processes if p.said("now leads the cluster")]


async def one_leader(processes: list[BotProcess], timeout: float = 30.0) -> BotProcess:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not leader_of(processes):
        assert asyncio.get_running_loop().time() < deadline, "no process took the lead"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second would-be leader would have said so by now
    (leader,) = leader_of(processes)
    return leader


def posts_in(fake: FakeDiscord, channel_id: int) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.ok and r.path == f"/channels/{channel_id}/messages"]


async def wait_until(condition: Any, what: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def turn_race_day_on(fake: FakeDiscord, guild_id: int) -> None:
    interaction = await fake.send_slash(
        "manage settings race-day",
        {"state": "on", "channel": race_day(guild_id), "hours_before": 3},
        user=OWNER,
        guild_id=guild_id,
        channel_id=guild_id * 10 + 1,
    )
    answer = await interaction.wait_response(timeout=15)
    assert text_of(answer).startswith("Done:"), text_of(answer)


async def senders(postgres_url: str) -> dict[int, set[int]]:
    """Return, per server, the pids of the processes that sent its decided posts (from the outbox)."""
    conn = await asyncpg.connect(postgres_url)
    try:
        rows = await conn.fetch("SELECT guild_id, claimed_by FROM outbox WHERE outcome = 'sent'")
    finally:
        await conn.close()
    sent: dict[int, set[int]] = {}
    for row in rows:
        sent.setdefault(row["guild_id"], set()).add(int(row["claimed_by"].split(":")[1]))
    return sent


async def test_two_processes_over_two_shards_serve_one_bot(
    cluster: list[BotProcess], fake_discord: FakeDiscord, postgres_url: str
):
    zero, one = cluster
    leader = await one_leader(cluster)
    # Identifies took turns across the processes: Discord's one bucket (max_concurrency 1), 5 seconds apart.
    (first, shard_a), (second, shard_b) = sorted(fake_discord.identifies)
    assert {shard_a, shard_b} == {(0, 2), (1, 2)}
    assert second - first >= 5.0
    # The leader alone synced the command list.
    await fake_discord.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"), timeout=30)

    # Each fan's interaction reached the process holding its server's shard, and was answered once.
    for guild_id, shard in ((SHARD_ZERO[0], (0, 2)), (SHARD_ONE[0], (1, 2))):
        interaction = await fake_discord.send_slash(
            "results", {"top": 3}, guild_id=guild_id, channel_id=guild_id * 10 + 1
        )
        answer = await interaction.wait_response(timeout=15)
        assert "Kyle Larson" in text_of(answer)
        assert fake_discord.interaction_shards[str(interaction.id)] == shard
        await asyncio.sleep(0.5)
        assert len([r for r in fake_discord.requests if r.path == interaction.callback_path]) == 1

    # Race-day posts turned on through each process: the leader reads both settings and decides both cards; each
    # card is sent by the process holding that server's shard, once.
    for guild_id in (SHARD_ZERO[0], SHARD_ONE[0]):
        await turn_race_day_on(fake_discord, guild_id)
    for guild_id in (SHARD_ZERO[0], SHARD_ONE[0]):
        await wait_until(lambda g=guild_id: posts_in(fake_discord, race_day(g)), f"the pre-race card in {guild_id}")
        assert "Cluster 200" in text_of(posts_in(fake_discord, race_day(guild_id))[0])
    sent = await senders(postgres_url)
    assert sent[SHARD_ZERO[0]] == {zero.pid} and sent[SHARD_ONE[0]] == {one.pid}

    # `python -m bot status` shows both processes, their shards and the leader.
    status = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "status",
        cwd=PROJECT_ROOT,
        env=zero.environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(status.communicate(), 30)
    report = out.decode()
    assert status.returncode == 0, err.decode()
    assert "2 running" in report
    assert f"pid {leader.pid} (running, leader" in report
    assert "shards 0 of 2" in report and "shards 1 of 2" in report

    # The leader dies. The other process leads within a minute, keeps deciding (a server on its own shard turns
    # race-day posts on now, and gets its card), and posts nothing a second time.
    survivor = one if leader is zero else zero
    await leader.kill()
    await survivor.wait_for("now leads the cluster", timeout=60)
    late = SHARD_ONE[1] if survivor is one else SHARD_ZERO[1]
    await turn_race_day_on(fake_discord, late)
    await wait_until(lambda: posts_in(fake_discord, race_day(late)), "the card decided by the new leader")
    await asyncio.sleep(3.0)  # time for any second post to show
    for guild_id in (*SHARD_ZERO, *SHARD_ONE):
        assert len(posts_in(fake_discord, race_day(guild_id))) <= 1, f"server {guild_id} got a card twice"
    assert (await senders(postgres_url))[late] == {survivor.pid}
