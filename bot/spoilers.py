"""Spoiler-safe mode: for a while after a race, public replies hide who won."""

import datetime as dt

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


def hide(text: str) -> str:
    """Wrap text in Discord spoiler markup, escaping bars that would end it early."""
    return "||" + text.replace("|", "\\|") + "||"
