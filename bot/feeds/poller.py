"""The running bot reads NASCAR's feeds on its own (RACE_FEED=on): the schedule, race-day results, the standings.

One background task asks for what bot.feeds.plan says is due, then sleeps until the next thing is: the season's
race list (with the schedule feed's TV and offsets, and the standings) a few times a day, and each race's weekend
feed about once a minute from its start until NASCAR's inspection is complete. Every weekend feed that changed and
holds results is handed to the injected importer. The host failing or refusing is the client's to log (once) and
back off from; nothing here ever stops the bot.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from bot.background import BackgroundJob
from bot.feeds.client import FeedError, FeedSource, FeedUnavailableError, utc_now
from bot.feeds.parse import (
    SERIES_IDS,
    FeedShapeError,
    schedule_entries,
    standing_entries,
    tv_listings,
    weekend_progress,
)
from bot.feeds.plan import RaceWatch, race_list_due, under_way, weekend_due
from bot.store.schedule import ScheduledRace, ScheduleStore

log = logging.getLogger(__name__)

FOLLOW_COPIES_EVERY = dt.timedelta(seconds=15)  # a process that does not lead looks for the leader's new files
START_DELAY = 10.0  # seconds after start before the first request: the gateway connects first
LONGEST_SLEEP = dt.timedelta(hours=1)  # the plan is read again at least hourly, so a changed clock heals
AFTER_CRASH = dt.timedelta(minutes=15)

ImportWeekend = Callable[[dict[str, Any]], Awaitable[object]]


def race_list_path(season: int) -> str:
    """Return the path of a season's race list (every series in one file)."""
    return f"/cacher/{season}/race_list_basic.json"


def schedule_path(season: int, series: str) -> str:
    """Return the path of a series' schedule feed, with TV and starts carrying an offset."""
    return f"/cacher/{season}/{SERIES_IDS[series]}/schedule-combined-feed.json"


def weekend_path(season: int, series: str, race_id: int) -> str:
    """Return the path of one race's weekend feed."""
    return f"/cacher/{season}/{SERIES_IDS[series]}/{race_id}/weekend-feed.json"


def standings_path(season: int, series: str) -> str:
    """Return the path of a series' drivers-points file."""
    number = SERIES_IDS[series]
    return f"/cacher/{season}/{number}/final/{number}-drivers-points.json"


def _watch(race: ScheduledRace) -> RaceWatch:
    return RaceWatch(
        race.nascar_race_id, race.start, race.results_complete, race.inspection_complete, race.weekend_checked_at
    )


class FeedCopies(Protocol):
    """The leader's copies of the feed files, for the cluster's other processes (bot.cluster.feeds.SharedFeeds)."""

    async def changed_since_last_look(self) -> set[str]:
        """Return the URLs whose copy changed since this process last asked (every URL, the first time)."""
        ...


class FeedPoller:
    """Poll NASCAR's feeds for the followed series, gently, in the background."""

    def __init__(
        self,
        store: ScheduleStore,
        client: FeedSource,
        *,
        series: Sequence[str],
        import_weekend: ImportWeekend,
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        start_delay: float = START_DELAY,
        copies: FeedCopies | None = None,
        decides: Callable[[], bool] = lambda: True,
    ) -> None:
        self.store = store
        self.client = client
        # In a cluster: the leader's copies of what it fetched, which the other processes import (bot.cluster.feeds).
        self.copies = copies
        self.decides = decides  # whether this process asks the host (alone: always; in a cluster: the leader)
        self.series = tuple(code for code in series if code in SERIES_IDS)
        self.import_weekend = import_weekend  # stores a weekend-feed.json (the importer's parser and store method)
        self.clock = clock
        self.sleep = sleep
        self.start_delay = start_delay
        self._race_list_tried: dict[int, dt.datetime] = {}  # season -> last attempt, whatever its outcome
        self._standings_due: set[str] = set()  # series whose standings change after a race's results did
        self._import_failed: set[int] = set()  # races whose import failure was logged
        self.rounds = 0  # rounds of polling done, for tests and status
        self._job = BackgroundJob(
            "polling NASCAR's feeds",
            self.poll_due,
            clock=lambda: self.clock(),
            start_delay=lambda: self.start_delay,
            after_crash=AFTER_CRASH,
            sleep=lambda seconds: self.sleep(seconds),
        )

    def start(self) -> None:
        """Start polling in the background (nothing to do when no series is followed)."""
        if self.series:
            self._job.start()

    async def close(self) -> None:
        """Stop polling and close the client's connections."""
        await self._job.close()
        await self.client.close()

    # --- one round ----------------------------------------------------------------------------------------------

    async def poll_due(self) -> dt.datetime:
        """Ask for everything that is due now, and return when the next thing is."""
        if self.copies is not None and not self.decides():
            return await self.catch_up(self.copies)
        now = self.clock()
        season = now.year
        races = await self._watched(season)
        race_day = any(under_way(_watch(race), now) for race in races)
        if race_list_due(await self._race_list_checked(season), now, race_day=race_day) <= now:
            await self.refresh_schedule(season)
            races = await self._watched(season)
        for race in races:
            due = weekend_due(_watch(race), now)
            if due is not None and due <= now:
                await self._poll_weekend(race)
        for series in sorted(self._standings_due):
            await self.refresh_standings(season, series)
        self.rounds += 1
        return await self._next_wake(season)

    async def catch_up(self, copies: "FeedCopies") -> dt.datetime:
        """Import the files the leader fetched since this process last looked; return when to look again.

        The same steps as asking the host, reading the leader's copies instead: the schedule (with its standings)
        when the race list, a schedule feed or a points file changed, and each followed race whose weekend changed.
        """
        now = self.clock()
        season = now.year
        changed = await copies.changed_since_last_look()
        if changed:
            schedule = {self.client.url(race_list_path(season))}
            for series in self.series:
                schedule |= {
                    self.client.url(schedule_path(season, series)),
                    self.client.url(standings_path(season, series)),
                }
            if changed & schedule:
                await self.refresh_schedule(season)
            for race in await self._watched(season):
                if self.client.url(weekend_path(race.season, race.series, race.nascar_race_id)) in changed:
                    await self._poll_weekend(race)
            self.rounds += 1
        return now + FOLLOW_COPIES_EVERY

    async def _watched(self, season: int) -> list[ScheduledRace]:
        return [race for race in await self.store.scheduled_races(None, season) if race.series in self.series]

    async def _race_list_checked(self, season: int) -> dt.datetime | None:
        cached = await self.store.feed_cached(self.client.url(race_list_path(season)))
        moments = [m for m in (cached.fetched_at if cached else None, self._race_list_tried.get(season)) if m]
        return max(moments, default=None)

    async def _next_wake(self, season: int) -> dt.datetime:
        now = self.clock()
        races = [_watch(race) for race in await self._watched(season)]
        race_day = any(under_way(race, now) for race in races)
        wakes = [race_list_due(await self._race_list_checked(season), now, race_day=race_day)]
        wakes += [due for race in races if (due := weekend_due(race, now)) is not None]
        if self._standings_due:
            wakes.append(now + dt.timedelta(minutes=1))
        wake = min(min(wakes), now + LONGEST_SLEEP)
        paused = self.client.paused_until
        return max(wake, paused) if paused is not None else wake

    # --- what is asked for ----------------------------------------------------------------------------------------

    async def refresh_schedule(self, season: int) -> None:
        """Ask for the season's race list, each followed series' schedule feed and standings, and store them."""
        self._race_list_tried[season] = self.clock()
        try:
            fetched = await self.client.fetch(race_list_path(season))
        except FeedError:
            return  # the client logged it once; the plan asks again later
        for series in self.series:
            listings = None
            try:
                listings = tv_listings((await self.client.fetch(schedule_path(season, series))).data)
            except FeedShapeError as error:
                log.info("The %s schedule feed is not as expected (%s); using the race list alone", series, error)
            except FeedError:
                pass  # no TV this time; the race list's times are read in the track's zone
            try:
                entries = schedule_entries(fetched.data, series, season, listings)
            except FeedShapeError as error:
                log.warning("The %d race list is not as expected (%s); keeping the schedule stored", season, error)
                continue
            change = await self.store.save_schedule(series, season, entries, fetched_at=fetched.fetched_at)
            for race_id, before, after in change.moved:
                log.info("Race %d (%s) moved from %s to %s", race_id, series, before, after)
            await self.refresh_standings(season, series)

    async def refresh_standings(self, season: int, series: str) -> None:
        """Ask for a series' points file and store it as the standings after the races run so far."""
        try:
            fetched = await self.client.fetch(standings_path(season, series))
        except FeedUnavailableError:
            return  # still due: asked again once the client's pause is over
        except FeedError:
            self._standings_due.discard(series)
            return
        self._standings_due.discard(series)
        try:
            rows = standing_entries(fetched.data)
        except FeedShapeError as error:
            log.warning("The %s points file is not as expected (%s); keeping the standings stored", series, error)
            return
        if rows:
            await self.store.save_standings(series, season, rows, fetched_at=fetched.fetched_at)

    async def _poll_weekend(self, race: ScheduledRace) -> None:
        """Ask for a race's weekend feed, hand a changed one with results to the importer, and note its progress."""
        now = self.clock()
        results_complete, inspection_complete = race.results_complete, race.inspection_complete
        try:
            fetched = await self.client.fetch(weekend_path(race.season, race.series, race.nascar_race_id))
            progress = weekend_progress(fetched.data)
        except FeedShapeError as error:
            log.warning("The weekend feed of race %d is not as expected: %s", race.nascar_race_id, error)
        except FeedError:
            pass  # logged by the client; asked again as planned
        else:
            imported = True
            if progress.has_results and (fetched.changed or race.nascar_race_id in self._import_failed):
                imported = await self._import(race, fetched.data)
            if imported:
                results_complete = results_complete or progress.results_complete
                inspection_complete = progress.inspection_complete and results_complete
                if inspection_complete:
                    log.info(
                        "Race %d (%s) is official; its feed is not asked for again", race.nascar_race_id, race.name
                    )
            else:
                # Not stored: the race stays followed, and its kept copy goes, so the next answer (after a restart
                # too) is a whole, changed one that is imported again.
                await self.store.forget_feed(fetched.url)
        await self.store.set_weekend_state(
            race.nascar_race_id,
            results_complete=results_complete,
            inspection_complete=inspection_complete,
            checked_at=now,
        )

    async def _import(self, race: ScheduledRace, data: dict[str, Any]) -> bool:
        """Hand a weekend feed to the importer; return whether it was stored (a failure is logged once)."""
        try:
            await self.import_weekend(data)
        except Exception:
            if race.nascar_race_id not in self._import_failed:
                self._import_failed.add(race.nascar_race_id)
                log.exception("Importing the weekend feed of race %d (%s) failed", race.nascar_race_id, race.name)
            return False
        self._import_failed.discard(race.nascar_race_id)
        self._standings_due.add(race.series)  # the points move with the results
        return True
