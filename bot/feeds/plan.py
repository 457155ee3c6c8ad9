"""When the feeds are asked for again: pure functions of the clock and of what the store remembers of each race.

Gentle, as NASCAR's unofficial feeds ask (RACE-FEEDS.md): the season's race list a few times a day (hourly while a
race is under way, so a postponement shows soon); a race's weekend feed about once a minute from its scheduled start
until its results are complete, then on until NASCAR's inspection is complete, then never again. A race that runs
long or whose inspection drags on is asked for less often after race day, and given up a week after its start. The
host's own pauses (after a refusal or a failure) are the client's, and come on top.
"""

import datetime as dt
from dataclasses import dataclass

RACE_LIST_EVERY = dt.timedelta(hours=6)  # four times a day
RACE_LIST_ON_RACE_DAY = dt.timedelta(hours=1)  # while a race is between its start and complete results
WEEKEND_EVERY = dt.timedelta(minutes=1)  # on race day
RACE_DAY = dt.timedelta(hours=12)  # once a minute this long after the start (rain delays included)
AFTER_RACE_DAY = dt.timedelta(minutes=30)  # then, while the results are not official yet
GIVE_UP_AFTER = dt.timedelta(days=7)  # a race not official a week after its start is not asked for again


@dataclass(frozen=True, slots=True)
class RaceWatch:
    """What the plan goes by for one race."""

    race_id: int
    start: dt.datetime | None  # the scheduled start as the race list says now (it moves with a postponement)
    results_complete: bool
    inspection_complete: bool
    checked_at: dt.datetime | None  # the last time its weekend feed was asked for


def weekend_due(race: RaceWatch, now: dt.datetime) -> dt.datetime | None:
    """Return when a race's weekend feed is asked for next (at or before now: due); None when never again."""
    if race.inspection_complete or race.start is None or now - race.start > GIVE_UP_AFTER:
        return None
    if race.checked_at is None or race.checked_at < race.start:
        return race.start  # nothing asked since the (maybe moved) start: the first look is at the start
    every = WEEKEND_EVERY if race.checked_at - race.start < RACE_DAY else AFTER_RACE_DAY
    return race.checked_at + every


def under_way(race: RaceWatch, now: dt.datetime) -> bool:
    """Return whether a race has started and its results are not complete yet (within the week it is watched)."""
    return (
        race.start is not None
        and race.start <= now
        and now - race.start <= GIVE_UP_AFTER
        and not race.results_complete
        and not race.inspection_complete
    )


def race_list_due(checked_at: dt.datetime | None, now: dt.datetime, *, race_day: bool) -> dt.datetime:
    """Return when the season's race list is asked for next: now when never, hourly on race day, else every 6 h."""
    if checked_at is None:
        return now
    return checked_at + (RACE_LIST_ON_RACE_DAY if race_day else RACE_LIST_EVERY)
