"""Fan commands about drivers: /wins and /driver."""

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import render
from bot.errors import NotFoundError
from bot.options import SearchOptions
from bot.search import (
    Catalog,
    SearchIndex,
    Track,
    resolve_driver,
    resolve_race,
    resolve_series,
    resolve_track,
)
from bot.store import Store
from bot.store.models import RaceSummary, Series

if TYPE_CHECKING:
    from bot.client import PitBoard

DRIVER_OPTION = "Name, surname or car number such as #07 (or pick one)"


def filters_text(
    series: Series | None, track: Track | None, season: int | None, as_of: RaceSummary | None = None
) -> str:
    """Return ' (NASCAR Craftsman Truck Series, Homestead-Miami Speedway, 2025)', or '' without filters."""
    upto = f"up to the {as_of.season} {as_of.name}" if as_of else None
    parts = [p for p in (series.name if series else None, track.name if track else None, season, upto) if p]
    return f" ({', '.join(str(p) for p in parts)})" if parts else ""


class Drivers(SearchOptions):
    """Win counts and driver profiles, counted from stored results."""

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    async def _index(self, interaction: discord.Interaction) -> SearchIndex:
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to count.")
        return index

    @app_commands.command(name="wins")
    @app_commands.describe(
        driver=DRIVER_OPTION + "; the leaderboard if empty",
        series="truck, nxs, cup or a full series name",
        track="A track (or pick one)",
        season="A season, such as 2025",
        as_of="Count only up to and including this race",
    )
    @app_commands.autocomplete(
        driver=SearchOptions.driver_autocomplete,
        series=SearchOptions.series_autocomplete,
        track=SearchOptions.track_autocomplete,
    )
    @app_commands.autocomplete(season=SearchOptions.season_autocomplete)
    @app_commands.autocomplete(as_of=SearchOptions.race_autocomplete)
    async def wins(
        self,
        interaction: discord.Interaction,
        driver: str | None = None,
        series: str | None = None,
        track: str | None = None,
        season: app_commands.Range[int, 1900, 2200] | None = None,
        as_of: str | None = None,
    ) -> None:
        """Count a driver's wins, starts and top finishes, or see the wins leaderboard."""
        index = await self._index(interaction)
        chosen_series = resolve_series(index, series) if series else None
        chosen_track = resolve_track(index, track) if track else None
        reference = resolve_race(index, as_of) if as_of else None
        filters = filters_text(chosen_series, chosen_track, season, reference)
        series_id = chosen_series.id if chosen_series else None
        track_id = chosen_track.id if chosen_track else None
        if driver:
            person = resolve_driver(index, driver)
            results = await self.catalog.read(
                self.store.career_results,
                person.id,
                series_id=series_id,
                track_id=track_id,
                season=season,
                as_of=reference,
                guild_id=interaction.guild_id,
            )
            if not results:
                raise NotFoundError(f"{person.name} has no starts in the stored races{filters}.")
            pages = render.driver_wins_pages(person, results, filters)
        else:
            rows = await self.catalog.read(
                self.store.wins_leaderboard,
                series_id=series_id,
                track_id=track_id,
                season=season,
                as_of=reference,
                guild_id=interaction.guild_id,
            )
            if not rows:
                raise NotFoundError(f"No wins are stored{filters}.")
            pages = render.leaderboard_pages(rows, filters)
        await render.send_reply(interaction, render.paged(pages, owner_id=interaction.user.id, command="wins"))

    @app_commands.command(name="driver")
    @app_commands.describe(name=DRIVER_OPTION, as_of="Show the profile as it stood after this race")
    @app_commands.autocomplete(name=SearchOptions.driver_autocomplete, as_of=SearchOptions.race_autocomplete)
    async def driver(self, interaction: discord.Interaction, name: str, as_of: str | None = None) -> None:
        """See a driver's profile: latest entry, result, quotes and stored career."""
        index = await self._index(interaction)
        person = resolve_driver(index, name)
        reference = resolve_race(index, as_of) if as_of else None
        results = await self.catalog.read(
            self.store.career_results, person.id, as_of=reference, guild_id=interaction.guild_id
        )
        if not results and reference is not None:
            raise NotFoundError(f"{person.name} has no starts up to the {reference.label}.")
        quotes = await self.store.quotes(driver_id=person.id, guild_id=interaction.guild_id)
        embed = render.driver_embed(person, results, len(quotes), quote_hint=f"/quote driver:{person.name}")
        await render.send_reply(interaction, render.Reply(embed))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the store and the shared search catalog."""
    await bot.add_cog(Drivers(bot.store, bot.catalog))
