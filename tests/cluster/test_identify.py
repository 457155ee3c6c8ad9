"""Identify turns across processes: one bucket's identifies are spaced apart, different buckets do not wait.

Two IdentifyGate objects on one pool stand for two processes (each takes its turn on a connection of its own). A
small spacing keeps the tests short; the times measured check the order and spacing of the turns, not speed.
"""

import asyncio
import time

import asyncpg

from bot.cluster.identify import IdentifyGate

SPACING = 0.3
# A turn is noted just before its transaction commits, and the next one is spaced from that note; the first
# process learns of its turn a commit's round trip later. Far below the spacing itself.
COMMIT = 0.05


async def turn(gate: IdentifyGate, shard_id: int, max_concurrency: int) -> tuple[float, float]:
    """Wait for shard_id's turn; return when it came (time.monotonic) and the seconds it waited."""
    waited = await gate.wait_turn(shard_id, max_concurrency)
    return time.monotonic(), waited


async def test_two_shards_of_one_bucket_identify_a_spacing_apart(pool: asyncpg.Pool):
    one, two = IdentifyGate(pool, spacing=SPACING), IdentifyGate(pool, spacing=SPACING)
    (first, first_waited), (second, second_waited) = await asyncio.gather(turn(one, 0, 1), turn(two, 1, 1))
    assert abs(second - first) >= SPACING - COMMIT
    assert sorted([first_waited, second_waited])[0] == 0.0  # the bucket's first identify waits for nobody
    assert max(first_waited, second_waited) > SPACING / 2


async def test_a_shard_identifying_after_the_spacing_has_passed_does_not_wait(pool: asyncpg.Pool):
    gate = IdentifyGate(pool, spacing=SPACING)
    assert await gate.wait_turn(0, 1) == 0.0
    began = time.monotonic()
    assert await gate.wait_turn(1, 1) > 0.0
    assert time.monotonic() - began >= SPACING - COMMIT
    await asyncio.sleep(SPACING)
    assert await gate.wait_turn(2, 1) == 0.0


async def test_shards_of_different_buckets_do_not_wait_for_each_other(pool: asyncpg.Pool):
    one, two = IdentifyGate(pool, spacing=SPACING), IdentifyGate(pool, spacing=SPACING)
    began = time.monotonic()
    turns = await asyncio.gather(turn(one, 0, 2), turn(two, 1, 2))
    assert [waited for _, waited in turns] == [0.0, 0.0]
    assert max(at for at, _ in turns) - began < SPACING

    # At once again: shards 2 and 3 each wait for their own bucket's last identify, side by side, not in a queue.
    turns = await asyncio.gather(turn(one, 2, 2), turn(two, 3, 2))
    assert all(waited > 0.0 for _, waited in turns)
    (at_two, _), (at_three, _) = turns
    assert abs(at_two - at_three) < SPACING / 2
