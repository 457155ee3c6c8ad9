"""Race times in NASCAR's feeds as UTC instants.

The race list's `race_date` and `date_scheduled` are the track's wall-clock time with no offset (Martinsville's
night race reads "2020-06-10T19:00:00", which is 23:00 UTC), so they are read in the track's IANA zone from
bot.tracks. The schedule feed's `Race_Date` carries an offset ("2020-11-08T15:00:00-0500") and is an instant as
it stands. "1900-01-01T00:00:00" is the feeds' way of saying "no date", and a race-list time of exactly midnight
("2031-10-31T00:00:00") its way of saying "this day, time not announced" (the weekend-feed importer reads it so too).
"""

import datetime as dt
import re
from dataclasses import dataclass

from bot.tracks import track_zone, zone_of

NO_DATE_BEFORE = 1950  # the feeds' placeholder dates fall in 1900; NASCAR's own files start long after
# '-0500' is written without a colon; fromisoformat reads '-05:00' on every Python this bot runs on.
_BARE_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def _parse(text: object) -> dt.datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(_BARE_OFFSET.sub(r"\1:\2", text.strip().replace("Z", "+00:00")))
    except ValueError:
        return None
    return None if moment.year < NO_DATE_BEFORE else moment


@dataclass(frozen=True, slots=True)
class TrackTime:
    """A race-list time: the race's day at the track, and its start when the time is announced."""

    day: dt.date
    start: dt.datetime | None  # UTC; None: the list gives the day only (midnight, no offset)


def track_time(text: object, track: str) -> TrackTime | None:
    """Return a track-local feed time ('2020-06-10T19:00:00') as the day at the track and a UTC start; None for no date.

    Midnight with no offset is the day with its time not announced, never a start. An offset the text carries
    anyway is honoured. A wall-clock time that does not exist or exists twice (the hour clocks skip or repeat) is
    read as zoneinfo does by default: with the offset in force before the change.
    """
    moment = _parse(text)
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return TrackTime(moment.astimezone(zone_of(track)).date(), moment.astimezone(dt.UTC))
    if moment.time() == dt.time(0, 0):
        return TrackTime(moment.date(), None)
    return TrackTime(moment.date(), moment.replace(tzinfo=zone_of(track)).astimezone(dt.UTC))


def local_instant(text: object, track: str) -> dt.datetime | None:
    """Return a track-local feed time as a UTC instant; None for no date, and for a day whose time is not announced."""
    found = track_time(text, track)
    return found.start if found is not None else None


def offset_instant(text: object) -> dt.datetime | None:
    """Return a feed time that carries its offset ('2020-11-08T15:00:00-0500') in UTC; None without an offset."""
    moment = _parse(text)
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC)


def race_start(
    local: dt.datetime | None, with_offset: dt.datetime | None, track: str
) -> tuple[dt.datetime | None, str | None]:
    """Return a race's start and where it came from ('offset' or 'track zone'), given both feeds' readings.

    The schedule feed's offset is exact, so it is preferred. But NASCAR moves a postponed race in the race list:
    for a track whose zone the table knows, the two readings name the same instant unless the race moved, and
    then the race list's is the current one. For a track the table does not know (read as Eastern), the offset
    wins outright: the local reading may be off by the zone, not by a move.
    """
    if with_offset is not None and (local is None or local == with_offset or track_zone(track) is None):
        return with_offset, "offset"
    if local is not None:
        return local, "track zone"
    return None, None


def scheduled_start(
    local: TrackTime | None, with_offset: dt.datetime | None, track: str
) -> tuple[dt.date | None, dt.datetime | None, str | None]:
    """Return a race's day at the track, its start and where the start came from, given both feeds' readings.

    The start is race_start's. When the race list gives the day only, the offset is the start if it falls on that
    day at the track (or the track's zone is not known, as race_start has it); on another day the race list moved
    the race, and its new time is not announced yet. The day is the race list's, else the start's at the track.
    """
    if local is not None and local.start is None:
        if with_offset is not None and (
            track_zone(track) is None or with_offset.astimezone(zone_of(track)).date() == local.day
        ):
            return local.day, with_offset, "offset"
        return local.day, None, None
    start, basis = race_start(local.start if local is not None else None, with_offset, track)
    if local is not None:
        return local.day, start, basis
    return (start.astimezone(zone_of(track)).date() if start is not None else None), start, basis
