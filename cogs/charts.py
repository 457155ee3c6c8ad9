"""Race charts as pictures: /chart (the "Chart" button under other replies is bot.ui.charts.ChartButton)."""

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Catalog
from bot.charts.data import ChartKind
from bot.charts.service import standings_job
from bot.errors import BadInputError, NotFoundError
from bot.facts.schedule import shown_standings
from bot.store.coverage import Holding
from bot.store.models import RaceSummary
from bot.ui.charts import ChartReplies
from bot.ui.embeds.coverage import picked_line
from bot.ui.embeds.schedule import series_name, standings_label
from bot.ui.options import RACE_OPTION, RaceOption
from bot.ui.text import timestamp

if TYPE_CHECKING:
    from bot.client import PitBoard

KIND_CHOICES = [app_commands.Choice(name=kind.label, value=kind.value) for kind in ChartKind]


def parse_kind(value: str | None) -> ChartKind | None:
    """Return the chart kind /chart's option names, or None for 'the one that tells the race best'."""
    if value is None:
        return None
    try:
        return ChartKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in ChartKind)
        raise BadInputError(f"There is no '{value}' chart; pick one of {allowed}.") from None


def drawn_from(kind: ChartKind | None) -> tuple[Holding, str]:
    """Return what a chart's race must hold to be drawn, and the words a reply names that by.

    Stage points are drawn from stage results, which the latest race of a whole history often lacks; every other
    chart (the most telling one included) from the results.
    """
    return ("stages", "stage results") if kind is ChartKind.STAGE_POINTS else ("results", "results")


class Charts(commands.Cog):
    """Race charts drawn as pictures."""

    def __init__(self, charts: ChartReplies, catalog: Catalog) -> None:
        self.charts = charts
        self.catalog = catalog

    @app_commands.command(name="chart")
    @app_commands.describe(race=RACE_OPTION, kind="Which chart; the one that tells the race best if empty")
    @app_commands.choices(kind=KIND_CHOICES)
    async def chart(
        self,
        interaction: discord.Interaction,
        race: app_commands.Transform[RaceSummary, RaceOption] | None = None,
        kind: str | None = None,
    ) -> None:
        """Draw a race as a picture: laps led, start to finish, points, points after each race, or standings."""
        chart_kind = parse_kind(kind)
        if chart_kind is ChartKind.STANDINGS:
            await self.standings_chart(interaction, race)
            return
        if race is not None:
            await self.charts.send(interaction, race.id, chart_kind)
            return
        # Given no race, the latest with what the chart is drawn from; the reply says why when that is not the latest.
        what, shown = drawn_from(chart_kind)
        pick = await self.catalog.default_race(interaction.guild_id, what)
        await self.charts.send(interaction, pick.race.id, chart_kind, note=picked_line(pick, shown))

    async def standings_chart(self, interaction: discord.Interaction, race: RaceSummary | None) -> None:
        """Draw NASCAR's official standings: of the race's series and season, else the newest stored."""
        if race is not None:
            series, season = race.series_short, race.season
        else:
            stored = await self.catalog.standings_seasons()
            if not stored:
                raise NotFoundError(
                    "No official standings are stored. They come from NASCAR's feed, which the bot's owner turns on "
                    "with RACE_FEED=on; `/chart kind:season-points` adds up the stored races' points instead."
                )
            series, season = stored[0]
        shown = await shown_standings(self.catalog, self.charts.spoilers, interaction.guild_id, series, season)
        name = series_name(series)
        if shown.standings is None and shown.hidden_until is not None:
            raise NotFoundError(
                f"The {season} {name} standings after race {shown.hidden_round} are hidden in this server until "
                f"{timestamp(shown.hidden_until, 'R')} (spoiler-safe mode)."
            )
        if shown.standings is None:
            raise NotFoundError(f"No official {season} {name} standings are stored (they come from NASCAR's feed).")
        note = ""
        if shown.hidden_until is not None:
            note = (
                f"The standings after race {shown.hidden_round} are hidden until {timestamp(shown.hidden_until, 'R')} "
                "(spoiler-safe mode); these are from before it."
            )
        job = standings_job(shown.standings, standings_label(shown.standings), name)
        await self.charts.send_job(interaction, job, note=note)


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the chart replies and the catalog."""
    await bot.add_cog(Charts(bot.charts, bot.catalog))
