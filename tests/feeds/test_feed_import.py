"""Importing NASCAR's weekend feed: times, unknowns, drivers, versions, precedence, and the command line."""

import datetime as dt
import io
import json

import pytest

from bot.importers.nascar_data import parse_history
from bot.importers.nascar_feed import FeedFileError, parse_weekend_feed, read_weekend_feed
from bot.store import Store
from bot.store.feeds import FeedMatchError
from tests.feeds import weekend_feeds as feeds
from tests.history_data import history_csv

TRUCK = ("NASCAR Craftsman Truck Series", "truck")


def _race(feed: dict, **kwargs):
    return parse_weekend_feed(json.dumps(feed), **kwargs)


async def _one(store: Store, query: str, params=()) -> list:
    return list(await store.connection.execute_fetchall(query, params))


# --- reading the feed ---------------------------------------------------------------------------------------


def test_eastern_daylight_night_race_is_2300_utc():
    race = _race(feeds.martinsville_truck())
    assert race.race_date == dt.date(2025, 6, 20)
    assert race.start_local == "19:00"
    assert race.start_utc == dt.datetime(2025, 6, 20, 23, 0, tzinfo=dt.UTC)


def test_pacific_standard_time_and_across_the_dst_change():
    before = _race(feeds.vegas_truck(race_date="2025-03-07T19:00:00"))  # PST, UTC-8
    after = _race(feeds.vegas_truck(race_date="2025-03-14T19:00:00"))  # PDT from 9 March, UTC-7
    assert before.start_utc == dt.datetime(2025, 3, 8, 3, 0, tzinfo=dt.UTC)
    assert after.start_utc == dt.datetime(2025, 3, 15, 2, 0, tzinfo=dt.UTC)
    assert _race(feeds.vegas_truck()).start_utc == dt.datetime(2025, 3, 8, 2, 30, tzinfo=dt.UTC)


def test_official_car_number_zeros_and_1900_dates_are_not_recorded():
    race = _race(feeds.martinsville_truck())
    larson = next(e for e in race.entries if e.driver == "Kyle Larson")
    assert (larson.car, larson.feed_car) == ("07", "7")
    assert race.pole_speed is None and race.average_speed is None
    assert race.attendance is None and race.purse is None
    assert race.margin == ".697"
    assert race.stage_laps == (60, 60, 80)
    assert race.status == "provisional"


def test_a_decimal_keeps_its_published_digits():
    feed = feeds.martinsville_truck()
    text = json.dumps(feed).replace('"pole_winner_speed": 0', '"pole_winner_speed": 93.170')
    assert parse_weekend_feed(text).pole_speed == "93.170"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"weekend_runs": []}', "has no race"),
        ('{"weekend_race": [{"race_id": 1}]}', "has no 'race_season'"),
    ],
)
def test_a_broken_feed_is_one_line_naming_what_is_wrong(text, message):
    with pytest.raises(FeedFileError, match=message) as caught:
        parse_weekend_feed(text, source="feed.json")
    assert "\n" not in str(caught.value)


def test_series_comes_from_the_file_or_the_option():
    feed = feeds.martinsville_truck()
    feed["weekend_race"][0]["series_id"] = None
    with pytest.raises(FeedFileError, match="--series"):
        read_weekend_feed(feed)
    assert read_weekend_feed(feed, series="truck").series == "truck"


# --- storing it -----------------------------------------------------------------------------------------------


async def test_a_new_race_without_a_round_is_refused(store: Store):
    with pytest.raises(FeedMatchError, match="--round"):
        await store.import_feed_race(_race(feeds.martinsville_truck()))


async def test_import_stores_everything_the_feed_gives(store: Store):
    report = await store.import_feed_race(_race(feeds.martinsville_truck()), round_=12)
    assert (report.action, report.version, report.status) == ("added", 1, "provisional")
    assert (report.entries, report.stages, report.cautions, report.lead_changes) == (8, 2, 2, 4)
    race = await store.race(report.race_id)
    assert race is not None
    assert (race.round, race.margin_s, race.pole_speed_mph, race.attendance, race.purse_usd) == (
        12,
        ".697",
        None,
        None,
        None,
    )
    assert race.start_time_local == "19:00"
    assert [(s.first_lap, s.last_lap) for s in race.stages] == [(1, 60), (61, 120), (121, 200)]
    entries = await store.entries(report.race_id)
    assert [e.car_number for e in entries][:5] == ["11", "1", "34", "98", "07"]
    pole = next(e for e in entries if e.id == race.pole_entry_id)
    assert pole.driver == "Layne Riggs"
    rows = await _one(
        store, "SELECT times_led, playoff_points, disqualified FROM entries WHERE id = ?", (entries[0].id,)
    )
    assert tuple(rows[0]) == (1, 5, 0)
    flow = await store.race_flow(report.race_id)
    assert flow is not None and flow.from_feed
    assert flow.start_utc == dt.datetime(2025, 6, 20, 23, 0, tzinfo=dt.UTC)
    assert [c.reason for c in flow.cautions] == ["Competition", "Accident"]
    first = flow.lead_changes[0]
    assert (first.start_lap, first.car, first.driver) == (0, "34", "Layne Riggs")
    assert flow.lead_changes[-1].driver == "Corey Heim"


async def test_reimporting_the_same_feed_changes_nothing(store: Store):
    race = _race(feeds.martinsville_truck())
    first = await store.import_feed_race(race, round_=12)
    again = await store.import_feed_race(race)  # found by NASCAR's race id: no round needed
    assert (again.action, again.version, again.race_id) == ("unchanged", 1, first.race_id)
    assert len(await store.result_versions(first.race_id)) == 1


async def test_a_penalty_is_version_2_with_what_changed_and_why(store: Store):
    provisional = feeds.martinsville_truck()
    first = await store.import_feed_race(_race(provisional), round_=12)
    ids = {e.driver: e.id for e in await store.entries(first.race_id)}
    penalty = await store.import_feed_race(_race(feeds.disqualify(provisional, "11")))
    assert (penalty.action, penalty.version, penalty.status) == ("updated", 2, "provisional")
    assert penalty.changes[0] == "#11 Corey Heim disqualified"
    assert "#1 Ross Chastain 2nd → 1st" in penalty.changes
    assert any("disqualified" in r for r in penalty.reasons)
    assert any("Failed post-race inspection" in r for r in penalty.reasons)
    entries = await store.entries(first.race_id)
    assert entries[0].driver == "Ross Chastain"
    assert {e.driver: e.id for e in entries} == ids  # rows matched on driver, not position
    assert entries[-1].driver == "Corey Heim" and entries[-1].status == "Disqualified"
    done = await store.import_feed_race(_race(feeds.official(feeds.disqualify(provisional, "11"))))
    assert (done.version, done.status) == (3, "official")
    race = await store.race(first.race_id)
    assert race is not None and race.results_status == "official"
    flow = await store.race_flow(first.race_id)
    assert flow is not None and flow.version is not None and flow.version.status == "official"


async def test_a_new_spelling_under_a_known_driver_id_is_an_alias(store: Store):
    await store.import_feed_race(_race(feeds.martinsville_truck(garcia="Jake Garcia")), round_=12)
    await store.import_feed_race(_race(feeds.vegas_truck()), round_=3)
    garcias = [d for d in await store.drivers() if "Garcia" in d.name]
    assert len(garcias) == 1
    assert {"Jake Garcia", "Jacob Garcia"} <= set(garcias[0].aliases)


async def test_a_curated_race_is_compared_never_written(store: Store):
    curated = await store.race_exists("NASCAR Craftsman Truck Series", 2025, 4)
    assert curated is not None
    before = [(e.driver, e.finish, e.laps_led) for e in await store.entries(curated)]
    report = await store.import_feed_race(_race(feeds.homestead_truck()))
    assert (report.action, report.race_id, report.version) == ("kept", curated, None)
    found = {(d.driver, d.field): (d.stored, d.file) for d in report.disagreements}
    assert found[("", "margin")] == ("1.340", ".697")
    assert found[("Corey Heim", "laps led")] == ("78", "77")
    assert all(d.source == "curated" for d in report.disagreements)
    assert [(e.driver, e.finish, e.laps_led) for e in await store.entries(curated)] == before
    assert await store.race_flow(curated) is None


async def test_the_feed_replaces_a_race_nascar_data_alone_wrote(store: Store):
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=TRUCK)
    stored = await store.race_exists("NASCAR Craftsman Truck Series", 2025, 5)  # Martinsville, season only
    report = await store.import_feed_race(_race(feeds.martinsville_truck()))
    assert (report.action, report.race_id, report.round) == ("updated", stored, 5)
    replaced = {(d.driver, d.field) for d in report.replaced}
    assert ("", "race name") in replaced and ("Kyle Larson", "car") in replaced
    assert all(d.source == "NASCAR_DATA" for d in report.replaced)
    race = await store.race(report.race_id)
    assert race is not None and race.name == "Clean Harbors 200" and race.date_precision == "day"
    assert [s.key for s in await store.race_sources(report.race_id)] == ["NASCAR_FEED"]
    # nascaR.data brought again keeps the feed's values, and reports how it differs
    again = await store.import_history(history, series=TRUCK)
    assert again.races_kept >= 1
    assert any(d.race.startswith("2025") and d.source == "NASCAR_FEED" for d in again.disagreements)
    assert (await store.race(report.race_id)).name == "Clean Harbors 200"  # type: ignore[union-attr]


async def test_nascar_data_after_the_feed_keeps_the_feed_race(empty_store: Store):
    report = await empty_store.import_feed_race(_race(feeds.martinsville_truck()), round_=5)
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    merged = await empty_store.import_history(history, series=TRUCK)
    assert merged.races_kept == 1
    feed_race = [d for d in merged.disagreements if d.source == "NASCAR_FEED"]
    assert feed_race and all(d.race == "2025 Clean Harbors 200" for d in feed_race)
    entries = await empty_store.entries(report.race_id)
    assert entries[0].driver == "Corey Heim" and len(entries) == 8


async def test_a_round_another_feed_race_holds_is_refused_not_a_crash(store: Store):
    await store.import_feed_race(_race(feeds.martinsville_truck()), round_=12)
    with pytest.raises(FeedMatchError, match="round 12 of the 2025 season is already stored as the Clean Harbors 200"):
        await store.import_feed_race(_race(feeds.vegas_truck()), round_=12)
    assert len([r for r in await store.race_summaries() if (r.season, r.round) == (2025, 12)]) == 1
