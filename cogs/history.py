"""Fan commands over the whole stored history: /track and /compare."""

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot import render
from bot.errors import BadInputError, NotFoundError
from bot.options import SearchOptions
from bot.paging import Args, PageButton, known, paged, picked
from bot.search import (
    Catalog,
    SearchIndex,
    resolve_driver,
    resolve_series,
    resolve_track,
)
from bot.spoilers import SpoilerPolicy
from bot.store import Store
from bot.store.career import HeadToHead, TrackHistory, TrackWin
from bot.tree import loaded_cog

if TYPE_CHECKING:
    from bot.client import PitBoard

DRIVER_OPTION = "Name, surname or car number such as #07 (or pick one)"
SERIES_OPTION = "truck, nxs, cup or a full series name"
FOOTER = "Counted from the races stored in Pit Board"


def filters_text(*parts: str | None) -> str:
    """Return ' (NASCAR Cup Series, Daytona International Speedway)', or '' without filters."""
    shown = [part for part in parts if part]
    return f" ({', '.join(shown)})" if shown else ""


def average(value: float | None) -> str:
    """Return an average finish to one decimal, or 'not recorded'."""
    return render.NOT_RECORDED if value is None else f"{value:.1f}"


def held_back(count: int) -> str:
    """Return the note for races left out in spoiler-safe mode, or ''."""
    if not count:
        return ""
    return f"\n\n{render.plural(count, 'recent race')} left out while this server's spoiler-safe mode hides results."


def holders(names: Sequence[str], shown: int = 4) -> str:
    """Return up to `shown` record holders, then how many more share it."""
    text = ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def winner_line(win: TrackWin, *, with_series: bool) -> str:
    """Return '**2025** Baptist Health 200 · #07 Kyle Larson' (with the series when several raced there)."""
    series = f"{win.series_short} · " if with_series else ""
    winner = f"#{win.car} {win.driver}" if win.driver else "winner not recorded"
    return f"**{win.season}** {series}{win.race_name} · {winner}"


def track_pages(track: str, history: TrackHistory, filters: str, note: str = "") -> render.LazyPages:
    """Return a track's winners, newest first, ten a page, with who won most and the records on every page."""
    with_series = len({win.series_short for win in history.wins}) > 1
    wins = history.wins[::-1]
    most, leaders = history.most_wins()
    heading = f"{render.plural(len(history.wins), 'race')} stored{filters}.{note}"

    def page(number: int) -> discord.Embed:
        shown = wins[number * render.PAGE_SIZE : (number + 1) * render.PAGE_SIZE]
        lines = [winner_line(win, with_series=with_series) for win in shown]
        embed = render.new_embed(f"{track} · winners", heading + "\n\n" + "\n".join(lines))
        if most:
            embed.add_field(name="Most wins", value=f"{render.plural(most, 'win')} · {holders(leaders)}")
        for record in history.records:
            embed.add_field(name=record.label, value=f"{record.value} · {holders(record.holders)}")
        embed.set_footer(text=FOOTER)
        return embed

    return render.LazyPages(math.ceil(len(wins) / render.PAGE_SIZE), page)


def compare_embed(a: str, b: str, h2h: HeadToHead, filters: str, note: str = "") -> discord.Embed:
    """Return two drivers head to head: races together, who finished ahead, wins and average finish."""
    span = f" ({h2h.first_season}-{h2h.last_season})"
    if h2h.first_season == h2h.last_season:
        span = f" ({h2h.first_season})"
    description = f"In the {render.plural(h2h.races, 'race')} both started{filters}{span}.{note}"
    embed = render.new_embed(f"{a} vs {b}", description)
    embed.add_field(name="Finished ahead", value=f"{a} {h2h.a_ahead} · {b} {h2h.b_ahead}", inline=False)
    embed.add_field(name="Wins", value=f"{a} {h2h.a_wins} · {b} {h2h.b_wins}", inline=False)
    embed.add_field(
        name="Average finish", value=f"{a} {average(h2h.a_average)} · {b} {average(h2h.b_average)}", inline=False
    )
    embed.set_footer(text=FOOTER)
    return render.fit(embed)


# Pages and cards are made once per cached answer (Catalog.derived), which comes first in these.
def _track_card(history: TrackHistory, track: str, filters: str, note: str) -> render.LazyPages:
    return track_pages(track, history, filters, note)


def _compare_card(h2h: HeadToHead, a: str, b: str, filters: str, note: str) -> discord.Embed:
    return compare_embed(a, b, h2h, filters, note)


class TrackPages(PageButton, source="track", command="track"):
    """◀ ▶ over /track; its args are the track and series ids asked for."""

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: Args) -> Sequence[discord.Embed]:
        """Return the track's history again."""
        track_id, series_id = args
        unavailable = "Track histories are not available right now."
        history = cast("History", loaded_cog(interaction.client, History.__cog_name__, unavailable=unavailable))
        pages, _ = await history.history_pages(interaction, f"track:{known(track_id)}", picked("series", series_id))
        return pages


class History(SearchOptions):
    """Questions answered from every stored race: a track's winners and records, and two drivers head to head."""

    def __init__(self, store: Store, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.store = store
        self.catalog = catalog
        self.spoilers = spoilers

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
    @app_commands.describe(name="A track (or pick one)", series=SERIES_OPTION)
    @app_commands.autocomplete(name=SearchOptions.track_autocomplete, series=SearchOptions.series_autocomplete)
    async def track(self, interaction: discord.Interaction, name: str, series: str | None = None) -> None:
        """See a track's winners by year, who has won there most, and the records set there."""
        pages, args = await self.history_pages(interaction, name, series)
        await render.send_reply(interaction, paged(pages, TrackPages, owner_id=interaction.user.id, args=args))

    async def history_pages(
        self, interaction: discord.Interaction, name: str, series: str | None
    ) -> tuple[Sequence[discord.Embed], Args]:
        """Return the pages of a track's history, and the track and series ids the options were resolved to."""
        index = await self._index(interaction)
        chosen = resolve_track(index, name)
        chosen_series = resolve_series(index, series) if series else None
        filters = filters_text(chosen_series.name if chosen_series else None)
        hidden = await self._hidden(interaction, index, chosen.name)
        history = await self.catalog.read(
            self.store.track_history,
            chosen.id,
            series_id=chosen_series.id if chosen_series else None,
            guild_id=interaction.guild_id,
            exclude=hidden,
        )
        if not history.wins:
            raise NotFoundError(f"No races at {chosen.name} are stored{filters}.")
        pages = self.catalog.derived(history, _track_card, chosen.name, filters, held_back(len(hidden)))
        return pages, (chosen.id, chosen_series.id if chosen_series else None)

    @app_commands.command(name="compare")
    @app_commands.describe(driver_a=DRIVER_OPTION, driver_b=DRIVER_OPTION, series=SERIES_OPTION, track="A track")
    @app_commands.autocomplete(driver_a=SearchOptions.driver_autocomplete, driver_b=SearchOptions.driver_autocomplete)
    @app_commands.autocomplete(series=SearchOptions.series_autocomplete, track=SearchOptions.track_autocomplete)
    async def compare(
        self,
        interaction: discord.Interaction,
        driver_a: str,
        driver_b: str,
        series: str | None = None,
        track: str | None = None,
    ) -> None:
        """Compare two drivers head to head in the races both started."""
        index = await self._index(interaction)
        a, b = resolve_driver(index, driver_a), resolve_driver(index, driver_b)
        if a.id == b.id:
            raise BadInputError(f"Both options name {a.name}; pick two different drivers.")
        chosen_series = resolve_series(index, series) if series else None
        chosen_track = resolve_track(index, track) if track else None
        filters = filters_text(
            chosen_series.name if chosen_series else None, chosen_track.name if chosen_track else None
        )
        hidden = await self._hidden(interaction, index)
        h2h = await self.catalog.read(
            self.store.head_to_head,
            a.id,
            b.id,
            series_id=chosen_series.id if chosen_series else None,
            track_id=chosen_track.id if chosen_track else None,
            guild_id=interaction.guild_id,
            exclude=hidden,
        )
        if not h2h.races:
            raise NotFoundError(f"{a.name} and {b.name} never started the same stored race{filters}.")
        embed = self.catalog.derived(h2h, _compare_card, a.name, b.name, filters, held_back(len(hidden)))
        await render.send_reply(interaction, render.Reply(embed))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the store, the shared search catalog and the spoiler policy."""
    await bot.add_cog(History(bot.store, bot.catalog, SpoilerPolicy(bot.store)))
    bot.add_dynamic_items(TrackPages)
