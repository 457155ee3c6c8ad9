"""Autocomplete for the options fan commands share: race, driver, series, track and season."""

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.search import (
    Catalog,
    driver_suggestions,
    race_in_context,
    race_suggestions,
    season_suggestions,
    series_suggestions,
    track_suggestions,
)


class SearchOptions(commands.Cog):
    """A cog base whose autocomplete callbacks read the shared search catalog.

    Use them as `@app_commands.autocomplete(race=SearchOptions.race_autocomplete)`; discord.py calls them
    bound to the cog, so each sees the cog's own catalog.
    """

    catalog: Catalog

    async def race_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Suggest races by name, track, season or 'latest'."""
        return render.choices(race_suggestions(await self.catalog.index(interaction.guild_id), current))

    async def driver_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest drivers; car numbers are those of the race chosen so far, else of the latest race."""
        index = await self.catalog.index(interaction.guild_id)
        typed_race = getattr(interaction.namespace, "race", None)
        race_id = race_in_context(index, typed_race if isinstance(typed_race, str) else None)
        return render.choices(driver_suggestions(index, current, race_id=race_id))

    async def series_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest stored series."""
        return render.choices(series_suggestions(await self.catalog.index(interaction.guild_id), current))

    async def track_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest stored tracks."""
        return render.choices(track_suggestions(await self.catalog.index(interaction.guild_id), current))

    async def season_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Suggest stored seasons, newest first."""
        seasons = season_suggestions(await self.catalog.index(interaction.guild_id), current)
        return [app_commands.Choice(name=str(season), value=season) for season in seasons]
