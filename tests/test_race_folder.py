"""Race folders out of the store and back in: an exported race loads into an empty store as the same race."""

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import build_parser
from bot.config import PROJECT_ROOT
from bot.importers import commands
from bot.importers.nascar_data import parse_history
from bot.importers.race_folder import ExportRefusedError, export_race, import_race_folder, race_folder_files
from bot.store import Store, open_store
from tests.conftest import DATA_DIR
from tests.history_data import history_csv


@pytest.fixture
async def other_store(tmp_path: Path) -> AsyncIterator[Store]:
    """Yield a second, empty store (the store fixture is the seeded empty_store)."""
    other = await open_store(tmp_path / "other.db")
    yield other
    await other.close()


async def snapshot(store: Store, race_id: int) -> dict[str, Any]:
    """Return everything the store holds about one race, with row ids replaced by what they point at."""
    race = await store.race(race_id)
    assert race is not None
    entries = await store.entries(race_id)
    cars = {entry.id: entry.car_number for entry in entries}

    def entry_facts(entry: Any) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(entry).items() if k not in ("id", "race_id", "driver_id")}

    links = [
        (
            link.subject,
            cars[link.subject_id] if link.subject == "entries" else "",
            link.field,
            link.key,
            link.confidence,
            link.note,
        )
        for link in await store.fact_links(race_id)
    ]
    race_facts = dataclasses.asdict(race)
    race_facts["pole_entry_id"] = cars.get(race.pole_entry_id or 0)
    del race_facts["id"]
    del race_facts["arrived_at"]  # when this store got the race, not a fact of the race
    quotes = [dataclasses.replace(q, id=0) for q in await store.race_quotes(race_id)]
    keys = sorted({link[3] for link in links})
    drivers = {entry.driver for entry in entries}
    return {
        "race": race_facts,
        "extras": await store.race_extras(race_id),
        "entries": [entry_facts(e) for e in entries],
        "stages": [
            (
                s.stage,
                s.position,
                s.entry.car_number if s.entry else None,
                [c.car_number for c in s.candidates],
                s.points,
                s.confidence,
                s.basis,
            )
            for s in await store.stage_results(race_id)
        ],
        "moments": await store.key_moments(race_id),
        "notes": await store.race_notes(race_id),
        "links": links,
        "sources": await store.source_descriptions(keys),
        "quotes": quotes,
        "aliases": sorted((d.name, sorted(d.aliases)) for d in await store.drivers() if d.name in drivers),
    }


async def homestead_id(store: Store) -> int:
    found = await store.race_exists("NASCAR Craftsman Truck Series", 2025, 4)
    assert found is not None
    return found


async def test_homestead_round_trips_through_an_empty_store(store: Store, other_store: Store, tmp_path: Path):
    original = await homestead_id(store)
    await export_race(store, original, tmp_path / "out")
    copy = await import_race_folder(other_store, tmp_path / "out")
    assert copy is not None
    assert await snapshot(other_store, copy) == await snapshot(store, original)
    # …and exporting the copy writes the very same files.
    assert await race_folder_files(other_store, copy) == await race_folder_files(store, original)


async def test_the_export_keeps_what_the_curated_folder_says(store: Store, tmp_path: Path):
    files = await race_folder_files(store, await homestead_id(store))
    shipped = (DATA_DIR / "homestead-2025" / "results.csv").read_text(encoding="utf-8")
    assert files["results.csv"].splitlines()[:3] == shipped.splitlines()[:3]
    assert "1,2,07,Kyle Larson,,0,one source + consistent derivation" in files["stages.csv"]
    assert files["drivers.csv"] == "driver,alias\nGiovanni Ruggiero,Gio Ruggiero\n"
    assert '"url": "https://inkl.com/news/kyle-larson-recovers-from-spin-to-win-homestead-truck-race-in-stunning-' \
        'comeback (republished Motorsport.com story)"' in files["quotes.json"]  # fmt: skip


async def test_an_imported_history_race_round_trips_too(store: Store, other_store: Store, tmp_path: Path):
    history = parse_history(io.StringIO(history_csv().only(2024)), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    original = await store.race_exists("NASCAR Craftsman Truck Series", 2024, 5)
    assert original is not None
    await export_race(store, original, tmp_path / "martinsville")
    copy = await import_race_folder(other_store, tmp_path / "martinsville")
    assert copy is not None
    assert await snapshot(other_store, copy) == await snapshot(store, original)
    extras = await other_store.race_extras(copy)
    assert extras is not None and (extras.date_precision, extras.curated) == ("season", False)


async def test_loading_a_folder_twice_changes_nothing(other_store: Store):
    assert await import_race_folder(other_store, DATA_DIR / "homestead-2025", DATA_DIR) is not None
    assert await import_race_folder(other_store, DATA_DIR / "homestead-2025", DATA_DIR) is None
    assert len(await other_store.race_summaries()) == 1


async def test_export_refuses_a_folder_with_files_and_a_server_upload(store: Store, tmp_path: Path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ExportRefusedError, match="is not empty"):
        await export_race(store, await homestead_id(store), folder)
    assert sorted(folder.glob("*")) == [folder / "notes.txt"]
    with pytest.raises(ExportRefusedError, match="No race #999"):
        await race_folder_files(store, 999)


async def run_cli(store: Store, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await commands.run(
        store, build_parser().parse_args(argv), data_dir=PROJECT_ROOT / "data", out=out, err=err
    )
    return status, out.getvalue(), err.getvalue()


async def test_cli_export_and_import(store: Store, other_store: Store, tmp_path: Path):
    status, out, _ = await run_cli(store, "export", "race", "truck/2025/4", str(tmp_path / "hs"))
    assert (status, out) == (
        0,
        f"Wrote race.json, results.csv, stages.csv, quotes.json, drivers.csv to {tmp_path / 'hs'}\n",
    )
    status, out, _ = await run_cli(other_store, "import", "race", str(tmp_path / "hs"))
    assert status == 0 and out.startswith("Loaded race #")
    status, out, _ = await run_cli(other_store, "import", "race", str(tmp_path / "hs"))
    assert (status, out) == (0, "That race is already stored; nothing changed.\n")
    status, _, err = await run_cli(store, "export", "race", "cup/1999/3", str(tmp_path / "none"))
    assert (status, err) == (1, "No race cup/1999/3 is stored.\n")
    status, _, err = await run_cli(store, "export", "race", "Baptist Health", str(tmp_path / "by-name"))
    assert status == 0, err
    (tmp_path / "broken").mkdir()
    status, _, err = await run_cli(other_store, "import", "race", str(tmp_path / "broken"))
    assert status == 2 and err.startswith("Nothing was stored:")
