"""Fan commands about drivers: /wins and /driver."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot import render
from bot.errors import NotFoundError
from bot.options import SearchOptions
from bot.paging import Args, PageButton, paged, picked
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
from bot.store.models import Driver, DriverResult, RaceSummary, Series
from bot.tree import loaded_cog

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


# Pages and cards are made once per cached answer (Catalog.derived), which comes first in these.
def _wins_pages(results: Sequence[DriverResult], driver: Driver, filters: str) -> Sequence[discord.Embed]:
    return render.driver_wins_pages(driver, results, filters)


def _profile_card(results: Sequence[DriverResult], driver: Driver, quote_count: int) -> discord.Embed:
    return render.driver_embed(driver, results, quote_count, quote_hint=f"/quote driver:{driver.name}")


class WinsPages(PageButton, source="wins", command="wins"):
    """◀ ▶ over /wins; its args are the driver, series, track, season and as-of race asked for."""

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: Args) -> Sequence[discord.Embed]:
        """Count again, with the same filters."""
        driver, series, track, season, as_of = args
        cog = loaded_cog(
            interaction.client, Drivers.__cog_name__, unavailable="Win counts are not available right now."
        )
        pages, _ = await cast("Drivers", cog).tally(
            interaction,
            driver=picked("driver", driver),
            series=picked("series", series),
            track=picked("track", track),
            season=season,
            as_of=picked("race", as_of),
        )
        return pages


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
        pages, args = await self.tally(
            interaction, driver=driver, series=series, track=track, season=season, as_of=as_of
        )
        await render.send_reply(interaction, paged(pages, WinsPages, owner_id=interaction.user.id, args=args))

    async def tally(
        self,
        interaction: discord.Interaction,
        *,
        driver: str | None,
        series: str | None,
        track: str | None,
        season: int | None,
        as_of: str | None,
    ) -> tuple[Sequence[discord.Embed], Args]:
        """Return the pages of a driver's wins or of the leaderboard, and the ids the options were resolved to."""
        index = await self._index(interaction)
        chosen_series = resolve_series(index, series) if series else None
        chosen_track = resolve_track(index, track) if track else None
        reference = resolve_race(index, as_of) if as_of else None
        filters = filters_text(chosen_series, chosen_track, season, reference)
        series_id = chosen_series.id if chosen_series else None
        track_id = chosen_track.id if chosen_track else None
        person = resolve_driver(index, driver) if driver else None
        args = (person.id if person else None, series_id, track_id, season, reference.id if reference else None)
        if person is not None:
            results = await self.catalog.career_results(
                person.id,
                series_id=series_id,
                track_id=track_id,
                season=season,
                as_of=reference,
                guild_id=interaction.guild_id,
            )
            if not results:
                raise NotFoundError(f"{person.name} has no starts in the stored races{filters}.")
            return self.catalog.derived(results, _wins_pages, person, filters), args
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
        return self.catalog.derived(rows, render.leaderboard_pages, filters), args

    @app_commands.command(name="driver")
    @app_commands.describe(name=DRIVER_OPTION, as_of="Show the profile as it stood after this race")
    @app_commands.autocomplete(name=SearchOptions.driver_autocomplete, as_of=SearchOptions.race_autocomplete)
    async def driver(self, interaction: discord.Interaction, name: str, as_of: str | None = None) -> None:
        """See a driver's profile: latest entry, result, quotes and stored career."""
        index = await self._index(interaction)
        person = resolve_driver(index, name)
        reference = resolve_race(index, as_of) if as_of else None
        results = await self.catalog.career_results(person.id, as_of=reference, guild_id=interaction.guild_id)
        if not results and reference is not None:
            raise NotFoundError(f"{person.name} has no starts up to the {reference.label}.")
        quotes = await self.catalog.read(self.store.quotes, driver_id=person.id, guild_id=interaction.guild_id)
        embed = self.catalog.derived(results, _profile_card, person, len(quotes))
        await render.send_reply(interaction, render.Reply(embed))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the store and the shared search catalog."""
    await bot.add_cog(Drivers(bot.store, bot.catalog))
    bot.add_dynamic_items(WinsPages)
