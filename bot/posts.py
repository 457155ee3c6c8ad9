"""The embed a moderator's recap is posted as: their words plus the race's key results."""

import datetime as dt

import discord

from bot.spoilers import hide
from bot.store.models import Correction, Entry, Race, RecapVersion, StageResult

RECAP_COLOUR = discord.Colour(0xE8A317)


def _car_driver(entry: Entry) -> str:
    team = f" · {entry.team}" if entry.team else ""
    return f"#{entry.car_number} {entry.driver}{team}"


def key_result_fields(
    race: Race, entries: list[Entry], stages: list[StageResult], *, spoiler: bool
) -> list[tuple[str, str]]:
    """Return (name, value) pairs for the winner, podium, pole, stage winners and the laps-led leader."""
    by_finish = {e.finish: e for e in entries if e.finish is not None}
    fields: list[tuple[str, str]] = []
    for position, label in ((1, "Winner"), (2, "Runner-up"), (3, "Third")):
        entry = by_finish.get(position)
        if entry is not None:
            fields.append((label, _car_driver(entry)))
    pole = next((e for e in entries if e.id == race.pole_entry_id), None)
    if pole is not None:
        time = f" ({race.pole_time_s} s)" if race.pole_time_s else ""
        fields.append(("Pole", f"#{pole.car_number} {pole.driver}{time}"))
    stage_winners = [s for s in stages if s.position == 1]
    if stage_winners:
        lines = [
            f"Stage {s.stage}: {s.entry.driver}" if s.entry else f"Stage {s.stage}: unresolved" for s in stage_winners
        ]
        fields.append(("Stage winners", "\n".join(lines)))
    led = [e for e in entries if e.laps_led]
    if led:
        top = max(led, key=lambda e: e.laps_led or 0)
        fields.append(("Most laps led", f"{top.driver} ({top.laps_led})"))
    if spoiler:
        fields = [(name, hide(value)) for name, value in fields]
    return fields


def recap_post_embed(
    race: Race,
    entries: list[Entry],
    stages: list[StageResult],
    version: RecapVersion,
    corrections: list[Correction],
    *,
    spoiler: bool,
) -> discord.Embed:
    """Build the recap message exactly as the recap channel shows it."""
    embed = discord.Embed(
        title=version.headline[:256],
        description=version.body[:4000],
        colour=RECAP_COLOUR,
        timestamp=version.created_at,
    )
    embed.set_author(name=f"{race.season} {race.name} · {race.track}"[:256])
    for name, value in key_result_fields(race, entries, stages, spoiler=spoiler):
        embed.add_field(name=name, value=value[:1024], inline=True)
    if corrections:
        lines = [f"{c.summary}: {c.reason}" for c in corrections[-5:]]
        embed.add_field(name="Corrections", value="\n".join(lines)[:1024], inline=False)
    status = "Official" if race.results_status == "official" else "Provisional"
    spoiler_note = " · results hidden for spoiler-safe mode" if spoiler else ""
    embed.set_footer(text=f"{status} results · recap version {version.version}{spoiler_note}")
    return embed


def timestamp(moment: dt.datetime, style: str = "f") -> str:
    """Return Discord's timestamp markup, shown in each reader's own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
