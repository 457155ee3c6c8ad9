"""Replies about drivers: their wins, the wins leaderboard and their profile."""

import bisect
import math
from collections.abc import Sequence

import discord

from bot.facts.career import CareerLine
from bot.facts.statuses import Ending, ending
from bot.store.models import Driver, DriverResult
from bot.ui.embeds.coverage import footer_text
from bot.ui.limits import PAGE_SIZE, LazyPages, fit, new_embed
from bot.ui.text import (
    NOT_RECORDED,
    car,
    movement,
    plain,
    plural,
    points_text,
    position,
    race_date,
    race_title,
    shown,
)
from bot.wording import ordinal


def win_rate_text(line: CareerLine) -> str:
    """Return wins per start as a percentage, to one decimal when it is not whole."""
    rate = line.win_rate
    if rate is None:
        return NOT_RECORDED
    return f"{rate:.0f}%" if rate == int(rate) else f"{rate:.1f}%"


def laps_led_text(line: CareerLine) -> str:
    """Return laps led, noting starts where they were not recorded."""
    text = str(line.laps_led)
    if line.laps_led_unknown:
        text += f" (not recorded in {plural(line.laps_led_unknown, 'start')})"
    return text


def career_summary(line: CareerLine) -> str:
    """Return '1 start · 1 win · 1 top 5 · 1 top 10 · 20 laps led'."""
    return (
        f"{plural(line.starts, 'start')} · {plural(line.wins, 'win')} · {plural(line.top5, 'top 5')} · "
        f"{plural(line.top10, 'top 10')} · {laps_led_text(line)} laps led"
    )


def driver_wins_pages(
    driver: Driver, results: Sequence[DriverResult], filters: str, note: str = "", fresh: str = ""
) -> LazyPages:
    """Return a driver's figures within the filters, and the list of wins, ten to a page (written when shown).

    note says what spoiler-safe mode left out of them, if anything; fresh, how current the data is (footer text).
    """
    line = CareerLine.of(results)
    wins = [r for r in results if r.entry.finish == 1]
    heading = f"In Pit Board's stored races{filters}.{note}"

    def page(number: int) -> discord.Embed:
        lines = [
            f"**{race_title(r.race)}** · {plain(r.race.track)} · {race_date(r.race)} · "
            + (f"from {ordinal(r.entry.start)}" if r.entry.start is not None else "start not recorded")
            for r in wins[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        ]
        body = heading + ("\n\n**Wins**\n" + "\n".join(lines) if lines else "\n\nNo wins.")
        embed = new_embed(f"{plain(driver.name)} · wins", body)
        embed.add_field(name="Wins", value=str(line.wins))
        embed.add_field(name="Starts", value=str(line.starts))
        embed.add_field(name="Win rate", value=win_rate_text(line))
        embed.add_field(name="Top 5s", value=str(line.top5))
        embed.add_field(name="Top 10s", value=str(line.top10))
        embed.add_field(name="Laps led", value=laps_led_text(line))
        embed.set_footer(text=footer_text("Counted from stored results", fresh))
        return embed

    return LazyPages(math.ceil(len(wins) / PAGE_SIZE), page)


def leaderboard_pages(
    rows: Sequence[tuple[Driver, int, int]], filters: str, note: str = "", fresh: str = ""
) -> LazyPages:
    """Return the wins leaderboard, ten to a page; drivers level on wins share a rank; note, fresh as for wins."""
    ascending = sorted(wins for _, wins, _ in rows)

    def page(number: int) -> discord.Embed:
        lines = []
        for driver, wins, starts in rows[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]:
            rank = 1 + len(ascending) - bisect.bisect_right(ascending, wins)  # 1 + how many have more wins
            lines.append(f"**{rank}.** {plain(driver.name)} · {plural(wins, 'win')} in {plural(starts, 'start')}")
        embed = new_embed("Wins leaderboard", f"In Pit Board's stored races{filters}.{note}\n\n" + "\n".join(lines))
        embed.set_footer(text=footer_text("Counted from stored results", fresh))
        return embed

    return LazyPages(math.ceil(len(rows) / PAGE_SIZE), page)


def driver_embed(
    driver: Driver,
    results: Sequence[DriverResult],
    quote_count: int,
    *,
    quote_hint: str = "/quote",
    note: str = "",
    fresh: str = "",
) -> discord.Embed:
    """Return a driver's profile: their latest entry, stored quotes and career line in the store.

    note says what spoiler-safe mode left out of results, if anything; fresh, how current the data is.
    """
    others = [plain(a) for a in driver.aliases if a != driver.name]
    lines = [f"Also known as {', '.join(others)}."] if others else []
    embed = new_embed(plain(driver.name))
    if results:
        latest = results[0]
        entry, race = latest.entry, latest.race
        lines.append(f"Latest race: **{race_title(race)}** · {plain(race.track)} · {race_date(race)}")
        embed.add_field(name="Car", value=car(entry))
        embed.add_field(name="Make", value=shown(entry.make))
        embed.add_field(name="Team", value=shown(entry.team))
        embed.add_field(name="Sponsor", value=shown(entry.sponsor))
        embed.add_field(name="Start", value=position(entry.start))
        finish = position(entry.finish)
        if move := movement(entry):
            finish += f" ({move})"
        if entry.status and ending(entry.status) is not Ending.RUNNING:
            finish += f", {plain(entry.status)}"
        embed.add_field(name="Finish", value=finish)
        embed.add_field(name="Laps led", value=shown(entry.laps_led))
        embed.add_field(name="Points", value=points_text(entry.points, entry.points_eligible))
    elif not note:
        lines.append("No stored race entries.")
    if note:
        lines.append(note.strip())
    embed.add_field(name="Quotes stored", value=f"{quote_count}" + (f" · {quote_hint}" if quote_count else ""))
    embed.add_field(name="Career in Pit Board's races", value=career_summary(CareerLine.of(results)), inline=False)
    embed.description = "\n".join(lines)
    embed.set_footer(text=footer_text("Career figures count only the races stored in Pit Board", fresh))
    return fit(embed)
