"""Fan commands about one race or the list of races: /recap, /results, /stages and /races."""

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Card, Catalog, RaceData
from bot.errors import NotFoundError
from bot.facts.milestones import milestones
from bot.facts.recap import recap_facts, write_recap
from bot.facts.spoilers import SpoilerPolicy
from bot.search import resolve_series
from bot.store.coverage import Holding
from bot.store.models import RaceSummary, Series
from bot.tree import reply_private
from bot.ui.announcements import CARD_BUTTONS
from bot.ui.charts import ChartReplies
from bot.ui.embeds import quotes as quote_replies
from bot.ui.embeds import races as embeds
from bot.ui.embeds.coverage import freshness_text, picked_line
from bot.ui.limits import LazyPages
from bot.ui.options import RACE_OPTION, SEASON_OPTION, SERIES_OPTION, RaceOption, SeasonOption, SeriesOption
from bot.ui.paging import PageArgs, PageButton, as_option, paged, required_id
from bot.ui.replies import RaceButton, Reply, StatelessView, send_reply
from bot.ui.text import plain, race_title

if TYPE_CHECKING:
    from bot.client import PitBoard

RaceChoice = app_commands.Transform[RaceSummary, RaceOption]
# What each command shows, as its reply names it when it picked a race because none was given.
SHOWN: dict[Holding, str] = {"results": "results", "stages": "stage results"}


class ResultsPages(PageButton, source="results", command="results"):
    """◀ ▶ over a race's finishing order; its args are the race id, the `top` asked for, and 1 if no race was."""

    handler: ClassVar["Races"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the finishing order again, hidden if the server's spoiler-safe window is still open."""
        race_id, top, picked = (*args, None)[:3]  # buttons sent before the third arg carry two
        data = await cls.handler.button_race(interaction, required_id(race_id))
        note = await cls.handler.default_note(interaction, data.race.id, "results") if picked else ""
        return cls.handler.results_pages(data, top, spoiler=await cls.handler.hidden(interaction, data), note=note)

    @classmethod
    def extras(cls, args: PageArgs) -> tuple[RaceButton]:
        """Return the race's Chart button."""
        return (cls.handler.charts.button(required_id(args[0])),)


class RacesPages(PageButton, source="races", command="races"):
    """◀ ▶ over the list of stored races; its args are the series id and the season asked for."""

    handler: ClassVar["Races"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the list again."""
        series_id, season = args
        index = await cls.handler.catalog.index(interaction.guild_id)
        series = resolve_series(index, series_option) if (series_option := as_option("series", series_id)) else None
        pages, _ = await cls.handler.listing(interaction, series, season)
        return pages


class RecapResultsButton(RaceButton, action="recap-results"):
    """'Results' under a recap: the race's finishing order for whoever presses it."""

    handler: ClassVar["Races"]
    label = "Results"
    style = discord.ButtonStyle.primary

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's finishing order."""
        data = await self.handler.button_race(interaction, self.race_id)
        spoiler = await self.handler.hidden(interaction, data)
        reply = self.handler.results_reply(data, top=None, owner_id=interaction.user.id, spoiler=spoiler)
        await send_reply(interaction, reply)


class RecapStagesButton(RaceButton, action="recap-stages"):
    """'Stages' under a recap: the race's stage results for whoever presses it."""

    handler: ClassVar["Races"]
    label = "Stages"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's stage results."""
        data = await self.handler.button_race(interaction, self.race_id)
        spoiler = await self.handler.hidden(interaction, data)
        await send_reply(interaction, self.handler.stages_reply(data, spoiler=spoiler))


class RecapQuotesButton(RaceButton, action="recap-quotes"):
    """'Quotes' under a recap: one of the race's quotes, with 'Another' for the rest."""

    handler: ClassVar["Races"]
    label = "Quotes"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post one of the race's quotes, with 'Another' for the rest."""
        data = await self.handler.button_race(interaction, self.race_id)
        reply = await self.handler.race_quotes_reply(data, guild_id=interaction.guild_id, owner_id=interaction.user.id)
        await send_reply(interaction, reply)


class RecapRevealButton(RaceButton, action="recap-reveal"):
    """'Reveal' on a spoiler-safe recap card: the full recap, privately, for whoever presses it."""

    handler: ClassVar["Races"]
    label = "Reveal"
    style = discord.ButtonStyle.success
    button_row = 1

    async def press(self, interaction: discord.Interaction) -> None:
        """Show the full recap to the person who pressed, and nobody else."""
        data = await self.handler.button_race(interaction, self.race_id)
        await reply_private(interaction, embed=await self.handler.full_recap_embed(data, interaction.guild_id))


class Races(commands.Cog):
    """Recaps, results, stages and the list of stored races."""

    def __init__(
        self, catalog: Catalog, spoilers: SpoilerPolicy, charts: ChartReplies, *, rng: random.Random | None = None
    ) -> None:
        self.catalog = catalog
        self.spoilers = spoilers
        self.charts = charts
        self.rng = rng or random.Random()  # noqa: S311 - shuffles quotes, guards nothing
        # The classes this cog's buttons are made from and registered as, each answering through this cog.
        self.results_button = RecapResultsButton.serving(self)
        self.stages_button = RecapStagesButton.serving(self)
        self.quotes_button = RecapQuotesButton.serving(self)
        self.reveal_button = RecapRevealButton.serving(self)
        self.results_pager = ResultsPages.serving(self)
        self.races_pager = RacesPages.serving(self)

    @property
    def dynamic_items(self) -> tuple[type[discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]]], ...]:
        """Return the button classes discord.py must know to answer presses on this cog's replies."""
        return (
            self.results_button,
            self.stages_button,
            self.quotes_button,
            self.reveal_button,
            self.results_pager,
            self.races_pager,
            *CARD_BUTTONS,  # on the cards bot.announce posts; they find this cog by name (bot.ui.announcements)
        )

    # --- replies, shared by the commands and the buttons -------------------------------------------------------

    async def _race(
        self, interaction: discord.Interaction, race: RaceSummary | None, what: Holding
    ) -> tuple[RaceData, str]:
        """Return the race asked for, else the latest with what the command shows, and why it was picked ('' if not).

        With whole histories the latest race often lacks stage results (nascaR.data has none): a bare command
        answers with the latest race that has them, rather than that it has none.
        """
        if race is not None:
            return await self.catalog.race_data(race.id), ""
        pick = await self.catalog.default_race(interaction.guild_id, what)
        return await self.catalog.race_data(pick.race.id), picked_line(pick, SHOWN[what])

    async def default_note(self, interaction: discord.Interaction, race_id: int, what: Holding) -> str:
        """Return why a command given no race picked this race, if it still is the one picked, else ''."""
        pick = await self.catalog.default_race(interaction.guild_id, what)
        return picked_line(pick, SHOWN[what]) if pick.race.id == race_id else ""

    async def button_race(self, interaction: discord.Interaction, race_id: int) -> RaceData:
        """Return the facts of the race a button names, if the server pressing it may still see that race."""
        race = await self.catalog.visible_race(interaction.guild_id, race_id)
        return await self.catalog.race_data(race.id)

    async def hidden(self, interaction: discord.Interaction, data: RaceData) -> bool:
        """Return whether this server's spoiler-safe window still hides the race's results."""
        return await self.spoilers.until(interaction.guild_id, data.race) is not None

    def results_pages(self, data: RaceData, top: int | None, *, spoiler: bool, note: str = "") -> LazyPages:
        """Return the race's pages of results, written once per race, `top`, spoiler setting and note."""
        return self.catalog.card(
            Card.RESULTS,
            data,
            (top, spoiler, note),
            lambda: embeds.results_pages(data, top, spoiler=spoiler, note=note),
        )

    def results_reply(
        self, data: RaceData, *, top: int | None, owner_id: int, spoiler: bool = False, note: str = ""
    ) -> Reply:
        """Return the finishing order, paged, with the race's Chart button, or raise when the race has no results.

        note says why a /results given no race picked this one; the pager then works it out again.
        """
        if not data.entries:
            raise NotFoundError(f"No results are stored for the {race_title(data.race)} yet.")
        pages = self.results_pages(data, top, spoiler=spoiler, note=note)
        args = (data.race.id, top, 1) if note else (data.race.id, top)
        return paged(pages, self.results_pager, owner_id=owner_id, args=args)

    def stages_reply(self, data: RaceData, *, spoiler: bool = False, note: str = "") -> Reply:
        """Return the stage results (written once per race, spoiler setting and note), or raise when there are none."""
        if not data.stages:
            raise NotFoundError(f"No stage results are stored for the {race_title(data.race)}.")
        return Reply(
            self.catalog.card(
                Card.STAGES, data, (spoiler, note), lambda: embeds.stages_embed(data, spoiler=spoiler, note=note)
            )
        )

    async def full_recap_embed(self, data: RaceData, guild_id: int | None, note: str = "") -> discord.Embed:
        """Return the recap: this server's published one if any, else one written from the stored facts.

        note says why a /recap given no race picked this race.
        """
        published = await self.catalog.published_recap(data.race.id, guild_id) if guild_id is not None else None
        lines = tuple(milestones(await self.catalog.winner_history(data.race.id, guild_id=guild_id)))
        if published is not None:
            body = f"**{published.headline}**\n\n{published.body}"
            author: int | None = published.author_id
        else:
            body, author = self.catalog.card(Card.RECAP_TEXT, data, (), lambda: written_recap(data)), None
        return self.catalog.card(
            Card.RECAP,
            data,
            (body, author, lines, note),
            lambda: embeds.recap_embed(data, body, published_by=author, milestones=lines, note=note),
        )

    async def race_quotes_reply(self, data: RaceData, *, guild_id: int | None, owner_id: int) -> Reply:
        """Return the race's quotes with an 'Another' button (hidden until tapped in spoiler-safe mode), or raise."""
        quotes = await self.catalog.quotes(race_id=data.race.id, guild_id=guild_id)
        if not quotes:
            raise NotFoundError(f"No quotes are stored for the {race_title(data.race)}.")
        held = await self.spoilers.until(guild_id, data.race) is not None
        hidden = frozenset({data.race.id}) if held else frozenset[int]()
        return quote_replies.quotes_reply(quotes, owner_id=owner_id, rng=self.rng, hidden=hidden)

    async def card_results(self, interaction: discord.Interaction, race_id: int) -> None:
        """Show a race's finishing order privately, unhidden: 'Results' on a "results are in" card."""
        data = await self.button_race(interaction, race_id)
        reply = self.results_reply(data, top=None, owner_id=interaction.user.id)
        await reply_private(interaction, embed=reply.embed, view=reply.view)

    async def card_recap(self, interaction: discord.Interaction, race_id: int) -> None:
        """Show a race's recap privately, unhidden: 'Recap' on a "results are in" card."""
        data = await self.button_race(interaction, race_id)
        await reply_private(interaction, embed=await self.full_recap_embed(data, interaction.guild_id))

    def recap_view(self, race_id: int, *, spoiler: bool) -> StatelessView:
        """Return the buttons under a recap: results, stages, quotes and chart, and Reveal in spoiler-safe mode."""
        buttons = [
            self.results_button(race_id),
            self.stages_button(race_id),
            self.quotes_button(race_id),
            self.charts.button(race_id),
        ]
        if spoiler:
            buttons.append(self.reveal_button(race_id))
        return StatelessView(*buttons)

    # --- commands ---------------------------------------------------------------------------------------------

    @app_commands.command(name="recap")
    @app_commands.describe(race=RACE_OPTION)
    async def recap(self, interaction: discord.Interaction, race: RaceChoice | None = None) -> None:
        """Read the recap of a race: who won, how, and the moments that decided it."""
        data, note = await self._race(interaction, race, "results")
        until = await self.spoilers.until(interaction.guild_id, data.race)
        if until is not None:
            card = embeds.spoiler_recap_embed(data.race, until, note=note)
            await send_reply(interaction, Reply(card, self.recap_view(data.race.id, spoiler=True)))
            return
        embed = await self.full_recap_embed(data, interaction.guild_id, note)
        await send_reply(interaction, Reply(embed, self.recap_view(data.race.id, spoiler=False)))

    @app_commands.command(name="results")
    @app_commands.describe(race=RACE_OPTION, top="Show only the first this many finishers")
    async def results(
        self,
        interaction: discord.Interaction,
        race: RaceChoice | None = None,
        top: app_commands.Range[int, 1, 100] | None = None,
    ) -> None:
        """See a race's finishing order, ten finishers a page."""
        data, note = await self._race(interaction, race, "results")
        spoiler = await self.hidden(interaction, data)
        reply = self.results_reply(data, top=top, owner_id=interaction.user.id, spoiler=spoiler, note=note)
        await send_reply(interaction, reply)

    @app_commands.command(name="stages")
    @app_commands.describe(race=RACE_OPTION)
    async def stages(self, interaction: discord.Interaction, race: RaceChoice | None = None) -> None:
        """See each stage's top ten and the points they scored."""
        data, note = await self._race(interaction, race, "stages")
        await send_reply(interaction, self.stages_reply(data, spoiler=await self.hidden(interaction, data), note=note))

    @app_commands.command(name="races")
    @app_commands.describe(series=SERIES_OPTION, season=SEASON_OPTION)
    async def races(
        self,
        interaction: discord.Interaction,
        series: app_commands.Transform[Series, SeriesOption] | None = None,
        season: app_commands.Transform[int, SeasonOption] | None = None,
    ) -> None:
        """List the stored races with their winners and dates."""
        pages, args = await self.listing(interaction, series, season)
        await send_reply(interaction, paged(pages, self.races_pager, owner_id=interaction.user.id, args=args))

    async def listing(
        self, interaction: discord.Interaction, series: Series | None, season: int | None
    ) -> tuple[Sequence[discord.Embed], PageArgs]:
        """Return the pages of stored races in a series and season (either may be None), and the ids asked for."""
        index = await self.catalog.index(interaction.guild_id)
        if not index.races:
            raise NotFoundError("No races are stored yet, so there is nothing to list.")
        found = index.races_in(series.name if series else None, season)
        parts = [p for p in (plain(series.name) if series else None, str(season) if season else None) if p]
        filters = f" ({', '.join(parts)})" if parts else ""
        if not found:
            raise NotFoundError(f"No races stored{filters}.")
        hidden = await self.spoilers.hidden(interaction.guild_id, found)
        shown = {series.short_name} if series else None  # every series when the list is not of one
        footer = freshness_text(await self.catalog.freshness(), shown)
        pages = self.catalog.card(
            Card.RACE_LIST,
            found,
            (filters, hidden, footer),
            lambda: embeds.races_pages(found, filters, hidden=hidden, footer=footer),
        )
        return pages, (series.id if series else None, season)


def written_recap(data: RaceData) -> str:
    """Return the recap written from a race's stored facts (a pure function of them), names escaped."""
    return write_recap(recap_facts(data), shown=plain)


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog, the spoiler policy and the chart replies, and register its buttons."""
    races = Races(bot.catalog, bot.spoilers, bot.charts)
    await bot.add_cog(races)
    bot.add_dynamic_items(*races.dynamic_items)
