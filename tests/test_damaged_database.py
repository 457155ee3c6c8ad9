"""A damaged database file: `db check` says what is wrong, every other command refuses it, backup never copies it."""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.store import StoreDamagedError, open_store
from tests.cli_runs import run_cli, the_error

DAMAGE_AT, DAMAGE_BYTES = 40_960, 3_000  # as the issue did it: a run of bad bytes over the middle of the file


@pytest.fixture
def damaged(seeded_file: Path, tmp_path: Path) -> Path:
    """Return a copy of the seeded database with 3,000 bytes overwritten at offset 40,960."""
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    with path.open("r+b") as fh:
        fh.seek(DAMAGE_AT)
        fh.write(b"\xab" * DAMAGE_BYTES)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] != "ok", "the overwrite did not damage the file"
    finally:
        conn.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_db_check_reports_the_damage_in_plain_words(damaged: Path):
    before = digest(damaged)
    result = run_cli("db", "check", database=damaged)
    assert result.returncode == 1
    error = the_error(result)
    assert f"{damaged} is damaged (integrity_check found 1 problem(s), the first: " in error
    assert "db backup" in error  # how to restore
    lines = result.stdout.splitlines()
    assert lines[0] == "integrity_check: 1 problem(s)"
    assert lines[1].startswith("  Page ")  # the problem itself, one to a line
    assert "integrity_check: ok" not in lines
    assert digest(damaged) == before  # diagnosing wrote nothing into it


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade"),
        ("db", "seed"),
        ("db", "backup", "{tmp}/copy.db"),
        ("preview", "/results top:3"),
        ("import", "race", "data/homestead-2025"),
        ("export", "race", "truck/2025/4", "{tmp}/exported"),
        ("drivers", "merge", "Kyle Larson", "K. Larson"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_that_opens_the_store_refuses_a_damaged_file(
    damaged: Path, tmp_path: Path, command: tuple[str, ...]
):
    before = digest(damaged)
    result = run_cli(*(part.format(tmp=tmp_path) for part in command), database=damaged)
    assert result.returncode == 2
    error = the_error(result)
    assert error.startswith(f"Database error: {damaged} is damaged (quick_check found 1 problem(s)")
    assert "Restore a copy made with `python -m bot db backup`" in error
    assert result.stdout == ""  # no answer, no "Backed up", no "Loaded" from a damaged file
    assert digest(damaged) == before
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "exported").exists()


async def test_backup_checks_its_copy_and_keeps_no_damaged_one(damaged: Path, tmp_path: Path):
    store = await open_store(damaged, upgrade=False)  # opened unchecked, as a caller other than the CLI might
    try:
        with pytest.raises(StoreDamagedError, match=r"the database is damaged \(quick_check found 1 problem"):
            await store.backup(tmp_path / "copy.db")
    finally:
        await store.close()
    assert not (tmp_path / "copy.db").exists()


def test_a_sound_backup_says_it_was_checked(seeded_file: Path, tmp_path: Path):
    database = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    result = run_cli("db", "backup", str(tmp_path / "copy.db"), database=database)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Backed up to {tmp_path / 'copy.db'}; the copy passed SQLite's quick check.\n"
    check = run_cli("db", "check", database=tmp_path / "copy.db")
    assert check.returncode == 0 and "entries: 34" in check.stdout.splitlines()
