"""`python -m bot import nascar-data` killed at random moments, or running out of disk: afterwards `db check`
passes, and the import is either all there or not there at all.
"""

import asyncio
import csv
import random
import resource
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.maintenance import COUNTED_TABLES
from tests.reliability.processes import environment, run_cli
from tests.reliability.tally import injected, lost, tried

HEADER = ("Season", "Race", "Track", "Name", "Length", "Surface", "Finish", "Start", "Car", "Driver", "Make", "Pts")
HEADER += ("Laps", "Led", "Status", "Team", "S1", "S2", "S3", "Rating", "Win")
SEASONS = range(1996, 2021)  # clear of the seeded 2025 race, so every row of the file is new
ROUNDS = 23
FIELD = 36
KILLS = 8


def write_history(path: Path, seed: int = 95) -> int:
    """A Truck Series history in nascaR.data's export_series() layout; return its number of rows."""
    rng = random.Random(seed)
    drivers = [f"Synthetic Driver {n:03d}" for n in range(300)]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for season in SEASONS:
            for round_ in range(1, ROUNDS + 1):
                track = f"Synthetic Speedway {round_:02d}"
                for finish, driver in enumerate(rng.sample(range(len(drivers)), FIELD), start=1):
                    laps, led = 200 - finish // 6, rng.choice((0, 0, 0, 5, 20))
                    out.writerow(
                        (season, round_, track, f"Synthetic {season} 200 #{round_}", 1.5, "paved", finish,
                         rng.randint(1, FIELD), finish, drivers[driver], rng.choice(("Ford", "Chevrolet", "Toyota")),
                         max(1, 41 - finish), laps, led, "running", f"Team {driver % 40}", "NA", "NA", "NA",
                         round(rng.uniform(40, 130), 1), int(finish == 1))
                    )  # fmt: skip
                    rows += 1
    return rows


def counts(database: Path) -> dict[str, int]:
    """Rows per table, read as `db check` reads them."""
    conn = sqlite3.connect(database)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("history")
    path = folder / "truck.csv"
    return path, write_history(path)


async def test_an_import_killed_at_any_moment_is_all_there_or_not_at_all(
    history: tuple[Path, int], seeded_file: Path, tmp_path: Path
):
    file, rows = history
    absent = counts(seeded_file)
    # One import run to the end: the state a completed import leaves, and how long one takes.
    complete = tmp_path / "complete.db"
    shutil.copyfile(seeded_file, complete)
    started = time.monotonic()
    status, out, err = await run_cli("import", "nascar-data", str(file), "--series", "truck", database=complete)
    duration = time.monotonic() - started
    assert status == 0, out + err
    present = counts(complete)
    assert present["entries"] - absent["entries"] == rows
    tried(1 + KILLS)

    rng = random.Random(20)
    outcomes = []
    for run in range(KILLS):
        database = tmp_path / f"killed-{run}.db"
        shutil.copyfile(seeded_file, database)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "import", "nascar-data", str(file), "--series", "truck",
            cwd=PROJECT_ROOT, env=environment(database),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if run % 2:
            await asyncio.sleep(rng.uniform(0.05, duration))  # any moment: starting, reading, writing, committing
        else:
            await _first_write(database, process)  # the moment the transaction reaches the disk
            await asyncio.sleep(rng.uniform(0, 0.02))
        if process.returncode is None:  # on a busy machine the import may have finished already
            process.kill()
            injected()
        await process.wait()
        status, out, err = await run_cli("db", "check", database=database)
        assert status == 0 and "integrity_check: ok" in out, f"run {run}: {out}{err}"
        after = counts(database)
        if after not in (absent, present):
            lost(sum(abs(present[t] - after[t]) for t in COUNTED_TABLES))
            pytest.fail(f"run {run}: half an import is stored: {after}")
        outcomes.append("all" if after == present else "none")
    assert "none" in outcomes, outcomes  # some kills landed before the commit


async def _first_write(database: Path, process: asyncio.subprocess.Process) -> None:
    """Wait until the import's transaction starts writing to the WAL, or the import ends."""
    wal = database.with_name(database.name + "-wal")
    while process.returncode is None and not (wal.exists() and wal.stat().st_size > 0):  # noqa: ASYNC110 - a file
        await asyncio.sleep(0.002)


def small_disk(limit: int) -> None:
    """preexec_fn: no file may grow past limit bytes, as on a nearly full disk (writes past it fail)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


async def test_an_import_that_runs_out_of_disk_rolls_back_and_says_so(
    history: tuple[Path, int], seeded_file: Path, tmp_path: Path
):
    file, _ = history
    database = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    before = counts(database)
    limit = database.stat().st_size + 500_003  # room for the database as it is, not for the import
    injected()
    tried()
    status, out, err = await run_cli(
        "import", "nascar-data", str(file), "--series", "truck", database=database, preexec=lambda: small_disk(limit)
    )
    assert status == 2, out + err
    assert "Database error:" in err and "nothing was saved" in err, err
    assert "Traceback" not in err, err
    status, out, err = await run_cli("db", "check", database=database)
    assert status == 0 and "integrity_check: ok" in out, out + err
    assert counts(database) == before
