"""The status vocabulary: the words nascaR.data, NASCAR and uploads use for how a car's race ended."""

import pytest

from bot.facts.statuses import Ending, ending, reads_as_reason, reason, retired

# nascaR.data (DriverAverages) writes statuses in lower case.
NASCAR_DATA = {
    "running": Ending.RUNNING,
    "accident": Ending.RETIRED,
    "crash": Ending.RETIRED,
    "engine": Ending.RETIRED,
    "transmission": Ending.RETIRED,
    "suspension": Ending.RETIRED,
    "overheating": Ending.RETIRED,
    "vibration": Ending.RETIRED,
    "brakes": Ending.RETIRED,
    "electrical": Ending.RETIRED,
    "fuel pump": Ending.RETIRED,
    "clutch": Ending.RETIRED,
    "rear gear": Ending.RETIRED,
    "oil leak": Ending.RETIRED,
    "dvp": Ending.RETIRED,
    "parked": Ending.RETIRED,
    "disqualified": Ending.DISQUALIFIED,
}
# NASCAR's own results capitalise them.
NASCAR = {
    "Running": Ending.RUNNING,
    "Accident": Ending.RETIRED,
    "Engine": Ending.RETIRED,
    "Suspension": Ending.RETIRED,
    "Transmission": Ending.RETIRED,
    "Fuel Pump": Ending.RETIRED,
    "Rear Gear": Ending.RETIRED,
    "Oil Leak": Ending.RETIRED,
    "Overheating": Ending.RETIRED,
    "Electrical": Ending.RETIRED,
    "DVP": Ending.RETIRED,
    "Parked": Ending.RETIRED,
    "Disqualified": Ending.DISQUALIFIED,
}
# What moderators type into an upload or a correction.
UPLOADS = {
    "finished": Ending.RUNNING,
    "Finished": Ending.RUNNING,
    "lead lap": Ending.RUNNING,
    "Lead Lap": Ending.RUNNING,
    "lead-lap": Ending.RUNNING,
    "+1 lap": Ending.RUNNING,
    "+2 laps": Ending.RUNNING,
    "-1 lap": Ending.RUNNING,
    "1 lap down": Ending.RUNNING,
    "Running (3 laps down)": Ending.RUNNING,
    " running ": Ending.RUNNING,
    "DQ": Ending.DISQUALIFIED,
    "dq": Ending.DISQUALIFIED,
    "DNF": Ending.RETIRED,
    "": Ending.UNKNOWN,
    "flagged": Ending.UNKNOWN,
    "DNS": Ending.UNKNOWN,
    "Broken axle": Ending.UNKNOWN,
}


@pytest.mark.parametrize(("status", "expected"), [*NASCAR_DATA.items(), *NASCAR.items(), *UPLOADS.items()])
def test_every_sources_words_are_understood(status: str, expected: Ending):
    assert ending(status) is expected


def test_an_unrecorded_status_is_unknown():
    assert ending(None) is Ending.UNKNOWN
    assert not retired(None, 10, 200)


@pytest.mark.parametrize("status", [s for s, kind in [*NASCAR_DATA.items(), *NASCAR.items()] if kind is Ending.RETIRED])
def test_a_known_retirement_is_out_whatever_the_laps(status: str):
    assert retired(status, 200, 200)
    assert retired(status, None, None)


@pytest.mark.parametrize("status", ["running", "Running", "finished", "lead lap", "+1 lap", "-1 lap", "disqualified"])
def test_finishers_and_disqualified_cars_are_never_out_even_laps_down(status: str):
    assert not retired(status, 150, 200)


@pytest.mark.parametrize(
    ("status", "laps", "leader", "expected"),
    [
        ("Broken Axle", 150, 200, True),  # reads as a reason, and laps short
        ("engine failure", 12, 200, True),
        ("Broken Axle", 200, 200, False),  # as many laps as the leader: not sure it stopped
        ("Broken Axle", None, 200, False),  # laps not recorded
        ("Broken Axle", 150, None, False),
        ("flagged", 150, 200, False),  # does not read as a reason
        ("DNS", 0, 200, False),
        ("running, 2 laps down", 198, 200, False),
    ],
)
def test_an_unknown_status_is_out_only_as_a_reason_with_fewer_laps(
    status: str, laps: int | None, leader: int | None, expected: bool
):
    assert retired(status, laps, leader) is expected


def test_what_reads_as_a_reason():
    assert reads_as_reason("Broken Axle") and reads_as_reason("fuel pressure problem")
    assert not reads_as_reason("flagged") and not reads_as_reason("+1 lap") and not reads_as_reason("accident")


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("accident", "accident"),
        ("Accident", "accident"),
        ("Fuel Pump", "fuel pump"),
        ("dvp", "DVP"),
        ("DVP", "DVP"),
        ("Broken Axle", "broken axle"),
        ("CV joint", "CV joint"),
    ],
)
def test_reasons_are_written_as_a_recap_says_them(status: str, shown: str):
    assert reason(status) == shown
