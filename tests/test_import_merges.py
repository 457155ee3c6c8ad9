"""Imports are merges: every fact keeps its source, missing rows are not deletions, and nothing real is rejected."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.config import PROJECT_ROOT
from bot.importers import commands
from bot.importers.nascar_data import parse_history
from bot.racefiles import parse_results
from bot.store import Store
from bot.store.imports import SOURCE_CREDIT, ImportReport
from bot.store.records import HistoryFile
from tests.history_data import (
    MICHIGAN_2015,
    MICHIGAN_2016,
    PITFALL_ROWS,
    HistoryCsv,
    daytona_2024_winner_only,
    history_csv,
    pitfalls_csv,
)

TRUCK = ("NASCAR Craftsman Truck Series", "truck")
GUILD, MOD = 4242, 77


def parse(text: str) -> HistoryFile:
    return parse_history(io.StringIO(text), series="truck", source="truck_series.csv")


async def load(store: Store, text: str, **options: object) -> ImportReport:
    return await store.import_history(parse(text), series=TRUCK, **options)  # type: ignore[arg-type]


async def run_cli(store: Store, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(argv)
    status = await commands.run(store, args, data_dir=PROJECT_ROOT / "data", out=out, err=err)
    return status, out.getvalue(), err.getvalue()


async def shared_race(store: Store, season: int, round_: int) -> int:
    """Return the id of Pit Board's shared race at season and round (never a server's upload)."""
    query = """
        SELECT r.id FROM races r JOIN seasons sn ON sn.id = r.season_id
        WHERE sn.year = ? AND r.round = ? AND r.owner_guild_id IS NULL
    """
    rows = await store.connection.execute_fetchall(query, (season, round_))
    assert len(rows) == 1, (season, round_, rows)
    return int(next(iter(rows))[0])


async def finishers(store: Store, race_id: int) -> list[tuple[int | None, str, str]]:
    return [(e.finish, e.driver, e.car_number) for e in await store.entries(race_id)]


@pytest.fixture
def synthetic() -> HistoryCsv:
    return history_csv()


def edited(
    synthetic: HistoryCsv, changes: dict[str, dict[int, str]], *, only: int | None = None, drop: str | None = None
) -> str:
    """Return the synthetic file with cells changed on the named lines (column index -> value), one line dropped."""
    rows = list(csv.reader(io.StringIO(synthetic.text)))
    for label, cells in changes.items():
        for column, value in cells.items():
            rows[synthetic.lines[label] - 1][column] = value
    if drop is not None:
        del rows[synthetic.lines[drop] - 1]
    if only is not None:
        rows = [rows[0], *(row for row in rows[1:] if row[0] == str(only))]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --- nothing real is rejected ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["v3", "old"])
async def test_a_file_with_the_real_pitfalls_imports_with_no_row_rejected(store: Store, layout: str):
    history = parse(pitfalls_csv(layout))
    assert history.rejected == ()
    assert (history.rows, history.accepted, history.placeholders) == (PITFALL_ROWS + 1, PITFALL_ROWS, 1)
    report = await store.import_history(history, series=TRUCK)
    assert (report.races_added, report.entries_added) == (3, PITFALL_ROWS)


async def test_the_michigan_names_are_stored_whole_and_equal_s2_values_both_kept(store: Store):
    await load(store, pitfalls_csv())
    names = {r.season: r.name for r in await store.race_summaries() if r.track == "Michigan International Speedway"}
    assert names == {2015: MICHIGAN_2015, 2016: MICHIGAN_2016}
    assert (len(names[2015]), len(names[2016])) == (101, 113)
    texas = await finishers(store, await shared_race(store, 2021, 8))
    # Ross Chastain and Grant Enfinger both have S2 5: stage points, not a stage position taken twice.
    assert [driver for _, driver, _ in texas] == [
        "Ty Majeski",
        "Corey Heim",
        "Ross Chastain",
        "Grant Enfinger",
        "Layne Riggs",
        "Kyle Larson",
    ]


def test_both_layouts_read_the_same_rows():
    v3, old = parse(pitfalls_csv("v3")), parse(pitfalls_csv("old"))
    assert [race.entries for race in v3.races] == [race.entries for race in old.races]
    assert [(race.name, race.track) for race in v3.races] == [(race.name, race.track) for race in old.races]


def test_long_names_of_any_kind_are_kept():
    team, driver = "T" * 150, "Jean-Baptiste " + "Alexandre " * 12 + "Dupont"
    text = (
        '"Season","Race","Track","Name","Finish","Car","Driver","Team","S1","S2","Win"\n'
        f'2024,1,"Daytona","Race",1,"11","{driver}","{team}",5,5,1\n'
        f'2024,1,"Daytona","Race",2,"12","Corey Heim","{team}",5,5,0\n'
    )
    history = parse(text)
    assert history.rejected == ()
    assert [(e.driver, e.team) for e in history.races[0].entries] == [(driver, team), ("Corey Heim", team)]


def test_a_placeholder_is_counted_apart_and_a_broken_row_is_still_rejected():
    text = (
        '"Season","Race","Track","Name","Finish","Car","Driver","Win"\n'
        '2024,1,"Daytona","Race",1,"11","Corey Heim",1\n'
        "2026,3,NA,NA,NA,NA,NA,NA\n"
        '2024,1,"Daytona","Race",NA,"12","Layne Riggs",0\n'
    )
    history = parse(text)
    assert history.placeholders == 1
    assert [(r.line, r.reason) for r in history.rejected] == [
        (4, "Finish is missing: a result needs a finishing position")
    ]


# --- rows missing from a file are not deletions ----------------------------------------------------------------


async def test_a_one_row_file_leaves_the_other_finishers_and_says_what_differs(
    store: Store, synthetic: HistoryCsv, tmp_path: Path
):
    await load(store, synthetic.text)
    daytona = await shared_race(store, 2024, 1)
    before = await finishers(store, daytona)
    assert len(before) == 6
    path = tmp_path / "truck_series.csv"
    path.write_text(daytona_2024_winner_only(synthetic), encoding="utf-8")
    status, out, _ = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck")
    assert status == 0, out
    assert await finishers(store, daytona) == before
    assert "Races: 0 added, 0 updated, 1 unchanged" in out
    assert "Entries: 0 added, 0 updated, 5 kept that the file lacks, 0 removed by --replace" in out
    assert (
        "  2024 round 1 (Fresh From Florida 250): kept Kyle Larson #7 (finish 2), Layne Riggs #34 (finish 3), "
        "Andres Perez de Lara #77 (finish 4), Ty Majeski #98 (finish 5), Grant Enfinger #9 (finish 6); "
        "--replace truck/2024/1 takes the file's rows instead"
    ) in out


async def test_replace_names_the_race_whose_rows_the_file_replaces(store: Store, synthetic: HistoryCsv, tmp_path: Path):
    await load(store, synthetic.text)
    daytona = await shared_race(store, 2024, 1)
    version = (await store.race(daytona)).data_version  # type: ignore[union-attr]
    path = tmp_path / "truck_series.csv"
    path.write_text(daytona_2024_winner_only(synthetic), encoding="utf-8")
    argv = ("import", "nascar-data", str(path), "--series", "truck", "--replace", "truck/2024/1")
    status, out, _ = await run_cli(store, *argv)
    assert status == 0, out
    assert await finishers(store, daytona) == [(1, "Corey Heim", "11")]
    assert ", 1 replaced (--replace)" in out
    assert "Entries: 1 added, 0 updated, 0 kept that the file lacks, 6 removed by --replace" in out
    assert (await store.race(daytona)).data_version == version + 1  # type: ignore[union-attr]
    # Every other race of 2024 is untouched.
    assert len(await finishers(store, await shared_race(store, 2024, 2))) == 6


async def test_replace_never_touches_a_curated_race_and_refuses_a_bad_name(
    store: Store, synthetic: HistoryCsv, tmp_path: Path
):
    homestead = await shared_race(store, 2025, 4)
    before = await finishers(store, homestead)
    path = tmp_path / "truck_series.csv"
    path.write_text(synthetic.text, encoding="utf-8")
    status, out, _ = await run_cli(
        store, "import", "nascar-data", str(path), "--series", "truck", "--replace", "truck/2025/4"
    )
    assert status == 1
    assert "  refused: --replace truck/2025/4: that race is curated, and an import never overwrites it" in out
    assert "  2025 Baptist Health 200 · Ross Chastain · laps led: curated 33, file 32" in out  # still compared
    assert await finishers(store, homestead) == before
    status, out, _ = await run_cli(
        store, "import", "nascar-data", str(path), "--series", "truck", "--replace", "truck/2030/1"
    )
    assert status == 1 and "  refused: --replace truck/2030/1: the file holds no such race; nothing replaced" in out
    status, _, err = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck", "--replace", "2024")
    assert (status, err) == (2, "--replace '2024' is not SERIES/SEASON/ROUND, such as truck/2024/1.\n")
    status, _, err = await run_cli(
        store, "import", "nascar-data", str(path), "--series", "truck", "--replace", "cup/2024/1"
    )
    assert (status, err) == (2, "--replace cup/2024/1 is not a race of --series truck.\n")


# --- rows are matched on race, car and driver ------------------------------------------------------------------


async def test_a_finish_moved_onto_a_row_the_file_lacks_is_a_clash(store: Store, synthetic: HistoryCsv):
    await load(store, synthetic.text)
    vegas = await shared_race(store, 2024, 3)
    before = await finishers(store, vegas)
    # A file of 2024 without Vegas' 3rd (Kyle Larson), whose 2nd (Layne Riggs) now says 3rd.
    text = edited(synthetic, {"2024-3-2": {6: "3"}}, only=2024, drop="2024-3-3")
    report = await load(store, text)
    assert [(c.race, c.driver, c.reason) for c in report.clashes] == [
        (
            "2024 round 3 (Victoria's Voice Foundation 200)",
            "Layne Riggs",
            "finish 3 is held by Kyle Larson, whose stored row stays; the stored row (finish 2) was kept",
        )
    ]
    assert await finishers(store, vegas) == before


async def test_a_driver_in_another_car_is_a_clash_and_a_stored_value_is_not_erased(store: Store, synthetic: HistoryCsv):
    await load(store, synthetic.text)
    atlanta = await shared_race(store, 2024, 2)
    # Heim (2nd, #11) in #1; Majeski (3rd) with laps NA and 13 laps led.
    text = edited(synthetic, {"2024-2-2": {8: "1"}, "2024-2-3": {12: "NA", 13: "13"}}, only=2024)
    report = await load(store, text)
    assert [(c.driver, c.reason) for c in report.clashes] == [
        ("Corey Heim", "car #1 in the file, #11 stored; the stored row was kept")
    ]
    assert [(d.driver, d.field, d.stored, d.file) for d in report.changes] == [("Ty Majeski", "laps led", "0", "13")]
    entries = {e.driver: e for e in await store.entries(atlanta)}
    assert entries["Corey Heim"].car_number == "11"
    assert (entries["Ty Majeski"].laps, entries["Ty Majeski"].laps_led) == (200, 13)


async def test_a_race_the_rules_cannot_match_is_reported_and_left_alone(
    store: Store, synthetic: HistoryCsv, tmp_path: Path
):
    await load(store, synthetic.text)
    atlanta = await shared_race(store, 2024, 2)
    before = await finishers(store, atlanta)
    # Another file says 2024's round 2 was at Bristol under another name: neither track nor name agrees.
    rows = [
        edited(synthetic, {f"2024-2-{n}": {2: "Bristol Motor Speedway", 3: "Food City 250"}}).splitlines()[
            synthetic.lines[f"2024-2-{n}"] - 1
        ]
        for n in range(1, 7)
    ]
    path = tmp_path / "truck_series.csv"
    path.write_text(synthetic.text.splitlines()[0] + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    status, out, _ = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck")
    assert status == 1
    assert (
        "  2024 round 2 (Food City 250) at Bristol Motor Speedway: the stored 2024 round 2 is Fr8 208 at Atlanta "
        "Motor Speedway; left alone, never guessed; --replace truck/2024/2 takes the file's version"
    ) in out
    assert await finishers(store, atlanta) == before


# --- every fact knows its source ---------------------------------------------------------------------------------


async def test_each_race_records_where_its_entries_came_from(store: Store, synthetic: HistoryCsv, tmp_path: Path):
    await load(store, synthetic.text)
    curated = await store.race_origin(await shared_race(store, 2025, 4))
    imported = await store.race_origin(await shared_race(store, 2024, 1))
    assert curated is not None and curated.kind == "curated"
    assert imported is not None and (imported.kind, imported.sources) == ("nascar-data", ("NASCAR_DATA",))
    (source,) = await store.race_sources(await shared_race(store, 2024, 1))
    assert source.description.startswith(SOURCE_CREDIT)
    path = tmp_path / "truck_series.csv"
    path.write_text(synthetic.only(2023), encoding="utf-8")
    _, out, _ = await run_cli(store, "import", "nascar-data", str(path), "--series", "truck")
    assert "Source: DriverAverages.com via nascaR.data" in out


# --- a server's upload is never read or changed by a shared import ----------------------------------------------


async def upload(store: Store, guild: int, round_: int, track: str, driver: str) -> int:
    entries, errors = parse_results(f"finish,car,driver\n1,11,{driver}\n2,34,Layne Riggs\n")
    assert errors == []
    outcome = await store.import_guild_results(
        guild_id=guild,
        user_id=MOD,
        series=TRUCK,
        season=2024,
        round_=round_,
        name="Long John Silver's 200",
        track=track,
        date=dt.date(2024, 3, 23),
        entries=entries,
    )
    return outcome.race_id


async def test_a_shared_import_never_reads_or_changes_an_upload(store: Store, synthetic: HistoryCsv):
    uploaded = await upload(store, GUILD, 5, "Nowhere", "**carson HOCEVAR** 🤡")
    before = (await store.race(uploaded), await finishers(store, uploaded))
    report = await load(store, synthetic.text)
    assert (await store.race(uploaded), await finishers(store, uploaded)) == before
    assert not any("upload" in note and "left as it is" in note for note in report.notes)
    assert not any("Martinsville" in note for note in report.notes)  # no other name learnt for 'Nowhere'
    tracks = {name for _, name in await store.tracks()}
    assert "Martinsville Speedway" in tracks
    history = await store.track_history(next(i for i, n in await store.tracks() if n == "Martinsville Speedway"))
    assert [(w.season, w.driver) for w in history.wins if w.season == 2023] == [(2023, "Layne Riggs")]
    # The shared history spells the driver as the shared source does, never as the upload did.
    found = await store.find_driver("Carson Hocevar")
    assert found is not None and found[1] == "Carson Hocevar"


async def test_the_real_round_is_stored_for_everyone_beside_an_upload(store: Store, synthetic: HistoryCsv):
    uploaded = await upload(store, GUILD, 5, "Nowhere", "Corey Heim")
    report = await load(store, synthetic.text)
    martinsville = await shared_race(store, 2024, 5)
    assert martinsville != uploaded
    race = await store.race(martinsville)
    assert race is not None and (race.name, race.track) == ("Long John Silver's 200", "Martinsville Speedway")
    assert [driver for _, driver, _ in await finishers(store, martinsville)][:2] == ["Ty Majeski", "Corey Heim"]
    # The uploading server's moderators are told once; importing again tells them nothing more.
    assert any(note.startswith("Servers' uploads of a round now stored here: 1;") for note in report.notes)
    told = [e.action for e in await store.audit_entries(GUILD)]
    await load(store, synthetic.text)
    assert [e.action for e in await store.audit_entries(GUILD)] == told
    assert told.count("shared results") == 1
