"""Replies about one race, and the list of races: results, stages, the recap card."""

import datetime as dt
import math
from collections.abc import Sequence

import discord

from bot.catalog import RaceData
from bot.facts.key_results import key_results
from bot.store.feed_records import FEED_CREDIT, ResultVersion
from bot.store.models import Correction, Entry, Race, RaceSummary, StageResult
from bot.ui.limits import FIELD_VALUE_MAX, PAGE_SIZE, LazyPages, clip, fit, new_embed
from bot.ui.text import (
    NOT_RECORDED,
    car,
    hide,
    movement,
    plain,
    plural,
    points_label,
    points_text,
    race_date,
    race_title,
    status_line,
)
from bot.wording import ordinal


def result_line(entry: Entry) -> str:
    """Return one finisher in two lines: who and what, then how the race went."""
    place = f"**{ordinal(entry.finish)}**" if entry.finish is not None else "**unplaced**"
    make = plain(entry.make) if entry.make else "make not recorded"
    machine = " · ".join((make, plain(entry.team) if entry.team else "team not recorded"))
    start = f"start {ordinal(entry.start)}" if entry.start is not None else "start not recorded"
    if move := movement(entry):
        start += f" ({move})"
    laps = plural(entry.laps, "lap") if entry.laps is not None else "laps not recorded"
    led = f"led {entry.laps_led}" if entry.laps_led is not None else "laps led not recorded"
    status = plain(entry.status) if entry.status else "status not recorded"
    points = points_text(entry.points, entry.points_eligible)
    return f"{place} {car(entry)} {plain(entry.driver)} · {machine}\n{start} · {laps} · {status} · {led} · {points}"


def correction_line(correction: Correction) -> str:
    """Return '#07 Kyle Larson: finish 1 → 3 · disqualified: rear spoiler', both parts escaped."""
    return f"{plain(correction.summary)} · {plain(correction.reason)}"


def corrections_text(corrections: Sequence[Correction]) -> str:
    """Return the latest five corrections, newest first, one a line with its reason (five of 200 fit a field)."""
    return "\n".join(clip(correction_line(c), 200) for c in reversed(corrections[-5:]))


def corrections_field(corrections: Sequence[Correction], *, spoiler: bool) -> str:
    """Return the corrections, each line hidden until tapped in spoiler-safe mode ('#07 Kyle Larson: finish 1 → 3')."""
    if not spoiler:
        return corrections_text(corrections)
    # Cut before hiding: fit() cutting a hidden line would show its end. The lines are escaped (their bars too), so
    # hiding adds only the four bars around each.
    lines = [hide(clip(correction_line(c), 200)) for c in reversed(corrections[-5:])]
    return "\n".join(lines)  # at most 5 lines of at most 204 characters: within a field's 1024


VERSION_CHANGES_SHOWN = 5  # changes of a results version listed before "and N more"


def credited(data: RaceData, footer: str) -> str:
    """Return a footer naming NASCAR as the source when the race's results came from its feed."""
    return f"{footer} · data: {FEED_CREDIT}" if data.flow is not None and data.flow.from_feed else footer


def version_text(version: ResultVersion) -> str:
    """Return 'Version 2 (provisional): #11 Corey Heim disqualified; …' and why, as the source says, escaped."""
    head = f"Version {version.version} ({version.status})"
    if not version.changes:
        return head + (": no change to the finishing order" if version.version > 1 else "")
    shown = "; ".join(plain(change) for change in version.changes[:VERSION_CHANGES_SHOWN])
    more = len(version.changes) - VERSION_CHANGES_SHOWN
    text = f"{head}: {shown}" + (f"; and {plural(more, 'more change')}" if more > 0 else "")
    if version.reasons:
        text += "\nWhy: " + "; ".join(plain(reason) for reason in version.reasons[:VERSION_CHANGES_SHOWN])
    return clip(text, FIELD_VALUE_MAX - 4)  # room for the spoiler bars around it


def _noted(note: str, text: str) -> str:
    """Return text with note (why a command given no race picked this one) as its first line, if there is one."""
    return f"{note}\n{text}" if note else text


def results_pages(data: RaceData, top: int | None = None, *, spoiler: bool = False, note: str = "") -> LazyPages:
    """Return the finishing order, ten to a page; in spoiler-safe mode each finisher is hidden until tapped.

    A page is written when it is shown: a command shows one, a press of ◀ ▶ another. note, if any, opens each page.
    """
    race = data.race
    entries = data.entries[:top] if top else data.entries
    heading = _noted(note, f"{plain(race.track)} · {race_date(race)}")
    if top and top < len(data.entries):
        heading += f" · top {top} of {len(data.entries)}"
    if spoiler:
        heading += "\nSpoiler-safe mode: tap a line to reveal it."

    def page(number: int) -> discord.Embed:
        shown = entries[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        lines = [hide(result_line(e)) if spoiler else result_line(e) for e in shown]
        embed = new_embed(f"Results · {race_title(race)}", heading + "\n\n" + "\n".join(lines))
        if data.corrections:
            embed.add_field(
                name="Corrections", value=corrections_field(data.corrections, spoiler=spoiler), inline=False
            )
        if data.flow is not None and data.flow.version is not None:
            text = version_text(data.flow.version)
            embed.add_field(name="Results version", value=hide(text) if spoiler else text, inline=False)
        embed.set_footer(text=credited(data, status_line(race)))
        return fit(embed)

    return LazyPages(math.ceil(len(entries) / PAGE_SIZE), page)


def stage_line(result: StageResult) -> str:
    """Return one stage position; an unresolved one names its candidates."""
    if result.entry is None:
        names = " or ".join(plain(c.driver) for c in result.candidates) or "not recorded"
        text = f"{result.position}. {names} (unresolved)"
        return f"{text} · {points_label(result.points)}" if result.points is not None else text
    points = points_text(result.points, result.entry.points_eligible)
    return f"{result.position}. {car(result.entry)} {plain(result.entry.driver)} · {points}"


def stages_embed(data: RaceData, *, spoiler: bool = False, note: str = "") -> discord.Embed:
    """Return each stage's top ten with its points, one field per stage (hidden until tapped when spoiler-safe)."""
    race = data.race
    embed = new_embed(f"Stages · {race_title(race)}", _noted(note, f"{plain(race.track)} · {race_date(race)}"))
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
    embed.set_footer(text=credited(data, note + status_line(race)))
    return fit(embed)


def _entry_field(entry: Entry | None) -> str:
    if entry is None:
        return NOT_RECORDED
    machine = " ".join(plain(part) for part in (entry.team, entry.make) if part)
    return f"{car(entry)} {plain(entry.driver)}" + (f"\n{machine}" if machine else "")


def recap_embed(
    data: RaceData, body: str, *, published_by: int | None = None, milestones: Sequence[str] = (), note: str = ""
) -> discord.Embed:
    """Return the recap: the race, its date, the recap text and the fields fans look for first.

    body is markdown as it is to show: a moderator's recap as written, or one written with the names escaped.
    note, if any, says why a /recap given no race picked this one.
    """
    race, entries = data.race, data.entries
    title = f"{race_title(race)} · {plain(race.track)}"
    embed = new_embed(title, _noted(note, f"{race_date(race)} · {plain(race.series)}\n\n{body}"))
    key = key_results(race, entries, data.stages)
    for label, entry in zip(("Winner", "Runner-up", "Third"), key.podium, strict=True):
        embed.add_field(name=label, value=_entry_field(entry))

    if key.front_row is None:
        embed.add_field(name="Pole", value=NOT_RECORDED)
    else:
        front = key.front_row.entry
        front_text = f"{car(front)} {plain(front.driver)}"
        if key.front_row.label == "Pole" and race.pole_time_s:
            speed = f" · {plain(race.pole_speed_mph)} mph" if race.pole_speed_mph else ""
            front_text += f"\n{plain(race.pole_time_s)} s{speed}"
        embed.add_field(name=key.front_row.label, value=front_text)

    stage_text = "\n".join(
        f"Stage {r.stage}: "
        + (plain(r.entry.driver) if r.entry else " or ".join(plain(c.driver) for c in r.candidates) + " (unresolved)")
        for r in key.stage_winners
    )
    embed.add_field(name="Stage winners", value=stage_text or NOT_RECORDED)

    led_text = "\n".join(f"{plain(e.driver)} {e.laps_led}" for e in key.leaders[:6])
    embed.add_field(
        name="Laps led", value=led_text or ("nobody recorded leading a lap" if key.laps_led_known else NOT_RECORDED)
    )

    if milestones:
        lines = "\n".join(plain(line) for line in milestones)  # counted facts naming the driver, no markup of ours
        embed.add_field(name="Milestones", value=clip(lines, FIELD_VALUE_MAX), inline=False)
    if data.corrections:
        embed.add_field(name="Corrections", value=corrections_text(data.corrections), inline=False)

    footer = credited(data, status_line(race))
    if published_by is not None:
        footer = f"Recap published by this server's moderators · {footer}"
    embed.set_footer(text=footer)
    return fit(embed)


def spoiler_recap_embed(race: Race, until: dt.datetime, *, note: str = "") -> discord.Embed:
    """Return a recap card that names the race but not its result, for spoiler-safe mode."""
    embed = new_embed(
        f"{race_title(race)} · {plain(race.track)}",
        _noted(
            note,
            f"{race_date(race)} · {plain(race.series)}\n\n"
            f"This server keeps results hidden until <t:{int(until.timestamp())}:f>. "
            "Press **Reveal** to read the recap privately; nobody else will see it.",
        ),
    )
    embed.set_footer(text=status_line(race))
    return fit(embed)


def races_pages(
    races: Sequence[RaceSummary], filters: str, *, hidden: frozenset[int] = frozenset(), footer: str = ""
) -> LazyPages:
    """Return the stored races, newest first, ten to a page, with winner and date (hidden races' winners masked).

    footer says how current each series listed is.
    """

    def line(race: RaceSummary) -> str:
        winner = f"#{race.winner_car} {plain(race.winner)}" if race.winner else NOT_RECORDED
        if race.id in hidden and race.winner:
            winner = hide(winner)
        return (
            f"**{race_title(race)}** · {plain(race.track)} · {race_date(race)}\n"
            f"{plain(race.series_short)} round {race.round} · winner {winner} · {race.results_status}"
        )

    def page(number: int) -> discord.Embed:
        lines = [line(race) for race in races[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]]
        embed = new_embed("Races", f"{plural(len(races), 'race')} stored{filters}.\n\n" + "\n".join(lines))
        if footer:
            embed.set_footer(text=footer)
        return embed

    return LazyPages(math.ceil(len(races) / PAGE_SIZE), page)
