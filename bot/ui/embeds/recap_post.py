"""The embed a moderator's recap is posted as: their words plus the race's key results."""

import discord

from bot.catalog import RaceData
from bot.facts.key_results import key_results
from bot.store.models import Entry, RecapVersion
from bot.ui.embeds.races import corrections_field
from bot.ui.limits import fit
from bot.ui.text import hide, plain

RECAP_COLOUR = discord.Colour(0xE8A317)


def _car_driver(entry: Entry) -> str:
    team = f" · {plain(entry.team)}" if entry.team else ""
    return f"#{entry.car_number} {plain(entry.driver)}{team}"


def key_result_fields(data: RaceData, *, spoiler: bool) -> list[tuple[str, str]]:
    """Return (name, value) pairs for the winner, podium, front row, stage winners and the laps-led leader."""
    race = data.race
    key = key_results(race, data.entries, data.stages)
    fields: list[tuple[str, str]] = []
    for entry, label in zip(key.podium, ("Winner", "Runner-up", "Third"), strict=True):
        if entry is not None:
            fields.append((label, _car_driver(entry)))
    if key.front_row is not None:
        front = key.front_row.entry
        time = f" ({plain(race.pole_time_s)} s)" if key.front_row.label == "Pole" and race.pole_time_s else ""
        fields.append((key.front_row.label, f"#{front.car_number} {plain(front.driver)}{time}"))
    if key.stage_winners:
        lines = [
            f"Stage {s.stage}: {plain(s.entry.driver)}" if s.entry else f"Stage {s.stage}: unresolved"
            for s in key.stage_winners
        ]
        fields.append(("Stage winners", "\n".join(lines)))
    if key.leaders:
        top = key.leaders[0]
        fields.append(("Most laps led", f"{plain(top.driver)} ({top.laps_led})"))
    if spoiler:
        fields = [(name, hide(value)) for name, value in fields]
    return fields


def recap_post_embed(data: RaceData, version: RecapVersion, *, spoiler: bool) -> discord.Embed:
    """Build the recap message exactly as the recap channel shows it, within Discord's limits."""
    race = data.race
    # The headline and body are the moderator's markdown, kept as written; the author line shows no markdown.
    embed = discord.Embed(
        title=version.headline,
        description=version.body,
        colour=RECAP_COLOUR,
        timestamp=version.created_at,
    )
    embed.set_author(name=f"{race.season} {race.name} · {race.track}"[:256])
    for name, value in key_result_fields(data, spoiler=spoiler):
        embed.add_field(name=name, value=value, inline=True)
    if data.corrections:
        embed.add_field(name="Corrections", value=corrections_field(data.corrections, spoiler=spoiler), inline=False)
    status = "Official" if race.results_status == "official" else "Provisional"
    spoiler_note = " · results hidden for spoiler-safe mode" if spoiler else ""
    embed.set_footer(text=f"{status} results · recap version {version.version}{spoiler_note}")
    return fit(embed)
