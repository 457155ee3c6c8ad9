"""`python -m bot …` run as a user runs it, for the command-line tests: a fresh process and its own database."""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import PROJECT_ROOT

# A log line, in bot.logs' format or discord.py's coloured one (which it picks in Docker, tty or not).
_LOG_LINE = re.compile(r"^(?:\x1b\[[\d;]*m)?\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def run_cli(
    *args: str, database: Path, preexec: Callable[[], None] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` on database with no token and no Discord settings; return what it did."""
    own = ("DISCORD_", "DATABASE_", "DEV_GUILD", "LOG_LEVEL", "SHARD_COUNT", "EXTRA_EXTENSIONS")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    environment |= {"DISCORD_TOKEN": "", "DATABASE_PATH": str(database), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=preexec,
    )


def the_error(result: subprocess.CompletedProcess[str]) -> str:
    """Return the one line the command printed as its error (log lines aside), failing if there is not exactly one."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not _LOG_LINE.match(line)]
    assert len(lines) == 1, result.stderr
    return lines[0]
