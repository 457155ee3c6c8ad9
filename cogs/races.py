"""Fan commands about one race or the list of races: /recap, /results, /stages and /races."""

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot import render
from bot.errors import NotFoundError
from bot.milestones import milestones
from bot.options import SearchOptions
from bot.paging import Args, PageButton, known, paged, picked
from bot.recap_writer import RecapFacts, write_recap
from bot.search import (
    Catalog,
    RaceData,
    resolve_race,
    resolve_series,
)
from bot.spoilers import SpoilerPolicy
from bot.store import Store
from bot.store.models import RaceSummary
from bot.tree import NO_MENTIONS, loaded_cog
from cogs.charts import ChartButton

if TYPE_CHECKING:
    from bot.client import PitBoard

RACE_OPTION = "Race name, track or season (or pick one); the latest race if empty"


def results_reply(
    catalog: Catalog, data: RaceData, *, top: int | None, owner_id: int, spoiler: bool = False
) -> render.Reply:
    """Return the finishing order, paged, with the race's Chart button, or raise when the race has no results."""
    if not data.entries:
        raise NotFoundError(f"No results are stored for the {render.race_title(data.race)} yet.")
    pages = results_pages(catalog, data, top, spoiler=spoiler)
    return paged(pages, ResultsPages, owner_id=owner_id, args=(data.race.id, top))


def results_pages(catalog: Catalog, data: RaceData, top: int | None, *, spoiler: bool) -> render.LazyPages:
    """Return the race's pages of results, written once per race, `top` and spoiler setting while its facts last."""
    return catalog.derived(data, _results_pages, top, spoiler)


def _results_pages(data: RaceData, top: int | None, spoiler: bool) -> render.LazyPages:
    return render.results_pages(data, top, spoiler=spoiler)


def _races_pages(races: tuple[RaceSummary, ...], filters: str, hidden: frozenset[int]) -> render.LazyPages:
    return render.races_pages(races, filters, hidden=hidden)


def stages_reply(catalog: Catalog, data: RaceData, *, spoiler: bool = False) -> render.Reply:
    """Return the stage results (written once per race and spoiler setting), or raise when the race has none."""
    if not data.stages:
        raise NotFoundError(f"No stage results are stored for the {render.race_title(data.race)}.")
    return render.Reply(catalog.derived(data, _stages_card, spoiler))


def _stages_card(data: RaceData, spoiler: bool) -> discord.Embed:
    return render.stages_embed(data, spoiler=spoiler)


async def full_recap_embed(catalog: Catalog, data: RaceData, guild_id: int | None) -> discord.Embed:
    """Return the recap: this server's published one if any, else one written from the stored facts."""
    store = catalog.store
    published = await store.published_recap(data.race.id, guild_id) if guild_id is not None else None
    # The winner's history scans every result of the series: read once per race and server while nothing changes.
    lines = tuple(milestones(await catalog.read(store.winner_history, data.race.id, guild_id=guild_id)))
    # Writing the recap, then its card, costs more CPU than the rest of the command: each is done once per race
    # (and published version, and milestones) while the race's facts last, and the card is shared by every reply.
    if published is not None:
        body = f"**{published.headline}**\n\n{published.body}"
        return catalog.derived(data, _recap_card, body, published.author_id, lines)
    return catalog.derived(data, _recap_card, catalog.derived(data, written_recap), None, lines)


def _recap_card(data: RaceData, body: str, published_by: int | None, lines: tuple[str, ...]) -> discord.Embed:
    return render.recap_embed(data, body, published_by=published_by, milestones=lines)


def written_recap(data: RaceData) -> str:
    """Return the recap written from a race's stored facts (a pure function of them)."""
    facts = RecapFacts(race=data.race, entries=data.entries, stages=data.stages, moments=data.moments, notes=data.notes)
    return write_recap(facts)


async def race_quotes_reply(
    catalog: Catalog, data: RaceData, *, guild_id: int | None, owner_id: int, rng: random.Random
) -> render.Reply:
    """Return the race's quotes with an 'Another' button, or raise when it has none."""
    quotes = await catalog.read(catalog.store.quotes, race_id=data.race.id, guild_id=guild_id)
    if not quotes:
        raise NotFoundError(f"No quotes are stored for the {render.race_title(data.race)}.")
    return render.quotes_reply(quotes, owner_id=owner_id, rng=rng)


def races_of(client: discord.Client) -> "Races":
    """Return the loaded Races cog, for the buttons under its replies."""
    cog = loaded_cog(client, Races.__cog_name__, unavailable="Race replies are not available right now.")
    return cast("Races", cog)


class ResultsPages(PageButton, source="results", command="results"):
    """◀ ▶ over a race's finishing order; its args are the race id and the `top` asked for."""

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: Args) -> Sequence[discord.Embed]:
        """Return the finishing order again, hidden if the server's spoiler-safe window is still open."""
        race_id, top = args
        races = races_of(interaction.client)
        data = await races.button_race(interaction, known(race_id))
        return results_pages(races.catalog, data, top, spoiler=await races.hidden(interaction, data))

    @classmethod
    def extras(cls, args: Args) -> tuple[ChartButton]:
        """Return the race's Chart button."""
        return (ChartButton(known(args[0])),)


class RacesPages(PageButton, source="races", command="races"):
    """◀ ▶ over the list of stored races; its args are the series id and the season asked for."""

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: Args) -> Sequence[discord.Embed]:
        """Return the list again."""
        series_id, season = args
        pages, _ = await races_of(interaction.client).listing(interaction, picked("series", series_id), season)
        return pages


class RecapResultsButton(render.RaceButton, action="recap-results"):
    """'Results' under a recap: the race's finishing order for whoever presses it."""

    label = "Results"
    style = discord.ButtonStyle.primary

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's finishing order."""
        races = races_of(interaction.client)
        data = await races.button_race(interaction, self.race_id)
        spoiler = await races.hidden(interaction, data)
        reply = results_reply(races.catalog, data, top=None, owner_id=interaction.user.id, spoiler=spoiler)
        await render.send_reply(interaction, reply)


class RecapStagesButton(render.RaceButton, action="recap-stages"):
    """'Stages' under a recap: the race's stage results for whoever presses it."""

    label = "Stages"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's stage results."""
        races = races_of(interaction.client)
        data = await races.button_race(interaction, self.race_id)
        spoiler = await races.hidden(interaction, data)
        await render.send_reply(interaction, stages_reply(races.catalog, data, spoiler=spoiler))


class RecapQuotesButton(render.RaceButton, action="recap-quotes"):
    """'Quotes' under a recap: one of the race's quotes, with 'Another' for the rest."""

    label = "Quotes"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post one of the race's quotes, with 'Another' for the rest."""
        races = races_of(interaction.client)
        data = await races.button_race(interaction, self.race_id)
        reply = await race_quotes_reply(
            races.catalog, data, guild_id=interaction.guild_id, owner_id=interaction.user.id, rng=races.rng
        )
        await render.send_reply(interaction, reply)


class RecapRevealButton(render.RaceButton, action="recap-reveal"):
    """'Reveal' on a spoiler-safe recap card: the full recap, privately, for whoever presses it."""

    label = "Reveal"
    style = discord.ButtonStyle.success
    button_row = 1

    async def press(self, interaction: discord.Interaction) -> None:
        """Show the full recap to the person who pressed, and nobody else."""
        races = races_of(interaction.client)
        data = await races.button_race(interaction, self.race_id)
        embed = await full_recap_embed(races.catalog, data, interaction.guild_id)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


RACE_BUTTONS = (RecapResultsButton, RecapStagesButton, RecapQuotesButton, RecapRevealButton)


class RecapView(render.StatelessView):
    """Buttons under a recap that open that race's results, stages, quotes and chart for whoever presses them."""

    def __init__(self, race_id: int) -> None:
        super().__init__(
            RecapResultsButton(race_id), RecapStagesButton(race_id), RecapQuotesButton(race_id), ChartButton(race_id)
        )


class SpoilerRecapView(RecapView):
    """A recap card in spoiler-safe mode: Reveal answers privately, the other buttons hide results."""

    def __init__(self, race_id: int) -> None:
        super().__init__(race_id)
        self.add_item(RecapRevealButton(race_id))


class Races(SearchOptions):
    """Recaps, results, stages and the list of stored races."""

    def __init__(
        self, store: Store, catalog: Catalog, spoilers: SpoilerPolicy, *, rng: random.Random | None = None
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.spoilers = spoilers
        self.rng = rng or random.Random()  # noqa: S311 - shuffles quotes, guards nothing

    async def _race(self, interaction: discord.Interaction, race: str | None) -> RaceData:
        index = await self.catalog.index(interaction.guild_id)
        return await self.catalog.race_data(resolve_race(index, race).id)

    async def button_race(self, interaction: discord.Interaction, race_id: int) -> RaceData:
        """Return the facts of the race a button names, if the server pressing it may still see that race."""
        if (await self.catalog.index(interaction.guild_id)).race(race_id) is None:
            raise NotFoundError("That race is no longer stored; pick another from the list.")
        return await self.catalog.race_data(race_id)

    async def hidden(self, interaction: discord.Interaction, data: RaceData) -> bool:
        """Return whether this server's spoiler-safe window still hides the race's results."""
        return await self.spoilers.until(interaction.guild_id, data.race.date) is not None

    @app_commands.command(name="recap")
    @app_commands.describe(race=RACE_OPTION)
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def recap(self, interaction: discord.Interaction, race: str | None = None) -> None:
        """Read the recap of a race: who won, how, and the moments that decided it."""
        data = await self._race(interaction, race)
        until = await self.spoilers.until(interaction.guild_id, data.race.date)
        if until is not None:
            view = SpoilerRecapView(data.race.id)
            await render.send_reply(interaction, render.Reply(render.spoiler_recap_embed(data.race, until), view))
            return
        embed = await full_recap_embed(self.catalog, data, interaction.guild_id)
        view = RecapView(data.race.id)
        await render.send_reply(interaction, render.Reply(embed, view))

    @app_commands.command(name="results")
    @app_commands.describe(race=RACE_OPTION, top="Show only the first this many finishers")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def results(
        self,
        interaction: discord.Interaction,
        race: str | None = None,
        top: app_commands.Range[int, 1, 100] | None = None,
    ) -> None:
        """See a race's finishing order, ten finishers a page."""
        data = await self._race(interaction, race)
        spoiler = await self.hidden(interaction, data)
        await render.send_reply(
            interaction, results_reply(self.catalog, data, top=top, owner_id=interaction.user.id, spoiler=spoiler)
        )

    @app_commands.command(name="stages")
    @app_commands.describe(race=RACE_OPTION)
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def stages(self, interaction: discord.Interaction, race: str | None = None) -> None:
        """See each stage's top ten and the points they scored."""
        data = await self._race(interaction, race)
        spoiler = await self.spoilers.until(interaction.guild_id, data.race.date) is not None
        await render.send_reply(interaction, stages_reply(self.catalog, data, spoiler=spoiler))

    @app_commands.command(name="races")
    @app_commands.describe(series="truck, nxs, cup or a full series name", season="A season, such as 2025")
    @app_commands.autocomplete(series=SearchOptions.series_autocomplete)
    @app_commands.autocomplete(season=SearchOptions.season_autocomplete)
    async def races(
        self,
        interaction: discord.Interaction,
        series: str | None = None,
        season: app_commands.Range[int, 1900, 2200] | None = None,
    ) -> None:
        """List the stored races with their winners and dates."""
        pages, args = await self.listing(interaction, series, season)
        await render.send_reply(interaction, paged(pages, RacesPages, owner_id=interaction.user.id, args=args))

    async def listing(
        self, interaction: discord.Interaction, series: str | None, season: int | None
    ) -> tuple[Sequence[discord.Embed], Args]:
        """Return the pages of stored races in a series and season (either may be None), and the ids asked for."""
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to list.")
        chosen = resolve_series(index, series) if series else None
        found = index.races_in(chosen.name if chosen else None, season)
        parts = [p for p in (chosen.name if chosen else None, str(season) if season else None) if p]
        filters = f" ({', '.join(parts)})" if parts else ""
        if not found:
            raise NotFoundError(f"No races stored{filters}.")
        hidden = await self.spoilers.hidden(interaction.guild_id, found)
        pages = self.catalog.derived(found, _races_pages, filters, hidden)
        return pages, (chosen.id if chosen else None, season)


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the store and the shared search catalog, and the buttons under its recaps."""
    await bot.add_cog(Races(bot.store, bot.catalog, SpoilerPolicy(bot.store)))
    bot.add_dynamic_items(*RACE_BUTTONS, ResultsPages, RacesPages)
