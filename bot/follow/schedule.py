"""When a followed series is refreshed: pure functions of the clock and of what the last refreshes remember.

nascaR.data publishes the weekend's races every Monday at 10:00 UTC during the season, overwriting each series'
file in place. So a series is refreshed soon after the bot starts when it is due (never refreshed, not checked
since the last publication, or more than a week ago), then shortly after each Monday's publication. A file still
unchanged on Monday (the job ran late, or it is the off-season) is asked for again every few hours until the day
ends; a failed attempt (offline, the host down) is tried again after a growing pause.
"""

import datetime as dt
from dataclasses import dataclass

PUBLISHED_AT = dt.time(10, 0)  # nascaR.data's Monday job, UTC
FIRST_TRY = dt.timedelta(minutes=15)  # after the publication: the job appends and uploads, which takes a while
RETRY_EVERY = dt.timedelta(hours=2)  # while Monday's file is still unchanged
STALE_AFTER = dt.timedelta(days=7)
FAILURE_BACKOFF = (
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
    dt.timedelta(hours=2),
)  # then every two hours until it works


@dataclass(frozen=True, slots=True)
class SeriesState:
    """What the schedule goes by for one series."""

    refreshed_at: dt.datetime | None  # the last successful check (the file merged, or found unchanged)
    changed_at: dt.datetime | None  # the last time a changed file was merged
    failed_at: dt.datetime | None = None  # the last failed attempt, when it failed after refreshed_at
    failures: int = 0  # failed attempts in a row


def last_publication(now: dt.datetime) -> dt.datetime:
    """Return the latest Monday 10:00 UTC at or before now."""
    now = now.astimezone(dt.UTC)
    monday = (now - dt.timedelta(days=now.weekday())).date()
    published = dt.datetime.combine(monday, PUBLISHED_AT, tzinfo=dt.UTC)
    return published if published <= now else published - dt.timedelta(days=7)


def next_refresh(now: dt.datetime, state: SeriesState) -> dt.datetime:
    """Return when a series is next refreshed: now (or earlier) when it is due."""
    if state.failures and state.failed_at is not None:
        pause = FAILURE_BACKOFF[min(state.failures, len(FAILURE_BACKOFF)) - 1]
        return state.failed_at + pause
    published = last_publication(now)
    next_week = published + dt.timedelta(days=7) + FIRST_TRY
    refreshed = state.refreshed_at
    if refreshed is None or now - refreshed >= STALE_AFTER:
        return now
    if refreshed < published:
        return max(now, published + FIRST_TRY)
    if state.changed_at is not None and state.changed_at >= published:
        return next_week  # this week's file is in
    # Checked since the publication, and the file had not changed yet: ask again through the day.
    end_of_day = dt.datetime.combine(published.date() + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    again = max(refreshed + RETRY_EVERY, published + FIRST_TRY)
    return again if again < end_of_day else next_week
