"""The project's per-race data folder (race.json, results.csv, stages.csv, quotes.json) read into plain records."""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

from bot.names import car_key, name_key
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
    value = (row.get(name) or "").strip()
    return value or None


def _int(row: dict[str, str], name: str, where: str) -> int | None:
    value = _cell(row, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise RaceFileError(f"{where}: column {name} must be a whole number, not '{value}'") from None


def _eligible(value: str | None, where: str) -> bool | None:
    match (value or "").lower():
        case "yes":
            return True
        case "no":
            return False
        case "" | "disputed" | "unknown":
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


def _count(row: dict[str, str], name: str, where: str, *, minimum: int = 0) -> int | None:
    value = _int(row, name, where)
    if value is not None and value < minimum:
        raise RaceFileError(f"{where}: column {name} must be at least {minimum}, not {value}")
    return value


def entry_from_row(row: dict[str, str], where: str) -> EntryRecord:
    """Check one results row and return it as a record, or raise RaceFileError naming the problem."""
    car, driver = _cell(row, "car"), _cell(row, "driver")
    if car is None or driver is None:
        raise RaceFileError(f"{where}: car and driver are required")
    if not _CAR.match(car_key(car)):
        raise RaceFileError(f"{where}: car number '{car}' must be 1 to 4 letters or digits, such as 07")
    if len(driver) > 100:
        raise RaceFileError(f"{where}: driver name is longer than 100 characters")
    for name in ("team", "make", "sponsor", "status"):
        if len(_cell(row, name) or "") > 100:
            raise RaceFileError(f"{where}: {name} is longer than 100 characters")
    return EntryRecord(
        finish=_count(row, "finish", where, minimum=1),
        start=_count(row, "start", where, minimum=1),
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


def parse_results(text: str, name: str = "results.csv") -> tuple[tuple[EntryRecord, ...], list[str]]:
    """Check every row of a results CSV; return the good records and one message per bad line."""
    # strict: an unclosed quote is an error, not a cell that silently swallows the rest of the file.
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
    except csv.Error as error:
        return (), [f"{name}:1: {error}"]
    missing = [c for c in REQUIRED_RESULT_COLUMNS if c not in columns]
    if missing:
        return (), [f"{name}:1: the header lacks the column(s) {', '.join(missing)}"]
    unknown = [c for c in columns if c not in RESULT_COLUMNS]
    if unknown:
        return (), [f"{name}:1: unknown column(s) {', '.join(unknown)}; the columns are {', '.join(RESULT_COLUMNS)}"]
    records: list[EntryRecord] = []
    errors: list[str] = []
    seen: dict[str, dict[str, int]] = {"car": {}, "driver": {}, "finish": {}}
    try:
        for line, raw in enumerate(reader, start=2):
            if None in raw:
                errors.append(f"{name}:{line}: more cells than the header has columns")
                continue
            row = {k.strip(): v for k, v in raw.items() if k is not None}
            try:
                record = entry_from_row(row, f"{name}:{line}")
            except RaceFileError as error:
                errors.append(str(error))
                continue
            keys = {"car": record.car, "driver": name_key(record.driver), "finish": str(record.finish)}
            clashes = [k for k, v in keys.items() if v in seen[k] and not (k == "finish" and record.finish is None)]
            if clashes:
                first = seen[clashes[0]][keys[clashes[0]]]
                errors.append(f"{name}:{line}: the same {clashes[0]} as line {first}")
                continue
            for k, v in keys.items():
                seen[k][v] = line
            records.append(record)
    except csv.Error as error:
        errors.append(f"{name}:{reader.line_num}: {error}")
    return tuple(records), errors


def read_results(path: Path) -> tuple[EntryRecord, ...]:
    """Read results.csv, refusing the file at its first bad line."""
    records, errors = parse_results(path.read_text(encoding="utf-8"), path.name)
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
