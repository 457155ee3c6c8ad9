"""The floor: a no-op /noop (and its autocomplete) that costs only what discord.py itself costs.

Benchmarks only. The bot loads it when started with EXTRA_EXTENSIONS=bench.floor, so one process answers
both the fan commands and this command, and the difference between them is the bot's own work.
"""

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import PitBoard

OK_CHOICES = [app_commands.Choice(name="ok", value="ok")]


class Floor(commands.Cog):
    """A command that answers without doing anything."""

    async def text_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Offer one fixed choice, whatever was typed."""
        return OK_CHOICES

    @app_commands.command(name="noop")
    @app_commands.describe(text="Ignored")
    @app_commands.autocomplete(text=text_autocomplete)
    async def noop(self, interaction: discord.Interaction, text: str | None = None) -> None:
        """Reply 'ok' (benchmark floor)."""
        await interaction.response.send_message("ok")


async def setup(bot: "PitBoard") -> None:
    """Add the no-op cog."""
    await bot.add_cog(Floor())
