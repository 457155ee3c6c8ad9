"""/help, offline and with clickable mentions, and every fan command registered with a description once loaded."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord import app_commands

from bot.client import EXTENSIONS, PitBoard
from bot.config import Settings
from bot.store import Store
from cogs.help import Help
from tests.fan_fakes import embed_of, invoke, make_interaction


@pytest.fixture
async def bot(store: Store, tmp_path: Path) -> AsyncIterator[PitBoard]:
    settings = Settings(token=None, database_path=tmp_path / "unused.db")
    async with PitBoard(settings=settings, store=store) as bot:
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        yield bot


FAN_COMMANDS = [
    "recap", "results", "stages", "chart", "quote", "wins", "driver", "track", "compare", "races", "next", "schedule",
    "standings", "notify", "help",
]  # fmt: skip


async def test_every_fan_command_is_registered_with_a_description(bot: PitBoard):
    registered = {c.name: c for c in bot.tree.get_commands()}
    assert set(FAN_COMMANDS) <= set(registered)
    for name in FAN_COMMANDS:
        command = registered[name]
        assert isinstance(command, app_commands.Command)
        assert 0 < len(command.description) <= 100
        assert all(0 < len(p.description) <= 100 for p in command.parameters)
    payload = bot.command_payload()  # what Discord would receive: must serialise
    assert {c["name"] for c in payload} >= set(FAN_COMMANDS)


async def test_help_offline_shows_plain_names(bot: PitBoard):
    cog = bot.get_cog("Help")
    assert cog is not None  # load_extension imports cogs.help afresh, so compare by name, not class
    interaction = make_interaction()
    await invoke(cog.help, interaction)  # type: ignore[attr-defined]
    description = embed_of(interaction).description or ""
    listed = re.findall(r"^/(\w+) · ", description, flags=re.MULTILINE)
    assert listed == FAN_COMMANDS


async def test_help_shows_clickable_mentions(bot: PitBoard):
    tree = MagicMock(spec=app_commands.CommandTree)
    tree.get_commands = bot.tree.get_commands
    tree.client = MagicMock(application_id=555)
    registered = []
    for n, name in enumerate(FAN_COMMANDS, start=1):
        command = MagicMock(spec=app_commands.AppCommand)
        command.name, command.id = name, 1000 + n
        registered.append(command)
    tree.fetch_commands = AsyncMock(side_effect=[registered, []])
    cog = Help(tree)
    interaction = make_interaction(guild_id=5)
    await invoke(cog.help, interaction)
    description = embed_of(interaction).description or ""
    assert description.startswith("</recap:1001> · Read the recap of a race")
    assert f"</help:{1000 + len(FAN_COMMANDS)}> · " in description

    again = make_interaction(guild_id=5)
    await invoke(cog.help, again)
    assert tree.fetch_commands.await_count == 2  # global + this server, fetched once


async def test_help_falls_back_to_names_when_discord_fails(bot: PitBoard):
    tree = MagicMock(spec=app_commands.CommandTree)
    tree.get_commands = bot.tree.get_commands
    tree.client = MagicMock(application_id=555)
    tree.fetch_commands = AsyncMock(side_effect=discord.HTTPException(MagicMock(status=500, reason="x"), "down"))
    cog = Help(tree)
    interaction = make_interaction()
    await invoke(cog.help, interaction)
    assert (embed_of(interaction).description or "").startswith("/recap · ")
