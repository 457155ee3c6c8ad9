"""The outbox: the leader's decisions are written once, sent by the process running each server's shard, once.

Two Outbox objects with two process ids on one database stand for two processes. A process that dies holding a
claim is simulated by moving its claim back in time, as the clock would over two minutes.
"""

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from bot.cluster.outbox import Outbox, OutboxSender
from bot.posts import PRE_RACE_CARD, RESULTS_CARD, NotHereYetError, Post
from tests.fakediscord.fixtures import ErrorLog

SHARD_ZERO = (111, (2 << 22) + 5)  # (guild_id >> 22) % 2 == 0
SHARD_ONE = ((1 << 22) + 111, (3 << 22) + 7)  # (guild_id >> 22) % 2 == 1
CARD = Post(SHARD_ZERO[0], RESULTS_CARD, "truck/2025/4", "v1", channel_id=1_001, mod_channel_id=1_002)
WAIT = 10  # seconds: far below the sweep's own 60 s in the notice test, so only the notice can have woken it


def card(guild_id: int, kind: str = RESULTS_CARD) -> Post:
    return Post(guild_id, kind, "truck/2025/4", "v1", channel_id=guild_id * 10 + 1)


@pytest.fixture
def leader(pool: asyncpg.Pool) -> Outbox:
    return Outbox(pool, "host-a:100:20251114T203015")


@pytest.fixture
def other(pool: asyncpg.Pool) -> Outbox:
    return Outbox(pool, "host-b:200:20251114T203016")


async def row(pool: asyncpg.Pool, post: Post) -> asyncpg.Record:
    """Return the newest outbox row of a decision."""
    query = "SELECT * FROM outbox WHERE guild_id = $1 AND kind = $2 AND subject = $3 ORDER BY id DESC LIMIT 1"
    found = await pool.fetchrow(query, post.guild_id, post.kind, post.subject)
    assert found is not None, post
    return found


# --- put -------------------------------------------------------------------------------------------------------


async def test_a_decision_is_written_once_while_it_waits_and_again_once_done(
    pool: asyncpg.Pool, leader: Outbox, other: Outbox
):
    assert await leader.put(CARD)
    assert not await leader.put(CARD)  # the leader decided it again on its next pass: still one post
    assert not await other.put(CARD)  # or a new leader did
    assert await leader.waiting() == 1
    written = await row(pool, CARD)
    assert (written["channel_id"], written["mod_channel_id"], written["decided_by"]) == (
        1_001,
        1_002,
        leader.process_id,
    )

    assert await leader.put(Post(CARD.guild_id, CARD.kind, CARD.subject, "v2 official"))  # a new edit of it
    assert await leader.waiting() == 2

    (claimed, _) = await other.claim(2, [0])
    assert claimed.post == CARD
    await other.finish(claimed, "sent")
    assert await leader.waiting() == 1
    assert await leader.put(CARD)  # decided again once done (its channel fixed, say): written anew
    assert await leader.waiting() == 2


async def test_a_written_decision_wakes_the_processes(postgres_url: str, leader: Outbox):
    conn = await asyncpg.connect(postgres_url)
    heard = asyncio.Event()
    try:
        await conn.add_listener("pitboard_outbox", lambda *_: heard.set())
        assert await leader.put(CARD)
        await asyncio.wait_for(heard.wait(), WAIT)
        heard.clear()
        assert not await leader.put(CARD)
        await asyncio.sleep(0.2)
        assert not heard.is_set()  # nothing new was written: nobody is woken for nothing
    finally:
        await conn.close()


# --- claim, finish, put back ------------------------------------------------------------------------------------


async def test_a_process_claims_only_the_servers_on_its_own_shards(leader: Outbox, other: Outbox):
    for guild_id in (*SHARD_ZERO, *SHARD_ONE):
        assert await leader.put(card(guild_id))
    zero = await leader.claim(2, [0])
    assert [c.post.guild_id for c in zero] == list(SHARD_ZERO)  # oldest first
    assert all((c.post.guild_id >> 22) % 2 == 0 for c in zero)
    one = await other.claim(2, [1])
    assert [c.post.guild_id for c in one] == list(SHARD_ONE)
    assert await other.claim(2, [0, 1]) == []  # everything is claimed by now
    assert await other.claim(1, [0]) == []


async def test_a_claim_is_taken_over_only_once_it_expires(pool: asyncpg.Pool, leader: Outbox, other: Outbox):
    assert await leader.put(CARD)
    (claimed,) = await leader.claim(2, [0])
    assert await other.claim(2, [0]) == []  # the first process is sending it

    await pool.execute("UPDATE outbox SET claimed_at = claimed_at - interval '1 minute'")
    assert await other.claim(2, [0]) == []  # a slow send is not a dead process

    await pool.execute("UPDATE outbox SET claimed_at = claimed_at - interval '2 minutes'")  # 3 minutes: it died
    (taken,) = await other.claim(2, [0])
    assert taken.post == CARD and taken.id == claimed.id
    assert (await row(pool, CARD))["claimed_by"] == other.process_id

    await leader.finish(claimed, "sent")  # the first process, back from the dead, no longer owns it
    assert (await row(pool, CARD))["done_at"] is None
    await other.finish(taken, "sent")
    done = await row(pool, CARD)
    assert (done["done_at"] is not None, done["outcome"]) == (True, "sent")
    assert await other.claim(2, [0]) == [] and await leader.waiting() == 0


async def test_a_decision_put_back_is_claimable_again(pool: asyncpg.Pool, leader: Outbox, other: Outbox):
    assert await leader.put(CARD)
    (claimed,) = await leader.claim(2, [0])
    await leader.put_back(claimed)
    assert ((await row(pool, CARD))["claimed_by"], await leader.waiting()) == (None, 1)
    (again,) = await other.claim(2, [0])
    assert again.id == claimed.id and again.post == CARD


# --- the sender -------------------------------------------------------------------------------------------------


class FakeSend:
    """Stands for Announcer.send: answers each server as told, and records what it was asked to post."""

    def __init__(self, answers: dict[int, str | Exception]) -> None:
        self.answers = answers
        self.asked: list[Post] = []

    async def __call__(self, post: Post) -> str:
        self.asked.append(post)
        answer = self.answers[post.guild_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def ready() -> None:
    pass


def sender_of(outbox: Outbox, url: str, send: Callable[[Post], Awaitable[str]], **kwargs: float) -> OutboxSender:
    return OutboxSender(outbox, url, shards=lambda: (2, [0]), send=send, ready=ready, **kwargs)


async def test_a_sweep_marks_each_post_as_it_went(
    pool: asyncpg.Pool, postgres_url: str, leader: Outbox, other: Outbox, discord_errors: ErrorLog
):
    sent, unneeded, behind, broken = (card(g) for g in (111, (2 << 22) + 5, (4 << 22) + 9, (6 << 22) + 3))
    elsewhere = card(SHARD_ONE[0])
    for post in (sent, unneeded, behind, broken, elsewhere):
        assert await leader.put(post)
    send = FakeSend(
        {
            sent.guild_id: "sent",
            unneeded.guild_id: "not needed",
            behind.guild_id: NotHereYetError("truck 2025 round 4 is not in this process's race store yet"),
            broken.guild_id: RuntimeError("a bug in the card"),
        }
    )
    sender = sender_of(other, postgres_url, send)

    assert not await sender.sweep()  # not a full batch: nothing more waits
    assert [p.guild_id for p in send.asked] == [sent.guild_id, unneeded.guild_id, behind.guild_id, broken.guild_id]
    assert ((await row(pool, sent))["outcome"], (await row(pool, unneeded))["outcome"]) == ("sent", "not needed")
    waits = await row(pool, behind)
    assert (waits["done_at"], waits["claimed_by"], waits["outcome"]) == (None, None, None)  # tried again later
    failed = await row(pool, broken)
    assert failed["done_at"] is not None and failed["outcome"] == "failed: see the log"  # not tried every sweep
    assert (await row(pool, elsewhere))["claimed_by"] is None  # another process's shard
    assert sender.sent == 1

    logged = discord_errors.expect(f"Could not make the results post in server {broken.guild_id}")
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], RuntimeError)

    send.asked.clear()
    send.answers[behind.guild_id] = "sent"  # this process's refresh caught up
    assert not await sender.sweep()
    assert send.asked == [behind]
    assert (await row(pool, behind))["outcome"] == "sent"
    assert sender.sent == 2
    assert await leader.waiting() == 1  # the other shard's post alone


async def listening(pool: asyncpg.Pool) -> None:
    """Return once a sender listens for the outbox's notices, and has had time for its first sweep."""
    query = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'pitboard outbox' AND query LIKE 'LISTEN%'
    """
    async with asyncio.timeout(WAIT):
        while not await pool.fetchval(query):  # noqa: ASYNC110 - the server's activity view sends no event
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # past its first sweep, which found nothing


async def posted(pool: asyncpg.Pool, post: Post) -> str:
    """Wait until the decision is done, within WAIT; return its outcome."""
    async with asyncio.timeout(WAIT):
        while (outcome := (await row(pool, post))["outcome"]) is None:  # noqa: ASYNC110 - a table sends no event
            await asyncio.sleep(0.05)
    return outcome


async def test_a_running_sender_posts_a_decision_as_soon_as_it_is_written(
    pool: asyncpg.Pool, postgres_url: str, leader: Outbox, other: Outbox
):
    send = FakeSend({CARD.guild_id: "sent"})
    sender = sender_of(other, postgres_url, send, sweep_every=60.0)
    sender.start()
    try:
        await listening(pool)
        assert await leader.put(CARD)
        assert await posted(pool, CARD) == "sent"
    finally:
        await sender.close()
    assert (send.asked, sender.sent) == ([CARD], 1)


async def test_a_decision_written_while_the_sender_is_busy_does_not_wait_for_the_next_sweep(
    pool: asyncpg.Pool, postgres_url: str, leader: Outbox, other: Outbox
):
    later = card(SHARD_ZERO[1])
    asked: list[Post] = []

    async def send(post: Post) -> str:
        asked.append(post)
        if post == CARD:
            assert await leader.put(later)  # the leader decides the next server's card meanwhile
            await asyncio.sleep(0.2)  # and its notice arrives while this post is still being made
        return "sent"

    sender = sender_of(other, postgres_url, send, sweep_every=60.0)
    sender.start()
    try:
        await listening(pool)
        assert await leader.put(CARD)
        assert await posted(pool, CARD) == "sent"
        assert await posted(pool, later) == "sent"
    finally:
        await sender.close()
    assert asked == [CARD, later]


async def test_a_full_batch_sweeps_again_until_nothing_waits(postgres_url: str, leader: Outbox, other: Outbox):
    guilds = [n << 23 for n in range(1, 26)]  # 25 servers, all on shard 0 of 2
    for guild_id in guilds:
        assert await leader.put(card(guild_id, PRE_RACE_CARD))
    send = FakeSend(dict.fromkeys(guilds, "sent"))
    sender = sender_of(other, postgres_url, send)
    assert await sender.sweep()  # a full batch of 20: more may wait
    assert not await sender.sweep()
    assert [p.guild_id for p in send.asked] == guilds
    assert await leader.waiting() == 0
