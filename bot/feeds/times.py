"""Race times in NASCAR's feeds as UTC instants.

The race list's `race_date` and `date_scheduled` are the track's wall-clock time with no offset (Martinsville's
night race reads "2020-06-10T19:00:00", which is 23:00 UTC), so they are read in the track's IANA zone from
bot.tracks. The schedule feed's `Race_Date` carries an offset ("2020-11-08T15:00:00-0500") and is an instant as
it stands. "1900-01-01T00:00:00" is the feeds' way of saying "no date".
"""

import datetime as dt
import re

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


def local_instant(text: object, track: str) -> dt.datetime | None:
    """Return a track-local feed time ('2020-06-10T19:00:00') as a UTC instant; None for no date.

    An offset the text carries anyway is honoured. A wall-clock time that does not exist or exists twice (the
    hour clocks skip or repeat) is read as zoneinfo does by default: with the offset in force before the change.
    """
    moment = _parse(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(track))
    return moment.astimezone(dt.UTC)


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
