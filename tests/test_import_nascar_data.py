"""Importing a nascaR.data history: checked rows, idempotent upserts, curated races kept, and career questions."""

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import build_parser
from bot.catalog import Catalog
from bot.config import PROJECT_ROOT
from bot.facts.career import CareerLine
from bot.facts.milestones import milestones
from bot.importers import commands
from bot.importers.nascar_data import (
    HistoryFileError,
    clean_car,
    parse_history,
    read_history,
)
from bot.store import Store
from bot.store.career import WinnerHistory
from bot.store.imports import ImportReport, MergeRefusedError
from bot.store.models import DriverResult
from bot.store.records import HistoryFile, Rejection
from tests.history_data import HistoryCsv, history_csv

TRUCK = ("NASCAR Craftsman Truck Series", "truck")
TABLES = ("series", "seasons", "tracks", "track_aliases", "races", "drivers", "driver_aliases", "teams", "entries",
          "stage_results", "sources", "fact_sources")  # fmt: skip


def parse(text: str) -> HistoryFile:
    return parse_history(io.StringIO(text), series="truck", source="history.csv")


async def load(store: Store, text: str, **options: object) -> ImportReport:
    return await store.import_history(parse(text), series=TRUCK, **options)  # type: ignore[arg-type]


@pytest.fixture
def synthetic() -> HistoryCsv:
    return history_csv()


@pytest.fixture
async def history_store(store: Store, synthetic: HistoryCsv) -> AsyncIterator[Store]:
    """The seeded store (curated Homestead) with the synthetic Truck history imported."""
    await load(store, synthetic.text)
    yield store


async def counts(store: Store) -> dict[str, int]:
    return await store.table_counts(TABLES)


async def race_id(store: Store, season: int, round_: int) -> int:
    found = await store.race_exists(TRUCK[0], season, round_)
    assert found is not None
    return found


async def driver_id(store: Store, name: str) -> int:
    found = await store.find_driver(name)
    assert found is not None, name
    return found[0]


# --- reading the file ------------------------------------------------------------------------------------------


def test_rejected_rows_are_listed_with_line_and_reason(synthetic: HistoryCsv):
    history = parse(synthetic.text)
    lines = synthetic.lines
    year = dt.datetime.now(dt.UTC).year + 1
    assert history.rejected == (
        Rejection(lines["duplicate"], f"repeats line {lines['2023-2-1']}"),
        Rejection(lines["majeski again"], f"Ty Majeski is already in this race on line {lines['2023-5-4']}"),
        Rejection(lines["finish taken"], f"Finish 3 is already taken on line {lines['2023-6-3']}"),
        Rejection(lines["no car"], "Car is missing"),
        Rejection(lines["no finish"], "Finish is missing: a result needs a finishing position"),
        Rejection(lines["win mismatch"], "Win is 1 but Finish is 7"),
        Rejection(lines["bad season"], f"Season '20x4' is not a year from 1995 to {year}"),
    )
    assert (history.rows, history.accepted) == (149, 142)
    assert len(history.races) == 19


def test_dirty_values_are_cleaned(synthetic: HistoryCsv):
    history = parse(synthetic.text)
    by_round = {(race.season, race.round): race for race in history.races}
    daytona = by_round[(2023, 1)]
    assert [(e.driver, e.car) for e in daytona.entries][2] == ("Kyle Larson", "7")  # '7.0' in the file
    assert {e.start for e in by_round[(2023, 2)].entries} == {None}  # NA starts
    atlanta = {e.driver: e for e in by_round[(2023, 3)].entries}
    assert atlanta["Ricky Stenhouse Jr."].start is None  # 0: start not known
    stages = [e.stages for e in by_round[(2025, 1)].entries]
    assert stages[:4] == [(1, 3, None), (2, 2, None), (3, 1, None), (None, None, None)]
    assert by_round[(2023, 2)].rejected == 1 and by_round[(2023, 3)].rejected == 0


@pytest.mark.parametrize(
    ("text", "car"),
    [
        ("07", "07"),
        ("7", "7"),
        ("7.0", "7"),
        ("#07", "07"),
        (" 22 ", "22"),
        ("18X", "18X"),
        ("NA", None),
        ("7.5", None),
    ],
)
def test_car_numbers_keep_their_text(text: str, car: str | None):
    assert clean_car(text) == car


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"Race": "0"}, "Race '0' is not a whole number of at least 1"),
        ({"Race": "NA"}, "Race (the round within the season) is missing"),
        ({"Track": "NA"}, "Track is missing"),
        ({"Driver": " "}, "Driver is missing"),
        ({"Car": "#1234X"}, "Car '#1234X' is not a car number (1 to 4 letters or digits)"),
        ({"Laps": "-3"}, "Laps '-3' is not a whole number of at least 0"),
        ({"Start": "DNQ"}, "Start 'DNQ' is not a whole number of at least 0"),
        ({"Length": "far"}, "Length 'far' is not a number of miles"),
        ({"Finish": "1.5"}, "Finish '1.5' is not a whole number of at least 1"),
    ],
)
def test_each_bad_cell_is_named(cells: dict[str, str], reason: str):
    good = {"Season": "2024", "Race": "1", "Track": "Daytona", "Name": "250", "Length": "2.5", "Finish": "1",
            "Start": "2", "Car": "11", "Driver": "Corey Heim", "Laps": "100", "Team": "TRICON", "Win": "1"}  # fmt: skip
    row = good | cells
    text = ",".join(row) + "\n" + ",".join(f'"{value}"' for value in row.values()) + "\n"
    assert parse(text).rejected == (Rejection(2, reason),)


def test_a_file_without_the_export_columns_is_refused():
    with pytest.raises(HistoryFileError, match="lacks Finish, Car"):
        parse("Season,Race,Track,Name,Driver\n2025,1,Daytona,Race,Kyle Larson\n")


def test_r_write_csv_quoting_and_bom_are_read(tmp_path: Path):
    path = tmp_path / "truck.csv"
    path.write_text(
        '\ufeff"Season","Race","Track","Name","Finish","Start","Car","Driver","Win"\n'
        '2024,1,"Daytona","Fresh From Florida 250",1,NA,"11","Corey Heim",1\n',
        encoding="utf-8",
    )
    history = read_history(path, series="truck")
    assert [(r.season, r.round, [e.driver for e in r.entries]) for r in history.races] == [(2024, 1, ["Corey Heim"])]


# --- storing it ------------------------------------------------------------------------------------------------


async def test_import_reports_what_it_stored(store: Store, synthetic: HistoryCsv):
    before = await counts(store)
    report = await load(store, synthetic.text)
    assert (report.races_added, report.races_updated, report.races_unchanged, report.races_kept) == (18, 0, 0, 1)
    assert (report.entries_added, report.entries_removed) == (108, 0)
    assert (report.drivers_added, report.drivers_updated, report.tracks_added) == (2, 6, 7)
    after = await counts(store)
    assert after["races"] - before["races"] == 18
    assert after["entries"] - before["entries"] == 108
    assert after["drivers"] - before["drivers"] == 2  # Carson Hocevar and Ricky Stenhouse Jr.


async def career(store: Store, driver: int, **filters: Any) -> tuple[CareerLine, list[DriverResult]]:
    """Return a driver's figures and starts as /wins and /driver count them (over the store as it is now)."""
    results = await Catalog(store).career_results(driver, guild_id=None, **filters)
    return CareerLine.of(results), results


async def test_spellings_and_accents_are_one_driver(history_store: Store):
    stenhouse = await driver_id(history_store, "Ricky Stenhouse Jr.")
    assert await driver_id(history_store, "RICKY STENHOUSE JUNIOR") == stenhouse
    line, starts = await career(history_store, stenhouse)
    assert (line.starts, starts[-1].race.season, starts[0].race.season) == (5, 2023, 2025)
    # 'Andrés Pérez de Lara' in the file is the curated 'Andres Perez de Lara'
    perez = await driver_id(history_store, "Andres Perez de Lara")
    assert (await career(history_store, perez))[0].starts == 11


async def test_curated_homestead_keeps_its_07_and_reports_each_disagreement(store: Store, synthetic: HistoryCsv):
    homestead = await race_id(store, 2025, 4)
    before = await store.entries(homestead)
    race_before = await store.race(homestead)
    report = await load(store, synthetic.text)
    assert await store.entries(homestead) == before
    assert await store.race(homestead) == race_before
    assert before[0].driver == "Kyle Larson" and before[0].car_number == "07"
    repairs = [(d.driver, d.field, d.stored, d.file) for d in report.car_repairs]
    assert repairs == [("Kyle Larson", "car", "07", "7"), ("Nathan Byrd", "car", "02", "2")]
    disagreements = [(d.race, d.driver, d.field, d.stored, d.file, d.line) for d in report.disagreements]
    assert disagreements == [
        ("2025 Baptist Health 200", "Ross Chastain", "laps led", "33", "32", synthetic.lines["chastain"])
    ]
    assert (
        report.notes[0] == "Track 'Homestead' is stored as another name of the 2025 round 4 (Baptist Health 200) track"
    )


async def test_earlier_homestead_races_land_on_the_curated_track(history_store: Store):
    tracks = dict((name, track_id) for track_id, name in await history_store.tracks())
    assert "Homestead" not in tracks
    history = await history_store.track_history(tracks["Homestead-Miami Speedway"])
    assert [(w.season, w.driver, w.car) for w in history.wins] == [
        (2023, "Carson Hocevar", "42"),
        (2024, "Grant Enfinger", "9"),
        (2025, "Kyle Larson", "07"),
    ]


async def test_imported_races_know_only_their_year(history_store: Store):
    race = await history_store.race(await race_id(history_store, 2024, 5))
    extras = await history_store.race_extras(await race_id(history_store, 2024, 5))
    assert race is not None and extras is not None
    assert (race.date, extras.date_precision, race.curated, race.results_status) == (
        dt.date(2024, 1, 1),
        "season",
        False,
        "official",
    )
    assert race.laps_run == 200  # the winner's laps
    assert [s.key for s in await history_store.race_sources(race.id)] == ["NASCAR_DATA"]


async def test_stage_columns_are_not_stored_as_results(history_store: Store):
    # nascaR.data documents S1-S3 both as stage finishing positions and as stage points: storing either would
    # risk a made-up fact, so imported races have no stage results (the curated race keeps its own).
    assert await history_store.stage_results(await race_id(history_store, 2025, 1)) == []
    (homestead,) = [r for r in await history_store.race_summaries() if r.season == 2025 and r.round == 4]
    assert len(await history_store.stage_results(homestead.id)) == 20


async def test_importing_the_same_file_twice_changes_nothing(history_store: Store, synthetic: HistoryCsv):
    before = await counts(history_store)
    version = await history_store.catalog_version()
    report = await load(history_store, synthetic.text)
    assert (report.races_added, report.races_updated, report.races_unchanged, report.races_kept) == (0, 0, 18, 1)
    assert (report.entries_added, report.drivers_added, report.tracks_added) == (0, 0, 0)
    assert await counts(history_store) == before
    assert await history_store.catalog_version() == version


async def test_a_newer_file_adds_only_what_is_new(store: Store, synthetic: HistoryCsv):
    first = await load(store, synthetic.only(2023))
    assert (first.races_added, first.entries_added) == (8, 48)
    report = await load(store, synthetic.text)
    assert (report.races_added, report.races_updated, report.races_unchanged, report.races_kept) == (10, 0, 8, 1)
    assert report.entries_added == 60


async def test_a_corrected_finish_moves_the_rows(history_store: Store, synthetic: HistoryCsv):
    martinsville = await race_id(history_store, 2024, 5)
    version = (await history_store.race(martinsville)).data_version  # type: ignore[union-attr]
    rows = list(csv.reader(io.StringIO(synthetic.text)))
    winner, second = rows[synthetic.lines["2024-5-1"] - 1], rows[synthetic.lines["2024-5-2"] - 1]
    # A later, corrected export swaps the first two finishers.
    (winner[6], winner[21]), (second[6], second[21]) = ("2", "0"), ("1", "1")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    report = await load(history_store, out.getvalue())
    # Rows are matched on car and driver, not on finish: the two rows move, nothing is removed or added.
    assert (report.races_added, report.races_updated, report.entries_removed, report.entries_added) == (0, 1, 0, 0)
    assert report.entries_updated == 2 and report.clashes == ()
    race = await history_store.race(martinsville)
    assert race is not None and race.data_version == version + 1
    assert [e.driver for e in await history_store.entries(martinsville)][:2] == ["Corey Heim", "Ty Majeski"]


async def test_a_failure_while_writing_stores_nothing(store: Store, synthetic: HistoryCsv):
    before = await counts(store)

    def fail(written: int) -> None:
        raise RuntimeError("disk pulled out")

    with pytest.raises(RuntimeError, match="disk pulled out"):
        await load(store, synthetic.text, progress=fail)
    assert await counts(store) == before


async def test_a_dry_run_reports_but_stores_nothing(store: Store, synthetic: HistoryCsv):
    before = await counts(store)
    report = await load(store, synthetic.text, commit=False)
    assert (report.races_added, report.committed) == (18, False)
    assert await counts(store) == before


# --- questions answered from the history -----------------------------------------------------------------------


async def test_larson_as_of_homestead_2025_has_4_wins_in_16_truck_starts(history_store: Store):
    larson = await driver_id(history_store, "Kyle Larson")
    series = {s.short_name: s.id for s in await history_store.all_series()}["truck"]
    homestead = next(r for r in await history_store.race_summaries() if r.season == 2025 and r.round == 4)
    line, _ = await career(history_store, larson, series_id=series, as_of=homestead)
    assert (line.starts, line.wins, line.top5, line.laps_led, line.laps_led_unknown) == (16, 4, 16, 170, 0)
    assert (await career(history_store, larson, as_of=homestead))[0].starts == 16  # over everything stored
    everything, _ = await career(history_store, larson)
    assert (everything.starts, everything.wins) == (17, 4)  # he was 3rd at Martinsville after Homestead
    bristol = next(r for r in await history_store.race_summaries() if r.season == 2024 and r.round == 6)
    assert (await career(history_store, larson, as_of=bristol))[0].wins == 2


async def test_career_results_are_cut_and_ordered_by_season_and_round(history_store: Store):
    larson = await driver_id(history_store, "Kyle Larson")
    homestead = next(r for r in await history_store.race_summaries() if r.season == 2025 and r.round == 4)
    catalog = Catalog(history_store)
    results = await catalog.career_results(larson, as_of=homestead, guild_id=None)
    # Imported 2025 races carry only their year (stored as 1 January), yet Martinsville, round 5, stays out.
    assert [(r.race.season, r.race.round) for r in results[:3]] == [(2025, 4), (2025, 2), (2024, 6)]
    assert (results[0].race.winner, results[0].race.winner_car) == ("Kyle Larson", "07")  # the race as listed
    line = CareerLine.of(results)
    assert (line.starts, line.wins, line.laps_led) == (16, 4, 170)
    everything = await catalog.career_results(larson, guild_id=None)
    assert [(r.race.season, r.race.round) for r in everything[:2]] == [(2025, 5), (2025, 4)]


async def test_wins_leaderboard_as_of_a_race(history_store: Store):
    homestead = next(r for r in await history_store.race_summaries() if r.season == 2025 and r.round == 4)
    board = await history_store.wins_leaderboard(as_of=homestead)
    assert [(driver.name, wins) for driver, wins, _ in board] == [
        ("Corey Heim", 6),
        ("Kyle Larson", 4),
        ("Layne Riggs", 3),
        ("Grant Enfinger", 2),
        ("Ty Majeski", 2),
        ("Carson Hocevar", 1),
    ]
    leader, wins, _ = (await history_store.wins_leaderboard())[0]
    assert (leader.name, wins) == ("Corey Heim", 7)


async def test_track_history_lists_winners_most_wins_and_records(history_store: Store):
    tracks = {name: track_id for track_id, name in await history_store.tracks()}
    daytona = await history_store.track_history(tracks["Daytona International Speedway"])
    assert [(w.season, w.driver) for w in daytona.wins] == [
        (2023, "Corey Heim"),
        (2024, "Corey Heim"),
        (2025, "Layne Riggs"),
    ]
    assert daytona.most_wins() == (2, ("Corey Heim",))
    homestead = await history_store.track_history(tracks["Homestead-Miami Speedway"])
    assert [(r.label, r.value, r.holders) for r in homestead.records] == [
        ("Most starts", "3", ("Corey Heim", "Grant Enfinger", "Kyle Larson", "Layne Riggs", "Ty Majeski")),
        ("Most laps led in a race", "78", ("Corey Heim (2025 Baptist Health 200)",)),
        (
            "Won from furthest back",
            "from 6th",
            ("Carson Hocevar (2023 Baptist Health 200)", "Grant Enfinger (2024 Baptist Health 200)"),
        ),
        ("Fastest pole", "168.167 mph", ("Corey Heim (2025 Baptist Health 200)",)),
        ("Closest winning margin", "1.340 s", ("Kyle Larson (2025 Baptist Health 200)",)),
    ]


async def test_head_to_head_heim_and_riggs(history_store: Store):
    heim, riggs = await driver_id(history_store, "Corey Heim"), await driver_id(history_store, "Layne Riggs")
    h2h = await history_store.head_to_head(heim, riggs)
    assert (h2h.races, h2h.a_ahead, h2h.b_ahead, h2h.a_wins, h2h.b_wins) == (19, 13, 6, 7, 3)
    assert (round(h2h.a_average or 0, 2), round(h2h.b_average or 0, 2)) == (1.89, 2.84)  # 36/19 and 54/19
    assert (h2h.first_season, h2h.last_season) == (2023, 2025)
    tracks = {name: track_id for track_id, name in await history_store.tracks()}
    at_homestead = await history_store.head_to_head(heim, riggs, track_id=tracks["Homestead-Miami Speedway"])
    assert (at_homestead.races, at_homestead.a_ahead, at_homestead.b_ahead) == (3, 1, 2)


async def test_homestead_milestones_come_from_the_history(history_store: Store):
    homestead = await race_id(history_store, 2025, 4)
    history = await history_store.winner_history(homestead)
    assert history is not None
    assert (history.wins, history.starts, history.car, history.car_wins_before) == (4, 16, "07", 0)
    assert (history.earlier_races, history.first_season_stored) == (17, 2023)
    assert milestones(history) == [
        "Kyle Larson's 4th Craftsman Truck Series win, in 16 starts (stored races since 2023).",
        "The first Craftsman Truck Series win for the #07 (stored races since 2023).",
    ]


async def test_no_milestones_without_history(store: Store):
    homestead = await race_id(store, 2025, 4)
    assert milestones(await store.winner_history(homestead)) == []


def test_milestone_lines_for_streaks_and_a_complete_history():
    def winner(finishes: tuple[int | None, ...], car_wins_before: int = 3) -> WinnerHistory:
        return WinnerHistory(1, "Corey Heim", "11", "NASCAR Craftsman Truck Series", "truck", 2025, finishes,
                             car_wins_before, 700, 1995)  # fmt: skip

    assert milestones(winner((1, 1, 1, 4, 2)), limit=3) == [
        "Corey Heim's 3rd Craftsman Truck Series win, in 5 starts.",
        "Corey Heim has won 3 Craftsman Truck Series starts in a row.",
    ]
    assert milestones(winner((1, 5, 1, 1, 9, 1)), limit=3) == [
        "Corey Heim's 4th Craftsman Truck Series win, in 6 starts.",
        "3 wins in Corey Heim's last 5 Craftsman Truck Series starts.",
    ]
    assert milestones(winner((1, 12, 30), car_wins_before=0)) == [
        "First Craftsman Truck Series win for Corey Heim, in 3 starts.",
        "The first Craftsman Truck Series win for the #11.",
    ]


# --- driver identities -----------------------------------------------------------------------------------------


async def test_drivers_merge_fixes_what_the_normaliser_misses(history_store: Store, synthetic: HistoryCsv):
    # 'Ricky Stenhouse' without the Jr. is another name to the normaliser (a suffix can mean a father or son).
    extra = synthetic.text + '2025,5,"Martinsville Speedway","Long John Silver\'s 200",0.526,"Paved",7,7,"47",' \
        '"Ricky Stenhouse","Chevrolet",33,200,0,"running","Hyak Motorsports","NA","NA","NA","NA",80,0\n'  # fmt: skip
    await load(history_store, extra)
    assert await history_store.find_driver("Ricky Stenhouse") != await history_store.find_driver("Ricky Stenhouse Jr.")
    keep, merge = (
        await driver_id(history_store, "Ricky Stenhouse Jr."),
        await driver_id(history_store, "Ricky Stenhouse"),
    )
    outcome = await history_store.merge_drivers(keep, merge)
    assert (outcome.kept, outcome.merged, outcome.entries_moved) == ("Ricky Stenhouse Jr.", "Ricky Stenhouse", 1)
    assert "Ricky Stenhouse" in outcome.aliases
    assert (await career(history_store, keep))[0].starts == 6
    report = await load(history_store, extra)  # the next import finds him under his one identity
    assert (report.races_added, report.races_updated, report.drivers_added) == (0, 0, 0)
    assert await history_store.find_driver("Ricky Stenhouse") == (keep, "Ricky Stenhouse Jr.")


async def test_two_drivers_of_one_race_are_never_merged(history_store: Store):
    heim, riggs = await driver_id(history_store, "Corey Heim"), await driver_id(history_store, "Layne Riggs")
    with pytest.raises(MergeRefusedError, match="both started"):
        await history_store.merge_drivers(heim, riggs)


# --- the command line ------------------------------------------------------------------------------------------


async def run_cli(store: Store, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await commands.run(
        store, build_parser().parse_args(argv), data_dir=PROJECT_ROOT / "data", out=out, err=err
    )
    return status, out.getvalue(), err.getvalue()


async def test_cli_import_prints_a_summary_and_exits_1_for_rejected_rows(
    store: Store, synthetic: HistoryCsv, tmp_path: Path
):
    path, report = tmp_path / "truck.csv", tmp_path / "report.csv"
    path.write_text(synthetic.text, encoding="utf-8")
    status, out, _ = await run_cli(
        store, "import", "nascar-data", str(path), "--series", "truck", "--report", str(report)
    )
    assert status == 1
    assert "truck.csv (truck): 149 rows read, 142 accepted, 7 rejected" in out
    assert "Races: 18 added, 0 updated, 0 unchanged, 1 kept as curated" in out
    assert "Drivers: 2 added, 6 updated; tracks: 7 added" in out
    assert f"  line {synthetic.lines['no car']}: Car is missing" in out
    assert "  2025 Baptist Health 200 · Ross Chastain · laps led: curated 33, file 32" in out
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [row["kind"] for row in rows].count("rejected") == 7
    assert {"kind": "car number kept", "driver": "Kyle Larson", "stored": "07", "file": "7"}.items() <= rows[8].items()


async def test_cli_dry_run_and_a_file_that_cannot_be_read(store: Store, synthetic: HistoryCsv, tmp_path: Path):
    path = tmp_path / "truck.csv"
    path.write_text(synthetic.only(2023), encoding="utf-8")
    status, out, _ = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck", "--dry-run")
    assert status == 1 and out.endswith("Dry run: nothing was stored.\n")
    assert len(await store.race_summaries()) == 1
    path.write_text("Season,Driver\n2025,Kyle Larson\n", encoding="utf-8")
    status, _, err = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck")
    assert status == 2 and err.startswith("Nothing was stored: line 1: the header lacks Race, Track")


async def test_cli_drivers_merge(history_store: Store):
    status, _, err = await run_cli(history_store, "drivers", "merge", "Corey Heim", "Nobody Atall")
    assert (status, err) == (1, "No driver 'Nobody Atall': give a stored name, alias or #id.\n")
    status, _, err = await run_cli(history_store, "drivers", "merge", "Corey Heim", "Layne Riggs")
    assert status == 1 and err.startswith("Not merged: Corey Heim and Layne Riggs both started")


def test_python_m_bot_import_runs_the_whole_pipeline(synthetic: HistoryCsv, tmp_path: Path):
    path = tmp_path / "truck.csv"
    path.write_text(synthetic.only(2024), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    environment |= {"DATABASE_PATH": str(tmp_path / "cli.db"), "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "import", "nascar-data", str(path), "--series", "truck"],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # three of 2024's rows are rejected
    assert "Races: 6 added, 0 updated, 0 unchanged, 0 kept as curated" in done.stdout
    assert "Rows rejected: 3" in done.stdout


def test_an_unclosed_quote_refuses_the_file_instead_of_swallowing_rows():
    text = history_csv().text
    lines = text.splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)  # a quote opened in row 3 and never closed
    with pytest.raises(HistoryFileError, match="line"):
        parse_history(io.StringIO("\n".join(lines) + "\n"), series="truck", source="truck.csv")
