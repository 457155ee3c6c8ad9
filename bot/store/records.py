"""The rows the store takes in: race folders, uploads and imported histories, as their readers checked them."""

import datetime as dt
import hashlib
import marshal
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.store.models import Eligibility


@dataclass(frozen=True, slots=True)
class SourcedField:
    """The sources and confidence behind one race-level field."""

    field: str
    sources: tuple[str, ...]
    confidence: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """One results.csv row; None is 'not recorded'."""

    finish: int | None
    start: int | None
    car: str
    driver: str
    team: str | None
    make: str | None
    sponsor: str | None
    laps: int | None
    status: str | None
    laps_led: int | None
    points: int | None
    points_eligible: Eligibility | None
    stage_points: int | None
    sources: tuple[str, ...]
    confidence: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class StageRecord:
    """One stages.csv row; an unresolved position lists candidate car numbers instead of a car."""

    stage: int
    position: int
    car: str | None
    candidates: tuple[str, ...]
    points: int | None
    confidence: str | None
    basis: str | None


@dataclass(frozen=True, slots=True)
class MomentRecord:
    """A key moment in our own words."""

    lap: int | None
    laps_to_go: int | None
    when: str
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    """A sourced quote."""

    slug: str
    speaker: str
    role: str | None
    text: str
    context: str | None
    source_urls: tuple[tuple[str, str], ...]
    confidence: str | None


@dataclass(frozen=True, slots=True)
class RaceBundle:
    """Everything one race folder holds."""

    series: str
    series_short: str
    season: int
    round: int
    rounds_in_season: int | None
    name: str
    track: str
    location: str | None
    track_length_miles: float | None
    surface: str | None
    date: dt.date
    facts: dict[str, Any]
    stages: tuple[tuple[int, int | None, int | None], ...]
    entries: tuple[EntryRecord, ...]
    stage_results: tuple[StageRecord, ...]
    moments: tuple[MomentRecord, ...]
    conflicts: tuple[tuple[str, str], ...]
    unknown: tuple[SourcedField, ...]
    field_sources: tuple[SourcedField, ...]
    quotes: tuple[QuoteRecord, ...]
    sources: dict[str, str]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


class HistoryEntry(NamedTuple):
    """One accepted row: a driver's result in one race.

    A tuple rather than a dataclass: a whole series history is held at once, and tuples are
    the smallest and quickest to build.
    """

    line: int
    driver_key: str  # bot.names.name_key of the driver: the identity used to find or add the driver
    driver: str  # the name as the file spells it
    car: str  # as text: '07' and '7' are different cars
    team: str | None
    make: str | None
    start: int | None
    finish: int
    laps: int | None
    status: str | None
    laps_led: int | None
    points: int | None
    # S1, S2, S3 as the file gives them; nascaR.data documents them both as stage positions and as stage points,
    # so they are never stored (None: not given, or not a whole number)
    stages: tuple[int | None, ...]


NO_STAGES: tuple[int | None, ...] = (None, None, None)


@dataclass(frozen=True, slots=True)
class HistoryRace:
    """Every accepted row of one race, with the race's own facts as the file gives them."""

    season: int
    round: int
    track: str
    name: str
    length_miles: float | None
    surface: str | None
    first_line: int
    entries: tuple[HistoryEntry, ...]
    rejected: int  # rows of this race that were rejected

    @property
    def label(self) -> str:
        """Return '2025 round 4 (Baptist Health 200)'."""
        return f"{self.season} round {self.round} ({self.name})"

    def digest(self) -> str:
        """Return a fingerprint of the race's content (line numbers excluded), to tell a changed race from a re-read."""
        content = (self.track, self.name, self.length_miles, self.surface, [entry[1:] for entry in self.entries])
        # marshal format 2 writes values only (no references to shared objects), so equal content gives equal
        # bytes; it is also several times quicker than repr() over a whole history.
        return hashlib.blake2b(marshal.dumps(content, 2), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class HistoryFile:
    """A checked export: the accepted rows grouped by race, oldest race first, and every rejected row."""

    series: str  # the family short name given on the command line: truck, nxs or cup
    source: str  # the file's name, for reports
    races: tuple[HistoryRace, ...]
    rejected: tuple[Rejection, ...]
    rows: int  # data rows read
    placeholders: int = 0  # rows for races not yet run (a season and round, no result): skipped, not rejected

    @property
    def accepted(self) -> int:
        """Return how many rows were accepted."""
        return sum(len(race.entries) for race in self.races)
