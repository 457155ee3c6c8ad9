"""Fan commands over the whole stored history: /track and /compare."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Card, Catalog
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.search import SearchIndex, Track, resolve_series, resolve_track
from bot.store.career import HeadToHead
from bot.store.models import Driver, RaceSummary, Series
from bot.tree import reply_private, report_error
from bot.ui.embeds.coverage import freshness_text
from bot.ui.embeds.records import compare_embed, filters_text, held_back, held_back_embed, track_pages
from bot.ui.options import DRIVER_OPTION, SERIES_OPTION, TRACK_OPTION, DriverOption, SeriesOption, TrackOption
from bot.ui.paging import PageArgs, PageButton, as_option, decode_args, encode_args, paged, required_id
from bot.ui.replies import Reply, Served, StatelessView, send_reply
from bot.ui.text import plain

if TYPE_CHECKING:
    from bot.client import PitBoard


class TrackPages(PageButton, source="track", command="track"):
    """◀ ▶ over /track; its args are the track and series ids asked for, and 1 when races were held back."""

    handler: ClassVar["Records"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the track's history again."""
        track, series = await cls.handler.track_args(interaction, args)
        reply, _ = await cls.handler.history_pages(interaction, track, series)
        if isinstance(reply, Reply):  # every race there is held back now
            return [reply.embed]
        return reply

    @classmethod
    def extras(cls, args: PageArgs) -> tuple["RevealTrack", ...]:
        """Return Reveal when races were held back."""
        return (cls.handler.track_reveal(args[:2]),) if args[2:3] == (1,) else ()


class RevealedTrackPages(PageButton, source="trackall", command="track"):
    """◀ ▶ over a track's whole history, revealed privately; its args are the track and series ids."""

    handler: ClassVar["Records"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the track's whole history again, held-back races included."""
        track, series = await cls.handler.track_args(interaction, args)
        reply, _ = await cls.handler.history_pages(interaction, track, series, reveal=True)
        assert not isinstance(reply, Reply)  # nothing is held back from a reveal
        return reply


class RevealButton(
    Served,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pitboard:reveal:(?P<what>[a-z]+):(?P<args>[0-9.-]*)",
):
    """'Reveal' under a reply that left races out for spoilers: the whole answer, privately, for whoever presses.

    Like the pagers it keeps nothing: the ids the command was answered with travel in its custom_id. A subclass
    names what it reveals and answers in reveal().
    """

    what: ClassVar[str]

    def __init_subclass__(cls, *, what: str | None = None, **kwargs: Any) -> None:
        what = what or cls.what  # a class made by serving() keeps its parent's
        super().__init_subclass__(template=rf"pitboard:reveal:{what}:(?P<args>[0-9.-]*)", **kwargs)
        cls.what = what

    def __init__(self, args: PageArgs) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Reveal",
            style=discord.ButtonStyle.success,
            custom_id=f"pitboard:reveal:{self.what}:{encode_args(args)}",
        )
        super().__init__(button)
        self.args = args

    @property
    def label(self) -> str:
        """Return 'Reveal'."""
        return self.item.label or ""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Return the button pressed, with the ids its custom_id carries."""
        return cls(decode_args(match["args"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run reveal(), sending errors down the path every command and view shares."""
        try:
            await self.reveal(interaction)
        except Exception as error:
            await report_error(interaction, error, where=f"{type(self).__name__} button")

    async def reveal(self, interaction: discord.Interaction) -> None:
        """Answer whoever pressed, privately, with nothing held back."""
        raise NotImplementedError


class RevealTrack(RevealButton, what="track"):
    """Reveal under /track: the track's whole history; its args are the track and series ids."""

    handler: ClassVar["Records"]

    async def reveal(self, interaction: discord.Interaction) -> None:
        """Show the track's whole history to whoever pressed, and nobody else."""
        track, series = await self.handler.track_args(interaction, self.args)
        pages, args = await self.handler.history_pages(interaction, track, series, reveal=True)
        assert not isinstance(pages, Reply)  # nothing is held back from a reveal
        reply = paged(pages, self.handler.revealed_pager, owner_id=interaction.user.id, args=args[:2])
        await reply_private(interaction, embed=reply.embed, view=reply.view)


class RevealCompare(RevealButton, what="compare"):
    """Reveal under /compare: the whole head to head; its args are both drivers', the series' and the track's ids."""

    handler: ClassVar["Records"]

    async def reveal(self, interaction: discord.Interaction) -> None:
        """Show the whole head to head to whoever pressed, and nobody else."""
        a_id, b_id, series_id, track_id = self.args
        index = await self.handler.catalog.index(interaction.guild_id)
        a, b = index.driver(required_id(a_id)), index.driver(required_id(b_id))
        if a is None or b is None:
            raise NotFoundError("Those drivers are no longer stored; run /compare again.")
        series = resolve_series(index, text) if (text := as_option("series", series_id)) else None
        track = resolve_track(index, text) if (text := as_option("track", track_id)) else None
        h2h = await self.handler.head_to_head(interaction, a, b, series, track)
        filters = filters_text(series.name if series else None, track.name if track else None)
        await reply_private(interaction, embed=compare_embed(a.name, b.name, h2h, filters))


class Records(commands.Cog):
    """Questions answered from every stored race: a track's winners and records, and two drivers head to head."""

    def __init__(self, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.catalog = catalog
        self.spoilers = spoilers
        self.track_pager = TrackPages.serving(self)
        self.revealed_pager = RevealedTrackPages.serving(self)
        self.track_reveal = RevealTrack.serving(self)
        self.compare_reveal = RevealCompare.serving(self)

    @property
    def dynamic_items(self) -> tuple[type[discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]]], ...]:
        """Return the button classes discord.py must know to answer presses on this cog's replies."""
        return (self.track_pager, self.revealed_pager, self.track_reveal, self.compare_reveal)

    async def _index(self, interaction: discord.Interaction) -> SearchIndex:
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to look back on.")
        return index

    async def _held(
        self,
        interaction: discord.Interaction,
        index: SearchIndex,
        *,
        series: Series | None,
        track: Track | None,
        drivers: tuple[int, ...] = (),
    ) -> list[RaceSummary]:
        """Return the races within the filters whose results this server must not see yet (spoiler-safe mode).

        With drivers, only the races all of them started (their car numbers are in the index).
        """
        # A generator: with spoiler-safe mode off (most servers) the thousands of races are never looked at.
        races = (
            race
            for race in index.races
            if (track is None or race.track == track.name) and (series is None or race.series == series.name)
        )
        held = [
            race for race_id in await self.spoilers.hidden(interaction.guild_id, races) if (race := index.race(race_id))
        ]
        if drivers:
            started = {race.id: {driver for driver, _ in index.cars.get(race.id, {}).values()} for race in held}
            held = [race for race in held if all(driver in started[race.id] for driver in drivers)]
        return sorted(held, key=lambda race: (race.date, race.id))

    async def _until(self, interaction: discord.Interaction, races: Sequence[RaceSummary]) -> dt.datetime | None:
        """Return when the last of these races' results may be shown in this server."""
        untils = [until for race in races if (until := await self.spoilers.until(interaction.guild_id, race))]
        return max(untils, default=None)

    async def track_args(self, interaction: discord.Interaction, args: PageArgs) -> tuple[Track, Series | None]:
        """Return the track and series a /track button's args name."""
        track_id, series_id = (*args, None)[:2]
        index = await self.catalog.index(interaction.guild_id)
        track = resolve_track(index, f"track:{required_id(track_id)}")
        series = resolve_series(index, text) if (text := as_option("series", series_id)) else None
        return track, series

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
        if isinstance(pages, Reply):
            await send_reply(interaction, pages)
            return
        await send_reply(interaction, paged(pages, self.track_pager, owner_id=interaction.user.id, args=args))

    async def history_pages(
        self, interaction: discord.Interaction, track: Track, series: Series | None, *, reveal: bool = False
    ) -> tuple[Sequence[discord.Embed] | Reply, PageArgs]:
        """Return the pages of a track's history, and the track and series ids they were asked for.

        Races still in the server's spoiler window are left out (all of them kept with reveal), and the pages say
        so under a Reveal button; when nothing else is stored there, the reply is a card saying so instead.
        """
        index = await self._index(interaction)
        filters = filters_text(series.name if series else None)
        held = [] if reveal else await self._held(interaction, index, series=series, track=track)
        history = await self.catalog.track_history(
            track.id,
            series_id=series.id if series else None,
            guild_id=interaction.guild_id,
            exclude=[race.id for race in held],
        )
        ids = (track.id, series.id if series else None)
        # How current the series raced here are (only the one asked about, if any).
        raced = (
            {series.short_name}
            if series
            else {win.series_short for win in history.wins} | {race.series_short for race in held}
        )
        fresh = freshness_text(await self.catalog.freshness(), raced)
        if not history.wins and held:
            until = await self._until(interaction, held)
            lead = "The only race stored here is" if len(held) == 1 else "The only races stored here are"
            title = f"{plain(track.name)} · winners"
            card = held_back_embed(title, lead, held, until, "the track's winners and records", fresh)
            return Reply(card, StatelessView(self.track_reveal(ids))), ids
        if not history.wins:
            raise NotFoundError(f"No races at {plain(track.name)} are stored{filters}.")
        note = held_back(len(held), reveal=True)
        pages = self.catalog.card(
            Card.TRACK,
            history,
            (track.name, filters, note, fresh),
            lambda: track_pages(track.name, history, filters, note, fresh),
        )
        return pages, (*ids, 1 if held else None)

    async def head_to_head(
        self,
        interaction: discord.Interaction,
        a: Driver,
        b: Driver,
        series: Series | None,
        track: Track | None,
        exclude: Sequence[RaceSummary] = (),
    ) -> HeadToHead:
        """Return two drivers' record in the races both started within the filters, but for those in exclude."""
        return await self.catalog.head_to_head(
            a.id,
            b.id,
            series_id=series.id if series else None,
            track_id=track.id if track else None,
            guild_id=interaction.guild_id,
            exclude=[race.id for race in exclude],
        )

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
        a_name, b_name = plain(a.name), plain(b.name)  # as replies show them
        if a.id == b.id:
            raise BadInputError(f"Both options name {a_name}; pick two different drivers.")
        filters = filters_text(series.name if series else None, track.name if track else None)
        # Races both started that are still in the spoiler window are left out, with Reveal to see them.
        held = await self._held(interaction, index, series=series, track=track, drivers=(a.id, b.id))
        h2h = await self.head_to_head(interaction, a, b, series, track, exclude=held)
        reveal = self.compare_reveal((a.id, b.id, series.id if series else None, track.id if track else None))
        if not h2h.races and held:
            until = await self._until(interaction, held)
            lead = f"{a_name} and {b_name} both started only"
            card = held_back_embed(f"{a_name} vs {b_name}", lead, held, until, "how they compare")
            await send_reply(interaction, Reply(card, StatelessView(reveal)))
            return
        if not h2h.races:
            raise NotFoundError(f"{a_name} and {b_name} never started the same stored race{filters}.")
        note = held_back(len(held), reveal=True)
        embed = self.catalog.card(
            Card.HEAD_TO_HEAD,
            h2h,
            (a.name, b.name, filters, note),
            lambda: compare_embed(a.name, b.name, h2h, filters, note),
        )
        await send_reply(interaction, Reply(embed, StatelessView(reveal) if held else None))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog and the spoiler policy, and register its buttons."""
    records = Records(bot.catalog, bot.spoilers)
    await bot.add_cog(records)
    bot.add_dynamic_items(*records.dynamic_items)
