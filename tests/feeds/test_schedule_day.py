"""A race whose time NASCAR has not announced (midnight in the race list): stored with its day and no start."""

import datetime as dt

from bot.feeds.parse import schedule_entries, tv_listings
from bot.store import Store
from tests.feeds.schedule_feeds import (
    MARTINSVILLE,
    PHOENIX,
    SEASON,
    VEGAS,
    listed_race,
    race_list,
    schedule_feed,
    schedule_item,
    truck_season,
)

FETCHED = dt.datetime(2025, 9, 20, 12, 0, tzinfo=dt.UTC)
VEGAS_DAY = dt.date(2025, 11, 2)


async def save(store: Store, truck: list, listings: dict | None = None) -> None:
    entries = schedule_entries(race_list(truck), "truck", SEASON, listings)
    await store.save_schedule("truck", SEASON, entries, fetched_at=FETCHED)


async def test_a_race_without_a_time_is_stored_with_its_day_and_keeps_its_round(empty_store: Store):
    await save(empty_store, truck_season(vegas="2025-11-02T00:00:00"))
    races = await empty_store.scheduled_races("truck", SEASON)
    assert [(r.nascar_race_id, r.round) for r in races] == [(MARTINSVILLE, 1), (VEGAS, 2), (PHOENIX, 3)]
    vegas = await empty_store.scheduled_race(VEGAS)
    assert vegas is not None and (vegas.start, vegas.day, vegas.start_basis) == (None, VEGAS_DAY, None)
    phoenix = races[2]
    assert phoenix.day == dt.date(2025, 11, 7)  # the day at the track: 17:00 in Arizona is 00:00 UTC the next day
    assert phoenix.start == dt.datetime(2025, 11, 8, 0, 0, tzinfo=dt.UTC)


async def test_the_schedule_feeds_start_with_an_offset_is_the_start(empty_store: Store):
    feed = schedule_feed(
        [schedule_item(VEGAS, "Ecosave 200", "Las Vegas Motor Speedway", "2025-11-02T13:00:00-0800", "FS1")]
    )
    await save(empty_store, truck_season(vegas="2025-11-02T00:00:00"), tv_listings(feed))
    vegas = await empty_store.scheduled_race(VEGAS)
    assert vegas is not None
    assert (vegas.start, vegas.day, vegas.start_basis) == (
        dt.datetime(2025, 11, 2, 21, 0, tzinfo=dt.UTC),
        VEGAS_DAY,
        "offset",
    )


async def test_the_season_orders_by_day_when_a_start_is_not_known(empty_store: Store):
    # A Friday night in Las Vegas starts on Saturday in UTC; Saturday's race with no time still comes after it.
    truck = [
        listed_race(5301, "Saturday 200", "Kansas Speedway", "2025-11-01T00:00:00"),
        listed_race(5302, "Friday Night 150", "Las Vegas Motor Speedway", "2025-10-31T21:00:00"),
        listed_race(5303, "Sunday 250", "Kansas Speedway", "2025-11-02T14:00:00"),
        listed_race(5304, "Saturday Showdown", "Kansas Speedway", "2025-11-01T12:00:00", race_type_id=2),
    ]
    await save(empty_store, truck)
    races = await empty_store.scheduled_races("truck", SEASON)
    assert [(r.name, r.round) for r in races] == [
        ("Friday Night 150", 1),
        ("Saturday Showdown", None),  # an exhibition: a known start comes before a day's race with no time
        ("Saturday 200", 2),
        ("Sunday 250", 3),
    ]
    assert races[0].start == dt.datetime(2025, 11, 1, 4, 0, tzinfo=dt.UTC)


async def test_next_finds_a_race_without_a_time_by_its_day(empty_store: Store):
    await save(empty_store, truck_season(vegas="2025-11-02T00:00:00"))

    async def next_id(after: dt.datetime) -> int | None:
        race = await empty_store.next_scheduled("truck", after)
        return race.nascar_race_id if race else None

    assert await next_id(dt.datetime(2025, 9, 26, 12, 0, tzinfo=dt.UTC)) == MARTINSVILLE
    assert await next_id(dt.datetime(2025, 10, 1, tzinfo=dt.UTC)) == VEGAS
    assert await next_id(dt.datetime(2025, 11, 2, 20, 0, tzinfo=dt.UTC)) == VEGAS  # its day, time still unknown
    assert await next_id(dt.datetime(2025, 11, 3, 1, 0, tzinfo=dt.UTC)) == PHOENIX


async def test_an_announced_time_is_a_move_from_no_start(empty_store: Store):
    await save(empty_store, truck_season(vegas="2025-11-02T00:00:00"))
    entries = schedule_entries(race_list(truck_season(vegas="2025-11-02T13:00:00")), "truck", SEASON)
    change = await empty_store.save_schedule("truck", SEASON, entries, fetched_at=FETCHED)
    start = dt.datetime(2025, 11, 2, 21, 0, tzinfo=dt.UTC)
    assert change.moved == ((VEGAS, None, start),)
    vegas = await empty_store.scheduled_race(VEGAS)
    assert vegas is not None and (vegas.start, vegas.day, vegas.round) == (start, VEGAS_DAY, 2)


async def test_a_row_saved_before_the_day_was_kept_orders_by_its_start(empty_store: Store):
    await save(empty_store, truck_season())
    await empty_store.connection.execute("UPDATE schedule_races SET race_day = NULL")  # as migration 0013 leaves it
    await empty_store.connection.commit()
    races = await empty_store.scheduled_races("truck", SEASON)
    assert [(r.nascar_race_id, r.day) for r in races] == [(MARTINSVILLE, None), (VEGAS, None), (PHOENIX, None)]
    assert await empty_store.next_scheduled("truck", dt.datetime(2025, 10, 1, tzinfo=dt.UTC)) == races[1]
