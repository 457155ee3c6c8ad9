"""Race charts as pictures: /chart, and the "Chart" button other replies add for a race."""

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot import render
from bot.charts.data import ChartKind
from bot.charts.service import Chart, ChartService
from bot.errors import BadInputError, NotFoundError
from bot.options import SearchOptions
from bot.search import Catalog, resolve_race
from bot.spoilers import SpoilerPolicy, hide
from bot.tree import NO_MENTIONS, loaded_cog

if TYPE_CHECKING:
    from bot.client import PitBoard

RACE_OPTION = "Race name, track or season (or pick one); the latest race if empty"
KIND_CHOICES = [app_commands.Choice(name=kind.label, value=kind.value) for kind in ChartKind]


@dataclass(frozen=True, slots=True)
class ChartMessage:
    """A chart as a message: the picture, and an embed showing it or (spoiler-safe) text hidden until tapped."""

    file: discord.File
    embed: discord.Embed | None = None
    content: str | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments for send_message or followup.send, mentions off."""
        kwargs: dict[str, Any] = {"file": self.file, "allowed_mentions": NO_MENTIONS}
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.content is not None:
            kwargs["content"] = self.content
        return kwargs


def chart_message(chart: Chart, *, spoiler: bool = False) -> ChartMessage:
    """Return the picture as an attachment with its description as text, for screen readers and slow links.

    In spoiler-safe mode an embed cannot blur its image, so the picture goes as a spoiler attachment and
    the description as spoiler text; the attachment's own description then says only what it is.
    """
    if spoiler:
        hidden = f"{chart.title}, hidden until tapped (spoiler-safe mode)"
        file = discord.File(io.BytesIO(chart.png), filename=chart.filename, spoiler=True, description=hidden)
        content = f"**{chart.title}** · spoiler-safe mode: tap to reveal\n{hide(chart.description)}\n-# {chart.caption}"
        return ChartMessage(file, content=content)
    file = discord.File(io.BytesIO(chart.png), filename=chart.filename, description=chart.description)
    embed = render.new_embed(chart.title, chart.description)
    embed.set_image(url=f"attachment://{chart.filename}")
    embed.set_footer(text=chart.caption)
    return ChartMessage(file, embed=render.fit(embed))


async def send_chart(
    interaction: discord.Interaction,
    service: ChartService,
    race_id: int,
    kind: ChartKind | None = None,
    *,
    spoiler: bool = False,
) -> None:
    """Answer publicly with a race's chart: at once when it is cached, else after 'thinking…' while it draws.

    Everything that can fail for the user (no such data) fails before the interaction is deferred, so
    the error still goes privately to the person who asked.
    """
    job = await service.prepare(race_id, kind, guild_id=interaction.guild_id)
    chart = service.cached(job)
    if chart is not None:
        await interaction.response.send_message(**chart_message(chart, spoiler=spoiler).send_kwargs())
        return
    await interaction.response.defer(thinking=True)
    await interaction.followup.send(**chart_message(await service.draw(job), spoiler=spoiler).send_kwargs())


def parse_kind(value: str | None) -> ChartKind | None:
    """Return the chart kind /chart's option names, or None for 'the one that tells the race best'."""
    if value is None:
        return None
    try:
        return ChartKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in ChartKind)
        raise BadInputError(f"There is no '{value}' chart; pick one of {allowed}.") from None


def charts_of(client: discord.Client) -> "Charts":
    """Return the loaded Charts cog, for buttons in other cogs' replies."""
    return cast("Charts", loaded_cog(client, Charts.__cog_name__, unavailable="Charts are not available right now."))


class ChartButton(render.RaceButton, action="chart"):
    """A 'Chart' button for any reply about one race: whoever presses it gets the race's most telling chart."""

    label = "Chart"
    emoji = "\N{BAR CHART}"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's most telling chart."""
        await charts_of(interaction.client).send(interaction, self.race_id)


class Charts(SearchOptions):
    """Race charts drawn as pictures."""

    def __init__(self, service: ChartService, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.service = service
        self.catalog = catalog
        self.spoilers = spoilers

    async def cog_unload(self) -> None:
        """Stop the chart worker process."""
        await self.service.close()

    async def send(self, interaction: discord.Interaction, race_id: int, kind: ChartKind | None = None) -> None:
        """Answer with a race's chart, hidden until tapped while the server's spoiler-safe window is open."""
        race = (await self.catalog.index(interaction.guild_id)).race(race_id)
        if race is None:
            raise NotFoundError("That race is no longer stored; pick another from the list.")
        spoiler = await self.spoilers.until(interaction.guild_id, race.date) is not None
        await send_chart(interaction, self.service, race.id, kind, spoiler=spoiler)

    @app_commands.command(name="chart")
    @app_commands.describe(race=RACE_OPTION, kind="Which chart; the one that tells the race best if empty")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    @app_commands.choices(kind=KIND_CHOICES)
    async def chart(self, interaction: discord.Interaction, race: str | None = None, kind: str | None = None) -> None:
        """Draw a race as a picture: laps led, start to finish, points, or points after each race."""
        chosen = resolve_race(await self.catalog.index(interaction.guild_id), race)
        await self.send(interaction, chosen.id, parse_kind(kind))


async def setup(bot: "PitBoard") -> None:
    """Add the cog with a chart service over the store and the bot's shared catalog, and its Chart button."""
    await bot.add_cog(Charts(ChartService(bot.store, bot.catalog), bot.catalog, SpoilerPolicy(bot.store)))
    bot.add_dynamic_items(ChartButton)
