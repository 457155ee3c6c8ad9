"""What a result's status says about how a car's race ended, in the words nascaR.data, NASCAR and uploads use."""

import re
from enum import Enum


class Ending(Enum):
    """How a status says a car's race ended."""

    RUNNING = "running"  # running at the flag, on the lead lap or laps down
    RETIRED = "retired"  # out before the flag, for a reason the vocabulary knows
    DISQUALIFIED = "disqualified"
    UNKNOWN = "unknown"  # not recorded, or words the vocabulary does not know


# Statuses of a car still running at the flag. Laps down ('+1 lap', '-2 laps', '1 lap down') are matched by _LAPS_DOWN.
FINISHING = frozenset(
    {"running", "finished", "finish", "completed", "classified", "lead lap", "on lead lap", "on the lead lap"}
)
_LAPS_DOWN = re.compile(
    r"(?:(?:running|finished)\W*)?(?:[+-]\s*\d+\s*laps?|\d+\s*laps?\s+down|down\s+\d+\s*laps?)(?:\s+down)?"
)
DISQUALIFIED = frozenset({"disqualified", "disqualification", "dq", "dsq"})
# Reasons a car was out before the flag, as written in a recap; keys are the folded status (see fold_status).
RETIREMENTS: dict[str, str] = {
    reason: reason
    for reason in (
        "accident", "crash", "engine", "transmission", "suspension", "overheating", "vibration", "brakes", "brake",
        "electrical", "fuel pump", "fuel pressure", "fuel system", "out of fuel", "clutch", "rear gear", "rear end",
        "gear", "gears", "oil leak", "oil pressure", "oil pump", "water pump", "water leak", "radiator", "parked",
        "handling", "steering", "ignition", "fire", "rocker arm", "valve", "valves", "piston", "camshaft",
        "crankshaft", "driveshaft", "drive shaft", "axle", "hub", "wheel", "wheel bearing", "tire", "lug nuts",
        "header", "cylinder", "head gasket", "distributor", "battery", "alternator", "belt", "carburetor",
        "mechanical", "damage", "quit",
    )
} | {"dvp": "DVP", "damaged vehicle policy": "DVP", "dnf": "DNF", "did not finish": "DNF"}  # fmt: skip
# Words that make an unknown status read as a reason a car stopped ('broken axle', 'Engine Failure').
_REASON_WORDS = frozenset(word for reason in RETIREMENTS for word in reason.split()) - {
    "of", "out", "did", "not", "finish", "system", "end", "rear", "head", "vehicle", "policy",
} | {
    "failure", "failed", "broken", "broke", "blown", "problem", "problems", "issue", "issues", "leak", "wreck",
    "wrecked", "crashed", "damaged", "spring", "shock", "differential", "gearbox",
}  # fmt: skip
# 'lead-lap', 'Running (2 laps down)'; a hyphen before a digit is a minus ('-1 lap') and stays.
_SEPARATORS = re.compile(r"[_,;()\[\]]|(?<=[^\W\d])-(?=[^\W\d])")
# Words that say the car was still going: a status with them is never read as a reason.
_FINISHING_WORDS = frozenset({"running", "finished", "lap", "laps", "lead", "down", "completed", "classified"})


def fold_status(status: str | None) -> str:
    """Return a status as the vocabulary compares it: case-folded, with one space between words."""
    return " ".join(_SEPARATORS.sub(" ", status or "").casefold().split())


def ending(status: str | None) -> Ending:
    """Return how the status says the race ended; anything the vocabulary does not know is UNKNOWN."""
    text = fold_status(status)
    if not text:
        return Ending.UNKNOWN
    if text in FINISHING or _LAPS_DOWN.fullmatch(text):
        return Ending.RUNNING
    if text in DISQUALIFIED:
        return Ending.DISQUALIFIED
    if text in RETIREMENTS:
        return Ending.RETIRED
    return Ending.UNKNOWN


def reads_as_reason(status: str | None) -> bool:
    """Return whether a status the vocabulary does not know still names why a car stopped ('Broken Axle')."""
    if ending(status) is not Ending.UNKNOWN:
        return False
    words = set(re.findall(r"[a-z]+", fold_status(status)))
    return bool(words & _REASON_WORDS) and not words & (_FINISHING_WORDS | DISQUALIFIED)


def retired(status: str | None, laps: int | None, leader_laps: int | None) -> bool:
    """Return whether a car was out before the flag.

    A known retirement says so on its own; a status the vocabulary does not know counts only when it reads as a
    reason and the car completed fewer laps than the leader. When unsure, the car is not called out.
    """
    kind = ending(status)
    if kind is Ending.RETIRED:
        return True
    if kind is not Ending.UNKNOWN or not reads_as_reason(status):
        return False
    return laps is not None and leader_laps is not None and laps < leader_laps


def reason(status: str | None) -> str:
    """Return why a car stopped as a recap writes it: 'accident' for 'Accident', 'DVP', or the status as stored."""
    text = fold_status(status)
    if text in RETIREMENTS:
        return RETIREMENTS[text]
    shown = " ".join((status or "").split())
    # 'Broken Axle' reads as a name in the middle of a sentence; 'CV joint' keeps its capitals.
    return shown.lower() if shown.istitle() else shown
