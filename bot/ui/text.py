"""How stored facts read in replies: dates, titles, positions, points, and 'not recorded' for what is unknown."""

import datetime as dt

import discord

from bot.store.models import Eligibility, Entry, Race, RaceSummary
from bot.wording import ordinal

NOT_RECORDED = "not recorded"


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


def points_text(points: int | None, eligible: Eligibility | None) -> str:
    """Return points with eligibility: '48 pts', 'no pts (not eligible)' or '0 pts (eligibility disputed)'."""
    # Eligibility not recorded (None) adds no note: imported histories and most uploads never record it, and
    # "eligibility not recorded" on every one of their lines would tell a fan nothing about the race.
    if eligible == "no":
        return "no pts (not eligible)"
    text = points_label(points) if points is not None else "pts not recorded"
    return f"{text} (eligibility disputed)" if eligible == "disputed" else text


def points_label(points: int) -> str:
    """Return '1 pt' or '48 pts'."""
    return "1 pt" if points == 1 else f"{points} pts"


def position(n: int | None) -> str:
    """Return '1st', or 'not recorded'."""
    return ordinal(n) if n is not None else NOT_RECORDED


def hide(text: str) -> str:
    """Wrap text in Discord spoiler markup, escaping bars that would end it early."""
    return "||" + text.replace("|", "\\|") + "||"


def timestamp(moment: dt.datetime, style: str = "f") -> str:
    """Return Discord's timestamp markup, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
