"""Fan commands about drivers: /wins and /driver."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Card, Catalog
from bot.errors import NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.search import SearchIndex, Track, resolve_driver, resolve_race, resolve_series, resolve_track
from bot.store.models import Driver, RaceSummary, Series
from bot.ui.embeds import drivers as embeds
from bot.ui.embeds.coverage import freshness_text
from bot.ui.embeds.records import held_back
from bot.ui.options import (
    DRIVER_OPTION,
    SEASON_OPTION,
    SERIES_OPTION,
    TRACK_OPTION,
    DriverOption,
    RaceOption,
    SeasonOption,
    SeriesOption,
    TrackOption,
)
from bot.ui.paging import PageArgs, PageButton, as_option, paged
from bot.ui.replies import Reply, send_reply
from bot.ui.text import plain

if TYPE_CHECKING:
    from bot.client import PitBoard


def filters_text(
    series: Series | None, track: Track | None, season: int | None, as_of: RaceSummary | None = None
) -> str:
    """Return ' (NASCAR Craftsman Truck Series, Homestead-Miami Speedway, 2025)', names escaped, or '' without any."""
    upto = f"up to the {as_of.season} {plain(as_of.name)}" if as_of else None
    names = (plain(series.name) if series else None, plain(track.name) if track else None)
    parts = [p for p in (*names, season, upto) if p]
    return f" ({', '.join(str(p) for p in parts)})" if parts else ""


class WinsPages(PageButton, source="wins", command="wins"):
    """◀ ▶ over /wins; its args are the driver, series, track, season and as-of race asked for."""

    handler: ClassVar["Drivers"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Count again, with the same filters."""
        driver, series, track, season, as_of = args
        index = await cls.handler.catalog.index(interaction.guild_id)
        chosen = {
            "driver": resolve_driver(index, text) if (text := as_option("driver", driver)) else None,
            "series": resolve_series(index, text) if (text := as_option("series", series)) else None,
            "track": resolve_track(index, text) if (text := as_option("track", track)) else None,
            "as_of": resolve_race(index, text) if (text := as_option("race", as_of)) else None,
        }
        pages, _ = await cls.handler.tally(interaction, season=season, **chosen)
        return pages


class Drivers(commands.Cog):
    """Win counts and driver profiles, counted from stored results."""

    def __init__(self, catalog: Catalog, spoilers: SpoilerPolicy | None = None) -> None:
        self.catalog = catalog
        self.spoilers = spoilers or SpoilerPolicy(catalog.guild_settings)
        self.wins_pager = WinsPages.serving(self)

    async def _require_races(self, interaction: discord.Interaction) -> SearchIndex:
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to count.")
        return index

    async def _hidden(self, interaction: discord.Interaction, index: SearchIndex) -> tuple[int, ...]:
        """Return the ids of the races whose results this server must not see yet (spoiler-safe mode)."""
        # A generator: with spoiler-safe mode off (most servers) the thousands of races are never looked at.
        return tuple(sorted(await self.spoilers.hidden(interaction.guild_id, (race for race in index.races))))

    @app_commands.command(name="wins")
    @app_commands.describe(
        driver=DRIVER_OPTION + "; the leaderboard if empty",
        series=SERIES_OPTION,
        track=TRACK_OPTION,
        season=SEASON_OPTION,
        as_of="Count only up to and including this race",
    )
    async def wins(
        self,
        interaction: discord.Interaction,
        driver: app_commands.Transform[Driver, DriverOption] | None = None,
        series: app_commands.Transform[Series, SeriesOption] | None = None,
        track: app_commands.Transform[Track, TrackOption] | None = None,
        season: app_commands.Transform[int, SeasonOption] | None = None,
        as_of: app_commands.Transform[RaceSummary, RaceOption] | None = None,
    ) -> None:
        """Count a driver's wins, starts and top finishes, or see the wins leaderboard."""
        pages, args = await self.tally(
            interaction, driver=driver, series=series, track=track, season=season, as_of=as_of
        )
        await send_reply(interaction, paged(pages, self.wins_pager, owner_id=interaction.user.id, args=args))

    async def tally(
        self,
        interaction: discord.Interaction,
        *,
        driver: Driver | None,
        series: Series | None,
        track: Track | None,
        season: int | None,
        as_of: RaceSummary | None,
    ) -> tuple[Sequence[discord.Embed], PageArgs]:
        """Return the pages of a driver's wins or of the leaderboard, and the ids the options were resolved to.

        Races still in the server's spoiler window are left out of every figure, and the pages say so.
        """
        index = await self._require_races(interaction)
        hidden = await self._hidden(interaction, index)
        filters = filters_text(series, track, season, as_of)
        series_id = series.id if series else None
        track_id = track.id if track else None
        args = (driver.id if driver else None, series_id, track_id, season, as_of.id if as_of else None)
        chosen = {"series_id": series_id, "track_id": track_id, "season": season, "as_of": as_of}
        fresh = freshness_text(await self.catalog.freshness(), {series.short_name} if series else None)
        if driver is not None:
            career = await self.catalog.career_results(driver.id, guild_id=interaction.guild_id, **chosen)
            results = await self.catalog.career_results(
                driver.id, guild_id=interaction.guild_id, exclude=hidden, **chosen
            )
            if not career:
                raise NotFoundError(f"{plain(driver.name)} has no starts in the stored races{filters}.")
            note = held_back(len(career) - len(results))
            pages = self.catalog.card(
                Card.WINS,
                results,
                (driver, filters, note, fresh),
                lambda: embeds.driver_wins_pages(driver, results, filters, note, fresh),
            )
            return pages, args
        everything = await self.catalog.leaderboard(guild_id=interaction.guild_id, **chosen)
        rows = await self.catalog.leaderboard(guild_id=interaction.guild_id, exclude=hidden, **chosen)
        if not everything:
            raise NotFoundError(f"No wins are stored{filters}.")
        note = held_back(_held_in(index, hidden, series, track, season)) if rows != everything else ""
        return self.catalog.card(
            Card.LEADERBOARD,
            rows,
            (filters, note, fresh),
            lambda: embeds.leaderboard_pages(rows, filters, note, fresh),
        ), args

    @app_commands.command(name="driver")
    @app_commands.describe(name=DRIVER_OPTION, as_of="Show the profile as it stood after this race")
    async def driver(
        self,
        interaction: discord.Interaction,
        name: app_commands.Transform[Driver, DriverOption],
        as_of: app_commands.Transform[RaceSummary, RaceOption] | None = None,
    ) -> None:
        """See a driver's profile: latest entry, result, quotes and stored career."""
        index = await self._require_races(interaction)
        hidden = await self._hidden(interaction, index)
        career = await self.catalog.career_results(name.id, as_of=as_of, guild_id=interaction.guild_id)
        if not career and as_of is not None:
            raise NotFoundError(f"{plain(name.name)} has no starts up to the {plain(as_of.label)}.")
        # Races still in the spoiler window are left out: their finish and what they add to the career line.
        results = await self.catalog.career_results(name.id, as_of=as_of, guild_id=interaction.guild_id, exclude=hidden)
        note = held_back(len(career) - len(results))
        quotes = await self.catalog.quotes(driver_id=name.id, guild_id=interaction.guild_id)
        hint = f"/quote driver:{plain(name.name)}"
        # How current the series this driver raced in are (every series when no start is shown).
        raced = {result.race.series_short for result in results} or None
        fresh = freshness_text(await self.catalog.freshness(), raced)
        embed = self.catalog.card(
            Card.PROFILE,
            results,
            (name, len(quotes), note, fresh),
            lambda: embeds.driver_embed(name, results, len(quotes), quote_hint=hint, note=note, fresh=fresh),
        )
        await send_reply(interaction, Reply(embed))


def _held_in(
    index: SearchIndex, hidden: Sequence[int], series: Series | None, track: Track | None, season: int | None
) -> int:
    """Return how many of the hidden races fall within the series, track and season asked about (at least 1)."""
    races = (index.race(race_id) for race_id in hidden)
    held = [
        race
        for race in races
        if race is not None
        and (series is None or race.series == series.name)
        and (track is None or race.track == track.name)
        and (season is None or race.season == season)
    ]
    return max(len(held), 1)  # only asked when leaving them out changed the figures


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog and the spoiler policy, and register its pager."""
    drivers = Drivers(bot.catalog, bot.spoilers)
    await bot.add_cog(drivers)
    bot.add_dynamic_items(drivers.wins_pager)
