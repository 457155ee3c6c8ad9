"""The project's own race folder (race.json, results.csv, stages.csv, quotes.json, drivers.csv) written from the store.

Loading an exported folder into an empty store gives the same race back: every fact, source link, note and quote
the store holds. What the store never held (race.json's 'archive', a quote's 'note') is not in the export.
"""

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.racefiles import RACE_FACT_KEYS, RESULT_COLUMNS, RaceBundle, RaceFileError, read_aliases, read_race_dir
from bot.store import Store
from bot.store.imports import FactLink
from bot.store.models import Eligibility, Entry, StageResult

FILES = ("race.json", "results.csv", "stages.csv", "quotes.json", "drivers.csv")
STAGE_COLUMNS = ("stage", "position", "car", "driver", "candidates", "points", "confidence", "basis")


class ExportRefusedError(Exception):
    """The race cannot be exported as asked; the message says why."""


def _csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue()


def _eligible(value: Eligibility | None) -> str:
    """Return a points_eligible cell: yes, no or disputed, and empty when not recorded."""
    return value or ""


def _sourced(links: Sequence[FactLink]) -> dict[str, Any]:
    """Return a race.json 'sources/confidence/note' object for the links of one field."""
    sourced: dict[str, Any] = {"sources": [link.key for link in links], "confidence": links[0].confidence}
    if links[0].note is not None:
        sourced["note"] = links[0].note
    return sourced


async def race_folder_files(store: Store, race_id: int) -> dict[str, str]:
    """Return file name -> text of a stored race's folder."""
    race = await store.race(race_id)
    extras = await store.race_extras(race_id)
    if race is None or extras is None:
        raise ExportRefusedError(f"No race #{race_id} is stored.")
    if extras.owner_guild_id is not None:
        raise ExportRefusedError(f"Race #{race_id} is one server's own upload, not Pit Board's shared data.")
    entries = await store.entries(race_id)
    by_id = {entry.id: entry for entry in entries}
    links = await store.fact_links(race_id)
    grouped: dict[tuple[str, int, str], list[FactLink]] = {}
    for link in links:
        grouped.setdefault((link.subject, link.subject_id, link.field), []).append(link)
    moment_ids = await store.key_moment_ids(race_id)
    quotes = await store.race_quotes(race_id)
    sources = await store.source_descriptions(list(dict.fromkeys(link.key for link in links)))

    pole: dict[str, Any] | None = None
    if race.pole_entry_id is not None or race.pole_time_s is not None or race.pole_speed_mph is not None:
        pole_entry = by_id.get(race.pole_entry_id) if race.pole_entry_id is not None else None
        pole = {"car": pole_entry.car_number, "driver": pole_entry.driver} if pole_entry else {}
        pole |= {"time_s": race.pole_time_s, "speed_mph": race.pole_speed_mph}
    fastest = None
    if race.fastest_lap_driver or race.fastest_lap_s or race.fastest_lap_mph:
        fastest = {"driver": race.fastest_lap_driver, "time_s": race.fastest_lap_s, "speed_mph": race.fastest_lap_mph}
    notes = await store.race_notes(race_id)
    document: dict[str, Any] = {
        "series": {"name": race.series, "short_name": race.series_short},
        "season": race.season,
        "round": race.round,
        "rounds_in_season": race.rounds_in_season,
        "name": race.name,
        "track": {
            "name": race.track,
            "location": race.location,
            "length_miles": race.track_length_miles,
            "surface": extras.track_surface,
        },
        "date": race.date.isoformat(),
    }
    if extras.date_precision != "day":
        document["date_precision"] = extras.date_precision  # only the year is known; 'date' holds 1 January
    document["curated"] = extras.curated
    document |= {key: getattr(race, key) for key in RACE_FACT_KEYS}
    document |= {
        "stages": [{"number": s.number, "first_lap": s.first_lap, "last_lap": s.last_lap} for s in race.stages],
        "pole": pole,
        "fastest_lap": fastest,
        "key_moments": [
            {
                "lap": m.lap,
                "laps_to_go": m.laps_to_go,
                "when": m.when,
                "summary": m.summary,
                "sources": [link.key for link in grouped.get(("key_moments", moment_ids[m.ordinal], ""), [])],
            }
            for m in await store.key_moments(race_id)
        ],
        "conflicts": [{"topic": n.topic, "note": n.text} for n in notes if n.kind == "conflict"],
        "sources": sources,
        "field_sources": {
            field: _sourced(field_links) for (subject, _, field), field_links in grouped.items() if subject == "races"
        },
        "unknown": {n.topic: {"note": n.text} for n in notes if n.kind == "unknown"},
    }
    quote_documents = []
    for quote in quotes:
        keys = [link.key for link in grouped.get(("quotes", quote.id, ""), [])]
        urls = [_quote_url(quote.source_url, sources.get(key), first=n == 0) or "" for n, key in enumerate(keys)]
        quote_documents.append(
            {
                "id": quote.slug or f"quote-{quote.id}",
                "speaker": quote.speaker,
                "role": quote.role,
                "text": quote.text,
                "context": quote.context,
                "sources": [{"key": key, "url": url} for key, url in zip(keys, urls, strict=True)],
                "confidence": quote.confidence,
            }
        )
    names = {entry.driver for entry in entries} | ({race.fastest_lap_driver} if race.fastest_lap_driver else set())
    aliases = [
        (driver.name, alias)
        for driver in await store.drivers()
        if driver.name in names
        for alias in sorted(driver.aliases)
        if alias != driver.name
    ]
    return {
        "race.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        "results.csv": _csv(RESULT_COLUMNS, [_result_row(entry, grouped) for entry in entries]),
        "stages.csv": _csv(STAGE_COLUMNS, [_stage_row(stage) for stage in await store.stage_results(race_id)]),
        "quotes.json": json.dumps(quote_documents, indent=2, ensure_ascii=False) + "\n",
        "drivers.csv": _csv(("driver", "alias"), sorted(aliases)),
    }


def _quote_url(stored: str | None, description: str | None, *, first: bool) -> str | None:
    """Return a quote source's URL: the store keeps only the first one, so its source's fuller text when it matches."""
    if not first:
        return description
    if description and stored and description.split(" ")[0] == stored:
        return description
    return stored or ""


def _result_row(entry: Entry, grouped: dict[tuple[str, int, str], list[FactLink]]) -> list[object]:
    links = grouped.get(("entries", entry.id, ""), [])
    return [
        entry.finish,
        entry.start,
        entry.car_number,
        entry.driver,
        entry.team,
        entry.make,
        entry.sponsor,
        entry.laps,
        entry.status,
        entry.laps_led,
        entry.points,
        _eligible(entry.points_eligible),
        entry.stage_points,
        "|".join(link.key for link in links),
        links[0].confidence if links else None,
        entry.notes,
    ]


def _stage_row(stage: StageResult) -> list[object]:
    car = stage.entry.car_number if stage.entry else None
    driver = stage.entry.driver if stage.entry else None
    candidates = "|".join(c.car_number for c in stage.candidates)
    return [stage.stage, stage.position, car, driver, candidates, stage.points, stage.confidence, stage.basis]


def write_folder(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write a race folder's files into a new or empty folder; refuse one that already holds files."""
    if folder.exists() and any(folder.iterdir()):
        raise ExportRefusedError(f"{folder} is not empty; export into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


async def export_race(store: Store, race_id: int, folder: Path) -> list[Path]:
    """Write a stored race's folder (race.json, results.csv, stages.csv, quotes.json, drivers.csv)."""
    return write_folder(folder, await race_folder_files(store, race_id))


def read_folder(folder: Path, data_dir: Path | None = None) -> tuple[RaceBundle, bool, str]:
    """Read a race folder; return the bundle, whether it is curated, and how precise its date is.

    Aliases come from the folder's drivers.csv, else from data_dir's.
    """
    own = folder / "drivers.csv"
    aliases = read_aliases(own if own.exists() or data_dir is None else data_dir / "drivers.csv")
    bundle = read_race_dir(folder, aliases)
    document = json.loads((folder / "race.json").read_text(encoding="utf-8"))
    precision = document.get("date_precision", "day")
    if precision not in ("day", "season"):
        raise RaceFileError(f"{folder / 'race.json'}: date_precision must be day or season, not '{precision}'")
    return bundle, bool(document.get("curated", True)), precision


async def import_race_folder(store: Store, folder: Path, data_dir: Path | None = None) -> int | None:
    """Store a race folder's race; return its id, or None when that race is already stored."""
    bundle, curated, precision = read_folder(folder, data_dir)
    return await store.add_race_bundle(bundle, curated=curated, date_precision=precision)
