"""Points eligibility kept as recorded: yes, no, disputed, or not recorded, through files, store, upgrade and export."""

import csv
import io
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import maintenance
from bot.__main__ import main
from bot.importers.nascar_data import parse_history
from bot.importers.race_folder import export_race, import_race_folder
from bot.racefiles import parse_results
from bot.store import Store, open_store
from bot.store.database import MIGRATIONS_DIR, connect, migrate, schema_version
from tests.conftest import DATA_DIR
from tests.history_data import history_csv

HOMESTEAD = DATA_DIR / "homestead-2025"
# The shipped results say yes, no and disputed; these two rows are changed to a blank and 'unknown'.
NOT_RECORDED = {"Layne Riggs": "", "Corey Heim": "unknown"}


def eligibility_column(results_csv: str) -> dict[str, str]:
    """Return driver -> the points_eligible cell of a results.csv."""
    return {row["driver"]: row["points_eligible"] for row in csv.DictReader(io.StringIO(results_csv))}


def folder_with_every_state(tmp_path: Path) -> Path:
    """Copy the Homestead folder with two rows' eligibility not recorded (one blank, one 'unknown')."""
    folder = tmp_path / "every-state"
    shutil.copytree(HOMESTEAD, folder)
    with (HOMESTEAD / "results.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [row | {"points_eligible": NOT_RECORDED.get(row["driver"], row["points_eligible"])} for row in reader]
        columns = list(reader.fieldnames or [])
    with (folder / "results.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return folder


async def eligibility_of(store: Store, race_id: int) -> dict[str, str | None]:
    """Return driver -> stored eligibility of one race."""
    return {entry.driver: entry.points_eligible for entry in await store.entries(race_id)}


def test_a_results_file_reads_three_states_and_not_recorded():
    text = "finish,car,driver,points_eligible\n1,07,A,yes\n2,34,B,NO\n3,7,C,Disputed\n4,11,D,\n5,98,E,unknown\n"
    records, errors = parse_results(text)
    assert errors == []
    assert [r.points_eligible for r in records] == ["yes", "no", "disputed", None, None]
    _, errors = parse_results("finish,car,driver,points_eligible\n1,07,A,maybe\n")
    assert errors == ["results.csv:2: points_eligible must be yes, no or disputed, not 'maybe'"]


async def test_every_state_round_trips_through_export_and_import(empty_store: Store, tmp_path: Path) -> None:
    race_id = await import_race_folder(empty_store, folder_with_every_state(tmp_path), DATA_DIR)
    assert race_id is not None
    stored = await eligibility_of(empty_store, race_id)
    assert (stored["Kyle Larson"], stored["Corey Day"], stored["Ty Majeski"]) == ("no", "disputed", "yes")
    assert (stored["Layne Riggs"], stored["Corey Heim"]) == (None, None)

    await export_race(empty_store, race_id, tmp_path / "exported")
    cells = eligibility_column((tmp_path / "exported" / "results.csv").read_text(encoding="utf-8"))
    assert (cells["Kyle Larson"], cells["Corey Day"], cells["Ty Majeski"]) == ("no", "disputed", "yes")
    assert (cells["Layne Riggs"], cells["Corey Heim"]) == ("", "")

    again = await open_store(tmp_path / "again.db")
    try:
        copy = await import_race_folder(again, tmp_path / "exported")
        assert copy is not None
        assert await eligibility_of(again, copy) == stored
    finally:
        await again.close()


async def test_migration_keeps_yes_and_no_and_makes_the_old_null_not_recorded(tmp_path: Path):
    folder = tmp_path / "through-0005"
    folder.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-5]_*.sql")):
        shutil.copy(path, folder / path.name)
    conn = await connect(tmp_path / "old.db")
    try:
        await migrate(conn, folder)
        await conn.executescript(
            """
            INSERT INTO series (id, name, short_name) VALUES (1, 'Truck', 'truck');
            INSERT INTO seasons (id, series_id, year) VALUES (1, 1, 2025);
            INSERT INTO tracks (id, name) VALUES (1, 'Oval');
            INSERT INTO races (id, season_id, round, name, track_id, race_date) VALUES (1, 1, 1, 'R', 1, '2025-03-01');
            INSERT INTO drivers (id, name, name_key) VALUES (1, 'A', 'a'), (2, 'B', 'b'), (3, 'C', 'c');
            INSERT INTO entries (race_id, driver_id, car_number, finish_pos, points_eligible)
            VALUES (1, 1, '07', 1, 1), (1, 2, '7', 2, 0), (1, 3, '70', 3, NULL);
            """
        )
        assert (await migrate(conn))[0] == 6  # 0006 first, then any later migration
        assert await schema_version(conn) >= 6
        async with conn.execute("SELECT car_number, eligibility FROM entries ORDER BY finish_pos") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [("07", "yes"), ("7", "no"), ("70", None)]
        async with conn.execute("SELECT name FROM pragma_table_info('entries')") as cursor:
            assert "points_eligible" not in [row[0] for row in await cursor.fetchall()]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            await conn.execute("UPDATE entries SET eligibility = 'maybe'")
    finally:
        await conn.close()


def as_before_0006(path: Path) -> None:
    """Turn a current database back into what version 5 stored: 1, 0, and NULL for disputed and unknown alike.

    What 0008 to 0014 added goes too, so they can be applied again (0007 rebuilds races, dropping
    arrived_at and its trigger).
    """
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            DROP INDEX quotes_by_server_id;  -- 0014
            ALTER TABLE quotes DROP COLUMN server_quote_id;
            ALTER TABLE schedule_races DROP COLUMN race_day;  -- 0013, before 0010's tables go
            DROP TABLE standing_rows;
            DROP TABLE standings;
            DROP TABLE schedule_races;
            DROP TABLE feed_cache;
            DROP TABLE result_versions;
            DROP TABLE lead_changes;
            DROP TABLE caution_segments;
            DROP TABLE nascar_drivers;
            DROP INDEX races_by_feed_id;
            ALTER TABLE entries DROP COLUMN times_led;
            ALTER TABLE entries DROP COLUMN playoff_points;
            ALTER TABLE entries DROP COLUMN disqualified;
            ALTER TABLE races DROP COLUMN feed_race_id;
            ALTER TABLE races DROP COLUMN start_utc;
            ALTER TABLE guild_settings DROP COLUMN announce;
            ALTER TABLE guild_settings DROP COLUMN announce_since;
            ALTER TABLE guild_settings DROP COLUMN mod_channel_id;
            ALTER TABLE guild_settings DROP COLUMN notify;  -- 0012
            DROP TABLE race_day_posts;  -- 0011 (its announcements.shown goes with announcements below)
            DROP TABLE race_day;
            DROP TABLE guild_series;
            DROP TABLE announce_watermarks;
            DROP TABLE announcements;
            DROP TABLE post_stops;
            ALTER TABLE entries ADD COLUMN points_eligible INTEGER CHECK (points_eligible IN (0, 1));
            UPDATE entries SET points_eligible = CASE eligibility WHEN 'yes' THEN 1 WHEN 'no' THEN 0 END;
            ALTER TABLE entries DROP COLUMN eligibility;
            PRAGMA user_version = 5;
            """
        )
    conn.close()


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """Undo the logging set-up of each in-process `main()`: no handler may outlive the stream it writes to."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("discord", "discord.http")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run `python -m bot ARGV` and return what it printed, checking it succeeded."""
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.usefixtures("cli_logging")
def test_db_seed_after_the_upgrade_brings_back_the_curated_dispute(
    seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    as_before_0006(path)
    with sqlite3.connect(path) as conn:  # a value the store holds is never replaced by the folder's
        conn.execute("UPDATE entries SET points_eligible = 1 WHERE car_number = '07'")
    conn.close()
    monkeypatch.setenv("DATABASE_PATH", str(path))

    assert "schema up to date" in run(capsys, "db", "upgrade")
    upgraded = run(capsys, "preview", "/driver name:Corey Day")
    assert "0 pts" in upgraded and "disputed" not in upgraded  # version 5 kept no trace of the dispute

    assert run(capsys, "db", "seed") == "Nothing new to load.\n"
    assert "0 pts (eligibility disputed)" in run(capsys, "preview", "/driver name:Corey Day")
    assert "no pts (not eligible)" in run(capsys, "preview", "/driver name:Ross Chastain")
    larson = run(capsys, "preview", "/driver name:#07")
    assert "Kyle Larson" in larson and "not eligible" not in larson


async def test_seeding_fills_in_nothing_of_a_race_imported_before_it(empty_store: Store):
    history = parse_history(io.StringIO(history_csv().only(2025)), series="truck", source="truck.csv")
    await empty_store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    race_id = await empty_store.race_exists("NASCAR Craftsman Truck Series", 2025, 4)
    assert race_id is not None
    assert await maintenance.seed(empty_store, DATA_DIR) == []  # the imported race holds the round
    assert set((await eligibility_of(empty_store, race_id)).values()) == {None}


@pytest.mark.usefixtures("cli_logging")
def test_cli_export_writes_the_dispute(
    seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    run(capsys, "export", "race", "truck/2025/4", str(tmp_path / "out"))
    cells = eligibility_column((tmp_path / "out" / "results.csv").read_text(encoding="utf-8"))
    shipped = eligibility_column((HOMESTEAD / "results.csv").read_text(encoding="utf-8"))
    assert cells["Corey Day"] == "disputed"
    assert cells == shipped
