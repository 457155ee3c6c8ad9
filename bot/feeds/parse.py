"""What NASCAR's race list, schedule feed, weekend feed and points file say, as the store's rows.

Field names and pitfalls are those of ../shared/guides/RACE-FEEDS.md: zeros that mean "not recorded" become None,
times carry no offset unless the schedule feed's, car numbers stay text. A file of the wrong shape raises
FeedShapeError with one line saying what was missing; nothing is guessed.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.feeds.times import offset_instant, scheduled_start, track_time
from bot.store.schedule import ScheduleEntry, StandingEntry

# NASCAR's series ids, and Pit Board's codes for them (bot.series).
SERIES_IDS: dict[str, int] = {"cup": 1, "nxs": 2, "truck": 3}
SERIES_CODES: dict[int, str] = {number: code for code, number in SERIES_IDS.items()}
POINTS_RACE_TYPE = 1  # race_type_id 1 counts for points; the Clash, the All-Star Race and the Duels do not


class FeedShapeError(Exception):
    """A feed file parsed as JSON but is not shaped as that file is; the message says what was missing."""


@dataclass(frozen=True, slots=True)
class TvListing:
    """What the schedule feed adds to a race: its start with an offset, and where to watch and listen."""

    start: dt.datetime | None
    tv: str | None
    radio: str | None


@dataclass(frozen=True, slots=True)
class WeekendProgress:
    """How far a race's weekend feed has come."""

    race_id: int
    has_results: bool  # any finishing position is in
    results_complete: bool  # every car of the field has its finishing position
    inspection_complete: bool  # NASCAR's post-race inspection is done: the results are official


def _int(value: object) -> int | None:
    """Return a whole number the feed gives, or None (also for booleans and text that is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    return None


def _known(value: object) -> int | None:
    """Return a whole number, with the feeds' 0 for "not recorded" as None."""
    number = _int(value)
    return number if number else None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value) or None  # 0 is "not recorded"


def _objects(value: object, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise FeedShapeError(f"{what} is not a list")
    return [item for item in value if isinstance(item, Mapping)]


def race_list(data: object, series: str) -> list[Mapping[str, Any]]:
    """Return a series' races from race_list_basic.json: the season file keyed series_N, or a per-series list."""
    if isinstance(data, Mapping):
        key = f"series_{SERIES_IDS[series]}"
        if key not in data:
            raise FeedShapeError(f"the race list has no {key}")
        return _objects(data[key], key)
    return [race for race in _objects(data, "the race list") if _int(race.get("series_id")) == SERIES_IDS[series]]


def tv_listings(data: object) -> dict[int, TvListing]:
    """Return the schedule feed's start, TV and radio by race id ({"status", "message", "response": [...]})."""
    if not isinstance(data, Mapping) or "response" not in data:
        raise FeedShapeError("the schedule feed has no response list")
    listings: dict[int, TvListing] = {}
    for item in _objects(data["response"], "the schedule feed's response"):
        race_id = _int(item.get("Race_Id"))
        if race_id is not None and race_id not in listings:  # the race's own line comes first
            listings[race_id] = TvListing(
                offset_instant(item.get("Race_Date")), _text(item.get("Race_TV_Display")), _text(item.get("Race_Radio"))
            )
    return listings


def schedule_entries(
    data: object, series: str, season: int, listings: Mapping[int, TvListing] | None = None
) -> list[ScheduleEntry]:
    """Return a series' season from the race list, with the schedule feed's start, TV and radio where it has them."""
    entries = []
    for race in race_list(data, series):
        race_id = _known(race.get("race_id"))
        name, track = _text(race.get("race_name")), _text(race.get("track_name"))
        if race_id is None or name is None or track is None:
            continue  # not a race anyone could be shown
        if (race_season := _int(race.get("race_season"))) is not None and race_season != season:
            continue
        listing = (listings or {}).get(race_id)
        local = track_time(race.get("race_date"), track) or track_time(race.get("date_scheduled"), track)
        day, start, basis = scheduled_start(local, listing.start if listing else None, track)
        race_type = _int(race.get("race_type_id"))
        entries.append(
            ScheduleEntry(
                nascar_race_id=race_id,
                series=series,
                season=season,
                name=name,
                track=track,
                nascar_track_id=_known(race.get("track_id")),
                start=start,
                day=day,
                start_basis=basis,
                tv=(listing.tv if listing else None) or _text(race.get("television_broadcaster")),
                radio=(listing.radio if listing else None) or _text(race.get("radio_broadcaster")),
                race_type_id=race_type,
                points_race=race_type == POINTS_RACE_TYPE,
                scheduled_laps=_known(race.get("scheduled_laps")),
                scheduled_distance=_number(race.get("scheduled_distance")),
                winner_nascar_driver_id=_known(race.get("winner_driver_id")),
            )
        )
    return entries


def standing_entries(data: object) -> list[StandingEntry]:
    """Return drivers-points.json's lines in order of position."""
    rows = []
    for line in _objects(data, "the points file"):
        position, points = _known(line.get("position")), _int(line.get("points"))
        name = _text(line.get("driver_name")) or " ".join(
            part for key in ("driver_first_name", "driver_last_name", "driver_suffix") if (part := _text(line.get(key)))
        )
        if position is None or points is None or not name:
            continue
        rows.append(
            StandingEntry(
                position=position,
                driver_name=name,
                nascar_driver_id=_known(line.get("driver_id")),
                car_number=_text(line.get("car_no")),
                manufacturer=_text(line.get("manufacturer")),
                points=points,
                playoff_points=_int(line.get("playoff_points")),
                starts=_int(line.get("starts")),
                wins=_int(line.get("wins")),
                top_5=_int(line.get("top_5")),
                top_10=_int(line.get("top_10")),
            )
        )
    if not rows and isinstance(data, list) and data:
        raise FeedShapeError("the points file has no line with a position, a driver and points")
    return sorted(rows, key=lambda row: row.position)


def weekend_progress(data: object) -> WeekendProgress:
    """Return how far a weekend-feed.json has come: results in, results for the whole field, inspection done."""
    if not isinstance(data, Mapping):
        raise FeedShapeError("the weekend feed is not an object")
    races = _objects(data.get("weekend_race"), "weekend_race")
    if not races:
        raise FeedShapeError("the weekend feed's weekend_race is empty")
    race = races[0]
    race_id = _known(race.get("race_id"))
    if race_id is None:
        raise FeedShapeError("the weekend feed's race has no race_id")
    results: Iterable[Mapping[str, Any]] = _objects(race.get("results", []), "results")
    finishes = [_known(result.get("finishing_position")) for result in results]
    field = _known(race.get("number_of_cars_in_field"))
    placed = [finish for finish in finishes if finish is not None]
    complete = bool(placed) and len(placed) == len(finishes) and len(set(placed)) == len(placed)
    if field is not None:
        complete = complete and len(placed) >= field
    return WeekendProgress(
        race_id=race_id,
        has_results=bool(placed),
        results_complete=complete,
        inspection_complete=race.get("inspection_complete") is True,
    )
