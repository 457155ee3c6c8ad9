"""Spoiler-safe mode over NASCAR's schedule and standings: which winners and which standings a server may see."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy
from bot.names import fold
from bot.search import SearchIndex
from bot.store.models import RaceSummary
from bot.store.schedule import ScheduledRace, Standings
from bot.tracks import track_zone


@dataclass(frozen=True, slots=True)
class TimedSchedule:
    """A scheduled race as the spoiler policy reads races: its start written as a UTC clock time, read exactly."""

    id: int
    track: str
    date: dt.date
    start_time_local: str | None
    date_precision: str = "day"
    race_duration: str | None = None
    arrived_at: dt.datetime | None = None
    start_utc: dt.datetime | None = None

    @classmethod
    def of(cls, race: ScheduledRace) -> "TimedSchedule | None":
        """Return the race as a timed one, or None when the schedule gives no start."""
        if race.start is None:
            return None
        start = race.start.astimezone(dt.UTC)
        # 12-hour with AM/PM: bot.facts.spoilers reads a clock label only after that ('19:00 UTC' reads as local).
        return cls(race.nascar_race_id, race.track, start.date(), f"{start:%I:%M %p} UTC", start_utc=start)


def same_track(a: str, b: str) -> bool:
    """Return whether two names name one track: the same row of bot.tracks, else the same folded name."""
    zone_a, zone_b = track_zone(a), track_zone(b)
    if zone_a is not None and zone_b is not None:
        return zone_a == zone_b
    return fold(a) == fold(b)


def last_year_race(races: Sequence[RaceSummary], race: ScheduledRace) -> RaceSummary | None:
    """Return the stored race of the same series at the same track the season before, the latest if several.

    races is a server's index's races, newest first: /next and the pre-race card name its winner.
    """
    return next(
        (
            r
            for r in races
            if r.series_short == race.series and r.season == race.season - 1 and same_track(r.track, race.track)
        ),
        None,
    )


def stored_race(index: SearchIndex, race: ScheduledRace) -> RaceSummary | None:
    """Return the stored race a scheduled race is: imported from its weekend feed, else the same points round."""
    if race.stored_race_id is not None and (found := index.race(race.stored_race_id)) is not None:
        return found
    return stored_round(index, race.series, race.season, race.round) if race.round is not None else None


def stored_round(index: SearchIndex, series: str, season: int, round_: int) -> RaceSummary | None:
    """Return the shared stored race of a series (by code), season and round, if any."""
    return next((r for r in index.races if r.series_short == series and r.season == season and r.round == round_), None)


async def spoiler_until(
    spoilers: SpoilerPolicy, guild_id: int | None, race: ScheduledRace, stored: RaceSummary | None
) -> dt.datetime | None:
    """Return until when this server must not see the race's result, or None when it may now."""
    untils = []
    if (timed := TimedSchedule.of(race)) is not None and (until := await spoilers.until(guild_id, timed)):
        untils.append(until)
    if stored is not None and (until := await spoilers.until(guild_id, stored)):
        untils.append(until)
    return max(untils, default=None)


@dataclass(frozen=True, slots=True)
class ShownStandings:
    """The standings a server may see now, and those held back for spoilers, if any."""

    standings: Standings | None  # None: nothing this server may see is stored
    hidden_until: dt.datetime | None = None  # when the latest standings may be shown, if they are held back
    hidden_round: int | None = None  # the race whose standings are held back


async def shown_standings(
    catalog: Catalog, spoilers: SpoilerPolicy, guild_id: int | None, series: str, season: int
) -> ShownStandings:
    """Return the latest standings, or (while the latest race's spoiler window is open) those before it."""
    latest = await catalog.standings(series, season)
    if latest is None or latest.after_round == 0:
        return ShownStandings(latest)
    race = next((r for r in await catalog.schedule(series, season) if r.round == latest.after_round), None)
    index = await catalog.index(guild_id)
    stored = stored_race(index, race) if race is not None else stored_round(index, series, season, latest.after_round)
    until = None
    if race is not None:
        until = await spoiler_until(spoilers, guild_id, race, stored)
    elif stored is not None:
        until = await spoilers.until(guild_id, stored)
    if until is None:
        return ShownStandings(latest)
    earlier = await catalog.standings(series, season, before_round=latest.after_round)
    return ShownStandings(earlier, until, latest.after_round)
