"""Spoiler-safe mode: for a while after a race, public replies hide who won."""

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable

from bot.store.models import GuildSettings, RaceSummary

SettingsReader = Callable[[int], Awaitable[GuildSettings]]

# A race date is local to the track and evening races end after midnight UTC, so the window opens at the
# start of the race date and runs a full day plus the server's spoiler hours.
_RACE_DAY = dt.timedelta(days=1)


def spoiler_until(race_date: dt.date, spoiler_hours: int) -> dt.datetime | None:
    """Return when spoilers may show for a race, or None when the server has spoiler mode off."""
    if spoiler_hours <= 0:
        return None
    start = dt.datetime.combine(race_date, dt.time(0, 0), tzinfo=dt.UTC)
    return start + _RACE_DAY + dt.timedelta(hours=spoiler_hours)


def spoiler_active(race_date: dt.date, spoiler_hours: int, now: dt.datetime) -> bool:
    """Return whether replies about this race must hide its result right now."""
    until = spoiler_until(race_date, spoiler_hours)
    return until is not None and now < until


class SpoilerPolicy:
    """Decides, per server and race, whether public replies must hide the result."""

    def __init__(self, settings: SettingsReader, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings  # a server's settings by id: the catalog's guild_settings
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def until(self, guild_id: int | None, race_date: dt.date) -> dt.datetime | None:
        """Return when this server may see the race's result, or None if it may now."""
        if guild_id is None:
            return None
        hours = (await self.settings(guild_id)).spoiler_hours
        return spoiler_until(race_date, hours) if spoiler_active(race_date, hours, self.clock()) else None

    async def hidden(self, guild_id: int | None, races: Iterable[RaceSummary]) -> frozenset[int]:
        """Return the ids of the races whose results this server must not see yet."""
        if guild_id is None:
            return frozenset()
        hours = (await self.settings(guild_id)).spoiler_hours
        if hours <= 0:
            return frozenset()  # spoiler mode off: no need to look at thousands of races
        now = self.clock()
        return frozenset(r.id for r in races if spoiler_active(r.date, hours, now))
