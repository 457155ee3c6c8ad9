"""The running bot keeps its followed series current: a background task refreshing each one on schedule.

Each refresh is `python -m bot refresh --series X` in a child process, with its own connection to the database: the
download, the parse and the merge never share this process's event loop, thread pool or lock with the fans'
commands, and a refresh that crashes cannot take the bot down. While the child merges a season at a time, the
catalog holds still (Catalog.steady) and moves to the merged data when the child is done.

Offline, the first failure is logged as one warning; further failures are logged quietly until a refresh works
again. Nothing here ever stops the bot.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from bot.background import BackgroundJob
from bot.catalog import Catalog
from bot.follow.schedule import SeriesState, next_refresh
from bot.store import Store, StoreError
from bot.store.coverage import refresh_key

log = logging.getLogger(__name__)

START_DELAY = 5.0  # seconds after start before the first refresh: the gateway connects first
AFTER_CRASH = dt.timedelta(hours=1)  # a round of refreshes that crashed is tried again after this
CHILD_NICENESS = 10  # added to the child's niceness: the scheduler gives the bot's own process about 9x its share
CHILD_TIMEOUT = 1800.0  # seconds a refresh may take before it is stopped (a Cup history merges in well under one)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How one refresh ended: done (file merged or unchanged), or failed with a one-line reason."""

    ok: bool
    reason: str = ""
    bug: bool = False  # the refresh crashed, rather than failing for a reason it could name (offline, a bad file)


class RefreshRunner(Protocol):
    """Refreshes one series, returning how it ended."""

    async def __call__(self, series: str) -> RunOutcome:
        """Refresh the series (its code: truck, nxs or cup) and say how that ended."""
        ...


def utc_now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def _lower_priority() -> None:
    """Run in the child before it starts: lower its scheduling priority (Unix niceness)."""
    os.nice(CHILD_NICENESS)


class ChildRefresh:
    """Run `python -m bot refresh --series X` in a child process against the bot's own database and data host."""

    def __init__(self, *, database_path: Path, data_url: str, timeout: float = CHILD_TIMEOUT) -> None:
        self.database_path = database_path
        self.data_url = data_url
        self.timeout = timeout
        self._children: set[asyncio.subprocess.Process] = set()

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """Return the child's environment: this process's, pointed at the bot's database and data host.

        The token is blanked (a refresh needs none, and the environment beats the .env file), so a child never
        holds it.
        """
        env = dict(base)
        env.update(
            DATABASE_PATH=str(self.database_path),
            NASCAR_DATA_URL=self.data_url,
            DISCORD_TOKEN="",
            PYTHONUNBUFFERED="1",
        )
        return env

    async def __call__(self, series: str) -> RunOutcome:
        """Run one refresh and wait for it; a child past the timeout is stopped."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "refresh",
            "--series",
            series,
            # A lower priority: on a small machine the merge would otherwise take a core from the fans' answers.
            preexec_fn=_lower_priority,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.environment(os.environ),
        )
        self._children.add(process)
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            return RunOutcome(False, f"the refresh took longer than {self.timeout:.0f} s and was stopped", bug=True)
        finally:
            self._children.discard(process)
        for line in out.decode(errors="replace").splitlines():
            log.info("refresh %s: %s", series, line)
        errors = err.decode(errors="replace").strip()
        if process.returncode in (0, 1):
            return RunOutcome(True)
        if process.returncode == 2 and errors and "Traceback" not in errors:
            return RunOutcome(False, errors.splitlines()[-1])
        return RunOutcome(False, f"the refresh exited with status {process.returncode}: {errors}", bug=True)

    def stop(self) -> None:
        """Stop any refresh still running (the bot is closing)."""
        for process in self._children:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


class Follower:
    """Refresh the followed series in the background, soon after start and then every Monday."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        series: Sequence[str],
        refresh: RefreshRunner,
        after: Callable[[], Awaitable[object]] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        start_delay: float | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.series = tuple(series)
        self.refresh = refresh
        self.after = after  # run after each round of refreshes (announcing new races), and once at start
        self.clock = clock
        self.start_delay = start_delay  # None: START_DELAY as it is when following starts (tests shorten it)
        self._failures: dict[str, tuple[int, dt.datetime]] = {}  # series -> failures in a row, the last one's time
        self._warned = False
        self._next: dict[str, dt.datetime] = {}
        self.rounds = 0  # rounds of refreshes done, for whoever waits on them (tests, status)
        self._round_done = asyncio.Event()
        self._job = BackgroundJob(
            "following the season",
            self.refresh_due,
            clock=lambda: self.clock(),
            start_delay=lambda: START_DELAY if self.start_delay is None else self.start_delay,
            after_crash=AFTER_CRASH,
        )

    def start(self) -> None:
        """Start following in the background."""
        if self.series:
            self._job.start()

    async def close(self) -> None:
        """Stop following; a refresh in progress is stopped (the next start merges again, idempotently)."""
        await self._job.close()
        stop = getattr(self.refresh, "stop", None)
        if stop is not None:
            stop()

    async def wait_for_round(self, rounds: int = 1) -> None:
        """Wait until this many rounds of refreshes have finished."""
        while self.rounds < rounds:
            self._round_done.clear()
            await self._round_done.wait()

    def next_refresh(self, series: str) -> dt.datetime | None:
        """Return when a series is refreshed next, once the schedule has been worked out."""
        return self._next.get(series)

    async def _states(self) -> dict[str, SeriesState]:
        status = await self.store.refresh_status(self.series)
        states = {}
        for code in self.series:
            known = status.get(code)
            state = SeriesState(known.refreshed_at, known.changed_at) if known else SeriesState(None, None)
            if code in self._failures:
                failures, failed_at = self._failures[code]
                state = replace(state, failures=failures, failed_at=failed_at)
            states[code] = state
        return states

    async def refresh_due(self) -> dt.datetime:
        """Refresh every series that is due, run what follows a refresh, and return when the next one is due."""
        now = self.clock()
        due = [code for code, state in (await self._states()).items() if next_refresh(now, state) <= now]
        failed: list[tuple[str, str]] = []
        for code in due:
            async with self.catalog.steady():
                outcome = await self.refresh(code)
            if outcome.ok:
                self._failures.pop(code, None)
                continue
            failures = self._failures.get(code, (0, now))[0] + 1
            self._failures[code] = (failures, self.clock())
            if outcome.bug:
                log.error("Refreshing %s from nascaR.data crashed: %s", code, outcome.reason)
            failed.append((code, outcome.reason))
        if failed and not self._warned:
            self._warned = True
            log.warning(
                "Could not refresh %s from nascaR.data (%s); the bot keeps answering from what it has and tries again "
                "later",
                ", ".join(code for code, _ in failed),
                failed[0][1],
            )
        elif failed:
            log.info("Still cannot refresh %s: %s", ", ".join(code for code, _ in failed), failed[0][1])
        elif due:
            self._warned = False
        if (due or not self.rounds) and self.after is not None:
            try:
                await self.after()
            except Exception:
                log.exception("After refreshing %s, what follows a refresh failed", ", ".join(due) or "nothing")
        wake = await self._remember_next()
        self.rounds += 1
        self._round_done.set()
        return wake

    async def _remember_next(self) -> dt.datetime:
        """Work out and remember (for /manage data) when each series is refreshed next; return the earliest."""
        now = self.clock()
        states = await self._states()
        upcoming = {code: max(next_refresh(now, state), now) for code, state in states.items()}
        changed = {
            refresh_key(code, "next_at"): moment.isoformat(timespec="seconds")
            for code, moment in upcoming.items()
            if self._next.get(code) != moment
        }
        self._next = upcoming
        if changed:
            try:
                await self.store.set_meta_values(changed)
            except StoreError as error:  # read-only or busy: /manage data shows an older time, nothing worse
                log.info("Could not remember the next refresh times: %s", error)
        return min(upcoming.values())
