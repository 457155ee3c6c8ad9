"""How NASCAR's schedule and standings read in replies: Discord timestamps, winners or their absence, gaps."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import discord

from bot.series import BY_CODE
from bot.store.models import RaceSummary
from bot.store.schedule import ScheduledRace, Standings
from bot.ui.embeds.coverage import refreshed_text
from bot.ui.limits import clip, new_embed, pages_of
from bot.ui.text import plain, timestamp
from bot.wording import ordinal

NAME_SHOWN = 100  # a race or track name in a line (the longest real race names run past 110 characters)
FEED_CREDIT = "data: NASCAR"
FEED_OFF = (
    "{what} from NASCAR's feed, which this bot's owner has not turned on (RACE_FEED=on in the bot's settings; "
    "the feeds are NASCAR's public but unofficial files)."
)
STANDINGS_PAGE = 10


@dataclass(frozen=True, slots=True)
class Winner:
    """What a schedule line says about a race's winner."""

    name: str | None  # None: not run, or not known
    hidden_until: dt.datetime | None = None  # spoiler-safe mode holds it back until then


def series_name(code: str) -> str:
    """Return 'NASCAR Craftsman Truck Series' for 'truck'."""
    family = BY_CODE.get(code)
    return family.name if family else code


def feed_footer(fetched_at: dt.datetime | None, extra: str = "") -> str:
    """Return the footer of a reply made from the feeds: the credit, and when NASCAR was last asked."""
    parts = [FEED_CREDIT]
    if fetched_at is not None:
        parts.append(f"fetched {refreshed_text(fetched_at)}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def day_text(day: dt.date) -> str:
    """Return 'Fri 31 Oct 2031': a race's day at the track, as text (a day is no instant to show in a fan's time)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def when(start: dt.datetime | None, day: dt.date | None = None) -> str:
    """Return '<t:…:F> (<t:…:R>)', each fan's own time, else 'Fri 31 Oct 2031, time not announced'."""
    if start is None:
        return f"{day_text(day)}, time not announced" if day is not None else "time not announced"
    return f"{timestamp(start, 'F')} ({timestamp(start, 'R')})"


def schedule_line(race: ScheduledRace, winner: Winner, *, with_series: bool) -> str:
    """Return a race's two lines: round, start, track and TV; then its name and winner."""
    head = [f"**R{race.round}**" if race.round is not None else "**Exhibition**"]
    if with_series:
        head.append(race.series.upper() if race.series == "nxs" else race.series.title())
    head += [when(race.start, race.day), plain(clip(race.track, NAME_SHOWN))]
    if race.tv:
        head.append(f"TV: {plain(race.tv)}")
    name = plain(clip(race.name, NAME_SHOWN))
    if winner.hidden_until is not None:
        result = f"winner hidden (spoiler-safe mode) until {timestamp(winner.hidden_until, 'R')}"
    elif winner.name is not None:
        result = f"won by **{plain(winner.name)}**"
    else:
        result = ""
    return " · ".join(head) + f"\n{name}" + (f" — {result}" if result else "")


def schedule_pages(
    races: Sequence[ScheduledRace],
    winners: Mapping[int, Winner],
    title: str,
    *,
    with_series: bool,
    footer: str,
    note: str = "",
) -> list[discord.Embed]:
    """Return the schedule, ten races a page."""
    lines = [
        schedule_line(race, winners.get(race.nascar_race_id, Winner(None)), with_series=with_series) for race in races
    ]
    pages = []
    for chunk in pages_of(lines):
        body = "\n\n".join(chunk)
        embed = new_embed(title, f"{note}\n\n{body}" if note else body)
        embed.set_footer(text=footer)
        pages.append(embed)
    return pages


def next_embed(
    race: ScheduledRace, last_year: RaceSummary | None, last_winner: Winner | None, *, footer: str
) -> discord.Embed:
    """Return the next race with its countdown (once its start is announced), TV and last year's winner there."""
    embed = new_embed(f"Next: {race.season} {plain(clip(race.name, NAME_SHOWN))}")
    if race.start is not None:
        starts = timestamp(race.start, "F")
        embed.description = f"**Green flag {timestamp(race.start, 'R')}**"
    else:
        starts = "Time not announced"
        embed.description = f"**{when(None, race.day)}**" if race.day else "The start is not announced yet."
    embed.add_field(name="Series", value=plain(series_name(race.series)), inline=True)
    embed.add_field(name="Starts", value=starts, inline=True)
    embed.add_field(name="Track", value=plain(race.track), inline=True)
    embed.add_field(name="TV", value=plain(race.tv) if race.tv else "not announced", inline=True)
    if race.radio:
        embed.add_field(name="Radio", value=plain(race.radio), inline=True)
    embed.add_field(name="Round", value=str(race.round) if race.round else "not a points race", inline=True)
    if last_year is None or last_winner is None:
        previous = f"No {race.season - 1} race at this track is stored."
    elif last_winner.hidden_until is not None:
        previous = f"hidden (spoiler-safe mode) until {timestamp(last_winner.hidden_until, 'R')}"
    elif last_winner.name is None:
        previous = f"{last_year.season} {plain(last_year.name)}: no winner stored"
    else:
        previous = f"**{plain(last_winner.name)}** in the {last_year.season} {plain(clip(last_year.name, NAME_SHOWN))}"
    embed.add_field(name=f"Last year's winner here ({race.season - 1})", value=previous, inline=False)
    embed.set_footer(text=footer)
    return embed


def standings_label(standings: Standings) -> str:
    """Return 'official, after race 12 (Texas)' or 'official, before the first race'."""
    if standings.after_round == 0:
        return "official, before the first race"
    race = f" ({clip(standings.after_race, NAME_SHOWN)})" if standings.after_race else ""
    return f"official, after race {standings.after_round}{race}"


def _count(value: int | None) -> str:
    return "\u2013" if value is None else str(value)


def standings_pages(standings: Standings, *, note: str = "") -> list[discord.Embed]:
    """Return the standings, ten drivers a page: place, points, gaps, wins, top 5s, top 10s, playoff points."""
    title = f"{standings.season} {series_name(standings.series)} standings"
    lines = []
    for row in standings.rows:
        car = f"#{plain(row.car_number)} " if row.car_number else ""
        gaps = (
            "leader"
            if row.gap_next is None
            else f"\u2212{row.gap_leader} to leader, \u2212{row.gap_next} to {ordinal(row.position - 1)}"
        )
        lines.append(
            f"**{ordinal(row.position)}** {car}{plain(row.driver_name)} · **{row.points} pts** · {gaps}\n"
            f"wins {_count(row.wins)} · top 5 {_count(row.top_5)} · top 10 {_count(row.top_10)} · "
            f"playoff pts {_count(row.playoff_points)}"
        )
    label = plain(standings_label(standings))
    label = label[0].upper() + label[1:]
    pages = []
    for chunk in pages_of(lines, STANDINGS_PAGE):
        head = f"{note}\n**{label}**" if note else f"**{label}**"
        embed = new_embed(plain(title), head + "\n\n" + ("\n".join(chunk) or "No driver has points yet."))
        embed.set_footer(text=feed_footer(standings.fetched_at))
        pages.append(embed)
    return pages


def notice_embed(title: str, text: str, *, footer: str = "") -> discord.Embed:
    """Return a plain answer saying what is (or is not) stored, and why."""
    embed = new_embed(title, text)
    if footer:
        embed.set_footer(text=footer)
    return embed
