"""When a followed series is refreshed: soon after start when due, Mondays after 10:00 UTC, retries through the day."""

import datetime as dt

from bot.follow.schedule import SeriesState, last_publication, next_refresh


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# 2025-06-02 was a Monday.
MONDAY_PUBLISHED = utc("2025-06-02 10:00")


def test_the_last_publication_is_the_latest_monday_ten_utc():
    assert last_publication(utc("2025-06-02 10:00")) == MONDAY_PUBLISHED
    assert last_publication(utc("2025-06-04 18:30")) == MONDAY_PUBLISHED
    assert last_publication(utc("2025-06-09 09:59")) == MONDAY_PUBLISHED  # the next Monday, before its job
    assert last_publication(utc("2025-06-02 09:59")) == utc("2025-05-26 10:00")


def test_a_series_never_refreshed_or_a_week_old_is_refreshed_at_once():
    now = utc("2025-06-04 12:00")
    assert next_refresh(now, SeriesState(None, None)) == now
    week_old = utc("2025-05-28 11:00")
    assert next_refresh(now, SeriesState(week_old, week_old)) == now


def test_a_series_not_checked_since_mondays_publication_is_refreshed_at_start():
    now = utc("2025-06-04 12:00")  # a Wednesday; last checked on Sunday
    assert next_refresh(now, SeriesState(utc("2025-06-01 20:00"), utc("2025-05-26 10:20"))) == now


def test_after_this_weeks_file_is_in_the_next_refresh_is_next_monday_after_ten():
    now = utc("2025-06-02 10:20")
    state = SeriesState(refreshed_at=now, changed_at=now)
    assert next_refresh(now, state) == utc("2025-06-09 10:15")


def test_an_unchanged_file_on_monday_is_asked_for_again_every_two_hours_until_the_day_ends():
    checked = utc("2025-06-02 10:15")
    state = SeriesState(refreshed_at=checked, changed_at=utc("2025-05-26 10:16"))
    assert next_refresh(checked, state) == utc("2025-06-02 12:15")
    late = utc("2025-06-02 22:30")
    assert next_refresh(late, SeriesState(late, state.changed_at)) == utc("2025-06-09 10:15")


def test_on_monday_before_the_job_has_run_the_refresh_waits_for_it():
    now = utc("2025-06-02 10:05")
    state = SeriesState(refreshed_at=utc("2025-05-30 08:00"), changed_at=utc("2025-05-26 10:16"))
    assert next_refresh(now, state) == utc("2025-06-02 10:15")


def test_a_failed_refresh_is_tried_again_after_a_growing_pause():
    failed = utc("2025-06-04 12:00")
    pauses = [next_refresh(failed, SeriesState(None, None, failed_at=failed, failures=n)) - failed for n in range(1, 7)]
    minutes = [int(p.total_seconds() // 60) for p in pauses]
    assert minutes == [15, 30, 60, 120, 120, 120]
