"""Database maintenance behind `python -m bot db …`: seed, check and backup."""

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.racefiles import race_dirs, read_aliases, read_race_dir
from bot.store import Store, StoreError

log = logging.getLogger(__name__)

COUNTED_TABLES = (
    "series",
    "seasons",
    "tracks",
    "races",
    "drivers",
    "driver_aliases",
    "teams",
    "entries",
    "stage_results",
    "stage_candidates",
    "key_moments",
    "race_notes",
    "quotes",
    "sources",
    "fact_sources",
)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What `db check` found."""

    integrity: list[str]
    foreign_key_problems: int
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        """Return whether the database passed both checks."""
        return self.integrity == ["ok"] and self.foreign_key_problems == 0


async def seed(store: Store, data_dir: Path) -> list[str]:
    """Load every race folder under data_dir that is not stored yet; return what was loaded."""
    aliases = read_aliases(data_dir / "drivers.csv")
    loaded = []
    for folder in race_dirs(data_dir):
        bundle = read_race_dir(folder, aliases)
        if await store.add_race_bundle(bundle) is not None:
            loaded.append(f"{bundle.season} {bundle.name}")
    return loaded


async def verify(store: Store, path: Path) -> None:
    """Refuse a damaged database before anyone is served from it."""
    found = await store.quick_check()
    if found != ["ok"]:
        raise StoreError(
            f"{path} is damaged ({found[0]}); it was left untouched. Restore a copy made with "
            "`python -m bot db backup`, or move it away to start afresh."
        )


async def check(store: Store) -> CheckReport:
    """Run SQLite's integrity and foreign-key checks and count each table's rows."""
    return CheckReport(
        await store.integrity_check(), await store.foreign_key_problems(), await store.table_counts(COUNTED_TABLES)
    )
