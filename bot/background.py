"""What the bot does by itself, on its own clock: a round of work, then a sleep until the round says it is due again.

Following the season, polling NASCAR's feeds and race-day posts are each one such job. A round that crashes is
logged with its traceback and tried again after a pause: nothing a job does can stop the bot. Every sleep is at
most an hour, so a changed clock or a missed wake-up heals within one.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

LONGEST_SLEEP = dt.timedelta(hours=1)


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a long-running task and wait until it has stopped, wherever it was."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class BackgroundJob:
    """Run one job's rounds in a task of its own, from start() until close()."""

    def __init__(
        self,
        name: str,
        round_: Callable[[], Awaitable[dt.datetime]],
        *,
        clock: Callable[[], dt.datetime],
        start_delay: Callable[[], float],
        after_crash: dt.timedelta,
        before_first: Callable[[], Awaitable[object]] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.name = name  # what the log calls it: "following the season"
        self.round = round_  # does what is due and returns when the next round is
        self.clock = clock
        self.start_delay = start_delay  # read when the job starts (tests shorten it)
        self.after_crash = after_crash
        self.before_first = before_first  # awaited once before the first round (waiting for the gateway, say)
        self.sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._poked = asyncio.Event()

    @property
    def running(self) -> bool:
        """Return whether the job's task was started and has not been closed."""
        return self._task is not None

    def start(self) -> None:
        """Start the job's task (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pitboard-{self.name.replace(' ', '-')}")

    def poke(self) -> None:
        """Run the next round now instead of when it is due (something it depends on changed)."""
        self._poked.set()

    async def close(self) -> None:
        """Stop the job's task, wherever it is."""
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        await self.sleep(self.start_delay())
        if self.before_first is not None:
            await self.before_first()
        while True:
            try:
                wake = await self.round()
            except Exception:
                minutes = int(self.after_crash.total_seconds() // 60)
                log.exception("%s failed; trying again in %d minutes", self.name.capitalize(), minutes)
                wake = self.clock() + self.after_crash
            pause = min(wake - self.clock(), LONGEST_SLEEP).total_seconds()
            await self._sleep_unless_poked(max(pause, 1.0))

    async def _sleep_unless_poked(self, seconds: float) -> None:
        if self._poked.is_set():
            self._poked.clear()
            return
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        poked = asyncio.ensure_future(self._poked.wait())
        try:
            await asyncio.wait((sleeping, poked), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, poked):
                task.cancel()
            await asyncio.gather(sleeping, poked, return_exceptions=True)
        self._poked.clear()
