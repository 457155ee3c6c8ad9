"""Reading NASCAR's weekend-feed.json (one race weekend) into a checked FeedRace.

The feed's rules (see RACE-FEEDS.md): race_date and date_scheduled are the track's local time with no offset, so
the start's UTC instant comes from the track's zone (bot.tracks); 0 means "not recorded" for speeds, attendance and
the purse, and 1900-01-01 for dates; official_car_number wins over car_number; car numbers stay text. race_comments
is NASCAR's own prose and is never read. Numbers are read as decimals, so a speed keeps the precision NASCAR
published ("168.170", not 168.17).
"""

import asyncio
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bot.facts.statuses import Ending, ending
from bot.importers.download import DownloadError
from bot.store.feed_records import FeedCaution, FeedEntry, FeedLeader, FeedRace, FeedStageResult
from bot.tracks import zone_of

# NASCAR's series_id -> Pit Board's series code.
SERIES_CODES = {1: "cup", 2: "nxs", 3: "truck"}
_NO_DATE = dt.date(1900, 1, 1)  # the feed's "no such date"


class FeedFileError(Exception):
    """The feed cannot be imported at all (not JSON, or a required key missing); the message is one line."""


def parse_weekend_feed(text: str | bytes, *, source: str = "weekend-feed.json", series: str | None = None) -> FeedRace:
    """Return the race of a weekend-feed.json's text; pass the bytes the host sent, so numbers keep their digits.

    series ('truck', 'nxs', 'cup') is used only when the feed has no series_id.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FeedFileError(f"{source} is not JSON: {error}") from error
    return read_weekend_feed(data, source=source, series=series)


def read_weekend_feed(data: object, *, source: str = "weekend-feed.json", series: str | None = None) -> FeedRace:
    """Return the race of an already decoded weekend feed (a dict); raise FeedFileError naming what is wrong."""
    if not isinstance(data, Mapping):
        raise FeedFileError(f"{source} is not a weekend feed: expected an object with 'weekend_race'")
    races = data.get("weekend_race")
    if not isinstance(races, list) or not races or not isinstance(races[0], Mapping):
        raise FeedFileError(f"{source} has no race: 'weekend_race' must be a list holding one race")
    return _Reader(source).race(races[0], series)


class _Reader:
    """Reads one race, naming the file and the place of anything wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> FeedFileError:
        return FeedFileError(f"{self.source}: {where} {what}")

    def int_(self, item: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> int | None:
        value = item.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(where, f"has no '{key}'")
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
            raise self.fail(where, f"'{key}' is not a whole number: {value!r}")
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError as error:
            raise self.fail(where, f"'{key}' is not a whole number: {value!r}") from error
        if number != number.to_integral_value():
            raise self.fail(where, f"'{key}' is not a whole number: {value!r}")
        return int(number)

    def text(self, item: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
        value = item.get(key)
        if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise self.fail(where, f"'{key}' is not text: {value!r}")
        text = value.strip() if value else ""
        if not text and required:
            raise self.fail(where, f"has no '{key}'")
        return text or None

    def known(self, item: Mapping[str, Any], key: str, where: str) -> str | None:
        """Return a figure as published text, None when missing or 0 (the feed's "not recorded")."""
        value = item.get(key)
        if value is None or value == "" or isinstance(value, bool):
            return None
        if not isinstance(value, int | Decimal | float | str):
            raise self.fail(where, f"'{key}' is not a number: {value!r}")
        try:
            if Decimal(str(value)) == 0:
                return None
        except ArithmeticError as error:
            raise self.fail(where, f"'{key}' is not a number: {value!r}") from error
        return str(value).strip()

    def known_int(self, item: Mapping[str, Any], key: str, where: str) -> int | None:
        value = self.int_(item, key, where)
        return value or None  # 0: not recorded

    def flag(self, item: Mapping[str, Any], key: str) -> bool | None:
        value = item.get(key)
        return value if isinstance(value, bool) else None

    def items(self, item: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
        value = item.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(x, Mapping) for x in value):
            raise self.fail(where, f"'{key}' is not a list of objects")
        return value

    def local_time(self, item: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
        text = self.text(item, key, where)
        if text is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise self.fail(where, f"'{key}' is not a date: {text!r}") from error
        return None if moment.date() == _NO_DATE else moment

    def race(self, item: Mapping[str, Any], series: str | None) -> FeedRace:
        where = "weekend_race[0]"
        feed_race_id = self.int_(item, "race_id", where, required=True)
        season = self.int_(item, "race_season", where, required=True)
        name = self.text(item, "race_name", where, required=True)
        track = self.text(item, "track_name", where, required=True)
        assert feed_race_id is not None and season is not None and name and track  # required above
        code = self.series(item, series, where)
        moment = self.local_time(item, "race_date", where) or self.local_time(item, "date_scheduled", where)
        if moment is None:
            raise self.fail(where, "has no 'race_date' (nor 'date_scheduled')")
        start_local, start_utc = self.start(moment, track)
        entries = tuple(self.entry(result, n) for n, result in enumerate(self.items(item, "results", where)))
        if not entries:
            raise self.fail(where, "has no 'results'")
        self.check_unique(entries, where)
        stage_laps = []
        for number in (1, 2, 3, 4):
            laps = self.int_(item, f"stage_{number}_laps", where)
            if not laps:
                break
            stage_laps.append(laps)
        return FeedRace(
            source=self.source,
            feed_race_id=feed_race_id,
            series=code,
            season=season,
            name=name,
            track=track,
            race_date=moment.date(),
            start_local=start_local,
            start_utc=start_utc,
            scheduled_laps=self.known_int(item, "scheduled_laps", where),
            laps_run=self.known_int(item, "actual_laps", where),
            distance_miles=self.known(item, "actual_distance", where) or self.known(item, "scheduled_distance", where),
            stage_laps=tuple(stage_laps),
            cautions=self.int_(item, "number_of_cautions", where),
            caution_laps=self.int_(item, "number_of_caution_laps", where),
            lead_changes=self.int_(item, "number_of_lead_changes", where),
            leaders=self.known_int(item, "number_of_leaders", where),
            margin=self.text(item, "margin_of_victory", where),
            pole_nascar_id=self.known_int(item, "pole_winner_driver_id", where),
            pole_speed=self.known(item, "pole_winner_speed", where),
            average_speed=self.known(item, "average_speed", where),
            race_time=self.text(item, "total_race_time", where),
            tv=self.text(item, "television_broadcaster", where),
            attendance=self.known_int(item, "attendance", where),
            purse=self.known_int(item, "race_purse", where),
            inspection_complete=item.get("inspection_complete") is True,
            entries=entries,
            stage_results=self.stages(item, where),
            caution_segments=tuple(
                self.caution(c, n) for n, c in enumerate(self.items(item, "caution_segments", where))
            ),
            race_leaders=self.leaders(item, where),
            infractions=self.infractions(item, where),
        )

    def series(self, item: Mapping[str, Any], given: str | None, where: str) -> str:
        series_id = self.int_(item, "series_id", where)
        if series_id is None:
            if given is None:
                raise self.fail(where, "has no 'series_id': name the series with --series truck, nxs or cup")
            return given
        code = SERIES_CODES.get(series_id)
        if code is None:
            raise self.fail(where, f"has series_id {series_id}, which is none of 1 (cup), 2 (nxs) or 3 (truck)")
        if given is not None and given != code:
            raise self.fail(where, f"is a {code} race (series_id {series_id}), not {given}")
        return code

    @staticmethod
    def start(moment: dt.datetime, track: str) -> tuple[str | None, dt.datetime | None]:
        """Return the local start ('19:00') and its UTC instant; none for a date with no time (midnight)."""
        if moment.tzinfo is not None:  # an offset given is believed (the schedule feed has one)
            return moment.strftime("%H:%M"), moment.astimezone(dt.UTC)
        if moment.time() == dt.time(0, 0):
            return None, None  # NASCAR gives a midnight start for "time not announced", never a real one
        return moment.strftime("%H:%M"), moment.replace(tzinfo=zone_of(track)).astimezone(dt.UTC)

    def entry(self, item: Mapping[str, Any], number: int) -> FeedEntry:
        where = f"results[{number}]"
        feed_car = self.text(item, "car_number", where)
        car = self.text(item, "official_car_number", where) or feed_car
        if car is None:
            raise self.fail(where, "has no 'official_car_number' nor 'car_number'")
        finish = self.int_(item, "finishing_position", where, required=True)
        assert finish is not None  # required above
        disqualified = self.flag(item, "disqualified")
        status = self.text(item, "finishing_status", where)
        if disqualified and ending(status) is not Ending.DISQUALIFIED:
            # The flag is NASCAR's word that the car was disqualified; the status is what every reply reads.
            status = "Disqualified"
        return FeedEntry(
            nascar_id=self.int_(item, "driver_id", where),
            driver=self.text(item, "driver_fullname", where, required=True) or "",
            car=car,
            feed_car=feed_car or car,
            start=self.known_int(item, "starting_position", where),
            finish=finish,
            laps=self.int_(item, "laps_completed", where),
            laps_led=self.int_(item, "laps_led", where),
            times_led=self.int_(item, "times_led", where),
            status=status,
            points=self.int_(item, "points_earned", where),
            playoff_points=self.int_(item, "playoff_points_earned", where),
            disqualified=disqualified,
            team=self.text(item, "team_name", where),
            make=self.text(item, "car_make", where),
            sponsor=self.text(item, "sponsor", where),
        )

    def check_unique(self, entries: Sequence[FeedEntry], where: str) -> None:
        for what, values in (
            ("finishing_position", [str(e.finish) for e in entries]),
            ("official car number", [e.car for e in entries]),
            ("driver_id", [str(e.nascar_id) for e in entries if e.nascar_id is not None]),
        ):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise self.fail(where, f"results repeat {what} {', '.join(twice)}")

    def stages(self, item: Mapping[str, Any], where: str) -> tuple[FeedStageResult, ...]:
        found = []
        for n, stage in enumerate(self.items(item, "stage_results", where)):
            here = f"stage_results[{n}]"
            number = self.int_(stage, "stage_number", here, required=True)
            assert number is not None  # required above
            for m, result in enumerate(self.items(stage, "results", here)):
                at = f"{here}.results[{m}]"
                position = self.int_(result, "finishing_position", at, required=True)
                assert position is not None  # required above
                found.append(
                    FeedStageResult(
                        stage=number,
                        position=position,
                        nascar_id=self.int_(result, "driver_id", at),
                        driver=self.text(result, "driver_fullname", at),
                        car=self.text(result, "car_number", at),
                        points=self.int_(result, "stage_points", at),
                    )
                )
        return tuple(sorted(found, key=lambda r: (r.stage, r.position)))

    def caution(self, item: Mapping[str, Any], number: int) -> FeedCaution:
        where = f"caution_segments[{number}]"
        return FeedCaution(
            start_lap=self.int_(item, "start_lap", where),
            end_lap=self.int_(item, "end_lap", where),
            reason=self.text(item, "reason", where),
            comment=self.text(item, "comment", where),
            beneficiary_car=self.text(item, "beneficiary_car_number", where),
        )

    def leaders(self, item: Mapping[str, Any], where: str) -> tuple[FeedLeader, ...]:
        found = []
        for n, leader in enumerate(self.items(item, "race_leaders", where)):
            at = f"race_leaders[{n}]"
            car = self.text(leader, "car_number", at, required=True) or ""
            found.append(FeedLeader(self.int_(leader, "start_lap", at), self.int_(leader, "end_lap", at), car))
        return tuple(found)

    def infractions(self, item: Mapping[str, Any], where: str) -> tuple[str, ...]:
        """Return each infraction in one line of the feed's own words; the list's shape is undocumented."""
        lines = []
        for n, infraction in enumerate(self.items(item, "infractions", where)):
            at = f"infractions[{n}]"
            what = self.text(infraction, "infraction", at) or self.text(infraction, "description", at)
            if what is None:
                continue
            car = self.text(infraction, "car_number", at)
            lap = self.int_(infraction, "lap", at)
            penalty = self.text(infraction, "penalty", at)
            line = (f"lap {lap}: " if lap else "") + (f"#{car} " if car else "") + what
            lines.append(line + (f" ({penalty})" if penalty else ""))
        return tuple(lines)


FEED_USER_AGENT = "PitBoard/0.1 (a self-hosted Discord race-recap bot; reads NASCAR's public feeds gently)"
FEED_TIMEOUT = 30.0  # seconds a connect or read may wait
FEED_MAX_BYTES = 20 * 1024 * 1024  # a weekend feed is a few hundred KB; far bigger is not one


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": FEED_USER_AGENT, "Accept": "application/json"})  # noqa: S310 - http(s) only, checked by the caller
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - http(s) only
            body = answer.read(FEED_MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{url} answered HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise DownloadError(f"{url} could not be reached: {reason}") from error
    if len(body) > FEED_MAX_BYTES:
        raise DownloadError(f"{url} is larger than {FEED_MAX_BYTES // (1024 * 1024)} MB, so it is no weekend feed")
    return body


async def fetch_weekend_feed(url: str, *, wait: float = FEED_TIMEOUT) -> bytes:
    """Return the bytes of a weekend feed at an http(s) URL, fetched once with Pit Board's User-Agent.

    wait bounds each connect and read (a blocking urllib call in a thread, which asyncio.timeout could not stop).
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DownloadError(f"{url} is not an http or https URL")
    return await asyncio.to_thread(_download, url, wait)
