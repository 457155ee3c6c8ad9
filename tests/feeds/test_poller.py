"""The poller on a fake clock against the local feed host: gentle on ordinary days, once a minute on race night."""

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from bot.feeds.client import FeedClient
from bot.feeds.poller import FeedPoller, race_list_path, schedule_path, standings_path, weekend_path
from bot.store import Store
from tests.feed_host import FeedHost, feed_host
from tests.feeds.schedule_feeds import (
    MARTINSVILLE,
    SEASON,
    race_list,
    schedule_feed,
    schedule_item,
    truck_points,
    truck_season,
    weekend,
)

START = dt.datetime(2025, 9, 26, 23, 30, tzinfo=dt.UTC)  # Martinsville, 19:30 EDT
WEEKEND = weekend_path(SEASON, "truck", MARTINSVILLE)
RACE_LIST = race_list_path(SEASON)
STANDINGS = standings_path(SEASON, "truck")


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


class FakeImporter:
    def __init__(self) -> None:
        self.feeds: list[dict[str, Any]] = []

    async def __call__(self, data: dict[str, Any]) -> object:
        self.feeds.append(data)
        return None


@pytest.fixture
def host() -> Iterator[FeedHost]:
    with feed_host() as running:
        running.publish(RACE_LIST, race_list())
        running.publish(STANDINGS, truck_points())
        running.publish(WEEKEND, weekend(MARTINSVILLE))
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 9, 26, 0, 0, tzinfo=dt.UTC))


@pytest.fixture
async def poller(empty_store: Store, host: FeedHost, clock: Clock) -> FeedPoller:
    client = FeedClient(empty_store, host.url, timeout=2.0, clock=clock)
    made = FeedPoller(empty_store, client, series=("truck",), import_weekend=FakeImporter(), clock=clock)
    yield made
    await made.close()


def importer(poller: FeedPoller) -> FakeImporter:
    assert isinstance(poller.import_weekend, FakeImporter)
    return poller.import_weekend


async def run_until(poller: FeedPoller, clock: Clock, end: dt.datetime, on_round: Any = None) -> list[dt.datetime]:
    """Run rounds, moving the clock to each wake-up the poller asks for, until end; return when each round ran."""
    ran = []
    while clock.now < end:
        ran.append(clock.now)
        if on_round is not None:
            on_round(clock.now)
        wake = await poller.poll_due()
        assert wake > clock.now, "the poller must never ask to run again at once"
        clock.now = wake
    return ran


def times(host: FeedHost, path: str) -> int:
    return len(host.asked(path))


async def test_an_ordinary_day_asks_for_the_race_list_four_times(
    poller: FeedPoller, host: FeedHost, clock: Clock, empty_store: Store
):
    await run_until(poller, clock, dt.datetime(2025, 9, 26, 23, 0, tzinfo=dt.UTC))
    assert times(host, RACE_LIST) == 4  # 00:00, 06:00, 12:00, 18:00
    assert times(host, WEEKEND) == 0
    races = await empty_store.scheduled_races("truck", SEASON)
    assert [(r.name, r.round, r.start) for r in races][:1] == [("Long John Silver's 200", 1, START)]
    standings = await empty_store.standings("truck", SEASON)
    assert standings is not None and standings.after_round == 2 and standings.rows[0].driver_name == "Corey Heim"


async def test_race_night_once_a_minute_until_results_then_until_official_then_never(
    poller: FeedPoller, host: FeedHost, clock: Clock, empty_store: Store
):
    results_at = START + dt.timedelta(minutes=95)
    official_at = START + dt.timedelta(minutes=150)

    def race_night(now: dt.datetime) -> None:
        if now == results_at:
            host.publish(WEEKEND, weekend(MARTINSVILLE, finished=3))
        if now == official_at:
            host.publish(WEEKEND, weekend(MARTINSVILLE, finished=3, inspection=True))

    ran = await run_until(poller, clock, START + dt.timedelta(days=2), race_night)
    weekend_rounds = [r for r in ran if START <= r <= official_at]
    assert all(b - a == dt.timedelta(minutes=1) for a, b in itertools.pairwise(weekend_rounds))
    assert times(host, WEEKEND) == 151  # 23:30 to 02:00, once a minute, then never again
    assert [len(feed["weekend_race"][0]["results"]) for feed in importer(poller).feeds] == [3, 3]
    assert importer(poller).feeds[-1]["weekend_race"][0]["inspection_complete"] is True
    race = await empty_store.scheduled_race(MARTINSVILLE)
    assert race is not None and race.results_complete and race.inspection_complete
    assert times(host, STANDINGS) >= 3  # with the race list, and after each import changed the results
    # Back to a few times a day once the race is official: the plan wakes at most hourly to read itself again.
    late = [r for r in ran if r > official_at + dt.timedelta(hours=1)]
    assert len(late) <= 2 * 24 + 2
    assert times(host, RACE_LIST) <= 4 * 2 + 6  # six more on race night: hourly while the race was under way


async def test_a_postponed_race_moves_the_polling(poller: FeedPoller, host: FeedHost, clock: Clock):
    moved = dt.datetime(2025, 9, 27, 16, 0, tzinfo=dt.UTC)  # Saturday noon, EDT

    def rain(now: dt.datetime) -> None:
        if now >= dt.datetime(2025, 9, 26, 22, 0, tzinfo=dt.UTC):
            host.publish(RACE_LIST, race_list(truck_season(martinsville="2025-09-27T12:00:00")))

    ran = await run_until(poller, clock, moved + dt.timedelta(minutes=3), rain)
    assert START in ran  # the race list was read again at the old start (hourly on race day) …
    weekend_asks = [r for r in ran if r >= moved]
    assert times(host, WEEKEND) == len(weekend_asks) == 3  # … so the feed was first asked for at the new start
    assert host.asked(WEEKEND)


async def test_the_schedule_feed_gives_tv_and_the_exact_start(
    poller: FeedPoller, host: FeedHost, clock: Clock, empty_store: Store
):
    item = schedule_item(
        MARTINSVILLE, "Long John Silver's 200", "Martinsville Speedway", "2025-09-26T19:30:00-0400", "FOX"
    )
    host.publish(schedule_path(SEASON, "truck"), schedule_feed([item]))
    await poller.poll_due()
    race = await empty_store.scheduled_race(MARTINSVILLE)
    assert race is not None
    assert (race.start, race.start_basis, race.tv) == (START, "offset", "FOX")


async def test_a_failing_host_never_stops_the_poller(
    poller: FeedPoller, host: FeedHost, clock: Clock, caplog: pytest.LogCaptureFixture
):
    host.fail(503, times=50)
    ran = await run_until(poller, clock, dt.datetime(2025, 9, 26, 3, 0, tzinfo=dt.UTC))
    assert len(ran) < 20  # backing off, not hammering
    warned = [r for r in caplog.records if r.levelname == "WARNING" and r.name == "bot.feeds.client"]
    assert len(warned) == 1


async def test_the_background_task_sleeps_as_told(empty_store: Store, host: FeedHost, clock: Clock):
    slept: list[float] = []
    done = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= 3:
            done.set()
            await asyncio.Event().wait()  # park here until cancelled
        clock.now += dt.timedelta(seconds=seconds)

    client = FeedClient(empty_store, host.url, clock=clock)
    poller = FeedPoller(empty_store, client, series=("truck",), import_weekend=FakeImporter(), clock=clock, sleep=sleep)
    poller.start()
    await asyncio.wait_for(done.wait(), 10)
    await poller.close()
    assert slept[0] == poller.start_delay and slept[1:] == [3600.0, 3600.0]  # the plan is read again hourly


class FailingOnce(FakeImporter):
    """An importer whose first import fails (the database busy with a refresh, say)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def __call__(self, data: dict[str, Any]) -> object:
        if not self.failed:
            self.failed = True
            raise RuntimeError("database is busy")
        return await super().__call__(data)


async def test_an_official_feed_that_failed_to_import_is_asked_for_and_imported_again_after_a_restart(
    empty_store: Store, host: FeedHost, clock: Clock
):
    client = FeedClient(empty_store, host.url, timeout=2.0, clock=clock)
    failing = FailingOnce()
    poller = FeedPoller(empty_store, client, series=("truck",), import_weekend=failing, clock=clock)
    await poller.poll_due()  # the race list
    host.publish(WEEKEND, weekend(MARTINSVILLE, finished=3, inspection=True))
    clock.now = START + dt.timedelta(minutes=150)
    await poller.poll_due()
    assert failing.failed and failing.feeds == []
    race = await empty_store.scheduled_race(MARTINSVILLE)
    assert race is not None and not race.inspection_complete  # still followed: the official results are not stored
    await poller.close()

    # A restart: a new poller, whose first answer for the race is a whole one, imported this time.
    importer_after = FakeImporter()
    client = FeedClient(empty_store, host.url, timeout=2.0, clock=clock)
    again = FeedPoller(empty_store, client, series=("truck",), import_weekend=importer_after, clock=clock)
    clock.now += dt.timedelta(minutes=1)
    await again.poll_due()
    await again.close()
    assert len(importer_after.feeds) == 1
    race = await empty_store.scheduled_race(MARTINSVILLE)
    assert race is not None and race.inspection_complete
