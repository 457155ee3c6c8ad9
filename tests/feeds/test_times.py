"""Race times in the feeds as UTC instants: track zones for the race list, offsets for the schedule feed."""

import datetime as dt

from bot.feeds.times import TrackTime, local_instant, offset_instant, race_start, scheduled_start, track_time


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_a_night_race_in_eastern_daylight_time():
    # The guide's own example: Martinsville's night race at 19:00 local is 23:00 UTC (EDT is UTC-4).
    assert local_instant("2020-06-10T19:00:00", "Martinsville Speedway") == utc("2020-06-10T23:00:00")


def test_a_night_race_in_pacific_standard_time_lands_on_the_next_utc_day():
    assert local_instant("2025-03-07T18:30:00", "Las Vegas Motor Speedway") == utc("2025-03-08T02:30:00")


def test_the_same_wall_clock_across_the_autumn_change():
    # 2 November 2025, 02:00 PDT: clocks go back. The day before is UTC-7, the day itself after 02:00 UTC-8.
    assert local_instant("2025-11-01T13:00:00", "Las Vegas Motor Speedway") == utc("2025-11-01T20:00:00")
    assert local_instant("2025-11-02T13:00:00", "Las Vegas Motor Speedway") == utc("2025-11-02T21:00:00")


def test_the_same_wall_clock_across_the_spring_change_in_the_east():
    # 9 March 2025: Eastern clocks go forward; Saturday is UTC-5, Sunday UTC-4.
    assert local_instant("2025-03-08T15:30:00", "Homestead-Miami Speedway") == utc("2025-03-08T20:30:00")
    assert local_instant("2025-03-09T15:30:00", "Homestead-Miami Speedway") == utc("2025-03-09T19:30:00")


def test_arizona_keeps_standard_time_all_year():
    assert local_instant("2025-11-07T17:00:00", "Phoenix Raceway") == utc("2025-11-08T00:00:00")
    assert local_instant("2025-03-09T12:30:00", "Phoenix Raceway") == utc("2025-03-09T19:30:00")


def test_offsets_are_read_as_given_and_placeholder_dates_are_no_dates():
    assert offset_instant("2020-11-08T15:00:00-0500") == utc("2020-11-08T20:00:00")
    assert offset_instant("2020-11-08T15:00:00") is None  # no offset: not an instant
    assert local_instant("1900-01-01T00:00:00", "Martinsville Speedway") is None
    assert local_instant("", "Martinsville Speedway") is None
    assert local_instant("soon", "Martinsville Speedway") is None


def test_the_offset_is_preferred_unless_the_race_list_moved_the_race():
    local = local_instant("2025-09-26T19:30:00", "Martinsville Speedway")
    offset = offset_instant("2025-09-26T19:30:00-0400")
    assert race_start(local, offset, "Martinsville Speedway") == (offset, "offset")
    postponed = local_instant("2025-09-27T12:00:00", "Martinsville Speedway")
    assert race_start(postponed, offset, "Martinsville Speedway") == (postponed, "track zone")
    # A track the table does not know is read as Eastern: there the offset wins outright.
    guessed = local_instant("2025-06-01T13:00:00", "Somewhere Else Speedway")
    exact = offset_instant("2025-06-01T13:00:00-0600")
    assert race_start(guessed, exact, "Somewhere Else Speedway") == (exact, "offset")
    assert race_start(None, None, "Martinsville Speedway") == (None, None)


def test_midnight_without_an_offset_is_a_day_whose_time_is_not_announced():
    # NASCAR's "time not announced": read as a start it was 04:00 UTC, 22:00 at Martinsville the night before.
    assert track_time("2031-10-31T00:00:00", "Martinsville Speedway") == TrackTime(dt.date(2031, 10, 31), None)
    assert local_instant("2031-10-31T00:00:00", "Martinsville Speedway") is None
    # A real time keeps its day at the track, even where the UTC instant is on the next day.
    night = track_time("2025-03-07T18:30:00", "Las Vegas Motor Speedway")
    assert night == TrackTime(dt.date(2025, 3, 7), utc("2025-03-08T02:30:00"))
    # With an offset, midnight is an instant as it stands, and its day is the track's.
    exact = track_time("2031-10-31T00:00:00-0400", "Martinsville Speedway")
    assert exact == TrackTime(dt.date(2031, 10, 31), utc("2031-10-31T04:00:00"))
    assert track_time("1900-01-01T00:00:00", "Martinsville Speedway") is None


def test_a_day_without_a_time_takes_the_schedule_feeds_exact_start_on_that_day():
    track = "Martinsville Speedway"
    day_only = track_time("2031-10-31T00:00:00", track)
    announced = offset_instant("2031-10-31T19:30:00-0400")
    assert scheduled_start(day_only, None, track) == (dt.date(2031, 10, 31), None, None)
    assert scheduled_start(day_only, announced, track) == (dt.date(2031, 10, 31), announced, "offset")
    # The race list moved the race to another day: the feed's old start is not its start any more.
    moved = track_time("2031-11-01T00:00:00", track)
    assert scheduled_start(moved, announced, track) == (dt.date(2031, 11, 1), None, None)
    # A track the table does not know: the offset wins outright, as race_start has it.
    elsewhere = track_time("2031-11-01T00:00:00", "Somewhere Else Speedway")
    assert scheduled_start(elsewhere, announced, "Somewhere Else Speedway")[1:] == (announced, "offset")


def test_a_timed_race_keeps_race_starts_choice_and_its_day_at_the_track():
    track = "Las Vegas Motor Speedway"
    local = track_time("2025-03-07T18:30:00", track)
    assert scheduled_start(local, None, track) == (dt.date(2025, 3, 7), utc("2025-03-08T02:30:00"), "track zone")
    offset = offset_instant("2025-03-07T18:30:00-0800")
    assert scheduled_start(None, offset, track) == (dt.date(2025, 3, 7), offset, "offset")
    assert scheduled_start(None, None, track) == (None, None, None)
