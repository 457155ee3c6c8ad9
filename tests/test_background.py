"""The bot's background jobs: a crashed round is logged and tried again later; sleeps are bounded; close stops it."""

import asyncio
import datetime as dt
import logging

import pytest

from bot.background import BackgroundJob

NOON = dt.datetime(2025, 6, 4, 12, 0, tzinfo=dt.UTC)


async def test_a_job_sleeps_until_its_next_round_at_most_an_hour_and_survives_a_crash(
    caplog: pytest.LogCaptureFixture,
):
    now = [NOON]
    slept: list[float] = []
    rounds = iter(
        [
            lambda: NOON + dt.timedelta(minutes=10),  # next round in ten minutes
            lambda: NOON - dt.timedelta(minutes=1),  # overdue: at least a second's pause
            lambda: NOON + dt.timedelta(days=3),  # far off: re-read within an hour
            lambda: 1 / 0,  # a bug
        ]
    )
    finished = asyncio.Event()

    async def round_() -> dt.datetime:
        step = next(rounds, None)
        if step is None:
            finished.set()
            await asyncio.Event().wait()  # park until closed
        assert step is not None
        return step()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    job = BackgroundJob(
        "testing", round_, clock=lambda: now[0], start_delay=lambda: 5.0, after_crash=dt.timedelta(minutes=15),
        sleep=sleep,
    )  # fmt: skip
    job.start()
    await asyncio.wait_for(finished.wait(), 30)
    assert slept == [5.0, 600.0, 1.0, 3600.0, 900.0]
    assert any("Testing failed; trying again in 15 minutes" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
    await job.close()
    assert not job.running
