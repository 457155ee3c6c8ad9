"""Frozen rows the store hands out; only bot/store builds them."""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

# car number -> (driver id, finish) in one race; car numbers are text, so '07' and '7' differ
RaceCars = dict[str, tuple[int, int | None]]


@dataclass(frozen=True, slots=True)
class Series:
    """A racing series, such as the NASCAR Craftsman Truck Series."""

    id: int
    name: str
    short_name: str


@dataclass(frozen=True, slots=True)
class RaceSummary:
    """One line about a race: enough to list it, search it and name its winner."""

    id: int
    series: str
    series_short: str
    season: int
    round: int
    name: str
    track: str
    date: dt.date
    results_status: str
    winner: str | None
    winner_car: str | None
    date_precision: str = "day"  # 'season': the source gives only the year; date is 1 January then
    # When the race ran, as the source wrote it (None: not recorded), for spoiler-safe windows.
    start_time_local: str | None = None  # '8:00 PM ET (Friday)', local to the track unless it names a clock
    race_duration: str | None = None
    # When the race arrived in the store, for a race whose source gives no date (None: unknown, or history).
    arrived_at: dt.datetime | None = None
    start_utc: dt.datetime | None = None  # the start as an instant, when a source gave one (NASCAR's feed)

    @property
    def label(self) -> str:
        """Return a human name such as '2025 Baptist Health 200 (Homestead-Miami Speedway)'."""
        return f"{self.season} {self.name} ({self.track})"


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage's lap range."""

    number: int
    first_lap: int | None
    last_lap: int | None


@dataclass(frozen=True, slots=True)
class Race:
    """Every race-level fact the store holds; None means not recorded."""

    id: int
    series: str
    series_short: str
    season: int
    round: int
    rounds_in_season: int | None
    name: str
    track: str
    location: str | None
    track_length_miles: float | None
    date: dt.date
    start_time_local: str | None
    scheduled_laps: int | None
    laps_run: int | None
    distance_miles: float | None
    stages: tuple[Stage, ...]
    pole_entry_id: int | None
    pole_time_s: str | None
    pole_speed_mph: str | None
    margin_s: str | None
    fastest_lap_driver: str | None
    fastest_lap_s: str | None
    fastest_lap_mph: str | None
    leaders: int | None
    lead_changes: int | None
    cautions: int | None
    caution_laps: int | None
    average_speed_mph: str | None
    race_duration: str | None
    attendance: int | None
    purse_usd: int | None
    weather: str | None
    tv_network: str | None
    results_status: str
    curated: bool
    data_version: int
    source_count: int
    date_precision: str = "day"  # 'season': the source gives only the year; date is 1 January then
    # When the race arrived in the store, for a race whose source gives no date (None: unknown, or history).
    arrived_at: dt.datetime | None = None
    start_utc: dt.datetime | None = None  # the start as an instant, when a source gave one (NASCAR's feed)

    @property
    def label(self) -> str:
        """Return a human name such as '2025 Baptist Health 200 (Homestead-Miami Speedway)'."""
        return f"{self.season} {self.name} ({self.track})"


# Points eligibility as recorded; None is "not recorded", which is not the same as a dispute between sources.
Eligibility = Literal["yes", "no", "disputed"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One car in one race; None means not recorded."""

    id: int
    race_id: int
    driver_id: int
    driver: str
    car_number: str
    team: str | None
    make: str | None
    sponsor: str | None
    start: int | None
    finish: int | None
    laps: int | None
    status: str | None
    laps_led: int | None
    points: int | None
    stage_points: int | None
    points_eligible: Eligibility | None
    notes: str | None

    @property
    def positions_gained(self) -> int | None:
        """Return start minus finish (positive: came forward), or None if either is unknown."""
        if self.start is None or self.finish is None:
            return None
        return self.start - self.finish


@dataclass(frozen=True, slots=True)
class StageResult:
    """One position of one stage; an unresolved position has no entry but names its candidates."""

    stage: int
    position: int
    entry: Entry | None
    candidates: tuple[Entry, ...]
    points: int | None
    confidence: str | None
    basis: str | None

    @property
    def resolved(self) -> bool:
        """Return whether the store knows who held this position."""
        return self.entry is not None


@dataclass(frozen=True, slots=True)
class KeyMoment:
    """A moment of the race, with its lap or laps to go when known."""

    ordinal: int
    lap: int | None
    laps_to_go: int | None
    when: str
    summary: str


@dataclass(frozen=True, slots=True)
class RaceNote:
    """A conflict between sources, an unknown fact, or a correction."""

    kind: str
    topic: str
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    """Something a person said, with where it was published."""

    id: int
    race_id: int
    race_label: str
    driver_id: int | None
    speaker: str
    role: str | None
    text: str
    context: str | None
    source_url: str | None
    confidence: str | None
    added_by: int | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Driver:
    """A driver and the other names they are known by."""

    id: int
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DriverResult:
    """A driver's entry with the race it belongs to, for career figures."""

    race: RaceSummary
    entry: Entry


@dataclass(frozen=True, slots=True)
class SourceLink:
    """A source backing a fact."""

    key: str
    description: str
    confidence: str | None


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings; None means not configured."""

    guild_id: int
    recap_channel_id: int | None
    mod_role_id: int | None
    ping_role_id: int | None
    spoiler_hours: int
    announce: bool = False  # post a card when a race of a followed series arrives
    announce_since: dt.datetime | None = None  # when announcements were last turned on
    mod_channel_id: int | None = None  # the moderators' private channel, for Pit Board's notices
    notify: bool = False  # fans may give themselves the ping role with /notify


@dataclass(frozen=True, slots=True)
class RecapVersion:
    """One saved version of a server's recap of a race."""

    id: int
    guild_id: int
    race_id: int
    version: int
    headline: str
    body: str
    author_id: int
    created_at: dt.datetime
    reverted_from: int | None
    discarded: bool


@dataclass(frozen=True, slots=True)
class RecapPost:
    """Where a server's recap of a race was posted, and which version it shows."""

    guild_id: int
    race_id: int
    channel_id: int
    message_id: int
    thread_id: int | None
    version: int
    published_by: int
    published_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PublishedRecap:
    """The recap a server's fans see: the version that was last published."""

    headline: str
    body: str
    author_id: int
    version: int
    published_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Correction:
    """A change to a race's results after the fact, with the moderator's reason."""

    id: int
    race_id: int
    author_id: int
    summary: str
    reason: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator action, or a notice from Pit Board itself to the server's moderators."""

    id: int
    user_id: int | None  # None: Pit Board itself, not a member
    action: str
    detail: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What a moderator's results upload did."""

    race_id: int
    replaced: bool
    entries: int


@dataclass(frozen=True, slots=True)
class DueAnnouncement:
    """A shared race a server with announcements on has not been told about yet."""

    guild_id: int
    race_id: int
    series: str  # the series code: 'truck', 'nxs', 'cup'
    season: int
    round: int
    recap_channel_id: int
    mod_channel_id: int | None


@dataclass(frozen=True, slots=True)
class Announcement:
    """One automated post about a race in a server: what was claimed, and whether it went out."""

    guild_id: int
    race_id: int
    kind: str  # 'results' or 'official-draft'
    status: Literal["pending", "sent", "failed"]
    channel_id: int | None
    message_id: int | None
    recap_version: int | None
    created_at: dt.datetime
    shown: str | None = None  # what a posted card shows ('v2 official'), so a change edits it


@dataclass(frozen=True, slots=True)
class PostStop:
    """A kind of automated post stopped in a server because it failed, until a moderator fixes its cause."""

    guild_id: int
    kind: str  # 'results' or 'mod-notice'
    channel_id: int | None
    reason: str
    stopped_at: dt.datetime
