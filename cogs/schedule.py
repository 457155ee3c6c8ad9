"""Fan commands from NASCAR's schedule and standings feeds: /schedule, /next and /standings.

The data comes from NASCAR's public but unofficial JSON feeds, read only when the bot's owner turns RACE_FEED on
(bot.feeds). With it off, each command answers from what is stored and says plainly what needs the feed.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Catalog
from bot.errors import NotFoundError
from bot.facts.schedule import last_year_race, shown_standings, spoiler_until, stored_race
from bot.facts.spoilers import SpoilerPolicy
from bot.series import FAMILIES
from bot.store.schedule import ScheduledRace
from bot.ui.embeds import schedule as embeds
from bot.ui.limits import clip
from bot.ui.paging import PageArgs, PageButton, paged
from bot.ui.replies import Reply, send_reply
from bot.ui.text import plain, timestamp

if TYPE_CHECKING:
    from bot.client import PitBoard

SERIES_CHOICES = [app_commands.Choice(name=f"{f.code} ({f.name})", value=f.code) for f in FAMILIES]
SERIES_DESCRIPTION = "truck, nxs or cup; every followed series if empty"
SEASON_DESCRIPTION = "A season, such as 2025; the current one if empty"
UNDER_WAY = dt.timedelta(hours=4)  # a race that started this recently, results not in, is still "next"
STORED_LISTED = 10  # stored races a /schedule without the feed lists


def _series_arg(series: str | None) -> int | None:
    """Return a series code as a pager carries it: its place in FAMILIES."""
    return next((n for n, family in enumerate(FAMILIES) if family.code == series), None)


def _series_of(arg: int | None) -> str | None:
    return FAMILIES[arg].code if arg is not None and 0 <= arg < len(FAMILIES) else None


class SchedulePages(PageButton, source="schedule", command="schedule"):
    """◀ ▶ over /schedule; its args are the series (its place in FAMILIES) and the season."""

    handler: ClassVar["Schedule"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the schedule again."""
        series, season = (*args, None, None)[:2]
        pages, _ = await cls.handler.schedule_pages(interaction, _series_of(series), season)
        return pages


class StandingsPages(PageButton, source="standings", command="standings"):
    """◀ ▶ over /standings; its args are the series (its place in FAMILIES) and the season."""

    handler: ClassVar["Schedule"]

    @classmethod
    async def pages(cls, interaction: discord.Interaction, args: PageArgs) -> Sequence[discord.Embed]:
        """Return the standings again (held back as spoiler-safe mode says now)."""
        series, season = (*args, None, None)[:2]
        pages, _ = await cls.handler.standings_pages(interaction, _series_of(series), season)
        return pages


class Schedule(commands.Cog):
    """NASCAR's schedule in each fan's own time, the next race, and the official standings."""

    def __init__(
        self,
        catalog: Catalog,
        spoilers: SpoilerPolicy,
        *,
        race_feed: bool,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.catalog = catalog
        self.spoilers = spoilers
        self.race_feed = race_feed  # RACE_FEED: whether the bot reads NASCAR's feeds at all
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.schedule_pager = SchedulePages.serving(self)
        self.standings_pager = StandingsPages.serving(self)

    @property
    def dynamic_items(self) -> tuple[type[discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]]], ...]:
        """Return the button classes discord.py must know to answer presses on this cog's replies."""
        return (self.schedule_pager, self.standings_pager)

    def _off(self, what: str) -> str:
        return embeds.FEED_OFF.format(what=what)

    async def _season(self, series: str | None) -> int:
        """Return the season a command given none is about: this year's, else the newest stored schedule's."""
        year = self.clock().year
        seasons = await self.catalog.schedule_seasons(series)
        return year if year in seasons or not seasons else seasons[0]

    # --- /schedule ----------------------------------------------------------------------------------------------

    @app_commands.command(name="schedule")
    @app_commands.describe(series=SERIES_DESCRIPTION, season=SEASON_DESCRIPTION)
    @app_commands.choices(series=SERIES_CHOICES)
    async def schedule(
        self,
        interaction: discord.Interaction,
        series: str | None = None,
        season: app_commands.Range[int, 1949, 2200] | None = None,
    ) -> None:
        """See the season's races in your own time, with track, TV and the winners so far."""
        pages, args = await self.schedule_pages(interaction, series, season)
        await send_reply(interaction, paged(pages, self.schedule_pager, owner_id=interaction.user.id, args=args))

    async def schedule_pages(
        self, interaction: discord.Interaction, series: str | None, season: int | None
    ) -> tuple[Sequence[discord.Embed], PageArgs]:
        """Return the pages of a season's schedule (from the stored races when NASCAR's is not stored)."""
        season = season or await self._season(series)
        args = (_series_arg(series), season)
        what = embeds.series_name(series) if series else "NASCAR"
        title = f"{season} {what} schedule"
        races = await self.catalog.schedule(series, season)
        if not races:
            return [await self._stored_schedule(interaction, series, season, title)], args
        index = await self.catalog.index(interaction.guild_id)
        winners = {}
        for race in races:
            stored = stored_race(index, race)
            name = stored.winner if stored is not None and stored.winner else race.winner_name
            until = await spoiler_until(self.spoilers, interaction.guild_id, race, stored) if name else None
            winners[race.nascar_race_id] = embeds.Winner(None if until else name, until)
        note = "" if self.race_feed else self._stale_note(races)
        footer = embeds.feed_footer(max(race.fetched_at for race in races))
        return embeds.schedule_pages(races, winners, title, with_series=series is None, footer=footer, note=note), args

    def _stale_note(self, races: Sequence[ScheduledRace]) -> str:
        fetched = max(race.fetched_at for race in races)
        return (
            f"NASCAR's feed is off (RACE_FEED), so this is the schedule as fetched {timestamp(fetched, 'R')}; "
            "a race moved since then is not shown moved."
        )

    async def _stored_schedule(
        self, interaction: discord.Interaction, series: str | None, season: int, title: str
    ) -> discord.Embed:
        """Return an honest answer without NASCAR's schedule: why, and the season's races that are stored."""
        index = await self.catalog.index(interaction.guild_id)
        stored = [r for r in index.races if r.season == season and (series is None or r.series_short == series)]
        if self.race_feed:
            lead = f"NASCAR's {season} schedule is not stored yet; Pit Board asks for it a few times a day."
        else:
            lead = self._off("The schedule comes")
        if not stored:
            return embeds.notice_embed(title, f"{lead}\n\nNo race of {season} is stored either.")
        hidden = await self.spoilers.hidden(interaction.guild_id, stored)
        lines = []
        for race in sorted(stored, key=lambda r: (r.date, r.round))[-STORED_LISTED:]:
            winner = "winner hidden (spoiler-safe mode)" if race.id in hidden else f"won by {plain(race.winner or '?')}"
            lines.append(
                f"**R{race.round}** {plain(clip(race.name, embeds.NAME_SHOWN))} · {plain(race.track)} · {winner}"
            )
        more = f" (the latest {STORED_LISTED})" if len(stored) > STORED_LISTED else ""
        text = f"{lead}\n\nStored races of {season}{more}:\n" + "\n".join(lines)
        return embeds.notice_embed(title, text)

    # --- /next --------------------------------------------------------------------------------------------------

    @app_commands.command(name="next")
    @app_commands.describe(series=SERIES_DESCRIPTION)
    @app_commands.choices(series=SERIES_CHOICES)
    async def next(self, interaction: discord.Interaction, series: str | None = None) -> None:
        """See the next race with its countdown, TV and last year's winner at the track."""
        now = self.clock()
        race = await self.catalog.next_scheduled(series, now - UNDER_WAY)
        if race is None:
            await send_reply(interaction, Reply(await self._no_next(interaction, series)))
            return
        index = await self.catalog.index(interaction.guild_id)
        last_year = last_year_race(index.races, race)
        winner = None
        if last_year is not None:
            until = await self.spoilers.until(interaction.guild_id, last_year)
            winner = embeds.Winner(None if until else last_year.winner, until)
        footer = embeds.feed_footer(race.fetched_at, "" if self.race_feed else "RACE_FEED off: as last fetched")
        await send_reply(interaction, Reply(embeds.next_embed(race, last_year, winner, footer=footer)))

    async def _no_next(self, interaction: discord.Interaction, series: str | None) -> discord.Embed:
        what = embeds.series_name(series) if series else "NASCAR"
        lead = (
            f"No upcoming {what} race is stored; the season may be over, or its schedule not fetched yet."
            if self.race_feed
            else self._off("The next race comes")
        )
        index = await self.catalog.index(interaction.guild_id)
        latest = next((r for r in index.races if series is None or r.series_short == series), None)
        if latest is not None:
            lead += f"\n\nThe latest stored race is the {latest.season} {plain(latest.name)} ({plain(latest.track)})."
        return embeds.notice_embed("Next race", lead)

    # --- /standings ---------------------------------------------------------------------------------------------

    @app_commands.command(name="standings")
    @app_commands.describe(series=SERIES_DESCRIPTION, season=SEASON_DESCRIPTION)
    @app_commands.choices(series=SERIES_CHOICES)
    async def standings(
        self,
        interaction: discord.Interaction,
        series: str | None = None,
        season: app_commands.Range[int, 1949, 2200] | None = None,
    ) -> None:
        """See NASCAR's official points standings: points, gaps, wins, top 5s and top 10s."""
        pages, args = await self.standings_pages(interaction, series, season)
        await send_reply(interaction, paged(pages, self.standings_pager, owner_id=interaction.user.id, args=args))

    async def standings_pages(
        self, interaction: discord.Interaction, series: str | None, season: int | None
    ) -> tuple[Sequence[discord.Embed], PageArgs]:
        """Return the pages of the standings this server may see, or one page saying why there are none."""
        stored = await self.catalog.standings_seasons(series)
        if series is None:
            series = stored[0][0] if stored else FAMILIES[0].code
        if season is None:
            seasons = [s for code, s in stored if code == series]
            season = seasons[0] if seasons else self.clock().year
        args = (_series_arg(series), season)
        title = f"{season} {embeds.series_name(series)} standings"
        shown = await shown_standings(self.catalog, self.spoilers, interaction.guild_id, series, season)
        if shown.standings is None and shown.hidden_until is not None:
            text = (
                f"The standings after race {shown.hidden_round} are hidden in this server until "
                f"{timestamp(shown.hidden_until, 'R')} (spoiler-safe mode), and none from before it are stored."
            )
            return [embeds.notice_embed(title, text, footer=embeds.FEED_CREDIT)], args
        if shown.standings is None:
            if self.race_feed:
                text = f"No official standings for {season} are stored yet; Pit Board fetches them after each race."
            else:
                text = self._off("The official standings come")
            text += "\n\n`/chart kind:season-points` adds up the points of the stored races instead (not official)."
            return [embeds.notice_embed(title, text)], args
        notes = []
        if shown.hidden_until is not None:
            notes.append(
                f"The standings after race {shown.hidden_round} are hidden until "
                f"{timestamp(shown.hidden_until, 'R')} (spoiler-safe mode); these are from before it."
            )
        if not self.race_feed:
            notes.append(f"NASCAR's feed is off (RACE_FEED): as fetched {timestamp(shown.standings.fetched_at, 'R')}.")
        if not shown.standings.rows:
            raise NotFoundError(f"NASCAR's {season} standings list no driver yet.")
        return embeds.standings_pages(shown.standings, note="\n".join(notes)), args


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog, the spoiler policy and whether the race feed is on, and its buttons."""
    schedule = Schedule(bot.catalog, bot.spoilers, race_feed=bot.settings.race_feed)
    await bot.add_cog(schedule)
    bot.add_dynamic_items(*schedule.dynamic_items)
