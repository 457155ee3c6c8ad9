"""The race-day scheduler: when a pre-race card is due, and a delayed race moving it (before and after it is out)."""

import datetime as dt
from typing import Any
from unittest.mock import AsyncMock, MagicMock
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.announce import Announcer
from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy, race_start
from bot.feeds.parse import schedule_entries
from bot.importers.nascar_feed import read_weekend_feed
from bot.raceday import RaceDay, pre_race_action, pre_race_due
from bot.store import Store
from bot.store.raceday import PRE_RACE, RaceDaySettings
from bot.store.schedule import ScheduledRace, ScheduleEntry
from tests.feeds import weekend_feeds
from tests.feeds.schedule_feeds import listed_race, race_list

pytestmark = pytest.mark.backends("sqlite", "postgres")

GUILD, RACE_DAY, BOT_ID, RACE = 111, 226, 999, 5501
START = dt.datetime(2025, 6, 20, 23, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def scheduled(start: dt.datetime | None = START, **changes: Any) -> ScheduledRace:
    values: dict[str, Any] = {
        "nascar_race_id": RACE, "series": "truck", "season": 2025, "name": "Clean Harbors 200",
        "track": "Martinsville Speedway", "start": start, "day": dt.date(2025, 6, 20), "start_basis": "track zone",
        "tv": "FS1", "radio": "MRN", "points_race": True, "round": 12, "scheduled_laps": 200,
        "winner_nascar_driver_id": None, "winner_name": None, "stored_race_id": None, "results_complete": False,
        "inspection_complete": False, "weekend_checked_at": None, "fetched_at": START - dt.timedelta(days=1),
    }  # fmt: skip
    return ScheduledRace(**(values | changes))


def test_the_card_is_due_hours_before_the_start_and_never_after_it():
    assert pre_race_due(START, 3) == START - 3 * HOUR
    assert pre_race_action(scheduled(), 3, None, False, START - 4 * HOUR) == ("wait", START - 3 * HOUR)
    assert pre_race_action(scheduled(), 3, None, False, START - 3 * HOUR) == ("post", None)
    assert pre_race_action(scheduled(), 3, None, False, START - HOUR) == ("post", None)  # late, still before
    assert pre_race_action(scheduled(), 3, None, False, START) == ("none", None)  # the green flag: too late
    assert pre_race_action(scheduled(None), 3, None, False, START) == ("none", None)  # no start announced
    assert pre_race_action(scheduled(results_complete=True), 3, None, False, START - HOUR) == ("none", None)


def test_a_delayed_race_moves_the_card():
    later = START + dt.timedelta(hours=17)  # rained out: Saturday noon, Eastern
    # Not posted yet: the card waits for the new start.
    assert pre_race_action(scheduled(later), 3, None, False, START - 3 * HOUR) == ("wait", later - 3 * HOUR)
    # Posted for the old start: edited to the new one (once; then it shows the new start).
    assert pre_race_action(scheduled(later), 3, START, True, START - HOUR) == ("edit", None)
    assert pre_race_action(scheduled(later), 3, later, True, START - HOUR) == ("none", None)
    # Claimed but not known to be out (a crash, a failure): never posted again.
    assert pre_race_action(scheduled(), 3, None, True, START - HOUR) == ("none", None)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def entry(start: dt.datetime) -> ScheduleEntry:
    day = start.astimezone(ZoneInfo("America/New_York")).date()  # Martinsville's day
    return ScheduleEntry(
        RACE, "truck", 2025, "Clean Harbors 200", "Martinsville Speedway", 14, start, day, "track zone", "FS1", "MRN",
        1, True, 200, 105.2, None,
    )  # fmt: skip


def fake_client() -> tuple[MagicMock, MagicMock, AsyncMock]:
    """Return Pit Board's client, the race-day channel it posts in, and the edit of a posted message."""
    client = MagicMock(spec=discord.Client)
    client.user = MagicMock(spec=discord.ClientUser)
    client.user.id = BOT_ID
    channel = MagicMock(spec=discord.TextChannel)
    channel.id = RACE_DAY
    message = MagicMock(spec=discord.Message)
    message.id = 7000
    channel.send = AsyncMock(return_value=message)
    client.get_channel.side_effect = {RACE_DAY: channel}.get
    edit = AsyncMock()
    client.get_partial_messageable.return_value.get_partial_message.return_value.edit = edit
    return client, channel, edit


@pytest.fixture
async def scheduler(store: Store) -> tuple[RaceDay, Clock, MagicMock, AsyncMock]:
    client, channel, edit = fake_client()
    catalog = Catalog(store)
    clock = Clock(START - 5 * HOUR)
    spoilers = SpoilerPolicy(catalog.guild_settings, clock=clock)
    announcer = Announcer(client, store, catalog, spoilers, ("truck",))
    made = RaceDay(client, store, catalog, spoilers, announcer, follow_series=("truck",), clock=clock)
    await store.set_race_day(
        RaceDaySettings(GUILD, enabled=True, channel_id=RACE_DAY, hours_before=3), 1, detail="race-day posts on"
    )
    return made, clock, channel, edit


async def test_the_scheduler_posts_once_when_due_and_follows_a_postponement(
    scheduler: tuple[RaceDay, Clock, MagicMock, AsyncMock], store: Store
):
    made, clock, channel, edit = scheduler
    await store.save_schedule("truck", 2025, [entry(START)], fetched_at=clock.now)
    assert await made.poll_due() == clock.now + HOUR  # due at 20:00; the schedule is read again hourly
    clock.now = START - 3 * HOUR - dt.timedelta(minutes=30)
    assert await made.poll_due() == START - 3 * HOUR
    channel.send.assert_not_called()

    # Rain: NASCAR moves the race to Saturday before its card is due; the card waits for the new time.
    later = START + dt.timedelta(hours=17)
    await store.save_schedule("truck", 2025, [entry(later)], fetched_at=clock.now)
    clock.now = START - 3 * HOUR
    await made.poll_due()
    channel.send.assert_not_called()
    clock.now = later - 3 * HOUR
    await made.poll_due()
    await made.poll_due()
    channel.send.assert_awaited_once()
    assert channel.send.await_args.kwargs["allowed_mentions"].roles is False  # no ping unless asked for
    post = await store.race_day_post(GUILD, RACE, PRE_RACE)
    assert post is not None and (post.status, post.message_id, post.shown_start) == ("sent", 7000, later)

    # Moved again after the card went out: the same card is edited to the new start, once.
    latest = later + 2 * HOUR
    await store.save_schedule("truck", 2025, [entry(latest)], fetched_at=clock.now)
    await made.poll_due()
    await made.poll_due()
    edit.assert_awaited_once()
    assert "Moved" in edit.await_args.kwargs["embed"].description
    channel.send.assert_awaited_once()
    moved = await store.race_day_post(GUILD, RACE, PRE_RACE)
    assert moved is not None and moved.shown_start == latest


async def test_no_pre_race_card_until_the_start_is_announced_then_one(
    scheduler: tuple[RaceDay, Clock, MagicMock, AsyncMock], store: Store
):
    made, clock, channel, _ = scheduler

    async def save_listed(race_date: str) -> None:
        listed = listed_race(RACE, "Clean Harbors 200", "Martinsville Speedway", race_date)
        entries = schedule_entries(race_list([listed]), "truck", 2025)
        await store.save_schedule("truck", 2025, entries, fetched_at=clock.now)

    # NASCAR's midnight: the day, time not announced. Read as a start (04:00 UTC), the card would have been due
    # at 01:00 UTC, 21:00 at the track the night before.
    await save_listed("2025-06-20T00:00:00")
    for now in (dt.datetime(2025, 6, 20, 1, 0, tzinfo=dt.UTC), START - 3 * HOUR, START - HOUR):
        clock.now = now
        assert await made.poll_due() == now + HOUR  # nothing due: read again within the hour
    channel.send.assert_not_called()
    assert await store.race_day_post(GUILD, RACE, PRE_RACE) is None

    # The time is announced (19:00 EDT): the card goes out once, hours_before the start.
    clock.now = START - 4 * HOUR
    await save_listed("2025-06-20T19:00:00")
    assert await made.poll_due() == START - 3 * HOUR
    channel.send.assert_not_called()
    clock.now = START - 3 * HOUR
    await made.poll_due()
    await made.poll_due()
    channel.send.assert_awaited_once()
    post = await store.race_day_post(GUILD, RACE, PRE_RACE)
    assert post is not None and (post.status, post.shown_start) == ("sent", START)


async def test_a_channel_that_is_gone_is_reported_once_and_stops_the_cards(
    scheduler: tuple[RaceDay, Clock, MagicMock, AsyncMock], store: Store
):
    made, clock, channel, _ = scheduler
    channel.send.side_effect = discord.NotFound(MagicMock(status=404), "Unknown Channel")
    await store.save_schedule("truck", 2025, [entry(START)], fetched_at=clock.now)
    clock.now = START - 2 * HOUR
    await made.poll_due()
    await made.poll_due()
    channel.send.assert_awaited_once()
    (stop,) = await store.post_stops(GUILD)
    assert stop.kind == PRE_RACE and "race-day" in stop.reason
    assert await store.race_day_post(GUILD, RACE, PRE_RACE) is None  # nothing went out: posted once fixed


async def test_a_feed_races_spoiler_window_runs_from_the_start_the_feed_gave_and_moves_with_it(store: Store):
    feed = weekend_feeds.martinsville_truck()
    report = await store.import_feed_race(read_weekend_feed(feed, source="test"), round_=12)
    race = await store.race(report.race_id)
    assert race is not None and race.start_utc == START and race_start(race) == START
    summary = next(r for r in await store.race_summaries() if r.id == report.race_id)
    assert summary.start_utc == START
    # Rained out to Saturday noon: NASCAR moves the race's date, and the window moves with the next import.
    feed["weekend_race"][0]["race_date"] = feed["weekend_race"][0]["date_scheduled"] = "2025-06-21T12:00:00"
    await store.import_feed_race(read_weekend_feed(feed, source="test"))
    moved = await store.race(report.race_id)
    assert moved is not None and race_start(moved) == dt.datetime(2025, 6, 21, 16, 0, tzinfo=dt.UTC)
