"""Builders of weekend-feed.json dicts in the documented shape (RACE-FEEDS.md, section 2), for any race-night test.

One race moves through its night as NASCAR publishes it: `martinsville_truck()` is the provisional result,
`disqualify(feed, "11")` the same race after a post-race penalty, `official(feed)` once inspection is complete.
Each returns a new dict; json.dumps of it is what the feed host serves.
"""

import copy
from typing import Any

# NASCAR driver ids are invented here; only their role (one id per driver, whatever the spelling) matters.
HEIM, RIGGS, CHASTAIN, MAJESKI, ENFINGER, GARCIA, HOCEVAR, LARSON = 4101, 4102, 4103, 4104, 4105, 4106, 4107, 4108
MARTINSVILLE_ID, VEGAS_ID, HOMESTEAD_ID = 5501, 5502, 5503


def result(
    finish: int,
    car: str,
    driver: str,
    driver_id: int,
    *,
    start: int,
    team: str,
    make: str,
    official_car: str | None = None,
    laps: int = 200,
    led: int = 0,
    times_led: int = 0,
    status: str = "Running",
    points: int = 0,
    playoff: int = 0,
    race_id: int = MARTINSVILLE_ID,
) -> dict[str, Any]:
    """Return one results[] row."""
    return {
        "result_id": race_id * 100 + finish,
        "finishing_position": finish,
        "starting_position": start,
        "car_number": car,
        "official_car_number": official_car if official_car is not None else car,
        "driver_fullname": driver,
        "driver_id": driver_id,
        "hometown_city": "",
        "hometown_state": "",
        "team_id": 1,
        "team_name": team,
        "owner_id": 1,
        "owner_fullname": "",
        "crew_chief_fullname": "",
        "car_make": make,
        "car_model": "",
        "sponsor": f"{team} sponsor",
        "qualifying_order": start,
        "qualifying_position": start,
        "qualifying_speed": 0,
        "laps_led": led,
        "times_led": times_led,
        "laps_completed": laps,
        "finishing_status": status,
        "disqualified": False,
        "points_earned": points,
        "playoff_points_earned": playoff,
        "points_position": finish,
        "points_delta": 0,
        "winnings": 0,
        "diff_laps": 0,
        "diff_time": 0,
        "series_id": 3,
        "race_season": 2025,
        "race_id": race_id,
    }


def race(
    *,
    race_id: int,
    name: str,
    track: str,
    race_date: str,
    results: list[dict[str, Any]],
    season: int = 2025,
    series_id: int | None = 3,
    scheduled_laps: int = 200,
    stages: tuple[int, int, int] = (60, 60, 80),
    **facts: Any,
) -> dict[str, Any]:
    """Return a whole weekend feed holding one race; facts override the race's own fields."""
    first = results[0]
    body: dict[str, Any] = {
        "race_id": race_id,
        "series_id": series_id,
        "race_season": season,
        "race_name": name,
        "race_type_id": 1,
        "restrictor_plate": False,
        "track_id": 14,
        "track_name": track,
        "date_scheduled": race_date,
        "race_date": race_date,
        "qualifying_date": "1900-01-01T00:00:00",
        "scheduled_distance": 105.2,
        "actual_distance": 105.2,
        "scheduled_laps": scheduled_laps,
        "actual_laps": scheduled_laps,
        "stage_1_laps": stages[0],
        "stage_2_laps": stages[1],
        "stage_3_laps": stages[2],
        "number_of_cars_in_field": len(results),
        "pole_winner_driver_id": next(r["driver_id"] for r in results if r["starting_position"] == 1),
        "pole_winner_speed": 0,
        "number_of_lead_changes": 3,
        "number_of_leaders": 3,
        "number_of_cautions": 2,
        "number_of_caution_laps": 14,
        "average_speed": 0,
        "total_race_time": "1:41:12",
        "margin_of_victory": ".697",
        "race_purse": 0,
        "race_comments": "NASCAR's own sentence about the race, which Pit Board never shows.",
        "attendance": 0,
        "radio_broadcaster": "MRN",
        "television_broadcaster": "FS1",
        "master_race_id": race_id,
        "inspection_complete": False,
        "playoff_round": 0,
        "results": results,
        "stage_results": [
            {
                "stage_number": number,
                "results": [
                    {
                        "driver_fullname": r["driver_fullname"],
                        "driver_id": r["driver_id"],
                        "car_number": r["car_number"],
                        "finishing_position": position,
                        "stage_points": 11 - position,
                    }
                    for position, r in enumerate(order, start=1)
                ],
            }
            for number, order in ((1, results[:5]), (2, [*results[1:5], results[0]]))
        ],
        "caution_segments": [
            {
                "race_id": race_id,
                "start_lap": 61,
                "end_lap": 67,
                "reason": "Competition",
                "comment": "End of Stage 1",
                "beneficiary_car_number": "",
                "flag_state": 2,
            },
            {
                "race_id": race_id,
                "start_lap": 150,
                "end_lap": 156,
                "reason": "Accident",
                "comment": "Car 42 Turn 3",
                "beneficiary_car_number": "9",
                "flag_state": 2,
            },
        ],
        "race_leaders": [
            {
                "start_lap": 0,
                "end_lap": 0,
                "car_number": next(r["car_number"] for r in results if r["starting_position"] == 1),
                "race_id": race_id,
            },
            {"start_lap": 1, "end_lap": 90, "car_number": results[1]["car_number"], "race_id": race_id},
            {"start_lap": 91, "end_lap": 170, "car_number": results[2]["car_number"], "race_id": race_id},
            {"start_lap": 171, "end_lap": scheduled_laps, "car_number": first["car_number"], "race_id": race_id},
        ],
        "infractions": [],
        "pit_reports": [],
    }
    body.update(facts)
    return {
        "weekend_race": [body],
        "weekend_runs": [
            {
                "weekend_run_id": 1,
                "race_id": race_id,
                "timing_run_id": 1,
                "run_type": 2,
                "run_name": "Qualifying",
                "run_date": race_date,
                "run_date_utc": race_date,
                "results": [],
            }
        ],
    }


def martinsville_truck(*, race_id: int = MARTINSVILLE_ID, garcia: str = "Jake Garcia") -> dict[str, Any]:
    """Return a Truck night race at Martinsville in June (Eastern daylight time): 19:00 local is 23:00 UTC.

    Spire's truck runs as car_number '7' with official_car_number '07'. garcia is how the feed spells driver 4106.
    """
    team = {"s": "Spire Motorsports", "t": "TRICON Garage", "f": "Front Row Motorsports", "h": "ThorSport Racing"}
    results = [
        result(1, "11", "Corey Heim", HEIM, start=2, team=team["t"], make="Toyota", led=30, times_led=1, points=55,
               playoff=5),
        result(2, "1", "Ross Chastain", CHASTAIN, start=3, team=team["t"], make="Toyota", led=90, times_led=1,
               points=45, playoff=1),
        result(3, "34", "Layne Riggs", RIGGS, start=1, team=team["f"], make="Ford", led=80, times_led=1, points=40),
        result(4, "98", "Ty Majeski", MAJESKI, start=5, team=team["h"], make="Ford", points=33),
        result(5, "7", "Kyle Larson", LARSON, start=4, team=team["s"], make="Chevrolet", official_car="07", points=0),
        result(6, "9", "Grant Enfinger", ENFINGER, start=6, team="CR7 Motorsports", make="Chevrolet", points=31),
        result(7, "13", garcia, GARCIA, start=7, team=team["h"], make="Ford", points=30),
        result(8, "42", "Carson Hocevar", HOCEVAR, start=8, team="Niece Motorsports", make="Chevrolet", laps=149,
               status="Accident", points=29),
    ]  # fmt: skip
    return race(
        race_id=race_id,
        name="Clean Harbors 200",
        track="Martinsville Speedway",
        race_date="2025-06-20T19:00:00",
        results=results,
    )


def vegas_truck(*, race_date: str = "2025-03-07T18:30:00", race_id: int = VEGAS_ID) -> dict[str, Any]:
    """Return a Truck race at Las Vegas, by default in Pacific standard time (18:30 PST is 02:30 UTC next day)."""
    results = [
        result(1, "11", "Corey Heim", HEIM, start=1, team="TRICON Garage", make="Toyota", led=134, times_led=1,
               laps=134, points=55, race_id=race_id),
        result(2, "34", "Layne Riggs", RIGGS, start=2, team="Front Row Motorsports", make="Ford", laps=134,
               points=45, race_id=race_id),
        result(3, "98", "Ty Majeski", MAJESKI, start=3, team="ThorSport Racing", make="Ford", laps=134, points=40,
               race_id=race_id),
        result(4, "9", "Grant Enfinger", ENFINGER, start=4, team="CR7 Motorsports", make="Chevrolet", laps=134,
               points=33, race_id=race_id),
        result(5, "13", "Jacob Garcia", GARCIA, start=5, team="ThorSport Racing", make="Ford", laps=134, points=32,
               race_id=race_id),
    ]  # fmt: skip
    return race(
        race_id=race_id,
        name="Ecosave 200",
        track="Las Vegas Motor Speedway",
        race_date=race_date,
        results=results,
        scheduled_laps=134,
        stages=(30, 30, 74),
    )


def homestead_truck() -> dict[str, Any]:
    """Return the curated 2025 Homestead race as the feed might give it: the top three, and a few disagreements."""
    common = {"race_id": HOMESTEAD_ID, "laps": 134}
    results = [
        result(1, "07", "Kyle Larson", LARSON, start=3, team="Spire Motorsports", make="Chevrolet", led=20, **common),
        result(2, "34", "Layne Riggs", RIGGS, start=4, team="Front Row Motorsports", make="Ford", led=3, points=48,
               **common),
        result(3, "11", "Corey Heim", HEIM, start=1, team="TRICON Garage", make="Toyota", led=77, points=54, **common),
    ]  # fmt: skip
    return race(
        race_id=HOMESTEAD_ID,
        name="Baptist Health 200",
        track="Homestead-Miami Speedway",
        race_date="2025-03-21T20:00:00",
        results=results,
        scheduled_laps=134,
        stages=(30, 30, 74),
    )


def disqualify(feed: dict[str, Any], car: str, *, infraction: str | None = "Failed post-race inspection") -> dict:
    """Return the feed after a post-race penalty: the car disqualified to last, everyone behind it moved up."""
    feed = copy.deepcopy(feed)
    body = feed["weekend_race"][0]
    results = body["results"]
    out = next(r for r in results if r["car_number"] == car or r["official_car_number"] == car)
    for row in results:
        if row["finishing_position"] > out["finishing_position"]:
            row["finishing_position"] -= 1
    out["finishing_position"] = len(results)
    out["disqualified"] = True
    out["finishing_status"] = "Running"  # the flag says it; the status often still reads as it did
    out["points_earned"] = 0
    results.sort(key=lambda r: r["finishing_position"])
    if infraction:
        body["infractions"] = [
            {"race_id": body["race_id"], "car_number": out["official_car_number"], "driver_id": out["driver_id"],
             "lap": 0, "infraction": infraction, "penalty": "Disqualified", "notes": ""},
        ]  # fmt: skip
    return feed


def official(feed: dict[str, Any]) -> dict[str, Any]:
    """Return the feed once NASCAR has completed inspection."""
    feed = copy.deepcopy(feed)
    feed["weekend_race"][0]["inspection_complete"] = True
    return feed
