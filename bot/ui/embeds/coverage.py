"""What replies say about the store itself: which race a command picked when given none, and how current data is."""

import datetime as dt
from collections.abc import Callable, Collection, Sequence

import discord

from bot.catalog import DefaultRace
from bot.store.coverage import DataStatus, SeriesCounts, SeriesFreshness
from bot.store.imports import SOURCE_CREDIT
from bot.store.models import RaceSummary
from bot.ui.limits import clip, fit, new_embed
from bot.ui.text import NOT_RECORDED, plain, plural, timestamp

NAME_SHOWN = 100  # a race name in a note (the longest real ones run past 110 characters)


def _title(race: RaceSummary, shown: Callable[[str], str]) -> str:
    return f"{race.season} {shown(clip(race.name, NAME_SHOWN))}"


def picked_line(pick: DefaultRace, what: str, *, shown: Callable[[str], str] = plain) -> str:
    """Return why a command given no race answers about this one, or '' when it is simply the latest race.

    'Latest race with stage results: 2025 Baptist Health 200 (the 2025 Long John Silver's 200 has none stored)'.
    what names what the command shows ('stage results'); shown escapes names for where the line goes (plain in
    descriptions; as stored in footers, which Discord shows without markdown).
    """
    if not pick.skipped:
        return ""
    newest = f"the {_title(pick.latest, shown)}"
    if pick.skipped == 1:
        passed = f"{newest} has none stored"
    else:
        passed = f"{newest} and {plural(pick.skipped - 1, 'other newer race')} have none stored"
    return f"Latest race with {what}: {_title(pick.race, shown)} ({passed})"


def refreshed_text(moment: dt.datetime) -> str:
    """Return '2 Jun 2025, 10:14 UTC': footers show no Discord timestamps, so the time is written out in UTC."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


def freshness_line(fresh: SeriesFreshness) -> str:
    """Return 'NASCAR Craftsman Truck Series current up to the 2025 Ecosave 200 (round 3) · refreshed … · credit'.

    Footer text, so names are as stored. A series never refreshed says only what it is current up to.
    """
    parts = [f"{fresh.series} current up to the {fresh.season} {clip(fresh.race, NAME_SHOWN)} (round {fresh.round})"]
    if fresh.refreshed_at is not None:
        parts.append(f"refreshed {refreshed_text(fresh.refreshed_at)}")
    if fresh.credit:
        parts.append(f"data: {fresh.credit}")
    return " · ".join(parts)


def freshness_text(freshness: Sequence[SeriesFreshness], series: Collection[str] | None = None) -> str:
    """Return how current each series is, one line a series (only those in series, by short name, if given).

    At most three series of about 250 characters each: well within a footer's 2,048.
    """
    return "\n".join(freshness_line(f) for f in freshness if series is None or f.series_short in series)


def footer_text(base: str, fresh: str) -> str:
    """Return a footer: base (what the figures are), then how current the data is (freshness_text), if known."""
    return f"{base}\n{fresh}" if base and fresh else base or fresh


def _origins(counts: SeriesCounts) -> str:
    """Return where a series' races came from: 'curated 1 · DriverAverages.com via nascaR.data 18'."""
    parts = [
        f"{label} {number:,}"
        for label, number in (
            ("curated (data/)", counts.curated),
            (SOURCE_CREDIT, counts.nascar_data),
            ("other sources", counts.other),
        )
        if number
    ]
    return " · ".join(parts)


def data_status_embed(status: DataStatus, *, followed: Sequence[str] = ()) -> discord.Embed:
    """Return what /manage data shows: per series its races and entries by source, freshness and refreshes.

    followed names the series (by short name) the running bot keeps current (FOLLOW_SERIES); empty, automatic
    refresh is off and every series says 'not followed'.
    """
    automatic = f"on for {', '.join(followed)}" if followed else "off"
    description = (
        f"Shared race data, by where each race's entries came from ({plural(status.sources, 'source')} stored; "
        f"every fact names its own). Automatic refresh: {automatic}."
    )
    embed = new_embed("Pit Board's race data", description)
    for counts, fresh in status.series:
        lines = [
            f"**Races** {counts.races:,} · **entries** {counts.entries:,}",
            f"**Sources** {_origins(counts) or NOT_RECORDED}",
        ]
        if fresh is not None:
            lines.append(
                f"**Current up to** the {fresh.season} {plain(clip(fresh.race, NAME_SHOWN))} (round {fresh.round})"
            )
            last = fresh.refreshed_at
            lines.append(
                f"**Last refresh** {timestamp(last)} ({timestamp(last, 'R')})" if last else "**Last refresh** never"
            )
        when = fresh.next_at if fresh is not None else None
        if counts.series_short not in followed:
            lines.append("**Next refresh** not followed")
        elif when is not None:
            lines.append(f"**Next refresh** {timestamp(when)} ({timestamp(when, 'R')})")
        else:
            lines.append("**Next refresh** soon after the bot starts")
        error = fresh.last_error if fresh is not None else None
        lines.append(f"**Last error** {clip(plain(error), 300)}" if error else "**Last error** none")
        embed.add_field(name=plain(counts.series), value="\n".join(lines), inline=False)
    if not status.series:
        embed.add_field(name="Shared races", value="none stored yet", inline=False)
    entries = "1 entry" if status.upload_entries == 1 else f"{status.upload_entries:,} entries"
    embed.add_field(name="This server's uploads", value=f"{plural(status.uploads, 'race')} · {entries}", inline=False)
    return fit(embed)
