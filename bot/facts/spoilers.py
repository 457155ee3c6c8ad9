"""Spoiler-safe mode: from a race's start until some hours after its end, public replies hide its result.

A race's start is an instant worked out from its date and local start time in the track's time zone (bot.tracks).
A race whose source gives no date (nascaR.data gives only the season) has its window open when it arrived in the
store: its result is news from then on.
"""

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from bot.store.models import GuildSettings
from bot.tracks import clock_zone, zone_of

SettingsReader = Callable[[int], Awaitable[GuildSettings]]

# How long a race is taken to run when its duration is not recorded: a NASCAR race with its cautions and
# stages rarely runs past it.
RACE_LENGTH = dt.timedelta(hours=4)
# How far a race's date can lie from today while its window is open: the start is at most a day either side of
# the date in UTC, the race runs at most a day (RACE_LENGTH or a recorded duration) and then the server's hours.
_REACH = dt.timedelta(days=3)

# '8:00 PM ET (Friday)', '7:30 p.m. ET', '3 PM', '19:00 PT': a time, maybe a clock; anything after is ignored.
_START = re.compile(
    r"^\s*(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?:(?P<half>[ap])\.?\s*m\.?)?(?:\s+(?P<clock>[a-z]{2,3})\b)?",
    re.IGNORECASE,
)
# '2:05:31', '2:05', '2 hrs, 5 mins, 31 secs', '2h 5m'
_CLOCK_DURATION = re.compile(r"^\s*(?P<hours>\d{1,2}):(?P<minutes>\d{2})(?::(?P<seconds>\d{2}))?\s*$")
_WORDS_DURATION = re.compile(
    r"^\s*(?:(?P<hours>\d{1,2})\s*h(?:ou)?r?s?\.?)?[\s,]*(?:(?P<minutes>\d{1,2})\s*m(?:in(?:ute)?s?)?\.?)?"
    r"[\s,]*(?:(?P<seconds>\d{1,2})\s*s(?:ec(?:ond)?s?)?\.?)?\s*$",
    re.IGNORECASE,
)


class TimedRace(Protocol):
    """What a window is worked out from: a Race or a RaceSummary."""

    @property
    def track(self) -> str:
        """Return the track as the store names it."""
        ...

    @property
    def date(self) -> dt.date:
        """Return the race's date, local to the track."""
        ...

    @property
    def date_precision(self) -> str:
        """Return 'day', or 'season' when only the year is known."""
        ...

    @property
    def start_time_local(self) -> str | None:
        """Return the start time as the source wrote it ('8:00 PM ET (Friday)'), if recorded."""
        ...

    @property
    def race_duration(self) -> str | None:
        """Return how long the race ran as the source wrote it ('2:05:31'), if recorded."""
        ...

    @property
    def arrived_at(self) -> dt.datetime | None:
        """Return when the race arrived in the store, if that is known and news."""
        ...

    @property
    def start_utc(self) -> dt.datetime | None:
        """Return the start as an instant, when a source gave one (NASCAR's feed); it wins over the date and time."""
        ...


class StoredRace(TimedRace, Protocol):
    """A timed race with its id."""

    @property
    def id(self) -> int:
        """Return the race's id."""
        ...


def local_start(text: str | None) -> tuple[dt.time, str | None] | None:
    """Return the wall-clock time and clock label ('ET') of a start time as written, or None if it reads as none."""
    match = _START.match(text or "")
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    elif match["minute"] is None:
        return None  # a bare number ('8') is no time
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute), match["clock"]


def race_start(race: TimedRace) -> dt.datetime | None:
    """Return when a race started, in UTC, or None when only its season is known.

    The start NASCAR's feed gave as an instant comes first: it is what the feed's race time, read in the track's
    zone, came to when stored, and a delayed race's next import moves it. Else the start time is read on the clock
    it names ('ET'), else on the track's; without a start time (uploads carry only a date) the race is taken to
    start at midnight at the track.
    """
    if race.start_utc is not None:
        return race.start_utc.astimezone(dt.UTC)
    if race.date_precision != "day":
        return None  # a date that is really '1 January of the season' says nothing about when the race ran
    zone = zone_of(race.track)
    wall = dt.time(0, 0)
    if (read := local_start(race.start_time_local)) is not None:
        wall, label = read
        zone = (clock_zone(label) if label else None) or zone
    return dt.datetime.combine(race.date, wall, tzinfo=zone).astimezone(dt.UTC)


def race_length(text: str | None) -> dt.timedelta | None:
    """Return a recorded race duration as a timedelta, or None when it is missing or does not read as one."""
    if not text or not text.strip():
        return None
    match = _CLOCK_DURATION.match(text) or _WORDS_DURATION.match(text)
    if match is None:
        return None
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    length = dt.timedelta(**parts)
    return length if dt.timedelta(0) < length < dt.timedelta(days=1) else None


def arrival(race: TimedRace) -> dt.datetime | None:
    """Return when a race with no known date arrived, if its window opens then; None for a dated race.

    The store reports no arrival for the races a series' first whole-history import brought (bot.store.rows.ARRIVAL):
    those are history, not news.
    """
    return None if race.date_precision == "day" else race.arrived_at


def spoiler_window(race: TimedRace, spoiler_hours: int) -> tuple[dt.datetime, dt.datetime] | None:
    """Return when a race's result is hidden (its start, and its end plus the hours), or None with the mode off.

    A race with no known date is hidden from its arrival for the hours: it had finished by then.
    """
    if spoiler_hours <= 0:
        return None
    if (arrived := arrival(race)) is not None:
        return arrived, arrived + dt.timedelta(hours=spoiler_hours)
    start = race_start(race)
    if start is None:
        return None
    end = start + (race_length(race.race_duration) or RACE_LENGTH)
    return start, end + dt.timedelta(hours=spoiler_hours)


def spoiler_until(race: TimedRace, spoiler_hours: int) -> dt.datetime | None:
    """Return when spoilers may show for a race, or None when the server has spoiler mode off."""
    window = spoiler_window(race, spoiler_hours)
    return window[1] if window is not None else None


def spoiler_active(race: TimedRace, spoiler_hours: int, now: dt.datetime) -> bool:
    """Return whether replies about this race must hide its result right now."""
    if spoiler_hours <= 0:
        return False
    if race.date_precision == "day" and abs(race.date - now.date()) > _REACH + dt.timedelta(hours=spoiler_hours):
        return False  # far from today: no window to work out (this runs over every stored race)
    window = spoiler_window(race, spoiler_hours)
    return window is not None and window[0] <= now < window[1]


class SpoilerPolicy:
    """Decides, per server and race, whether public replies must hide the result."""

    def __init__(self, settings: SettingsReader, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings  # a server's settings by id: the catalog's guild_settings
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def until(self, guild_id: int | None, race: TimedRace) -> dt.datetime | None:
        """Return when this server may see the race's result (a Race or RaceSummary), or None if it may now."""
        if guild_id is None:
            return None
        hours = (await self.settings(guild_id)).spoiler_hours
        return spoiler_until(race, hours) if spoiler_active(race, hours, self.clock()) else None

    async def hidden(self, guild_id: int | None, races: Iterable[StoredRace]) -> frozenset[int]:
        """Return the ids of the races whose results this server must not see yet."""
        if guild_id is None:
            return frozenset()
        hours = (await self.settings(guild_id)).spoiler_hours
        if hours <= 0:
            return frozenset()  # spoiler mode off: no need to look at thousands of races
        now = self.clock()
        return frozenset(race.id for race in races if spoiler_active(race, hours, now))
