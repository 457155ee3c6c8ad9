"""What Pit Board posts by itself: the "results are in" card, the moderators' draft notice, and a failure report."""

import datetime as dt

import discord

from bot.catalog import RaceData
from bot.facts.key_results import key_results
from bot.store.models import Entry, Race
from bot.ui.limits import fit, new_embed
from bot.ui.text import plain, race_date, race_title, status_line, timestamp

PODIUM = ("Winner", "Runner-up", "Third")
MAX_CHANGES = 8  # lines of what a new results version changed, on an edited card


def _finisher(entry: Entry) -> str:
    team = f" · {plain(entry.team)}" if entry.team else ""
    return f"#{entry.car_number} {plain(entry.driver)}{team}"


def results_card(data: RaceData, *, hidden_until: dt.datetime | None, credit: str | None) -> discord.Embed:
    """Return the "results are in" card; while the server's spoiler-safe window is open it names no finisher.

    credit names the data's source for the footer ('DriverAverages.com via nascaR.data'), if it asks for one.
    """
    race = data.race
    heading = f"{plain(race.track)} · {race_date(race)} · {plain(race.series)}"
    if hidden_until is not None:
        text = (
            f"{heading}\n\nThis server keeps results hidden until {timestamp(hidden_until)}. "
            "Press **Results** or **Recap** to see them privately; nobody else will see them."
        )
    else:
        podium = key_results(race, data.entries, data.stages).podium
        lines = [f"**{label}:** {_finisher(entry)}" for label, entry in zip(PODIUM, podium, strict=True) if entry]
        text = "\n".join(
            [heading, "", *lines, "", "Press **Results** for the finishing order or **Recap** for the story."]
        )
    if (changed := _changed(data, hidden=hidden_until is not None)) is not None:
        text += f"\n\n{changed}"
    embed = new_embed(f"Results are in: {race_title(race)}", text)
    footer = status_line(race)
    embed.set_footer(text=f"{footer} · data: {credit}" if credit else footer)
    return fit(embed)


def _changed(data: RaceData, *, hidden: bool) -> str | None:
    """Return what the latest results version changed and why, for a card edited after a penalty; None if nothing.

    While spoiler-safe mode hides the race, only that the results changed: who moved is a result.
    """
    version = data.flow.version if data.flow is not None else None
    if version is None or version.version < 2:
        return None
    if hidden:
        return f"**Updated:** the results changed since they were first posted (version {version.version})."
    lines = [plain(line) for line in (*version.changes, *version.reasons)][:MAX_CHANGES]
    said = "\n".join(f"• {line}" for line in lines) or "the results changed"
    return f"**Updated (version {version.version}):**\n{said}"


def draft_notice(race: Race, version: int, recap_channel_id: int | None, *, official: bool = False) -> discord.Embed:
    """Return the moderators' notice of a draft recap Pit Board saved; it names no result (moderators avoid them too).

    It goes to the moderators' channel, which not every member can read (the setting refuses one they all can).
    official: the race's results just became official, and this draft is written from them.
    """
    where = f"in <#{recap_channel_id}>" if recap_channel_id else "in the recap channel"
    source = "the official results" if official else "the stored results"
    title = f"Draft recap (official results): {race_title(race)}" if official else f"Draft recap: {race_title(race)}"
    embed = new_embed(
        title,
        f"Pit Board wrote a recap of the {race_title(race)} from {source} and saved it as draft version "
        f"{version}.\n\n**Review** shows it to you privately, **Publish** posts it {where}, and **Discard** drops "
        "it (it stays in `/manage recap history`, marked discarded).",
    )
    embed.set_footer(text="Only moderators can press these buttons")
    return fit(embed)


def failure_report(reason: str) -> discord.Embed:
    """Return the moderators' one report of an automated post that failed and stopped."""
    return fit(new_embed("An automated post stopped", reason))
