"""Command-line mistakes and unusable places answered with one line and an exit status, never a traceback.

The read-only cases run the command without CAP_DAC_OVERRIDE (see tests.reliability.processes): tests run as root
in CI, and root writes into a read-only folder otherwise, so a chmod alone would prove nothing.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.cli_runs import run_cli, the_error
from tests.reliability.processes import without_write_override

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
TOO_BIG = "99999999999999999999999"  # beyond SQLite's largest integer, 2**63 - 1


@pytest.fixture
def database(seeded_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, path)
    return path


def read_only(path: Path) -> Path:
    """Make path read-only and check that a command really cannot write it, even run by root."""
    path.chmod(0o555 if path.is_dir() else 0o444)
    target = path / "probe" if path.is_dir() else path
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(target)!r}, 'ab').close()"],
        preexec_fn=without_write_override,
        capture_output=True,
        check=False,
    )
    assert probe.returncode != 0, f"could not make {path} read-only"
    return path


# --- arguments -----------------------------------------------------------------------------------------------


def test_export_into_a_file_says_so(database: Path, tmp_path: Path):
    afile = tmp_path / "afile"
    afile.write_text("notes\n")
    result = run_cli("export", "race", "truck/2025/4", str(afile), database=database)
    assert result.returncode == 2
    assert the_error(result) == f"{afile} is a file; export into a new or empty folder."
    assert afile.read_text() == "notes\n"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("export", "race", TOO_BIG, "{tmp}/out"), f"'{TOO_BIG}' is not a race id"),
        (("drivers", "merge", f"#{TOO_BIG}", "x"), f"'#{TOO_BIG}' is not a driver id"),
        (("drivers", "merge", "Kyle Larson", "#²"), "'#²' is not a driver id"),
    ],
    ids=["export race", "drivers merge", "a digit int() refuses"],
)
def test_an_id_beyond_any_stored_one_is_one_line(database: Path, tmp_path: Path, command: tuple, expected: str):
    result = run_cli(*(part.format(tmp=tmp_path) for part in command), database=database)
    assert result.returncode == 2
    assert the_error(result).startswith(expected + ": ids are whole numbers up to 9223372036854775807")
    assert not (tmp_path / "out").exists()


def test_a_well_formed_id_that_names_no_driver_is_still_refused_with_1(database: Path):
    result = run_cli("drivers", "merge", "#123456", "x", database=database)
    assert result.returncode == 1  # well formed, but names no driver: refused as documented
    assert the_error(result) == "No driver '#123456': give a stored name, alias or #id."


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("nodir/x.png", "Cannot write --out nodir/x.png: there is no folder nodir."),
        (".", "Cannot write --out .: it is a folder; give a file name such as chart.png."),
    ],
)
def test_preview_out_where_no_file_can_go(database: Path, out: str, expected: str):
    result = run_cli("preview", "/chart", "--out", out, database=database)
    assert result.returncode == 2
    assert the_error(result) == expected
    assert result.stdout == ""


def test_preview_out_into_a_read_only_folder(database: Path, tmp_path: Path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    read_only(folder)
    try:
        result = run_cli(
            "preview", "/chart", "--out", str(folder / "x.png"), database=database, preexec=without_write_override
        )
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    assert the_error(result) == f"Cannot write --out {folder / 'x.png'}: Permission denied."
    assert not (folder / "x.png").exists()


# --- where the database lives --------------------------------------------------------------------------------


def test_database_in_a_read_only_folder(tmp_path: Path):
    folder = tmp_path / "mounted"
    folder.mkdir()
    read_only(folder)
    try:
        result = run_cli("db", "upgrade", database=folder / "pitboard.db", preexec=without_write_override)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    error = the_error(result)
    assert error.startswith(f"Database error: {folder / 'pitboard.db'} cannot be opened or created (")
    assert "check that its folder exists and can be written" in error
    assert list(folder.iterdir()) == []


def test_a_writable_database_in_a_read_only_folder_is_read_as_a_read_only_one(database: Path, tmp_path: Path):
    folder = tmp_path / "mounted"
    folder.mkdir()
    shutil.move(database, folder / "pitboard.db")
    read_only(folder)  # the file may be written, but SQLite's -wal file beside it may not be made
    try:
        seed = run_cli("db", "seed", database=folder / "pitboard.db", preexec=without_write_override)
        check = run_cli("db", "check", database=folder / "pitboard.db", preexec=without_write_override)
    finally:
        folder.chmod(0o755)
    assert seed.returncode == 0, seed.stderr
    assert seed.stdout == "Nothing new to load.\n"
    assert check.returncode == 0, check.stderr
    assert {"integrity_check: ok", "entries: 34"} <= set(check.stdout.splitlines())
    assert "open read-only" in check.stderr  # the operator is told why nothing could be saved
    assert sorted(p.name for p in folder.iterdir()) == ["pitboard.db"]


def test_database_under_a_folder_that_cannot_exist(tmp_path: Path):
    # /proc refuses new folders to root as to anyone: the same FileNotFoundError a user gets for a missing mount.
    result = run_cli("db", "check", database=Path("/proc/pit-board-nowhere/pitboard.db"))
    assert result.returncode == 2
    assert the_error(result) == (
        "Database error: /proc/pit-board-nowhere/pitboard.db cannot be opened or created (No such file or "
        "directory); check that its folder exists and can be written, or set DATABASE_PATH to another file."
    )


def test_seed_on_a_read_only_database_with_nothing_to_load(database: Path):
    read_only(database)
    before = database.read_bytes()
    try:
        result = run_cli("db", "seed", database=database, preexec=without_write_override)
    finally:
        database.chmod(0o644)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Nothing new to load.\n"
    assert "Traceback" not in result.stderr
    assert database.read_bytes() == before


def test_seed_on_a_read_only_database_that_lacks_a_race_still_fails(tmp_path: Path):
    empty = tmp_path / "empty.db"
    assert run_cli("db", "upgrade", database=empty).returncode == 0
    read_only(empty)
    try:
        result = run_cli("db", "seed", database=empty, preexec=without_write_override)
    finally:
        empty.chmod(0o644)
    assert result.returncode == 2
    assert the_error(result) == "Database error: the database is read-only right now, so nothing was saved."


# --- settings ------------------------------------------------------------------------------------------------


def test_an_api_base_with_no_host_stops_start_up_naming_the_variable(tmp_path: Path):
    result = run_cli(database=tmp_path / "pitboard.db", DISCORD_TOKEN=TOKEN, DISCORD_API_BASE="http://")
    assert result.returncode == 2
    assert the_error(result) == (
        "Configuration error: DISCORD_API_BASE: 'http://' names no host; give one, as in http://127.0.0.1:8080, "
        "or leave it unset."
    )
    assert not (tmp_path / "pitboard.db").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("DISCORD_API_BASE", "https:///api/v10", "names no host"),
        ("DISCORD_API_BASE", "http://:8080/api", "names no host"),
        ("DISCORD_API_BASE", "http://127.0.0.1:99999/api", "not a usable URL (Port out of range"),
        ("DISCORD_API_BASE", "http://127.0.0.1:port/api", "not a usable URL"),
        ("DISCORD_API_BASE", "http://[::1/api", "not a usable URL"),
        ("DISCORD_GATEWAY_URL", "ws://", "names no host"),
        ("DISCORD_GATEWAY_URL", "wss://:443", "names no host"),
    ],
)
def test_urls_need_a_host_and_a_usable_port(variable: str, value: str, hint: str):
    with pytest.raises(ConfigError) as caught:
        load_settings({"DISCORD_TOKEN": TOKEN, variable: value})
    assert caught.value.variable == variable
    assert hint in str(caught.value)


def test_urls_with_a_host_are_kept():
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": "http://[::1]:9000/api/v10/",
            "DISCORD_GATEWAY_URL": "wss://gateway.example",
        }
    )
    assert (settings.api_base, settings.gateway_url) == ("http://[::1]:9000/api/v10", "wss://gateway.example")
