"""NASCAR's weekend feed as the store takes it in, and what the store hands out of it: frozen, None is "not recorded".

The records (Feed*) are what bot.importers.nascar_feed read from one weekend-feed.json; the rows after them
(ResultVersion, CautionSegment, LeadChange, RaceFlow) are what the store gives back to the fan replies.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Literal

FEED_SOURCE_KEY = "NASCAR_FEED"
FEED_CREDIT = "NASCAR"  # what fans see as the source of a race the feed wrote
FEED_DESCRIPTION = (
    "NASCAR: the public, unofficial JSON feeds at cf.nascar.com (weekend-feed.json: results, stages, cautions, "
    "lead changes); imported as one source"
)

ResultsStatus = Literal["provisional", "official"]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One car's result as the feed gives it."""

    nascar_id: int | None  # NASCAR's driver_id: the identity a driver is joined on first
    driver: str  # driver_fullname, as the feed spells it
    car: str  # official_car_number when given, else car_number; text: '07' is not '7'
    feed_car: str  # car_number as the feed gives it (lead changes and stage results may use it)
    start: int | None
    finish: int
    laps: int | None
    laps_led: int | None
    times_led: int | None
    status: str | None
    points: int | None
    playoff_points: int | None
    disqualified: bool | None
    team: str | None
    make: str | None
    sponsor: str | None


@dataclass(frozen=True, slots=True)
class FeedStageResult:
    """One position of one stage."""

    stage: int
    position: int
    nascar_id: int | None
    driver: str | None
    car: str | None
    points: int | None


@dataclass(frozen=True, slots=True)
class FeedCaution:
    """One caution period, lap to lap."""

    start_lap: int | None
    end_lap: int | None
    reason: str | None  # the feed's short category: 'Debris', 'Competition', 'Accident'
    comment: str | None
    beneficiary_car: str | None


@dataclass(frozen=True, slots=True)
class FeedLeader:
    """One spell in the lead; the first (lap 0 to 0) is the pole sitter leading the field to the green."""

    start_lap: int | None
    end_lap: int | None
    car: str


@dataclass(frozen=True, slots=True)
class FeedRace:
    """One race of a weekend feed, checked; race_comments (NASCAR's own prose) is never read."""

    source: str  # the file or URL, for messages
    feed_race_id: int
    series: str  # 'truck', 'nxs' or 'cup'
    season: int
    name: str
    track: str
    race_date: dt.date  # the date at the track
    start_local: str | None  # 'HH:MM' at the track; None when the feed gives no time
    start_utc: dt.datetime | None  # the start as a UTC instant, worked out from the track's zone
    scheduled_laps: int | None
    laps_run: int | None
    distance_miles: str | None
    stage_laps: tuple[int, ...]  # each stage's length, stage 1 first; the last stage ends at the flag
    cautions: int | None
    caution_laps: int | None
    lead_changes: int | None
    leaders: int | None
    margin: str | None  # text, as published: '.697'
    pole_nascar_id: int | None
    pole_speed: str | None
    average_speed: str | None
    race_time: str | None  # '3:23:56'
    tv: str | None
    attendance: int | None
    purse: int | None
    inspection_complete: bool
    entries: tuple[FeedEntry, ...]
    stage_results: tuple[FeedStageResult, ...]
    caution_segments: tuple[FeedCaution, ...]
    race_leaders: tuple[FeedLeader, ...]
    infractions: tuple[str, ...]  # 'lap 112: #11 Too many men over the wall (pass through)'

    @property
    def status(self) -> ResultsStatus:
        """Return 'official' once NASCAR has completed inspection, else 'provisional'."""
        return "official" if self.inspection_complete else "provisional"

    @property
    def label(self) -> str:
        """Return '2025 Clean Harbors 200 (Martinsville Speedway)'."""
        return f"{self.season} {self.name} ({self.track})"

    def digest(self) -> str:
        """Return a fingerprint of everything stored from the race: an equal digest is the same version."""
        content = dataclasses.asdict(self)
        del content["source"]  # the same feed read from a file or a URL is the same version
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# --- what the store hands out ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultVersion:
    """One version of a race's results as a source published it: what changed from the one before, and why."""

    version: int
    status: ResultsStatus
    fetched_at: dt.datetime
    changes: tuple[str, ...]  # '#11 Corey Heim disqualified', 'Ross Chastain 2nd → 1st'; () for the first
    reasons: tuple[str, ...]  # what the source said about why ('#11 disqualified by NASCAR'), when it says


@dataclass(frozen=True, slots=True)
class CautionSegment:
    """One caution period of a race."""

    start_lap: int | None
    end_lap: int | None
    reason: str | None
    beneficiary_car: str | None


@dataclass(frozen=True, slots=True)
class LeadChange:
    """One spell in the lead, with the leader's name when the car is in the results."""

    start_lap: int | None
    end_lap: int | None
    car: str
    driver: str | None


@dataclass(frozen=True, slots=True)
class RaceFlow:
    """What NASCAR's feed adds to a race: the latest results version, cautions and lead changes lap by lap."""

    from_feed: bool  # the race's results came from NASCAR's feed (credit NASCAR)
    version: ResultVersion | None
    cautions: tuple[CautionSegment, ...]
    lead_changes: tuple[LeadChange, ...]
    start_utc: dt.datetime | None
