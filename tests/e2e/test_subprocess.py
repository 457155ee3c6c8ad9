"""`python -m bot` exactly as it runs in production, pointed at the fake by its settings."""

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT
from tests.e2e.conftest import TOKEN
from tests.fakediscord.server import FakeDiscord


async def read_until(stream: asyncio.StreamReader, marker: str, seen: list[str], timeout: float = 30.0) -> None:  # noqa: ASYNC109
    async def scan() -> None:
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError("the bot exited early:\n" + "".join(seen))
            seen.append(line.decode(errors="replace"))
            if marker in seen[-1]:
                return

    await asyncio.wait_for(scan(), timeout)


async def test_python_m_bot_answers_a_fan_and_stops_cleanly(fake_discord: FakeDiscord, tmp_path: Path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "DEV_GUILD"))}
    environment |= {
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(tmp_path / "production.db"),
        "DISCORD_API_BASE": fake_discord.api_base,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        await read_until(process.stderr, "Ready as", seen)
        interaction = await fake_discord.send_slash("results", {"top": 3})
        callback = await interaction.wait_response(timeout=10)
        description = callback.body["data"]["embeds"][0]["description"]
        order = [description.index(name) for name in ("Kyle Larson", "Layne Riggs", "Corey Heim")]
        assert order == sorted(order)
        assert "allowed_mentions" in callback.body["data"]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), 30)
        seen.append(rest.decode(errors="replace"))
        code = await asyncio.wait_for(process.wait(), 30)
    log = "".join(seen)
    assert code == 0, log
    assert "Seeded an empty database with 2025 Baptist Health 200" in log
    assert TOKEN not in log
    assert "Traceback" not in log
    assert (tmp_path / "production.db").exists()
