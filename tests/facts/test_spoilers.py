"""Spoiler-safe windows: a race's start as a UTC instant from its track's time zone, and how long results hide."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.facts.spoilers import SpoilerPolicy, local_start, race_length, race_start, spoiler_active, spoiler_window
from bot.store.models import GuildSettings, RaceSummary
from bot.tracks import track_zone, zone_of

UTC = dt.UTC
GUILD = 7


def race(
    track: str = "Homestead-Miami Speedway",
    date: dt.date = dt.date(2025, 3, 21),
    start: str | None = "8:00 PM ET (Friday)",
    *,
    duration: str | None = None,
    precision: str = "day",
    race_id: int = 1,
) -> RaceSummary:
    """Return a race summary as the index holds it (the shipped race by default)."""
    return RaceSummary(
        id=race_id,
        series="NASCAR Craftsman Truck Series",
        series_short="truck",
        season=date.year,
        round=4,
        name="Baptist Health 200",
        track=track,
        date=date,
        results_status="official",
        winner="Kyle Larson",
        winner_car="07",
        date_precision=precision,
        start_time_local=start,
        race_duration=duration,
    )


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- when a race starts ---------------------------------------------------------------------------------------


def test_the_shipped_race_starts_at_8_pm_eastern_daylight_time():
    assert race_start(race()) == at(2025, 3, 22, 0)  # 8 PM EDT on Friday 21 March is midnight UTC


def test_a_winter_start_is_read_in_eastern_standard_time():
    daytona = race("Daytona International Speedway", dt.date(2025, 2, 14), "7:30 p.m. ET")
    assert race_start(daytona) == at(2025, 2, 15, 0, 30)


def test_a_start_without_a_clock_is_read_on_the_tracks_clock():
    vegas = race("Las Vegas Motor Speedway", dt.date(2025, 3, 15), "7:00 PM")
    assert race_start(vegas) == at(2025, 3, 16, 2)  # Pacific daylight time


def test_a_start_that_names_a_clock_is_read_on_that_clock():
    vegas = race("Las Vegas Motor Speedway", dt.date(2025, 3, 15), "10:00 PM ET")
    assert race_start(vegas) == at(2025, 3, 16, 2)


def test_without_a_start_time_the_race_starts_at_midnight_at_the_track():
    assert race_start(race("Phoenix Raceway", dt.date(2025, 3, 9), None)) == at(2025, 3, 9, 7)  # Arizona: no DST
    assert race_start(race("Homestead", dt.date(2025, 3, 21), "TBA")) == at(2025, 3, 21, 4)


def test_a_track_the_table_does_not_know_is_read_as_eastern():
    assert track_zone("Club Oval") is None
    assert race_start(race("Club Oval", dt.date(2026, 2, 13), None)) == at(2026, 2, 13, 5)


def test_a_race_known_only_by_its_season_has_no_window():
    imported = race("Homestead", dt.date(2023, 1, 1), None, precision="season")  # as nascaR.data imports it
    assert race_start(imported) is None
    assert spoiler_window(imported, 24) is None
    assert not spoiler_active(imported, 24, at(2023, 1, 1, 12))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:00 PM ET (Friday)", (dt.time(20, 0), "ET")),
        ("7:30 p.m. ET", (dt.time(19, 30), "ET")),
        ("3 PM", (dt.time(15, 0), None)),
        ("12:00 AM PT", (dt.time(0, 0), "PT")),
        ("19:00", (dt.time(19, 0), None)),
        ("8", None),
        ("TBA", None),
        ("13:00 PM", None),
        ("", None),
        (None, None),
    ],
)
def test_start_times_as_sources_write_them(text: str | None, expected: tuple[dt.time, str | None] | None):
    assert local_start(text) == expected


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Homestead-Miami Speedway", "America/New_York"),
        ("Homestead", "America/New_York"),  # DriverAverages' short name
        ("Daytona Road Course", "America/New_York"),
        ("Talladega Superspeedway", "America/Chicago"),
        ("Circuit of The Americas", "America/Chicago"),
        ("Chicagoland Speedway", "America/Chicago"),
        ("Phoenix Raceway", "America/Phoenix"),
        ("Las Vegas", "America/Los_Angeles"),
        ("Sears Point Raceway", "America/Los_Angeles"),
        ("Indianapolis Motor Speedway", "America/Indiana/Indianapolis"),
        ("Michigan International Speedway", "America/Detroit"),
        ("Riverside Park Speedway", "America/New_York"),  # Agawam, Massachusetts: unknown, so the fallback
    ],
)
def test_every_track_has_its_zone_from_one_table(name: str, zone: str):
    assert zone_of(name) == ZoneInfo(zone)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("2:05:31", dt.timedelta(hours=2, minutes=5, seconds=31)),
        ("1:58", dt.timedelta(hours=1, minutes=58)),
        ("2 hrs, 5 mins, 31 secs", dt.timedelta(hours=2, minutes=5, seconds=31)),
        ("2h 5m", dt.timedelta(hours=2, minutes=5)),
        ("about two hours", None),
        ("0:00:00", None),
        (None, None),
    ],
)
def test_race_durations_as_sources_write_them(text: str | None, length: dt.timedelta | None):
    assert race_length(text) == length


# --- how long results stay hidden -------------------------------------------------------------------------------


def test_the_window_runs_from_the_start_to_the_hours_after_an_end_four_hours_later():
    assert spoiler_window(race(), 24) == (at(2025, 3, 22, 0), at(2025, 3, 23, 4))


def test_a_recorded_duration_ends_the_race():
    assert spoiler_window(race(duration="2:05:31"), 2) == (
        at(2025, 3, 22, 0),
        at(2025, 3, 22, 4, 5) + dt.timedelta(seconds=31),
    )


def test_a_one_hour_window_lasts_past_the_checkered_flag_of_a_night_race():
    # 11:30 PM in Homestead: the window used to close an hour after midnight UTC, before the race began.
    assert spoiler_active(race(), 1, at(2025, 3, 22, 3, 30))
    assert not spoiler_active(race(), 1, at(2025, 3, 22, 5, 0))  # an hour after the race's end at midnight
    assert not spoiler_active(race(), 1, at(2025, 3, 21, 23, 59))  # 7:59 PM: the race has not started
    assert not spoiler_active(race(), 0, at(2025, 3, 22, 3, 30))  # spoiler mode off


async def test_the_policy_hides_the_races_in_their_window_for_servers_that_asked():
    hours = {GUILD: 2}

    async def settings(guild_id: int) -> GuildSettings:
        return GuildSettings(guild_id, None, None, None, hours.get(guild_id, 0))

    policy = SpoilerPolicy(settings, clock=lambda: at(2025, 3, 22, 5))
    shipped, older = race(), race(date=dt.date(2025, 3, 14), race_id=2)
    assert await policy.hidden(GUILD, [shipped, older]) == {shipped.id}
    assert await policy.hidden(GUILD + 1, [shipped, older]) == frozenset()  # spoiler mode off there
    assert await policy.hidden(None, [shipped]) == frozenset()  # a direct message: no server, no setting
    assert await policy.until(GUILD, shipped) == at(2025, 3, 22, 6)
    assert await policy.until(GUILD, older) is None
