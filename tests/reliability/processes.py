"""`python -m bot` in a child process, exactly as production runs it, for faults only a separate process shows."""

import asyncio
import contextlib
import ctypes
import hashlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.config import PROJECT_ROOT
from tests.e2e.conftest import TOKEN
from tests.fakediscord.server import FakeDiscord

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1  # lets root write files whatever their permissions say
NOWHERE = "127.0.0.1:9"  # nothing listens here: a bot that should have refused to start fails fast instead


def environment(database: Path, fake: FakeDiscord | None = None) -> dict[str, str]:
    """The process environment for a bot on database, pointed at fake (or at nothing)."""
    own = ("DISCORD_", "DATABASE_", "DEV_GUILD", "LOG_LEVEL", "SHARD_COUNT", "EXTRA_EXTENSIONS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env |= {"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(database), "LOG_LEVEL": "INFO"}
    env["DISCORD_API_BASE"] = fake.api_base if fake else f"http://{NOWHERE}/api/v10"
    env["DISCORD_GATEWAY_URL"] = fake.gateway_url if fake else f"ws://{NOWHERE}/gateway"
    return env


def without_write_override() -> None:
    """preexec_fn: as root, give up the capability that lets root write read-only files (no-op for other users)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def can_write(path: Path, preexec: Callable[[], None] | None) -> bool:
    """Whether a child process started with preexec may open path for writing."""
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"open({str(path)!r}, 'ab').close()",
        preexec_fn=preexec,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await probe.wait() == 0


async def run_cli(
    *args: str,
    database: Path,
    preexec: Callable[[], None] | None = None,
    timeout: float = 60.0,  # noqa: ASYNC109
) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to the end; return (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=PROJECT_ROOT,
        env=environment(database),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=preexec,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


class BotProcess:
    """A running `python -m bot`, its log so far, and its exit status once stopped."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.returncode: int | None = None

    @property
    def log(self) -> str:
        """Everything the bot logged."""
        return "".join(self.lines)

    async def wait_for_line(self, marker: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Read the log until a line contains marker; fail with the log if the bot exits first."""
        assert self.process.stderr is not None

        async def scan() -> None:
            while not self.lines or marker not in self.lines[-1]:
                line = await self.process.stderr.readline()  # type: ignore[union-attr]
                if not line:
                    raise AssertionError(f"the bot exited before logging {marker!r}:\n{self.log}")
                self.lines.append(line.decode(errors="replace"))

        await asyncio.wait_for(scan(), timeout)


@contextlib.asynccontextmanager
async def bot_process(
    fake: FakeDiscord, database: Path, *, preexec: Callable[[], None] | None = None
) -> AsyncIterator[BotProcess]:
    """Start the bot on database against fake, yield it once ready, then stop it with SIGTERM as a service would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=PROJECT_ROOT,
        env=environment(database, fake),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=preexec,
    )
    running = BotProcess(process)
    try:
        await running.wait_for_line("Ready as")
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        rest = await asyncio.wait_for(process.stderr.read(), 30)
        running.lines.append(rest.decode(errors="replace"))
        running.returncode = await asyncio.wait_for(process.wait(), 30)
