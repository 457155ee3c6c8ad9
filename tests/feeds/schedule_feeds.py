"""Builders of race_list_basic.json, schedule-combined-feed.json, drivers-points.json and a minimal weekend feed,
in the shapes ../shared/guides/RACE-FEEDS.md documents (the values are made up, the fields are the real ones)."""

from typing import Any

SEASON = 2025
TRUCK = 3
# Three Truck races: a Friday night at Martinsville (Eastern daylight time), a Saturday in Las Vegas (Pacific
# standard time), and the exhibition-free finale at Phoenix (Arizona keeps standard time all year).
MARTINSVILLE = 5101
VEGAS = 5102
PHOENIX = 5103


def listed_race(
    race_id: int,
    name: str,
    track: str,
    race_date: str,
    *,
    series_id: int = TRUCK,
    race_type_id: int = 1,
    winner_driver_id: int = 0,
    tv: str = "FS1",
) -> dict[str, Any]:
    """Return one race of race_list_basic.json: the weekend race's fields without results."""
    return {
        "race_id": race_id,
        "series_id": series_id,
        "race_season": SEASON,
        "race_name": name,
        "race_type_id": race_type_id,
        "restrictor_plate": False,
        "track_id": race_id % 100,
        "track_name": track,
        "date_scheduled": race_date,
        "race_date": race_date,
        "qualifying_date": "1900-01-01T00:00:00",
        "scheduled_distance": 200.0,
        "actual_distance": 0,
        "scheduled_laps": 200,
        "actual_laps": 0,
        "stage_1_laps": 60,
        "stage_2_laps": 60,
        "stage_3_laps": 80,
        "number_of_cars_in_field": 0,
        "pole_winner_driver_id": 0,
        "pole_winner_speed": 0,
        "race_purse": 0,
        "attendance": 0,
        "radio_broadcaster": "MRN",
        "television_broadcaster": tv,
        "master_race_id": race_id,
        "inspection_complete": False,
        "playoff_round": 0,
        "winner_driver_id": winner_driver_id,
        "pole_winner_laptime": 0,
    }


def truck_season(
    *, martinsville: str = "2025-09-26T19:30:00", winner_at_vegas: int = 0, vegas: str = "2025-11-02T13:00:00"
) -> list[dict[str, Any]]:
    """Return the Truck races of the test season, times local to each track."""
    return [
        listed_race(MARTINSVILLE, "Long John Silver's 200", "Martinsville Speedway", martinsville),
        listed_race(VEGAS, "Ecosave 200", "Las Vegas Motor Speedway", vegas, winner_driver_id=winner_at_vegas),
        listed_race(PHOENIX, "NASCAR Craftsman Truck Series Championship", "Phoenix Raceway", "2025-11-07T17:00:00"),
    ]


def race_list(truck: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return race_list_basic.json for the season: every series under its series_N key."""
    return {
        "series_1": [
            listed_race(6101, "Daytona 500", "Daytona International Speedway", "2025-02-16T14:30:00", series_id=1)
        ],
        "series_2": [],
        "series_3": truck if truck is not None else truck_season(),
    }


def schedule_feed(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return schedule-combined-feed.json wrapping its capitalised items."""
    return {"status": 200, "message": "OK", "response": items}


def schedule_item(race_id: int, name: str, track: str, race_date: str, tv: str) -> dict[str, Any]:
    """Return one item of the schedule feed (Race_Date carries an offset; Series_Id is a string)."""
    return {
        "Race_Id": race_id,
        "Race_Name": name,
        "Series_Id": str(TRUCK),
        "Track_Id": race_id % 100,
        "Track_Name": track,
        "Race_Date": race_date,
        "Race_Date_Plain": race_date[:10],
        "Race_TV_Display": tv,
        "Race_Radio": "MRN",
        "Race_Live_Stream": "",
        "Race_Start": "",
    }


def points_line(position: int, name: str, driver_id: int, points: int, **extra: int | str) -> dict[str, Any]:
    """Return one line of drivers-points.json."""
    first, _, last = name.partition(" ")
    line: dict[str, Any] = {
        "position": position,
        "driver_name": name,
        "driver_id": driver_id,
        "driver_first_name": first,
        "driver_last_name": last,
        "driver_suffix": "",
        "car_no": "0",
        "manufacturer": "Chevrolet",
        "points": points,
        "playoff_points": 0,
        "playoff_rank": position,
        "bonus_points": 0,
        "stage_points": 0,
        "delta_next": 0,
        "delta_leader": 0,
        "delta_leader_playoff": 0,
        "delta_playoff": 0,
        "projected_playoff_points": 0,
        "starts": 2,
        "poles": 0,
        "wins": 0,
        "stage_1_wins": 0,
        "stage_2_wins": 0,
        "stage_3_wins": 0,
        "playoff_race_wins": 0,
        "playoff_stage_wins": 0,
        "top_5": 0,
        "top_10": 0,
        "laps_led": 0,
        "dnf": 0,
        "winnings": 0,
    }
    line.update(extra)
    return line


def truck_points(*, starts: int = 2) -> list[dict[str, Any]]:
    """Return the Truck standings after `starts` races."""
    return [
        points_line(
            1, "Corey Heim", 4001, 120, car_no="11", wins=2, top_5=2, top_10=2, playoff_points=10, starts=starts
        ),
        points_line(2, "Layne Riggs", 4002, 101, car_no="34", top_5=1, top_10=2, starts=starts),
        points_line(3, "Chandler Smith", 4003, 95, car_no="38", top_5=1, top_10=2, starts=starts),
        points_line(4, "Kyle Larson", 4004, 40, car_no="07", top_5=1, top_10=1, starts=1),
    ]


def weekend(race_id: int, *, finished: int = 0, field: int = 3, inspection: bool = False) -> dict[str, Any]:
    """Return a weekend-feed.json whose first `finished` cars have finishing positions (the rest none yet)."""
    results = [
        {"finishing_position": n + 1 if n < finished else 0, "driver_id": 4001 + n, "car_number": str(n + 1)}
        for n in range(field if finished else 0)
    ]
    return {
        "weekend_race": [
            {
                "race_id": race_id,
                "series_id": TRUCK,
                "race_season": SEASON,
                "number_of_cars_in_field": field if finished else 0,
                "inspection_complete": inspection,
                "results": results,
            }
        ],
        "weekend_runs": [],
    }
