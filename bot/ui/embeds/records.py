"""Replies over the whole stored history: a track's winners and records, and two drivers head to head."""

import datetime as dt
import math
from collections.abc import Sequence

import discord

from bot.store.career import HeadToHead, TrackHistory, TrackWin
from bot.store.models import RaceSummary
from bot.ui.embeds.coverage import footer_text
from bot.ui.limits import PAGE_SIZE, LazyPages, fit, new_embed
from bot.ui.text import NOT_RECORDED, plain, plural, race_title, timestamp

FOOTER = "Counted from the races stored in Pit Board"


def filters_text(*parts: str | None) -> str:
    """Return ' (NASCAR Cup Series, Daytona International Speedway)', or '' without filters; names escaped."""
    shown = [plain(part) for part in parts if part]
    return f" ({', '.join(shown)})" if shown else ""


def average(value: float | None) -> str:
    """Return an average finish to one decimal, or 'not recorded'."""
    return NOT_RECORDED if value is None else f"{value:.1f}"


def held_back(count: int, *, reveal: bool = False) -> str:
    """Return the note for races left out in spoiler-safe mode (and that Reveal shows them), or ''."""
    if not count:
        return ""
    note = f"\n\n{plural(count, 'recent race')} left out while this server's spoiler-safe mode hides results."
    return note + " Press **Reveal** to see everything, privately." if reveal else note


def held_back_embed(
    title: str, lead: str, races: Sequence[RaceSummary], until: dt.datetime | None, what: str, fresh: str = ""
) -> discord.Embed:
    """Return a card saying the answer would come only from races held back for spoilers, and how to see it.

    lead comes before the races' names ('The only stored race here is'); what names what Reveal shows. The title
    and lead are reply text: names in them are escaped by the caller. fresh says how current the data is.
    """
    named = ", ".join(f"the {race_title(race)}" for race in races[:3])
    if len(races) > 3:
        named += f" and {plural(len(races) - 3, 'more race')}"
    when = f" until {timestamp(until)}" if until is not None else ""
    description = (
        f"{lead} {named}, held back: this server's spoiler-safe mode hides results{when}.\n"
        f"Press **Reveal** to see {what} privately; nobody else will see it."
    )
    embed = new_embed(title, description)
    embed.set_footer(text=footer_text(FOOTER, fresh))
    return fit(embed)


def holders(names: Sequence[str], shown: int = 4) -> str:
    """Return up to `shown` record holders (escaped), then how many more share it."""
    text = ", ".join(plain(name) for name in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def winner_line(win: TrackWin, *, with_series: bool) -> str:
    """Return '**2025** Baptist Health 200 · #07 Kyle Larson' (with the series when several raced there)."""
    series = f"{plain(win.series_short)} · " if with_series else ""
    winner = f"#{win.car} {plain(win.driver)}" if win.driver else "winner not recorded"
    return f"**{win.season}** {series}{plain(win.race_name)} · {winner}"


def track_pages(track: str, history: TrackHistory, filters: str, note: str = "", fresh: str = "") -> LazyPages:
    """Return a track's winners, newest first, ten a page, with who won most and the records on every page.

    fresh says how current the data is (footer text).
    """
    with_series = len({win.series_short for win in history.wins}) > 1
    wins = history.wins[::-1]
    most, leaders = history.most_wins()
    heading = f"{plural(len(history.wins), 'race')} stored{filters}.{note}"

    def page(number: int) -> discord.Embed:
        shown = wins[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        lines = [winner_line(win, with_series=with_series) for win in shown]
        embed = new_embed(f"{plain(track)} · winners", heading + "\n\n" + "\n".join(lines))
        if most:
            embed.add_field(name="Most wins", value=f"{plural(most, 'win')} · {holders(leaders)}")
        for record in history.records:
            embed.add_field(name=record.label, value=f"{plain(record.value)} · {holders(record.holders)}")
        embed.set_footer(text=footer_text(FOOTER, fresh))
        return embed

    return LazyPages(math.ceil(len(wins) / PAGE_SIZE), page)


def compare_embed(a: str, b: str, h2h: HeadToHead, filters: str, note: str = "") -> discord.Embed:
    """Return two drivers head to head: races together, who finished ahead, wins and average finish."""
    span = f" ({h2h.first_season}-{h2h.last_season})"
    if h2h.first_season == h2h.last_season:
        span = f" ({h2h.first_season})"
    description = f"In the {plural(h2h.races, 'race')} both started{filters}{span}.{note}"
    a, b = plain(a), plain(b)
    embed = new_embed(f"{a} vs {b}", description)
    embed.add_field(name="Finished ahead", value=f"{a} {h2h.a_ahead} · {b} {h2h.b_ahead}", inline=False)
    embed.add_field(name="Wins", value=f"{a} {h2h.a_wins} · {b} {h2h.b_wins}", inline=False)
    embed.add_field(
        name="Average finish", value=f"{a} {average(h2h.a_average)} · {b} {average(h2h.b_average)}", inline=False
    )
    embed.set_footer(text=FOOTER)
    return fit(embed)
