"""Fan commands over the whole stored history: /track and /compare."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Card, Catalog
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.search import SearchIndex, Track, resolve_series, resolve_track
from bot.store.models import Driver, Series
from bot.ui.embeds.records import compare_embed, filters_text, held_back, track_pages
from bot.ui.options import DRIVER_OPTION, SERIES_OPTION, TRACK_OPTION, DriverOption, SeriesOption, TrackOption
from bot.ui.paging import PageArgs, PageButton, as_option, paged, required_id
from bot.ui.replies import Reply, send_reply

if TYPE_CHECKING:
    from bot.client import PitBoard


class TrackPages(PageButton, source="track", command="track"):
    """◀ ▶ over /track; its args are the track and series ids asked for."""

    handler: ClassVar["Records"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the track's history again."""
        track_id, series_id = args
        index = await cls.handler.catalog.index(interaction.guild_id)
        track = resolve_track(index, f"track:{required_id(track_id)}")
        series = resolve_series(index, text) if (text := as_option("series", series_id)) else None
        pages, _ = await cls.handler.history_pages(interaction, track, series)
        return pages


class Records(commands.Cog):
    """Questions answered from every stored race: a track's winners and records, and two drivers head to head."""

    def __init__(self, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.catalog = catalog
        self.spoilers = spoilers
        self.track_pager = TrackPages.serving(self)

    async def _index(self, interaction: discord.Interaction) -> SearchIndex:
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to look back on.")
        return index

    async def _hidden(
        self, interaction: discord.Interaction, index: SearchIndex, track: str | None = None
    ) -> Sequence[int]:
        """Return the ids of races whose results this server must not see yet (spoiler-safe mode)."""
        # A generator: with spoiler-safe mode off (most servers) the thousands of races are never looked at.
        races = (race for race in index.races if track is None or race.track == track)
        return sorted(await self.spoilers.hidden(interaction.guild_id, races))

    @app_commands.command(name="track")
    @app_commands.describe(name=TRACK_OPTION, series=SERIES_OPTION)
    async def track(
        self,
        interaction: discord.Interaction,
        name: app_commands.Transform[Track, TrackOption],
        series: app_commands.Transform[Series, SeriesOption] | None = None,
    ) -> None:
        """See a track's winners by year, who has won there most, and the records set there."""
        pages, args = await self.history_pages(interaction, name, series)
        await send_reply(interaction, paged(pages, self.track_pager, owner_id=interaction.user.id, args=args))

    async def history_pages(
        self, interaction: discord.Interaction, track: Track, series: Series | None
    ) -> tuple[Sequence[discord.Embed], PageArgs]:
        """Return the pages of a track's history, and the track and series ids they were asked for."""
        index = await self._index(interaction)
        filters = filters_text(series.name if series else None)
        hidden = await self._hidden(interaction, index, track.name)
        history = await self.catalog.track_history(
            track.id, series_id=series.id if series else None, guild_id=interaction.guild_id, exclude=hidden
        )
        if not history.wins:
            raise NotFoundError(f"No races at {track.name} are stored{filters}.")
        note = held_back(len(hidden))
        pages = self.catalog.card(
            Card.TRACK, history, (track.name, filters, note), lambda: track_pages(track.name, history, filters, note)
        )
        return pages, (track.id, series.id if series else None)

    @app_commands.command(name="compare")
    @app_commands.describe(driver_a=DRIVER_OPTION, driver_b=DRIVER_OPTION, series=SERIES_OPTION, track="A track")
    async def compare(
        self,
        interaction: discord.Interaction,
        driver_a: app_commands.Transform[Driver, DriverOption],
        driver_b: app_commands.Transform[Driver, DriverOption],
        series: app_commands.Transform[Series, SeriesOption] | None = None,
        track: app_commands.Transform[Track, TrackOption] | None = None,
    ) -> None:
        """Compare two drivers head to head in the races both started."""
        index = await self._index(interaction)
        a, b = driver_a, driver_b
        if a.id == b.id:
            raise BadInputError(f"Both options name {a.name}; pick two different drivers.")
        filters = filters_text(series.name if series else None, track.name if track else None)
        hidden = await self._hidden(interaction, index)
        h2h = await self.catalog.head_to_head(
            a.id,
            b.id,
            series_id=series.id if series else None,
            track_id=track.id if track else None,
            guild_id=interaction.guild_id,
            exclude=hidden,
        )
        if not h2h.races:
            raise NotFoundError(f"{a.name} and {b.name} never started the same stored race{filters}.")
        note = held_back(len(hidden))
        embed = self.catalog.card(
            Card.HEAD_TO_HEAD,
            h2h,
            (a.name, b.name, filters, note),
            lambda: compare_embed(a.name, b.name, h2h, filters, note),
        )
        await send_reply(interaction, Reply(embed))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog and the spoiler policy, and register its pager."""
    records = Records(bot.catalog, bot.spoilers)
    await bot.add_cog(records)
    bot.add_dynamic_items(records.track_pager)
