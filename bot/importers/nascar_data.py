"""Reading a nascaR.data export (DriverAverages.com results as R's export_series() writes them): checked rows by race.

One row is one driver in one race. The current files (v3) have Season, Race (the round within the season), Track,
Name, Length, Surface, Finish, Start, Car, Driver, Make, Pts, Laps, Led, Status, Team, S1, S2, S3, Rating and Win;
files written before v3 have Seg Points and no S3. Columns are found by their header names, so both layouts (and any
order) read the same. R writes missing values as NA. A row for a race not yet run (a season and round, no result) is
a placeholder: skipped and counted, not rejected. Names are kept whole however long; they are shortened only where
Discord shows them. S1-S3 are documented both as stage positions and as stage points, so nothing they seem to say
(two drivers with the same S2, say) ever costs a row.
Nothing here touches the database: the store decides what is new, what is curated and what changed.
"""

import csv
import datetime as dt
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.names import fold, name_key
from bot.series import BY_CODE
from bot.store.records import NO_STAGES, HistoryEntry, HistoryFile, HistoryRace, Rejection

REQUIRED_COLUMNS = ("Season", "Race", "Track", "Name", "Finish", "Car", "Driver")
OPTIONAL_COLUMNS = (
    "Length",
    "Surface",
    "Start",
    "Make",
    "Pts",
    "Laps",
    "Led",
    "Status",
    "Team",
    "S1",
    "S2",
    "S3",
    "Win",
)
# Any other column is ignored, notably Rating (DriverAverages' own driver rating) and Seg Points (pre-v3 files only).
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "-"})
# A row with none of these is a placeholder for a race not yet run, not a result.
RESULT_COLUMNS = ("Finish", "Start", "Car", "Driver", "Make", "Pts", "Laps", "Led", "Status", "Team", "S1", "S2",
                  "S3", "Win")  # fmt: skip

MAX_ROUND = 100

_CAR = re.compile(r"^[0-9A-Za-z]{1,4}$")
_SPREADSHEET_NUMBER = re.compile(r"^(\d+)\.0*$")  # '7.0': a car number a spreadsheet stored as a number
_PROGRESS_EVERY = 2_000
_BY_FINISH = operator.itemgetter(7)  # HistoryEntry.finish


class HistoryFileError(Exception):
    """The file cannot be imported at all (unreadable, or a required column is missing); nothing was stored."""


class _RowError(Exception):
    """One row cannot be used; the message is the reason shown next to its line number."""


@dataclass(slots=True)
class _RaceRows:
    """The rows of one race while the file is being read."""

    track: str
    name: str
    length_miles: float | None
    surface: str | None
    first_line: int
    entries: list[HistoryEntry] = field(default_factory=list)
    by_driver: dict[str, HistoryEntry] = field(default_factory=dict)
    finishes: dict[int, int] = field(default_factory=dict)


class _Invalid:
    """The cached answer for a cell that cannot be used; the slow path then says why."""


_INVALID = _Invalid()


def _whole(text: str) -> int | _Invalid | None:
    """Return text as a whole number (spreadsheets' '12.0' too), None when missing, else _INVALID."""
    text = text.strip()
    if text in MISSING:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return _INVALID
    return int(number) if number.is_integer() else _INVALID


class _BadCell(Exception):
    """The quick path met a cell it cannot use; the careful path then finds out why."""


def _count(text: str) -> int | None:
    """Return text as a whole number of at least 0, None when missing; raise _BadCell otherwise."""
    value = _whole(text)
    if isinstance(value, _Invalid) or (value is not None and value < 0):
        raise _BadCell
    return value


def _clean_text(text: str) -> str | None:
    """Return text with single spaces, or None when it is a missing value."""
    text = " ".join(text.split())
    return None if text in MISSING else text


def _stage(text: str) -> int | None:
    """Return an S1-S3 cell as a whole number, or None: a column that is never stored never costs a row."""
    value = _whole(text)
    return value if isinstance(value, int) and value >= 0 else None


def _driver_name(text: str) -> tuple[str, str]:
    """Return (identity key, name as written); raise _BadCell when there is no usable name."""
    name = _clean_text(text)
    key = name_key(name) if name is not None else ""
    if name is None or not key:
        raise _BadCell
    return (key, name)


def clean_car(text: str) -> str | None:
    """Return a car number as text ('#07' → '07', a spreadsheet's '7.0' → '7'), or None if it is not one."""
    car = text.strip().lstrip("#").strip()
    if car in MISSING:
        return None
    if match := _SPREADSHEET_NUMBER.match(car):
        car = match[1]
    return car if _CAR.match(car) else None


def _car(text: str) -> str:
    car = clean_car(text)
    if car is None:
        raise _BadCell
    return car


_new_tuple = tuple.__new__


class _Cache(dict[str, Any]):
    """Raw cell text -> its checked value, computed once: the same few thousand values repeat across a history.

    A value that cannot be used is not cached: looking it up raises _BadCell every time.
    """

    def __init__(self, convert: Callable[[str], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: str) -> Any:
        value = self[raw] = self.convert(raw)
        return value


class _Reader:
    """Checks rows one by one: a quick path for good rows, and a careful one that says what is wrong with a bad row."""

    def __init__(self, header: list[str], series: str) -> None:
        columns = {name.strip().lower(): index for index, name in enumerate(header)}
        missing = [name for name in REQUIRED_COLUMNS if name.lower() not in columns]
        if missing:
            raise HistoryFileError(
                f"line 1: the header lacks {', '.join(missing)}; is this a nascaR.data export_series() CSV?"
            )
        self.width = len(header)
        # An absent optional column reads an empty cell appended to every row.
        self.at = {name: columns.get(name.lower(), self.width) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
        self.pad = self.width in self.at.values()
        self.indexes = tuple(self.at.values())
        self.first_season = BY_CODE[series].first_season if series in BY_CODE else 1949
        self.last_season = dt.datetime.now(dt.UTC).year + 1
        self.counts = _Cache(_count)
        self.stages = _Cache(_stage)
        self.texts = _Cache(_clean_text)
        self.drivers = _Cache(_driver_name)
        self.cars = _Cache(_car)
        self.races: dict[tuple[int, int], _RaceRows] = {}
        self.last: tuple[tuple[int, int], _RaceRows | None] = ((0, 0), None)  # rows of a race come together
        self.rejected: list[Rejection] = []
        self.rejected_by_race: dict[tuple[int, int], int] = {}
        self.placeholders = 0

    def read(self, line: int, row: list[str]) -> None:
        """Check one data row and file it under its race, or record why it was rejected."""
        if len(row) != self.width:
            if not any(cell.strip() for cell in row):
                return  # a blank line
            self.rejected.append(Rejection(line, f"{len(row)} cells where the header has {self.width}"))
            return
        if self.pad:
            row.append("")
        try:
            self._read(line, row)
        except (_BadCell, _RowError) as error:
            if self._placeholder(row):
                self.placeholders += 1
                return
            reason = error if isinstance(error, _RowError) else self._why(row)
            self.rejected.append(Rejection(line, str(reason)))
            race = self._race_of(row)
            if race is not None:
                self.rejected_by_race[race] = self.rejected_by_race.get(race, 0) + 1

    def _read(self, line: int, row: list[str]) -> None:
        (i_season, i_race, i_track, i_name, i_finish, i_car, i_driver, _, _, i_start, i_make, i_pts, i_laps, i_led,
         i_status, i_team, i_s1, i_s2, i_s3, i_win) = self.indexes  # fmt: skip
        counts, texts = self.counts, self.texts
        season, round_, finish, win = (
            counts[row[i_season]],
            counts[row[i_race]],
            counts[row[i_finish]],
            counts[row[i_win]],
        )
        start, laps, led, points = counts[row[i_start]], counts[row[i_laps]], counts[row[i_led]], counts[row[i_pts]]
        s1, s2, s3 = self.stages[row[i_s1]], self.stages[row[i_s2]], self.stages[row[i_s3]]
        track, name = texts[row[i_track]], texts[row[i_name]]
        team, make, status = texts[row[i_team]], texts[row[i_make]], texts[row[i_status]]
        key, written = self.drivers[row[i_driver]]
        car = self.cars[row[i_car]]
        if (
            season is None
            or not self.first_season <= season <= self.last_season
            or not round_
            or round_ > MAX_ROUND
            or not finish
            or track is None
            or name is None
            or (win is not None and (win == 1) != (finish == 1))
        ):
            raise _BadCell
        stages = NO_STAGES if not (s1 or s2 or s3) else (s1 or None, s2 or None, s3 or None)
        # tuple.__new__ skips the NamedTuple's Python-level constructor: this runs once per row.
        entry = _new_tuple(
            HistoryEntry,
            (line, key, written, car, team, make, start or None, finish, laps, status, led, points, stages),
        )
        at, race = self.last
        if at != (season, round_) or race is None:
            race = self.races.get((season, round_))
            if race is None:
                race = _RaceRows(track, name, self._length(row), self._text(row, "Surface"), line)
                self.races[(season, round_)] = race
            self.last = ((season, round_), race)
        self._add(race, entry, track, name)

    # --- the careful path: only for rows the quick path refused -----------------------------------------------

    def _placeholder(self, row: list[str]) -> bool:
        """Return whether the row names a race (a season and a round) and gives no result at all."""
        if any(row[self.at[column]].strip() not in MISSING for column in RESULT_COLUMNS):
            return False
        return self._race_of(row) is not None

    def _why(self, row: list[str]) -> _RowError:
        """Return the first reason this row cannot be used, in column order."""
        try:
            self._season(row)
            round_ = self._number(row, "Race", minimum=1)
            if round_ is None or round_ > MAX_ROUND:
                return _RowError(
                    "Race (the round within the season) is missing" if round_ is None else "Race is too big"
                )
            for column in ("Track", "Name"):
                if self._text(row, column) is None:
                    return _RowError(f"{column} is missing")
            name = _clean_text(row[self.at["Driver"]])
            if name is None or not name_key(name):
                return _RowError("Driver is missing")
            raw_car = row[self.at["Car"]].strip()
            if clean_car(raw_car) is None:
                if raw_car in MISSING:
                    return _RowError("Car is missing")
                return _RowError(f"Car '{raw_car}' is not a car number (1 to 4 letters or digits)")
            finish = self._number(row, "Finish", minimum=1)
            if finish is None:
                return _RowError("Finish is missing: a result needs a finishing position")
            win = self._number(row, "Win")
            if win is not None and (win == 1) != (finish == 1):
                return _RowError(f"Win is {win} but Finish is {finish}")
            for column in ("Start", "Laps", "Led", "Pts"):
                self._number(row, column)
        except _RowError as error:
            return error
        return _RowError("the row cannot be read")  # not reached: the quick path refuses only what is checked above

    def _race_of(self, row: list[str]) -> tuple[int, int] | None:
        """Return the (season, round) a rejected row names, if both can be read."""
        try:
            round_ = self._number(row, "Race", minimum=1)
            return (self._season(row), round_) if round_ is not None else None
        except _RowError:
            return None

    def _season(self, row: list[str]) -> int:
        raw = row[self.at["Season"]].strip()
        season = _whole(raw)
        if not isinstance(season, int) or not self.first_season <= season <= self.last_season:
            if raw in MISSING:
                raise _RowError("Season is missing")
            raise _RowError(f"Season '{raw}' is not a year from {self.first_season} to {self.last_season}")
        return season

    def _number(self, row: list[str], column: str, *, minimum: int = 0) -> int | None:
        raw = row[self.at[column]]
        value = _whole(raw)
        if isinstance(value, _Invalid) or (value is not None and value < minimum):
            raise _RowError(f"{column} '{raw.strip()}' is not a whole number of at least {minimum}")
        return value

    def _text(self, row: list[str], column: str) -> str | None:
        return _clean_text(row[self.at[column]])

    def _length(self, row: list[str]) -> float | None:
        text = row[self.at["Length"]].strip()
        if text in MISSING:
            return None
        try:
            length = float(text)
        except ValueError:
            raise _RowError(f"Length '{text}' is not a number of miles") from None
        if not 0 < length < 10:
            raise _RowError(f"Length '{text}' is not a track length in miles")
        return length

    def _add(self, race: _RaceRows, entry: HistoryEntry, track: str, name: str) -> None:
        """Add an entry to its race, refusing what contradicts the rows already there."""
        if track != race.track and fold(track) != fold(race.track):
            raise _RowError(f"Track '{track}' differs from '{race.track}' on line {race.first_line} for the same race")
        if name != race.name and fold(name) != fold(race.name):
            raise _RowError(f"Name '{name}' differs from '{race.name}' on line {race.first_line} for the same race")
        earlier = race.by_driver.get(entry.driver_key)
        if earlier is not None:
            if earlier[1:] == entry[1:]:
                raise _RowError(f"repeats line {earlier.line}")
            raise _RowError(f"{entry.driver} is already in this race on line {earlier.line}")
        if entry.finish in race.finishes:
            raise _RowError(f"Finish {entry.finish} is already taken on line {race.finishes[entry.finish]}")
        race.by_driver[entry.driver_key] = entry
        race.finishes[entry.finish] = entry.line
        race.entries.append(entry)

    def result(self, series: str, source: str, rows: int) -> HistoryFile:
        """Return the checked file, races oldest first."""
        races = tuple(
            HistoryRace(
                season=season,
                round=round_,
                track=rows_.track,
                name=rows_.name,
                length_miles=rows_.length_miles,
                surface=rows_.surface,
                first_line=rows_.first_line,
                entries=tuple(sorted(rows_.entries, key=_BY_FINISH)),
                rejected=self.rejected_by_race.get((season, round_), 0),
            )
            for (season, round_), rows_ in sorted(self.races.items())
        )
        rejected = tuple(sorted(self.rejected, key=lambda r: r.line))
        return HistoryFile(series, source, races, rejected, rows, self.placeholders)


def parse_history(
    lines: Iterable[str], *, series: str, source: str, progress: Callable[[int], None] | None = None
) -> HistoryFile:
    """Check every row of an export; whole-file problems raise HistoryFileError, bad rows are listed as rejected.

    progress, when given, is called with the number of rows read since its last call.
    """
    # strict: an unclosed quote is an error, not a cell that silently swallows the rows after it.
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise HistoryFileError("the file is empty")
        checker = _Reader([header[0].removeprefix("\ufeff"), *header[1:]] if header else header, series)
        rows = 0
        for row in reader:
            rows += 1
            checker.read(reader.line_num, row)
            if progress is not None and rows % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
    except csv.Error as error:
        raise HistoryFileError(f"line {reader.line_num}: {error}") from error
    if progress is not None:
        progress(rows % _PROGRESS_EVERY)
    return checker.result(series, source, rows)


def count_rows(path: Path) -> int:
    """Return roughly how many data rows a file holds (its lines less the header), for a progress bar."""
    with path.open("rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return max(lines - 1, 0)


def read_history(path: Path, *, series: str, progress: Callable[[int], None] | None = None) -> HistoryFile:
    """Read and check a nascaR.data export file."""
    if series not in BY_CODE:
        raise HistoryFileError(f"unknown series '{series}'; use truck, nxs or cup")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return parse_history(fh, series=series, source=path.name, progress=progress)
    except UnicodeDecodeError as error:
        raise HistoryFileError(f"{path.name} is not UTF-8 text ({error.reason} at byte {error.start})") from error
    except OSError as error:
        raise HistoryFileError(f"{path}: {error.strerror or error}") from error
