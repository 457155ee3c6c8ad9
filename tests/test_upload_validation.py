"""Uploaded results files: numbers out of range, unsafe characters, over-long cells and repeated columns."""

import csv
import io
from pathlib import Path

import pytest

from bot.racefiles import RaceFileError, parse_results, read_race_dir, read_results

pytestmark = pytest.mark.backends("sqlite", "postgres")

HEADER = "finish,start,car,driver,team,make,sponsor,laps,status,laps_led,points,stage_points,notes\n"
GOOD = "1,2,07,Alex Able,Team A,Ford,Acme,100,running,60,55,10,fine\n"
HUGE = "99999999999999999999999"
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "homestead-2025"


def row(**cells: str) -> str:
    """A results line: the good one with some cells replaced."""
    values = dict(zip(HEADER.strip().split(","), GOOD.strip().split(","), strict=True)) | cells
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values.values())
    return out.getvalue()


INVISIBLE = "which is invisible; remove it"
CONTROL = "a control character; remove it"


@pytest.mark.parametrize(
    ("cells", "said"),
    [
        pytest.param({"finish": HUGE}, f"column finish is out of range: it must be 1 to 250, not {HUGE}", id="finish"),
        pytest.param({"start": HUGE}, f"column start is out of range: it must be 1 to 250, not {HUGE}", id="start"),
        pytest.param({"laps": HUGE}, f"column laps is out of range: it must be 0 to 5,000, not {HUGE}", id="laps"),
        pytest.param(
            {"laps_led": HUGE}, f"column laps_led is out of range: it must be 0 to 5,000, not {HUGE}", id="laps_led"
        ),
        pytest.param({"points": HUGE}, f"column points is out of range: it must be 0 to 500, not {HUGE}", id="points"),
        pytest.param(
            {"stage_points": HUGE},
            f"column stage_points is out of range: it must be 0 to 500, not {HUGE}",
            id="stage_points",
        ),
        pytest.param({"finish": "251"}, "column finish is out of range: it must be 1 to 250, not 251", id="finish+1"),
        pytest.param({"laps": "5001"}, "column laps is out of range: it must be 0 to 5,000, not 5001", id="laps+1"),
        pytest.param({"points": "501"}, "column points is out of range: it must be 0 to 500, not 501", id="points+1"),
        pytest.param(
            {"points": "9" * 900}, f"column points is out of range: it must be 0 to 500, not {'9' * 29}…", id="digits"
        ),
        pytest.param({"driver": "Alex\x00Able"}, f"driver holds U+0000, {CONTROL}", id="nul"),
        pytest.param({"finish": "1\x00"}, f"finish holds U+0000, {CONTROL}", id="nul-in-number"),
        pytest.param({"sponsor": "Acme\x85"}, f"sponsor holds U+0085, {CONTROL}", id="c1"),
        pytest.param({"status": "run\x7fning"}, f"status holds U+007F, {CONTROL}", id="del"),
        pytest.param({"notes": "a\x1bb"}, f"notes holds U+001B, {CONTROL}", id="escape-in-notes"),
        pytest.param(
            {"driver": "\u202eelbA xelA"}, f"driver holds U+202E (RIGHT-TO-LEFT OVERRIDE), {INVISIBLE}", id="rlo"
        ),
        pytest.param(
            {"driver": "Alex \u2067Able\u2069"}, f"driver holds U+2067 (RIGHT-TO-LEFT ISOLATE), {INVISIBLE}", id="rli"
        ),
        pytest.param({"team": "Team\u200bA"}, f"team holds U+200B (ZERO WIDTH SPACE), {INVISIBLE}", id="zwsp"),
        pytest.param({"notes": "n" * 1001}, "notes is longer than 1,000 characters", id="long-notes"),
        pytest.param({"driver": "d" * 1001}, "driver is longer than 1,000 characters", id="long-driver"),
    ],
)
def test_each_bad_cell_is_one_error_at_its_line_and_nothing_is_returned(cells: dict[str, str], said: str):
    # Two blank lines first: the bad row is on line 4 of the file, and that is the line reported.
    entries, errors = parse_results(HEADER + "\n\n" + row(**cells), "club.csv")
    assert errors == [f"club.csv:4: {said}"]
    assert entries == ()


def test_numbers_at_the_bounds_and_cells_of_1000_characters_are_accepted():
    cells = {"finish": "250", "start": "250", "laps": "5000", "laps_led": "5000", "points": "500", "notes": "n" * 1000}
    entries, errors = parse_results(HEADER + row(**cells))
    assert errors == []
    (entry,) = entries
    assert (entry.finish, entry.start, entry.laps, entry.laps_led, entry.points) == (250, 250, 5000, 5000, 500)
    assert entry.notes == "n" * 1000


def test_joining_and_accented_characters_are_kept():
    # Zero-width joiners belong to scripts and emoji; only invisible spacing and direction changes are refused.
    entries, errors = parse_results(HEADER + row(driver="Jörg Müller", team="Team \u200d👨‍🔧", notes="a\tb\nc"))
    assert errors == []
    assert (entries[0].driver, entries[0].team, entries[0].notes) == ("Jörg Müller", "Team \u200d👨‍🔧", "a\tb\nc")


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("finish,car,driver,finish", "column 'finish' appears twice"),
        ("finish,car,driver, car ,car", "column 'car' appears 3 times"),
        ("finish,car,driver,car,points,points", "column 'car' appears twice; column 'points' appears twice"),
    ],
)
def test_a_header_naming_a_column_more_than_once_is_refused_whole(header: str, said: str):
    entries, errors = parse_results(f"{header}\n1,07,Alex Able,2,3,4\n2,08,Bea Bright,5,6,7\n")
    assert errors == [f"results.csv:1: {said}"]
    assert entries == ()


def test_unsafe_or_over_long_header_cells_are_refused_at_line_1():
    assert parse_results("finish,car,driver,\u202enotes\n1,07,A,x\n") == (
        (),
        ["results.csv:1: the header holds U+202E (RIGHT-TO-LEFT OVERRIDE), which is invisible; remove it"],
    )
    assert parse_results(f"finish,car,driver,{'x' * 1001}\n1,07,A,x\n") == (
        (),
        ["results.csv:1: the header is longer than 1,000 characters"],
    )


def test_a_cell_past_the_csv_readers_limit_is_reported_at_its_own_line():
    # Lines 2-3 are one row (a quoted cell holding a line break) and line 4 is blank, so the huge cell is on line 5.
    text = HEADER + row(notes="two\nlines") + "\n" + row(car="08", driver="Bea Bright", notes="n" * 200_000)
    entries, errors = parse_results(text)
    assert errors == ["results.csv:5: a cell is longer than 1,000 characters (field larger than field limit (131072))"]
    assert [e.driver for e in entries] == ["Alex Able"]


def test_an_over_long_cell_after_multi_line_rows_is_reported_at_its_own_line():
    text = HEADER + row(notes="one\ntwo\nthree") + row(car="08", driver="Bea Bright", notes="n" * 1001)
    assert parse_results(text)[1] == ["results.csv:5: notes is longer than 1,000 characters"]


def test_the_shipped_race_folder_loads_as_before():
    entries = read_results(SHIPPED / "results.csv")
    assert len(entries) == 34
    assert entries[0].driver == "Kyle Larson" and entries[0].car == "07" and entries[0].laps == 134
    assert read_race_dir(SHIPPED).entries == entries


def test_race_folder_rows_keep_their_text_as_given(tmp_path: Path):
    # Only uploads are held to the character and 1,000-character rules; a data source's names are stored as given.
    text = HEADER + row(driver="Alex\u202eAble", notes="n" * 1001)
    (tmp_path / "results.csv").write_text(text, encoding="utf-8")
    (entry,) = read_results(tmp_path / "results.csv")
    assert (entry.driver, len(entry.notes or "")) == ("Alex\u202eAble", 1001)
    assert parse_results(text)[1] != []  # the same file uploaded is refused


def test_a_number_too_long_to_read_is_out_of_range_in_a_race_folder_too(tmp_path: Path):
    (tmp_path / "results.csv").write_text(HEADER + row(laps="9" * 5000), encoding="utf-8")
    with pytest.raises(RaceFileError) as raised:
        read_results(tmp_path / "results.csv")
    assert str(raised.value) == f"results.csv:2: column laps is out of range: it must be 0 to 5,000, not {'9' * 29}…"
