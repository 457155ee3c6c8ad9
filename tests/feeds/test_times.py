"""Race times in the feeds as UTC instants: track zones for the race list, offsets for the schedule feed."""

import datetime as dt

from bot.feeds.times import local_instant, offset_instant, race_start


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
