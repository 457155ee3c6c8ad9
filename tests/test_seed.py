"""The shipped Homestead race, checked the way a fan would check it."""

from pathlib import Path

import pytest

from bot import maintenance
from bot.racefiles import RaceFileError
from bot.store import Store
from tests.conftest import DATA_DIR


async def homestead(store: Store):
    (summary,) = await store.race_summaries()
    race = await store.race(summary.id)
    assert race is not None
    return race, await store.entries(race.id)


async def test_race_facts(store: Store):
    race, entries = await homestead(store)
    assert (race.series, race.season, race.round, race.name) == (
        "NASCAR Craftsman Truck Series",
        2025,
        4,
        "Baptist Health 200",
    )
    assert race.track == "Homestead-Miami Speedway"
    assert race.date.isoformat() == "2025-03-21"
    assert (race.scheduled_laps, race.laps_run) == (134, 134)
    assert [(s.first_lap, s.last_lap) for s in race.stages] == [(1, 30), (31, 60), (61, 134)]
    assert race.margin_s == "1.340"
    assert race.results_status == "official"
    assert len(entries) == 34


async def test_larson_won_from_third_in_the_07(store: Store):
    _, entries = await homestead(store)
    winner = entries[0]
    assert (winner.finish, winner.driver, winner.car_number, winner.start) == (1, "Kyle Larson", "07", 3)
    assert (winner.team, winner.make) == ("Spire Motorsports", "Chevrolet")


async def test_heim_led_78_from_the_pole_and_finished_third(store: Store):
    race, entries = await homestead(store)
    heim = next(e for e in entries if e.driver == "Corey Heim")
    assert (heim.start, heim.finish, heim.laps_led, heim.car_number) == (1, 3, 78, "11")
    assert race.pole_entry_id == heim.id
    assert race.pole_time_s == "32.111"


async def test_07_and_7_and_02_and_2_are_different_trucks(store: Store):
    _, entries = await homestead(store)
    by_car = {e.car_number: e.driver for e in entries}
    assert by_car["07"] == "Kyle Larson"
    assert by_car["7"] == "Corey Day"
    assert by_car["02"] == "Nathan Byrd"
    assert by_car["2"] == "Stephen Mallozzi"


async def test_ineligible_drivers_earned_no_points(store: Store):
    _, entries = await homestead(store)
    by_driver = {e.driver: e for e in entries}
    for name in ("Kyle Larson", "Ross Chastain", "Brandon Jones"):
        assert by_driver[name].points == 0
        assert by_driver[name].points_eligible == "no"
    assert by_driver["Corey Day"].points_eligible == "disputed"  # disputed between sources
    assert by_driver["Corey Heim"].points == 54


async def test_non_running_finishers(store: Store):
    _, entries = await homestead(store)
    not_running = {e.driver: (e.status, e.laps) for e in entries if e.status != "running"}
    assert not_running == {"Ben Rhodes": ("suspension", 83), "Stephen Mallozzi": ("vibration", 15)}


async def test_stage_one_fifth_is_unresolved_between_two_candidates(store: Store):
    race, _ = await homestead(store)
    stages = await store.stage_results(race.id)
    fifth = next(s for s in stages if s.stage == 1 and s.position == 5)
    assert fifth.entry is None
    assert [c.driver for c in fifth.candidates] == ["Ross Chastain", "Stewart Friesen"]
    assert fifth.points is None
    winners = {s.stage: s.entry.driver for s in stages if s.position == 1 and s.entry}
    assert winners == {1: "Corey Heim", 2: "Corey Heim"}


async def test_unknown_facts_stay_null(store: Store):
    race, entries = await homestead(store)
    assert race.cautions is None
    assert race.lead_changes is None
    assert race.attendance is None
    assert race.tv_network is None
    ankrum = next(e for e in entries if e.driver == "Tyler Ankrum")
    assert ankrum.sponsor is None  # blank in the data: unknown, not ""
    notes = await store.race_notes(race.id, "unknown")
    assert "cautions" in {n.topic for n in notes}


async def test_source_conflicts_are_kept_as_notes(store: Store):
    race, _ = await homestead(store)
    conflicts = await store.race_notes(race.id, "conflict")
    assert len(conflicts) == 10
    assert any("No. 7" in c.text for c in conflicts)


async def test_every_quote_is_loaded_with_its_source(store: Store):
    quotes = await store.quotes()
    assert len(quotes) == 19
    assert all(q.source_url and q.source_url.startswith("http") for q in quotes)
    larson = [q for q in quotes if q.speaker == "Kyle Larson"]
    assert larson and all(q.driver_id is not None for q in larson)
    crew_chief = next(q for q in quotes if q.speaker == "Joe Shear Jr.")
    assert crew_chief.driver_id is None


async def test_seeding_twice_changes_nothing(store: Store):
    before = await maintenance.check(store)
    assert await maintenance.seed(store, DATA_DIR) == []
    after = await maintenance.check(store)
    assert after.counts == before.counts
    assert after.ok


async def test_seed_is_all_or_nothing(empty_store: Store, tmp_path: Path):
    bad = tmp_path / "data" / "broken-race"
    bad.mkdir(parents=True)
    source = DATA_DIR / "homestead-2025"
    for name in ("race.json", "quotes.json", "stages.csv"):
        (bad / name).write_text((source / name).read_text())
    rows = (source / "results.csv").read_text().splitlines()
    rows.append(rows[1])  # the same truck twice: the folder is refused before anything is written
    (bad / "results.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(RaceFileError, match="the same car as line 2"):
        await maintenance.seed(empty_store, tmp_path / "data")
    assert (await maintenance.check(empty_store)).counts["entries"] == 0


async def test_failure_midway_rolls_back_every_row(empty_store: Store, monkeypatch):
    from bot.racefiles import read_aliases, read_race_dir
    from bot.store import loading

    bundle = read_race_dir(DATA_DIR / "homestead-2025", read_aliases(DATA_DIR / "drivers.csv"))
    calls = 0
    real_team_id_for = loading.team_id_for

    async def failing_team_id_for(conn, name):
        nonlocal calls
        calls += 1
        if calls == 20:
            raise RuntimeError("disk pulled out")
        return await real_team_id_for(conn, name)

    monkeypatch.setattr(loading, "team_id_for", failing_team_id_for)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        await empty_store.add_race_bundle(bundle)
    counts = (await maintenance.check(empty_store)).counts
    assert counts["races"] == counts["entries"] == counts["drivers"] == counts["quotes"] == 0
