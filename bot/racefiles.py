"""The project's per-race data folder (race.json, results.csv, stages.csv, quotes.json) read into plain records."""

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections import Counter
from itertools import zip_longest
from pathlib import Path
from typing import Any

from bot.names import car_key, name_key
from bot.store.models import Eligibility
from bot.store.records import EntryRecord, MomentRecord, QuoteRecord, RaceBundle, SourcedField, StageRecord


class RaceFileError(Exception):
    """A race folder that cannot be loaded; the message names the file and line."""


# race.json keys copied as they are into the races table (None stays None).
RACE_FACT_KEYS = (
    "start_time_local",
    "scheduled_laps",
    "laps_run",
    "distance_miles",
    "margin_s",
    "leaders",
    "lead_changes",
    "cautions",
    "caution_laps",
    "average_speed_mph",
    "race_duration",
    "attendance",
    "purse_usd",
    "weather",
    "tv_network",
    "results_status",
)


def _cell(row: dict[str, str], name: str) -> str | None:
    """Return a cell without surrounding spaces, or None when it is empty or missing."""
    value = (row.get(name) or "").strip()
    return value or None


def _clip(value: str, limit: int = 30) -> str:
    """Shorten a cell quoted back in an error, so one huge cell cannot crowd out the other errors."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _int(row: dict[str, str], name: str, where: str) -> int | None:
    """Read a whole-number cell, or None when it is empty."""
    value = _cell(row, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise RaceFileError(f"{where}: column {name} must be a whole number, not '{_clip(value)}'") from None


def _eligible(value: str | None, where: str) -> Eligibility | None:
    """Return a points_eligible cell as recorded: yes, no or disputed; empty or 'unknown' is not recorded."""
    match (value or "").lower():
        case "yes":
            return "yes"
        case "no":
            return "no"
        case "disputed":
            return "disputed"
        case "" | "unknown":
            return None
    raise RaceFileError(f"{where}: points_eligible must be yes, no or disputed, not '{value}'")


def _sourced(name: str, raw: dict[str, Any]) -> SourcedField:
    return SourcedField(name, tuple(raw.get("sources", ())), raw.get("confidence"), raw.get("note"))


RESULT_COLUMNS = (
    "finish",
    "start",
    "car",
    "driver",
    "team",
    "make",
    "sponsor",
    "laps",
    "status",
    "laps_led",
    "points",
    "points_eligible",
    "stage_points",
    "sources",
    "confidence",
    "notes",
)
REQUIRED_RESULT_COLUMNS = ("finish", "car", "driver")
_CAR = re.compile(r"^[0-9A-Za-z]{1,4}$")

# The values each number column can take. A field is at most 250 trucks (the upload limit), no race runs 5,000
# laps and no series awards 500 points in one race: anything past these is a typo, and past 64 bits SQLite
# cannot store it at all.
COUNT_RANGES = {
    "finish": (1, 250),
    "start": (1, 250),
    "laps": (0, 5_000),
    "laps_led": (0, 5_000),
    "points": (0, 500),
    "stage_points": (0, 500),
}
# Longest cell an upload may hold; the longest in the shipped files is under 300.
MAX_CELL = 1_000
# Characters refused in uploaded text: C0 and C1 controls (NUL included), and invisible ones that reorder or hide
# the text around them when Discord shows it (bidi embeddings, overrides, isolates and marks, zero-width spaces,
# line separators). Zero-width joiners stay: scripts and emoji need them.
_INVISIBLE = r"\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_UNSAFE_CHAR = re.compile(rf"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
# Free-text notes may hold tabs and line breaks, as a spreadsheet cell can.
_UNSAFE_NOTE_CHAR = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")


def cell_problem(column: str, value: str) -> str | None:
    """Say why an uploaded cell (or other text a moderator sends) cannot be stored, or return None when it can."""
    if len(value) > MAX_CELL:
        return f"{column} is longer than {MAX_CELL:,} characters"
    found = (_UNSAFE_NOTE_CHAR if column == "notes" else _UNSAFE_CHAR).search(value)
    if found is None:
        return None
    char = found.group()
    if unicodedata.category(char) == "Cc":
        return f"{column} holds U+{ord(char):04X}, a control character; remove it"
    return f"{column} holds U+{ord(char):04X} ({unicodedata.name(char)}), which is invisible; remove it"


def _count(row: dict[str, str], name: str, where: str) -> int | None:
    """Read a number column, refusing values outside what the column can mean."""
    low, high = COUNT_RANGES[name]
    text = _cell(row, name) or ""
    # A run of digits this long is out of range whatever it says (and past 4,300 digits int() will not read it).
    too_long = len(text) > 20 and text.lstrip("+-").isdecimal()
    value = None if too_long else _int(row, name, where)
    if too_long or (value is not None and value > high):
        raise RaceFileError(f"{where}: column {name} is out of range: it must be {low} to {high:,}, not {_clip(text)}")
    if value is not None and value < low:
        raise RaceFileError(f"{where}: column {name} must be at least {low}, not {value}")
    return value


def entry_from_row(row: dict[str, str], where: str, *, upload: bool = True) -> EntryRecord:
    """Check one results row and return it as a record, or raise RaceFileError naming the problem."""
    # Text is checked first, so no error below quotes an unsafe cell back to the moderator.
    for column, value in row.items() if upload else ():
        if problem := cell_problem(column, value):
            raise RaceFileError(f"{where}: {problem}")
    car, driver = _cell(row, "car"), _cell(row, "driver")
    if car is None or driver is None:
        raise RaceFileError(f"{where}: car and driver are required")
    if not _CAR.match(car_key(car)):
        raise RaceFileError(f"{where}: car number '{_clip(car)}' must be 1 to 4 letters or digits, such as 07")
    if len(driver) > 100:
        raise RaceFileError(f"{where}: driver name is longer than 100 characters")
    for name in ("team", "make", "sponsor", "status"):
        if len(_cell(row, name) or "") > 100:
            raise RaceFileError(f"{where}: {name} is longer than 100 characters")
    return EntryRecord(
        finish=_count(row, "finish", where),
        start=_count(row, "start", where),
        car=car_key(car),
        driver=driver,
        team=_cell(row, "team"),
        make=_cell(row, "make"),
        sponsor=_cell(row, "sponsor"),
        laps=_count(row, "laps", where),
        status=_cell(row, "status"),
        laps_led=_count(row, "laps_led", where),
        points=_count(row, "points", where),
        points_eligible=_eligible(_cell(row, "points_eligible"), where),
        stage_points=_count(row, "stage_points", where),
        sources=tuple((_cell(row, "sources") or "").split("|")) if _cell(row, "sources") else (),
        confidence=_cell(row, "confidence"),
        notes=_cell(row, "notes"),
    )


def _header_problem(cells: list[str], *, upload: bool) -> str | None:
    """Say what is wrong with a results header, or return None when it can be read."""
    for cell in cells if upload else ():
        if problem := cell_problem("the header", cell):
            return problem
    columns = [c.strip() for c in cells]
    # A column named twice would leave one of its cells unread, so neither is trusted. (An empty name is left
    # to the unknown-column check below, as it always was.)
    repeated = [(c, n) for c, n in Counter(c for c in columns if c).items() if n > 1]
    if repeated:
        return "; ".join(f"column '{_clip(c)}' appears {'twice' if n == 2 else f'{n} times'}" for c, n in repeated)
    missing = [c for c in REQUIRED_RESULT_COLUMNS if c not in columns]
    if missing:
        return f"the header lacks the column(s) {', '.join(missing)}"
    unknown = [_clip(c) for c in columns if c not in RESULT_COLUMNS]
    if unknown:
        return f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(RESULT_COLUMNS)}"
    return None


def parse_results(
    text: str, name: str = "results.csv", *, upload: bool = True
) -> tuple[tuple[EntryRecord, ...], list[str]]:
    """Check every row of a results CSV; return the good records and one message per bad line."""
    # upload=False is for race folders: their rows come from the data sources and are stored as given, so only
    # uploads are held to the character and cell-length rules.
    # strict: an unclosed quote is an error, not a cell that silently swallows the rest of the file.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    columns: list[str] | None = None
    records: list[EntryRecord] = []
    errors: list[str] = []
    seen: dict[str, dict[str, int]] = {"car": {}, "driver": {}, "finish": {}}
    # The line the next row starts on: a quoted cell may hold line breaks and blank lines are skipped, so rows
    # and lines are counted apart.
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if columns is None:
                if problem := _header_problem(cells, upload=upload):
                    return (), [f"{name}:1: {problem}"]
                columns = [c.strip() for c in cells]
                continue
            if not cells:
                continue
            if len(cells) > len(columns):
                errors.append(f"{name}:{start}: more cells than the header has columns")
                continue
            row = dict(zip_longest(columns, cells, fillvalue=""))
            try:
                record = entry_from_row(row, f"{name}:{start}", upload=upload)
            except RaceFileError as error:
                errors.append(str(error))
                continue
            keys = {"car": record.car, "driver": name_key(record.driver), "finish": str(record.finish)}
            clashes = [k for k, v in keys.items() if v in seen[k] and not (k == "finish" and record.finish is None)]
            if clashes:
                first = seen[clashes[0]][keys[clashes[0]]]
                errors.append(f"{name}:{start}: the same {clashes[0]} as line {first}")
                continue
            for k, v in keys.items():
                seen[k][v] = start
            records.append(record)
    except csv.Error as error:
        # The reader stops at its own limit (131,072 characters) before our 1,000 can be checked.
        too_long = upload and str(error).startswith("field larger than field limit")
        said = f"a cell is longer than {MAX_CELL:,} characters ({error})" if too_long else str(error)
        errors.append(f"{name}:{line}: {said}")
    if columns is None:  # no header at all, or one the reader could not read
        return (), errors or [f"{name}:1: {_header_problem([], upload=upload)}"]
    return tuple(records), errors


def read_results(path: Path) -> tuple[EntryRecord, ...]:
    """Read results.csv, refusing the file at its first bad line."""
    records, errors = parse_results(path.read_text(encoding="utf-8"), path.name, upload=False)
    if errors:
        raise RaceFileError(errors[0])
    return records


def read_stages(path: Path) -> tuple[StageRecord, ...]:
    """Read stages.csv; a missing file means no stage results."""
    if not path.exists():
        return ()
    records = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name}:{line}"
            stage, position = _int(row, "stage", where), _int(row, "position", where)
            if stage is None or position is None:
                raise RaceFileError(f"{where}: stage and position are required")
            car = _cell(row, "car")
            candidates = tuple(car_key(c) for c in (_cell(row, "candidates") or "").split("|") if c.strip())
            if car is None and len(candidates) < 2:
                raise RaceFileError(f"{where}: give a car, or at least two candidates for an unresolved position")
            records.append(
                StageRecord(
                    stage=stage,
                    position=position,
                    car=car_key(car) if car else None,
                    candidates=candidates,
                    points=_int(row, "points", where),
                    confidence=_cell(row, "confidence"),
                    basis=_cell(row, "basis"),
                )
            )
    return tuple(records)


def read_race_dir(folder: Path, aliases: dict[str, tuple[str, ...]] | None = None) -> RaceBundle:
    """Read one race folder, checking it as it goes."""
    try:
        race = json.loads((folder / "race.json").read_text(encoding="utf-8"))
        quotes_raw = (
            json.loads((folder / "quotes.json").read_text(encoding="utf-8"))
            if (folder / "quotes.json").exists()
            else []
        )
    except (OSError, json.JSONDecodeError) as error:
        raise RaceFileError(f"{folder}: {error}") from error
    try:
        track = race["track"]
        bundle = RaceBundle(
            series=race["series"]["name"],
            series_short=race["series"]["short_name"],
            season=int(race["season"]),
            round=int(race["round"]),
            rounds_in_season=race.get("rounds_in_season"),
            name=race["name"],
            track=track["name"],
            location=track.get("location"),
            track_length_miles=track.get("length_miles"),
            surface=track.get("surface"),
            date=dt.date.fromisoformat(race["date"]),
            facts={key: race.get(key) for key in RACE_FACT_KEYS}
            | {"pole": race.get("pole"), "fastest_lap": race.get("fastest_lap")},
            stages=tuple((s["number"], s.get("first_lap"), s.get("last_lap")) for s in race.get("stages", ())),
            entries=read_results(folder / "results.csv"),
            stage_results=read_stages(folder / "stages.csv"),
            moments=tuple(
                MomentRecord(m.get("lap"), m.get("laps_to_go"), m["when"], m["summary"], tuple(m.get("sources", ())))
                for m in race.get("key_moments", ())
            ),
            conflicts=tuple((c["topic"], c["note"]) for c in race.get("conflicts", ())),
            unknown=tuple(_sourced(k, v) for k, v in race.get("unknown", {}).items()),
            field_sources=tuple(_sourced(k, v) for k, v in race.get("field_sources", {}).items()),
            quotes=tuple(
                QuoteRecord(
                    slug=q["id"],
                    speaker=q["speaker"],
                    role=q.get("role"),
                    text=q["text"],
                    context=q.get("context"),
                    source_urls=tuple((s["key"], s["url"]) for s in q.get("sources", ())),
                    confidence=q.get("confidence"),
                )
                for q in quotes_raw
            ),
            sources=dict(race.get("sources", {})),
            aliases=aliases or {},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RaceFileError(f"{folder / 'race.json'}: missing or invalid {error}") from error
    _check_consistency(bundle, folder)
    return bundle


def _check_consistency(bundle: RaceBundle, folder: Path) -> None:
    cars = [e.car for e in bundle.entries]
    if len(set(cars)) != len(cars):
        raise RaceFileError(f"{folder / 'results.csv'}: a car number appears twice")
    known = set(cars)
    for stage in bundle.stage_results:
        for car in (stage.car, *stage.candidates):
            if car is not None and car not in known:
                raise RaceFileError(f"{folder / 'stages.csv'}: stage {stage.stage} names car {car}, not in results.csv")
    for name in ("pole", "fastest_lap"):
        fact = bundle.facts.get(name)
        if fact and fact.get("car") and car_key(fact["car"]) not in known:
            raise RaceFileError(f"{folder / 'race.json'}: {name} names car {fact['car']}, not in results.csv")


def read_aliases(path: Path) -> dict[str, tuple[str, ...]]:
    """Read drivers.csv: one alias a row, keyed by the driver's name."""
    if not path.exists():
        return {}
    aliases: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            driver, alias = _cell(row, "driver"), _cell(row, "alias")
            if driver and alias:
                aliases.setdefault(driver, []).append(alias)
    return {k: tuple(v) for k, v in aliases.items()}


def race_dirs(data_dir: Path) -> list[Path]:
    """Return the race folders under data_dir, oldest name first."""
    return sorted(p for p in data_dir.iterdir() if (p / "race.json").is_file()) if data_dir.is_dir() else []
