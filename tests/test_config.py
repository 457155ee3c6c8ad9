import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from bot.config import PROJECT_ROOT, ConfigError, Secret, load_settings
from bot.logs import RedactSecrets

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
CLUSTER = {"SHARD_COUNT": "4", "DATABASE_URL": "postgresql://pitboard@db.example.org/pitboard"}


def test_defaults_with_only_a_token():
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert settings.token == Secret(TOKEN)
    assert settings.database_path == PROJECT_ROOT / "data" / "pitboard.db"
    assert settings.dev_guild_id is None
    assert settings.log_level == logging.INFO
    assert settings.shard_count is None
    assert settings.api_base is None and settings.gateway_url is None


def test_every_variable_is_read():
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_PATH": "/tmp/elsewhere.db",
            "DEV_GUILD_ID": "123456789012345678",
            "LOG_LEVEL": "debug",
            "SHARD_COUNT": "2",
            "DISCORD_API_BASE": "http://127.0.0.1:9000/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9000/gateway",
        }
    )
    assert settings.database_path == Path("/tmp/elsewhere.db")
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == logging.DEBUG
    assert settings.shard_count == 2
    assert settings.api_base == "http://127.0.0.1:9000/api/v10"
    assert settings.gateway_url == "ws://127.0.0.1:9000/gateway"


@pytest.mark.parametrize(("raw", "shards"), [("0-3", (0, 1, 2, 3)), ("0,2", (0, 2)), (" 3, 0-1 ", (0, 1, 3))])
def test_a_process_runs_the_slice_of_shards_shard_ids_names(raw: str, shards: tuple[int, ...]):
    settings = load_settings({"DISCORD_TOKEN": TOKEN, **CLUSTER, "SHARD_IDS": raw})
    assert settings.shard_ids == shards
    assert settings.shard_count == 4


@pytest.mark.parametrize(
    ("env", "variable", "hint"),
    [
        ({}, "DISCORD_TOKEN", "is not set"),
        ({"DISCORD_TOKEN": "short"}, "DISCORD_TOKEN", "does not look like a bot token"),
        ({"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": "/tmp"}, "DATABASE_PATH", "is a folder"),
        ({"DISCORD_TOKEN": TOKEN, "DEV_GUILD_ID": "my server"}, "DEV_GUILD_ID", "not a whole number"),
        ({"DISCORD_TOKEN": TOKEN, "DEV_GUILD_ID": "-4"}, "DEV_GUILD_ID", "at least 1"),
        ({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL", "not one of"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "0"}, "SHARD_COUNT", "at least 1"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "two"}, "SHARD_COUNT", "not a whole number"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_IDS": "0-1"}, "SHARD_IDS", "needs SHARD_COUNT"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "4", "SHARD_IDS": "0-1"}, "SHARD_IDS", "needs DATABASE_URL"),
        ({"DISCORD_TOKEN": TOKEN, **CLUSTER, "SHARD_IDS": "2-4"}, "SHARD_IDS", "SHARD_COUNT is 4"),
        ({"DISCORD_TOKEN": TOKEN, **CLUSTER, "SHARD_IDS": "one"}, "SHARD_IDS", "not a shard number"),
        ({"DISCORD_TOKEN": TOKEN, **CLUSTER, "SHARD_IDS": "3-1"}, "SHARD_IDS", "lower to a higher"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": "127.0.0.1:80"}, "DISCORD_API_BASE", "must start with"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL", "must start with ws"),
    ],
)
def test_bad_values_name_the_variable(env, variable, hint):
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert hint in str(caught.value)


def test_maintenance_commands_need_no_token():
    assert load_settings({}, require_token=False).token is None


def test_token_never_shows_in_repr_or_logs(caplog):
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting with %s", (TOKEN,), None)
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert "[redacted]" in record.getMessage()


def run_cli(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD"))}
    environment |= {"DISCORD_TOKEN": "", "DATABASE_PATH": str(tmp_path / "cli.db"), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_start_without_token_exits_2_naming_the_variable(tmp_path: Path):
    result = run_cli(tmp_path=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "DISCORD_TOKEN" in line and ".env" in line
    assert "Traceback" not in result.stderr


def test_data_commands_log_like_the_bot_without_loading_discord(tmp_path: Path):
    result = run_cli("db", "upgrade", tmp_path=tmp_path, PYTHONPROFILEIMPORTTIME="1", LOG_LEVEL="INFO")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    imported = [line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time")]
    assert "bot.store" in imported
    assert not [name for name in imported if name.split(".")[0] == "discord"]  # about 0.2 s saved per command
    logged = [line for line in lines if not line.startswith("import time")]
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \[INFO    \] bot\.store\.database: Applied migration 0001_initial\.sql",
        logged[0],
    )


def test_db_check_on_a_fresh_database_counts_the_homestead_race(tmp_path: Path):
    result = run_cli("db", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = set(result.stdout.splitlines())
    assert {"integrity_check: ok", "foreign_key_check: 0 problem(s)", "races: 1", "entries: 34", "quotes: 19"} <= lines


def test_db_backup_copy_passes_check(tmp_path: Path):
    assert run_cli("db", "seed", tmp_path=tmp_path).returncode == 0
    copy = tmp_path / "copy.db"
    result = run_cli("db", "backup", str(copy), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    check = run_cli("db", "check", tmp_path=tmp_path, DATABASE_PATH=str(copy))
    assert "entries: 34" in check.stdout.splitlines()
    again = run_cli("db", "backup", str(copy), tmp_path=tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_db_refuses_a_foreign_file_without_traceback(tmp_path: Path):
    path = tmp_path / "foreign.db"
    path.write_bytes(b"PK\x03\x04 this is a zip file" * 10)
    result = run_cli("db", "check", tmp_path=tmp_path, DATABASE_PATH=str(path))
    assert result.returncode == 2
    assert "not a SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes().startswith(b"PK")


def test_extra_extensions_are_module_names_loaded_after_the_bots_own():
    from bot.client import EXTENSIONS, PitBoard
    from bot.store import Store

    assert load_settings({"DISCORD_TOKEN": TOKEN}).extra_extensions == ()
    settings = load_settings({"DISCORD_TOKEN": TOKEN, "EXTRA_EXTENSIONS": " bench.floor, tools.extra_2 ,"})
    assert settings.extra_extensions == ("bench.floor", "tools.extra_2")
    bot = PitBoard(settings=settings, store=MagicMock(spec=Store))  # nothing reads the store here
    assert bot.initial_extensions == (*EXTENSIONS, "bench.floor", "tools.extra_2")
    for bad in ("bench/floor", "bench.", "2fast", "bench floor"):
        with pytest.raises(ConfigError) as caught:
            load_settings({"DISCORD_TOKEN": TOKEN, "EXTRA_EXTENSIONS": bad})
        assert caught.value.variable == "EXTRA_EXTENSIONS"
        assert "not a module name" in str(caught.value)


def test_race_feed_is_off_unless_the_owner_turns_it_on():
    from bot.config import DEFAULT_NASCAR_FEED_URL

    assert load_settings({}, require_token=False).race_feed is False
    on = load_settings({"RACE_FEED": " ON ", "NASCAR_FEED_URL": "http://127.0.0.1:8080/"}, require_token=False)
    assert on.race_feed is True and on.nascar_feed_url == "http://127.0.0.1:8080"
    assert load_settings({"RACE_FEED": "off"}, require_token=False).nascar_feed_url == DEFAULT_NASCAR_FEED_URL
    with pytest.raises(ConfigError, match="RACE_FEED: 'yes' is neither on nor off"):
        load_settings({"RACE_FEED": "yes"}, require_token=False)


def test_database_url_is_optional_and_kept_secret():
    assert load_settings({"DISCORD_TOKEN": TOKEN}).database_url is None
    url = "postgresql://pitboard:hunter2hunter2@db.example.org:5432/pitboard"
    settings = load_settings({"DISCORD_TOKEN": TOKEN, "DATABASE_URL": f"  {url} "})
    assert settings.database_url == Secret(url)
    assert "hunter2" not in repr(settings)
    assert load_settings({"DATABASE_URL": "postgres://db/pitboard"}, require_token=False).database_url is not None


@pytest.mark.parametrize(
    "url",
    [
        "mysql://pitboard:hunter2hunter2@db/pitboard",
        "db.example.org/pitboard",
        "postgresql://pitboard:hunter2hunter2@db:99999/x",
    ],
)
def test_a_database_url_that_is_not_postgresql_is_refused_without_showing_its_password(url: str):
    with pytest.raises(ConfigError) as caught:
        load_settings({"DISCORD_TOKEN": TOKEN, "DATABASE_URL": url})
    assert caught.value.variable == "DATABASE_URL"
    assert "hunter2" not in str(caught.value)
    assert "postgresql://" in str(caught.value) or "not a usable URL" in str(caught.value)


def test_the_database_url_is_in_the_example_settings():
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^DATABASE_URL=$", example, re.MULTILINE)
