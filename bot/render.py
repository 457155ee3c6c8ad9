"""Store facts as Discord embeds, pages and buttons, always within Discord's limits."""

import bisect
import datetime as dt
import logging
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self, overload

import discord
from discord import app_commands

from bot.expiry import VIEW_TIMEOUT, turn_off_later
from bot.search import RaceData
from bot.spoilers import hide
from bot.store.models import Correction, Driver, DriverResult, Entry, Quote, Race, RaceSummary, StageResult
from bot.tree import NO_MENTIONS, View, report_error, send_private
from bot.wording import ordinal

log = logging.getLogger(__name__)

# Discord's limits for one message's embed and for autocomplete choices.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
URL_MAX = 2048
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100

PAGE_SIZE = 10
NOT_RECORDED = "not recorded"
COLOUR = discord.Colour(0xE8112D)


# --- text helpers --------------------------------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """Return text cut to at most limit characters, at a line or word boundary, ending in '…' when cut."""
    if len(text) <= limit:
        return text
    room = limit - 1
    cut = text.rfind("\n", 0, room)
    if cut < room // 2:
        cut = text.rfind(" ", 0, room)
    if cut <= 0:
        cut = room
    return text[:cut].rstrip() + "…"


def shown(value: object) -> str:
    """Return a stored value as text, or 'not recorded' for None."""
    return NOT_RECORDED if value is None else str(value)


def plural(n: int, noun: str) -> str:
    """Return '1 win' or '3 wins'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def race_date(race: Race | RaceSummary) -> str:
    """Return a race's date as a Discord timestamp every reader sees as a date, or its season alone.

    The store keeps the local date at the track without a time. Noon UTC shows as that same date
    everywhere from UTC-11 to UTC+11; midnight UTC would show American readers the day before.
    Imported histories know only the season, and a made-up day would be a fact nobody gave us.
    """
    date = race.date
    if race.date_precision == "season":
        return f"{date.year} season, round {race.round}"
    noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.UTC)
    return discord.utils.format_dt(noon, "D")


def race_title(race: Race | RaceSummary) -> str:
    """Return '2025 Baptist Health 200'."""
    return f"{race.season} {race.name}"


def status_line(race: Race) -> str:
    """Return whether results are provisional or official, and how many sources back them."""
    status = "Official results" if race.results_status == "official" else "Provisional results, may still change"
    return f"{status} · {plural(race.source_count, 'source')}"


def car(entry: Entry) -> str:
    """Return '#07'."""
    return f"#{entry.car_number}"


def movement(entry: Entry) -> str:
    """Return positions gained or lost from the start: '▲2', '▼5', '±0', or '' when unknown."""
    gained = entry.positions_gained
    if gained is None:
        return ""
    if gained > 0:
        return f"▲{gained}"
    if gained < 0:
        return f"▼{-gained}"
    return "±0"


def points_text(points: int | None, eligible: bool | None) -> str:
    """Return points with eligibility: '48 pts', 'no pts (not eligible)' or '0 pts (eligibility disputed)'."""
    if eligible is False:
        return "no pts (not eligible)"
    text = pts(points) if points is not None else "pts not recorded"
    return f"{text} (eligibility disputed)" if eligible is None else text


def pts(points: int) -> str:
    """Return '1 pt' or '48 pts'."""
    return "1 pt" if points == 1 else f"{points} pts"


def position(n: int | None) -> str:
    """Return '1st', or 'not recorded'."""
    return ordinal(n) if n is not None else NOT_RECORDED


def safe_url(url: str | None) -> str | None:
    """Return url if Discord will accept it as a link, else None."""
    if url and url.startswith(("https://", "http://")) and len(url) <= URL_MAX and not any(c.isspace() for c in url):
        return url
    return None


# --- embeds within the limits --------------------------------------------------------------------------------


def new_embed(title: str, description: str = "", *, url: str | None = None) -> discord.Embed:
    """Return an embed in Pit Board's colour."""
    return discord.Embed(title=title, description=description or None, colour=COLOUR, url=safe_url(url))


def fit(embed: discord.Embed) -> discord.Embed:
    """Cut an embed's parts to Discord's limits (and its total to 6000 characters), so Discord never rejects it."""
    if embed.title:
        embed.title = clip(embed.title, TITLE_MAX)
    if embed.description:
        embed.description = clip(embed.description, DESCRIPTION_MAX)
    fields = [(f.name or "\u200b", f.value or "\u200b", bool(f.inline)) for f in embed.fields][:FIELDS_MAX]
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=clip(name, FIELD_NAME_MAX), value=clip(value, FIELD_VALUE_MAX), inline=inline)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, FOOTER_MAX))
    excess = len(embed) - EMBED_TOTAL_MAX
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - excess, 1))
    while len(embed) > EMBED_TOTAL_MAX and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed


def choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Return autocomplete choices within Discord's limits (25 choices, names and values of 100)."""
    return [
        app_commands.Choice(name=clip(name, CHOICE_NAME_MAX), value=value[:CHOICE_VALUE_MAX])
        for name, value in list(pairs)[:25]
    ]


def pages_of(lines: Sequence[str], size: int = PAGE_SIZE) -> list[list[str]]:
    """Split lines into pages of size lines (one empty page when there are none)."""
    return [list(lines[i : i + size]) for i in range(0, len(lines), size)] or [[]]


def _numbered(embed: discord.Embed, number: int, total: int) -> discord.Embed:
    """Add 'page number/total' to the embed's footer when there is more than one page, then fit it."""
    if total > 1:
        footer = embed.footer.text
        embed.set_footer(text=f"{footer} · page {number}/{total}" if footer else f"page {number}/{total}")
    return fit(embed)


def number_pages(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Add 'page i/n' to each embed's footer when there is more than one, then fit each."""
    return [_numbered(embed, number, len(embeds)) for number, embed in enumerate(embeds, start=1)]


class LazyPages(Sequence[discord.Embed]):
    """Numbered pages built the first time they are shown, then kept.

    With a long history a list runs to hundreds of pages (5,000 races are 500) of which a fan turns one or
    two, and the buttons keep the pages for VIEW_TIMEOUT: building them all cost milliseconds per command
    and most of the bot's memory under load.
    """

    def __init__(self, count: int, build: Callable[[int], discord.Embed]) -> None:
        self._count = max(count, 1)  # an empty list is one page saying so
        self._build = build  # 0-based page number -> its embed, unnumbered
        self._built: dict[int, discord.Embed] = {}

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> discord.Embed: ...
    @overload
    def __getitem__(self, index: slice) -> list[discord.Embed]: ...
    def __getitem__(self, index: int | slice) -> discord.Embed | list[discord.Embed]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        number = index + self._count if index < 0 else index
        if not 0 <= number < self._count:
            raise IndexError(index)
        embed = self._built.get(number)
        if embed is None:
            embed = self._built[number] = _numbered(self._build(number), number + 1, self._count)
        return embed


# --- views ---------------------------------------------------------------------------------------------------


class ReplyView(View):
    """A view on a public reply; its buttons are turned off when they expire (bot.expiry).

    discord.py forgets the view when it times out; the reply's buttons are turned off by the bot's ButtonTimers,
    which keep only where the reply is rather than the interaction that sent it.
    """

    def __init__(self, *, timeout: float | None = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)

    def sent(self, interaction: discord.Interaction, message_id: int | None) -> None:
        """Have the buttons turned off when they expire."""
        turn_off_later(interaction, message_id)


class RaceButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"pitboard:race:(?P<race>[0-9]+)"
):
    """A button about one race that keeps nothing but the race id, which travels in its custom_id.

    discord.py rebuilds it from the custom_id of whatever message is pressed (each cog's setup registers its
    subclasses with add_dynamic_items), so no view is kept per message and the button works across restarts.
    A subclass names its action (custom_id 'pitboard:<action>:<race id>'), its look, and press().
    """

    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary
    emoji: ClassVar[str | None] = None
    button_row: ClassVar[int | None] = None  # not `row`: DynamicItem.row is the rendered row

    def __init_subclass__(cls, *, action: str, **kwargs: Any) -> None:
        super().__init_subclass__(template=rf"pitboard:{action}:(?P<race>[0-9]+)", **kwargs)
        cls.action = action

    def __init__(self, race_id: int) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=self.label, style=self.style, emoji=self.emoji, custom_id=f"pitboard:{self.action}:{race_id}"
        )
        super().__init__(button, row=self.button_row)
        self.race_id = race_id

    @property
    def disabled(self) -> bool:
        """Return whether the button is turned off (when the paged reply it is part of expires)."""
        return self.item.disabled

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Return the button pressed, for the race its custom_id names."""
        return cls(int(match["race"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run press(), sending errors down the path every command and view shares.

        discord.py only logs what a dynamic item's callback raises: the user would get "interaction failed".
        """
        try:
            await self.press(interaction)
        except Exception as error:
            await report_error(interaction, error, where=f"{type(self).__name__} button")

    async def press(self, interaction: discord.Interaction) -> None:
        """Answer whoever pressed the button."""
        raise NotImplementedError


class StatelessView(ReplyView):
    """A reply view made only of dynamic items (RaceButtons, PageButtons): discord.py keeps nothing for it."""

    def __init__(self, *buttons: discord.ui.DynamicItem[Any]) -> None:
        super().__init__(timeout=None)
        for button in buttons:
            self.add_item(button)

    def sent(self, interaction: discord.Interaction, message_id: int | None) -> None:
        """Keep nothing: the buttons carry what they need."""


class OwnedView(ReplyView):
    """A reply view only the person who asked may use; anyone else gets a private hint."""

    def __init__(self, *, owner_id: int, command: str) -> None:
        super().__init__()
        self.owner_id = owner_id
        self.command = command

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only the owner press the buttons."""
        if interaction.user.id == self.owner_id:
            return True
        await send_private(interaction, f"These buttons belong to whoever asked. Run /{self.command} to get your own.")
        return False


class QuoteView(OwnedView):
    """An 'Another' button that steps through matching quotes, each shown once."""

    def __init__(self, quotes: Sequence[Quote], *, owner_id: int, command: str = "quote") -> None:
        super().__init__(owner_id=owner_id, command=command)
        self.quotes = list(quotes)
        self.position = 0
        self._sync_button()

    def _sync_button(self) -> None:
        if self.position >= len(self.quotes) - 1:
            self.another.disabled = True
            self.another.label = "No more quotes" if len(self.quotes) > 1 else "Only quote"

    @property
    def current(self) -> discord.Embed:
        """Return the embed of the quote shown."""
        return quote_embed(self.quotes[self.position], self.position + 1, len(self.quotes))

    @discord.ui.button(label="Another", style=discord.ButtonStyle.primary)
    async def another(self, interaction: discord.Interaction, button: discord.ui.Button["QuoteView"]) -> None:
        """Show the next quote."""
        self.position = min(self.position + 1, len(self.quotes) - 1)
        self._sync_button()
        await interaction.response.edit_message(embed=self.current, view=self, allowed_mentions=NO_MENTIONS)


@dataclass(slots=True)
class Reply:
    """What a command answers with: one embed and maybe buttons."""

    embed: discord.Embed
    view: ReplyView | None = None


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer publicly with mentions off, then tell the view where it was sent (to turn its buttons off later)."""
    if reply.view is None:
        await interaction.response.send_message(embed=reply.embed, allowed_mentions=NO_MENTIONS)
        return
    response = await interaction.response.send_message(embed=reply.embed, view=reply.view, allowed_mentions=NO_MENTIONS)
    reply.view.sent(interaction, response.message_id)


# --- results -------------------------------------------------------------------------------------------------


def result_line(entry: Entry) -> str:
    """Return one finisher in two lines: who and what, then how the race went."""
    place = f"**{ordinal(entry.finish)}**" if entry.finish is not None else "**unplaced**"
    machine = " · ".join((entry.make or "make not recorded", entry.team or "team not recorded"))
    start = f"start {ordinal(entry.start)}" if entry.start is not None else "start not recorded"
    if move := movement(entry):
        start += f" ({move})"
    laps = plural(entry.laps, "lap") if entry.laps is not None else "laps not recorded"
    led = f"led {entry.laps_led}" if entry.laps_led is not None else "laps led not recorded"
    status = entry.status or "status not recorded"
    points = points_text(entry.points, entry.points_eligible)
    return f"{place} {car(entry)} {entry.driver} · {machine}\n{start} · {laps} · {status} · {led} · {points}"


def corrections_text(corrections: Sequence[Correction]) -> str:
    """Return the latest corrections, one a line, each with its reason."""
    return clip("\n".join(f"{c.summary} · {c.reason}" for c in corrections[-5:]), 1024)


def results_pages(data: RaceData, top: int | None = None, *, spoiler: bool = False) -> LazyPages:
    """Return the finishing order, ten to a page; in spoiler-safe mode each finisher is hidden until tapped.

    A page is written when it is shown: a command shows one, a press of ◀ ▶ another.
    """
    race = data.race
    entries = data.entries[:top] if top else data.entries
    heading = f"{race.track} · {race_date(race)}"
    if top and top < len(data.entries):
        heading += f" · top {top} of {len(data.entries)}"
    if spoiler:
        heading += "\nSpoiler-safe mode: tap a line to reveal it."

    def page(number: int) -> discord.Embed:
        shown = entries[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        lines = [hide(result_line(e)) if spoiler else result_line(e) for e in shown]
        embed = new_embed(f"Results · {race_title(race)}", heading + "\n\n" + "\n".join(lines))
        if data.corrections:
            embed.add_field(name="Corrections", value=corrections_text(data.corrections), inline=False)
        embed.set_footer(text=status_line(race))
        return fit(embed)

    return LazyPages(math.ceil(len(entries) / PAGE_SIZE), page)


# --- stages --------------------------------------------------------------------------------------------------


def stage_line(result: StageResult) -> str:
    """Return one stage position; an unresolved one names its candidates."""
    if result.entry is None:
        names = " or ".join(c.driver for c in result.candidates) or "not recorded"
        text = f"{result.position}. {names} (unresolved)"
        return f"{text} · {pts(result.points)}" if result.points is not None else text
    points = points_text(result.points, result.entry.points_eligible)
    return f"{result.position}. {car(result.entry)} {result.entry.driver} · {points}"


def stages_embed(data: RaceData, *, spoiler: bool = False) -> discord.Embed:
    """Return each stage's top ten with its points, one field per stage (hidden until tapped when spoiler-safe)."""
    race = data.race
    embed = new_embed(f"Stages · {race_title(race)}", f"{race.track} · {race_date(race)}")
    laps = {s.number: s for s in race.stages}
    by_stage: dict[int, list[StageResult]] = {}
    for result in data.stages:
        by_stage.setdefault(result.stage, []).append(result)
    for number, results in sorted(by_stage.items()):
        stage = laps.get(number)
        name = f"Stage {number}"
        if stage and stage.first_lap is not None and stage.last_lap is not None:
            name += f" (laps {stage.first_lap}-{stage.last_lap})"
        lines = [hide(stage_line(r)) if spoiler else stage_line(r) for r in results[:10]]
        embed.add_field(name=name, value="\n".join(lines), inline=False)
    last = max(laps) if laps else None
    note = f"Stage {last} ends at the checkered flag: see /results. · " if last and last not in by_stage else ""
    embed.set_footer(text=note + status_line(race))
    return fit(embed)


# --- recap ---------------------------------------------------------------------------------------------------


def _entry_field(entry: Entry | None) -> str:
    if entry is None:
        return NOT_RECORDED
    machine = " ".join(part for part in (entry.team, entry.make) if part)
    return f"{car(entry)} {entry.driver}" + (f"\n{machine}" if machine else "")


def recap_embed(
    data: RaceData, body: str, *, published_by: int | None = None, milestones: Sequence[str] = ()
) -> discord.Embed:
    """Return the recap: the race, its date, the recap text and the fields fans look for first."""
    race, entries = data.race, data.entries
    embed = new_embed(f"{race_title(race)} · {race.track}", f"{race_date(race)} · {race.series}\n\n{body}")
    by_finish = {e.finish: e for e in entries if e.finish is not None}
    embed.add_field(name="Winner", value=_entry_field(by_finish.get(1)))
    embed.add_field(name="Runner-up", value=_entry_field(by_finish.get(2)))
    embed.add_field(name="Third", value=_entry_field(by_finish.get(3)))

    pole = next((e for e in entries if race.pole_entry_id is not None and e.id == race.pole_entry_id), None)
    pole = pole or next((e for e in entries if e.start == 1), None)
    pole_text = f"{car(pole)} {pole.driver}" if pole else NOT_RECORDED
    if pole and race.pole_time_s:
        pole_text += f"\n{race.pole_time_s} s" + (f" · {race.pole_speed_mph} mph" if race.pole_speed_mph else "")
    embed.add_field(name="Pole", value=pole_text)

    winners: dict[int, StageResult] = {r.stage: r for r in data.stages if r.position == 1}
    stage_text = "\n".join(
        f"Stage {n}: " + (r.entry.driver if r.entry else " or ".join(c.driver for c in r.candidates) + " (unresolved)")
        for n, r in sorted(winners.items())
    )
    embed.add_field(name="Stage winners", value=stage_text or NOT_RECORDED)

    leaders = sorted((e for e in entries if e.laps_led), key=lambda e: -(e.laps_led or 0))
    led_text = "\n".join(f"{e.driver} {e.laps_led}" for e in leaders[:6])
    if not leaders and (not entries or any(e.laps_led is None for e in entries)):
        led_text = NOT_RECORDED
    embed.add_field(name="Laps led", value=led_text or "nobody recorded leading a lap")

    if milestones:
        embed.add_field(name="Milestones", value=clip("\n".join(milestones), FIELD_VALUE_MAX), inline=False)
    if data.corrections:
        embed.add_field(name="Corrections", value=corrections_text(data.corrections), inline=False)

    footer = status_line(race)
    if published_by is not None:
        footer = f"Recap published by this server's moderators · {footer}"
    embed.set_footer(text=footer)
    return fit(embed)


def spoiler_recap_embed(race: Race, until: dt.datetime) -> discord.Embed:
    """Return a recap card that names the race but not its result, for spoiler-safe mode."""
    embed = new_embed(
        f"{race_title(race)} · {race.track}",
        f"{race_date(race)} · {race.series}\n\n"
        f"This server keeps results hidden until <t:{int(until.timestamp())}:f>. "
        "Press **Reveal** to read the recap privately; nobody else will see it.",
    )
    embed.set_footer(text=status_line(race))
    return embed


# --- quotes --------------------------------------------------------------------------------------------------


def quote_embed(quote: Quote, number: int, total: int) -> discord.Embed:
    """Return one quote with its speaker, role, context, race and source."""
    embed = new_embed(quote.speaker, f"“{quote.text}”", url=quote.source_url)
    embed.add_field(name="Role", value=quote.role or NOT_RECORDED)
    embed.add_field(name="Race", value=quote.race_label)
    embed.add_field(name="Context", value=quote.context or NOT_RECORDED, inline=False)
    url = safe_url(quote.source_url)
    embed.add_field(name="Source", value=f"[{clip(url, 200)}]({url})" if url else NOT_RECORDED, inline=False)
    footer = f"Quote {number} of {total}"
    if quote.confidence:
        footer += f" · {quote.confidence}"
    embed.set_footer(text=footer)
    return fit(embed)


def quotes_reply(quotes: Sequence[Quote], *, owner_id: int, rng: random.Random, command: str = "quote") -> Reply:
    """Return a random order of the quotes, the first shown, with 'Another' when there are more."""
    order = list(quotes)
    rng.shuffle(order)
    view = QuoteView(order, owner_id=owner_id, command=command)
    if len(order) == 1:
        return Reply(view.current)
    return Reply(view.current, view)


# --- wins, drivers, races ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareerLine:
    """Figures counted from stored results."""

    starts: int
    wins: int
    top5: int
    top10: int
    laps_led: int
    laps_led_unknown: int  # starts whose laps led were not recorded

    @classmethod
    def of(cls, results: Sequence[DriverResult]) -> "CareerLine":
        """Count a driver's figures from their stored results."""
        finishes = [r.entry.finish for r in results]
        return cls(
            starts=len(results),
            wins=sum(f == 1 for f in finishes),
            top5=sum(f is not None and f <= 5 for f in finishes),
            top10=sum(f is not None and f <= 10 for f in finishes),
            laps_led=sum(r.entry.laps_led or 0 for r in results),
            laps_led_unknown=sum(r.entry.laps_led is None for r in results),
        )

    @property
    def win_rate(self) -> str:
        """Return wins per start as a percentage, to one decimal when it is not whole."""
        if not self.starts:
            return NOT_RECORDED
        rate = 100 * self.wins / self.starts
        return f"{rate:.0f}%" if rate == int(rate) else f"{rate:.1f}%"

    @property
    def laps_led_text(self) -> str:
        """Return laps led, noting starts where they were not recorded."""
        text = str(self.laps_led)
        if self.laps_led_unknown:
            text += f" (not recorded in {plural(self.laps_led_unknown, 'start')})"
        return text

    def summary(self) -> str:
        """Return '1 start · 1 win · 1 top 5 · 1 top 10 · 20 laps led'."""
        return (
            f"{plural(self.starts, 'start')} · {plural(self.wins, 'win')} · {plural(self.top5, 'top 5')} · "
            f"{plural(self.top10, 'top 10')} · {self.laps_led_text} laps led"
        )


def driver_wins_pages(driver: Driver, results: Sequence[DriverResult], filters: str) -> LazyPages:
    """Return a driver's figures within the filters, and the list of wins, ten to a page (written when shown)."""
    line = CareerLine.of(results)
    wins = [r for r in results if r.entry.finish == 1]
    heading = f"In Pit Board's stored races{filters}."

    def page(number: int) -> discord.Embed:
        lines = [
            f"**{race_title(r.race)}** · {r.race.track} · {race_date(r.race)} · "
            + (f"from {ordinal(r.entry.start)}" if r.entry.start is not None else "start not recorded")
            for r in wins[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        ]
        body = heading + ("\n\n**Wins**\n" + "\n".join(lines) if lines else "\n\nNo wins.")
        embed = new_embed(f"{driver.name} · wins", body)
        embed.add_field(name="Wins", value=str(line.wins))
        embed.add_field(name="Starts", value=str(line.starts))
        embed.add_field(name="Win rate", value=line.win_rate)
        embed.add_field(name="Top 5s", value=str(line.top5))
        embed.add_field(name="Top 10s", value=str(line.top10))
        embed.add_field(name="Laps led", value=line.laps_led_text)
        embed.set_footer(text="Counted from stored results")
        return embed

    return LazyPages(math.ceil(len(wins) / PAGE_SIZE), page)


def leaderboard_pages(rows: Sequence[tuple[Driver, int, int]], filters: str) -> LazyPages:
    """Return the wins leaderboard, ten to a page; drivers level on wins share a rank."""
    ascending = sorted(wins for _, wins, _ in rows)

    def page(number: int) -> discord.Embed:
        lines = []
        for driver, wins, starts in rows[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]:
            rank = 1 + len(ascending) - bisect.bisect_right(ascending, wins)  # 1 + how many have more wins
            lines.append(f"**{rank}.** {driver.name} · {plural(wins, 'win')} in {plural(starts, 'start')}")
        embed = new_embed("Wins leaderboard", f"In Pit Board's stored races{filters}.\n\n" + "\n".join(lines))
        embed.set_footer(text="Counted from stored results")
        return embed

    return LazyPages(math.ceil(len(rows) / PAGE_SIZE), page)


def driver_embed(
    driver: Driver, results: Sequence[DriverResult], quote_count: int, *, quote_hint: str = "/quote"
) -> discord.Embed:
    """Return a driver's profile: their latest entry, stored quotes and career line in the store."""
    others = [a for a in driver.aliases if a != driver.name]
    lines = [f"Also known as {', '.join(others)}."] if others else []
    embed = new_embed(driver.name)
    if results:
        latest = results[0]
        entry, race = latest.entry, latest.race
        lines.append(f"Latest race: **{race_title(race)}** · {race.track} · {race_date(race)}")
        embed.add_field(name="Car", value=car(entry))
        embed.add_field(name="Make", value=shown(entry.make))
        embed.add_field(name="Team", value=shown(entry.team))
        embed.add_field(name="Sponsor", value=shown(entry.sponsor))
        embed.add_field(name="Start", value=position(entry.start))
        finish = position(entry.finish)
        if move := movement(entry):
            finish += f" ({move})"
        if entry.status and entry.status.lower() != "running":
            finish += f", {entry.status}"
        embed.add_field(name="Finish", value=finish)
        embed.add_field(name="Laps led", value=shown(entry.laps_led))
        embed.add_field(name="Points", value=points_text(entry.points, entry.points_eligible))
    else:
        lines.append("No stored race entries.")
    embed.add_field(name="Quotes stored", value=f"{quote_count}" + (f" · {quote_hint}" if quote_count else ""))
    embed.add_field(name="Career in Pit Board's races", value=CareerLine.of(results).summary(), inline=False)
    embed.description = "\n".join(lines)
    embed.set_footer(text="Career figures count only the races stored in Pit Board")
    return fit(embed)


def races_pages(races: Sequence[RaceSummary], filters: str, *, hidden: frozenset[int] = frozenset()) -> LazyPages:
    """Return the stored races, newest first, ten to a page, with winner and date (hidden races' winners masked)."""

    def line(race: RaceSummary) -> str:
        winner = f"#{race.winner_car} {race.winner}" if race.winner else NOT_RECORDED
        if race.id in hidden and race.winner:
            winner = hide(winner)
        return (
            f"**{race_title(race)}** · {race.track} · {race_date(race)}\n"
            f"{race.series_short} round {race.round} · winner {winner} · {race.results_status}"
        )

    def page(number: int) -> discord.Embed:
        lines = [line(race) for race in races[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]]
        return new_embed("Races", f"{plural(len(races), 'race')} stored{filters}.\n\n" + "\n".join(lines))

    return LazyPages(math.ceil(len(races) / PAGE_SIZE), page)


def help_embed(fan: Sequence[tuple[str, str]], moderator: Sequence[str] = ()) -> discord.Embed:
    """Return the fans' commands, each as a mention (or /name) with what it does, then the moderators' ones."""
    lines = [f"{mention} · {description}" for mention, description in fan]
    tips = (
        "**Tips**\n"
        "Race options default to the latest race; type a race name, track or season, or pick a suggestion.\n"
        "Driver options take a name, a surname or a car number such as #07 (07 and 7 are different cars)."
    )
    embed = new_embed("Pit Board commands", "\n".join(lines) + "\n\n" + tips)
    if moderator:
        embed.add_field(name="For moderators", value=" ".join(moderator), inline=False)
    embed.set_footer(text="Every answer comes from Pit Board's own race store, with its sources")
    return fit(embed)
