"""How stored facts read in replies: dates, titles, positions, points, and 'not recorded' for what is unknown."""

import datetime as dt
import re

import discord

from bot.store.models import Eligibility, Entry, Race, RaceSummary
from bot.wording import ordinal

NOT_RECORDED = "not recorded"
THREAD_NAME_MAX = 100  # Discord's limit on a thread's name

# Characters that format text wherever they stand (bold, italics, underline, strikethrough, code, spoilers) and
# the backslash that escapes them.
_INLINE = re.compile(r"[\\*_~`|]")
# Markup that forms only at the start of a line: '# ' to '### ' headers, '-# ' subtext, '- ' and '+ ' items, quotes.
_LINE_START = re.compile(r"^([ \t]*)(#{1,3}(?=\s)|-#(?=\s)|[-+](?=\s)|>)", re.MULTILINE)
# '1. ' at the start of a line is a numbered item; a backslash before a digit would show, so the '.' takes it.
_NUMBERED = re.compile(r"^([ \t]*[0-9]+)\.(?=\s)", re.MULTILINE)
# A '[' that a later '](' could close into a masked link; a '<' that could open a mention, channel, emoji or
# timestamp; the ':' of 'https://', which Discord would turn into a link.
_MASKED_LINK = re.compile(r"\[(?=[\s\S]*\]\()")
_ANGLE = re.compile(r"<(?=[^\s<>][^<>]*>)")
_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)")
# A '|' that no backslash escapes: one after an even run of backslashes (none included).
_BARE_BAR = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def plain(text: str) -> str:
    """Return stored text escaped so that Discord shows it as stored, never as markdown.

    Use it once, where a stored value (a name, a team, a status, a quote) goes into text that Discord renders:
    embed titles, descriptions, field names and values, message content. Not for text of ours (the '**' around a
    position), a moderator's recap (markdown on purpose), or text Discord shows without markdown (footers, embed
    authors, choice names, attachment descriptions), where the backslashes would show.

    discord.utils.escape_markdown is not used: it escapes a '#' or '-' opening the text even where nothing would
    render ('#07 Kyle Larson: finish 1 → 3' would change), yet escapes only the first of two masked links on a
    line, and leaves mentions and links alone. Here every character that formats anywhere is escaped; line-start
    markup (headers, '-# ' subtext, list and numbered items, quotes) only where it would render; every '[' that a
    later '](' could make a masked link; a '<' that could make a mention or timestamp; and the ':' of 'https://'.
    Discord hides a backslash before punctuation, so the text reads as stored, and names without markup
    ("Ricky Stenhouse Jr.", "O'Brien", "Homestead-Miami Speedway") come back unchanged.
    """
    text = _INLINE.sub(r"\\\g<0>", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    text = _NUMBERED.sub(r"\1\\.", text)
    text = _MASKED_LINK.sub(r"\\[", text)
    text = _ANGLE.sub(r"\\<", text)
    return _AUTOLINK.sub(r"\\:", text)


def shown(value: object) -> str:
    """Return a stored value as reply text (see plain), or 'not recorded' for None."""
    return NOT_RECORDED if value is None else plain(str(value))


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
    """Return '2025 Baptist Health 200', the name escaped (see plain)."""
    return f"{race.season} {plain(race.name)}"


def race_thread_name(season: int, name: str, what: str) -> str:
    """Return the title of a thread Pit Board opens for a race: '2025 Clean Harbors 200 · race day'.

    The spoiler-safe rule for thread titles: a title names the race and what the thread is for, never a result
    (no winner, no position), in every server, spoiler-safe mode or not. A title shows in the channel list to
    everyone, with no spoiler tag and no Reveal, and it outlives any spoiler window, so it is never written from
    results at all. Discord shows titles without markdown, so the name goes in as stored.
    """
    return f"{season} {name} · {what}"[:THREAD_NAME_MAX]


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
    # Bars plain escaped are left alone: a second backslash would escape the first and leave the bar bare.
    return "||" + _BARE_BAR.sub(r"\1\\|", text) + "||"


def timestamp(moment: dt.datetime, style: str = "f") -> str:
    """Return Discord's timestamp markup, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
