"""Race charts as replies: the picture with its description, and the "Chart" button any race reply can carry."""

import io
from dataclasses import dataclass
from typing import Any, ClassVar

import discord

from bot.catalog import Catalog
from bot.charts.data import ChartKind
from bot.charts.service import Chart, ChartJob, ChartService
from bot.facts.spoilers import SpoilerPolicy
from bot.tree import NO_MENTIONS
from bot.ui.cooldowns import chart_limit
from bot.ui.limits import TITLE_MAX, clip, fit, new_embed
from bot.ui.replies import RaceButton
from bot.ui.text import hide, plain

NOTE_MAX = 400  # why a /chart given no race picked this one: two race names of at most 100 characters, escaped


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


def chart_message(chart: Chart, *, spoiler: bool = False, note: str = "") -> ChartMessage:
    """Return the picture as an attachment with its description as text, for screen readers and slow links.

    In spoiler-safe mode an embed cannot blur its image, so the picture goes as a spoiler attachment and
    the description as spoiler text; the attachment's own description then says only what it is.
    The chart's words name races, tracks and drivers as stored: escaped where Discord renders markdown (content,
    embed title and description), as they are where it does not (the attachment's description, the footer).
    note (escaped already) says why a /chart given no race picked this race: it opens the text shown, never the
    attachment's description, which says only what the picture is.
    """
    title, description = plain(chart.title), plain(chart.description)
    if spoiler:
        hidden = f"{chart.title}, hidden until tapped (spoiler-safe mode)"
        file = discord.File(io.BytesIO(chart.png), filename=chart.filename, spoiler=True, description=hidden)
        # Escaping can lengthen each part, so each is cut (the description before hiding it) to keep the message
        # within Discord's 2,000 characters: 256 + 1,024 + 500 and the words around them. A note takes its line
        # out of the description's 1,024.
        opening = f"{clip(note, NOTE_MAX)}\n" if note else ""
        title, caption = clip(title, TITLE_MAX), clip(plain(chart.caption), 500)
        description = clip(description, 1024 - len(opening))
        content = f"{opening}**{title}** · spoiler-safe mode: tap to reveal\n{hide(description)}\n-# {caption}"
        return ChartMessage(file, content=content)
    file = discord.File(io.BytesIO(chart.png), filename=chart.filename, description=chart.description)
    embed = new_embed(title, f"{note}\n{description}" if note else description)
    embed.set_image(url=f"attachment://{chart.filename}")
    embed.set_footer(text=chart.caption)
    return ChartMessage(file, embed=fit(embed))


class ChartReplies:
    """Answers with a race's chart, hidden until tapped while the server's spoiler-safe window is open."""

    def __init__(self, service: ChartService, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.service = service
        self.catalog = catalog
        self.spoilers = spoilers
        self.button = ChartButton.serving(self)  # the Chart button every race reply carries
        self.limit = chart_limit()  # how often one member may ask for a chart

    async def send(
        self, interaction: discord.Interaction, race_id: int, kind: ChartKind | None = None, *, note: str = ""
    ) -> None:
        """Answer publicly with the chart: at once when it is drawn already, else after 'thinking…'.

        Everything that can fail for the user (no such race, no such data) fails before the interaction is
        deferred, so the error still goes privately to the person who asked. note (escaped) says why a /chart
        given no race picked this race; it opens the reply.
        """
        self.limit.use(interaction.user.id)  # first: a member asking too often is refused privately, at no cost
        race = await self.catalog.visible_race(interaction.guild_id, race_id)
        job = await self.service.prepare(race.id, kind, guild_id=interaction.guild_id)
        # Points after each race add up every race of the season to this one: any of them may be held back.
        if job.key[1] is ChartKind.SEASON_POINTS:
            index = await self.catalog.index(interaction.guild_id)
            season = index.races_in(race.series, race.season)
            drawn = [r for r in season if r.round <= race.round]  # as the store counts them: by round
        else:
            drawn = [race]
        spoiler = bool(await self.spoilers.hidden(interaction.guild_id, drawn))
        chart = self.service.cached(job)
        if chart is not None:
            await interaction.response.send_message(**chart_message(chart, spoiler=spoiler, note=note).send_kwargs())
            return
        await interaction.response.defer(thinking=True)
        message = chart_message(await self.service.draw(job), spoiler=spoiler, note=note)
        await interaction.followup.send(**message.send_kwargs())

    async def send_job(self, interaction: discord.Interaction, job: ChartJob, *, note: str = "") -> None:
        """Answer publicly with a chart not of one race (the official standings), already cleared for spoilers."""
        self.limit.use(interaction.user.id)
        chart = self.service.cached(job)
        if chart is not None:
            await interaction.response.send_message(**chart_message(chart, note=note).send_kwargs())
            return
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(**chart_message(await self.service.draw(job), note=note).send_kwargs())


class ChartButton(RaceButton, action="chart"):
    """A 'Chart' button for any reply about one race: whoever presses it gets the race's most telling chart."""

    handler: ClassVar[ChartReplies]
    label = "Chart"
    emoji = "\N{BAR CHART}"

    async def press(self, interaction: discord.Interaction) -> None:
        """Post the race's most telling chart."""
        await self.handler.send(interaction, self.race_id)
