"""Database maintenance behind `python -m bot db …`: seed, check and backup."""

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.racefiles import race_dirs, read_aliases, read_race_dir
from bot.store import Store, StoreReadOnlyError
from bot.store.records import RaceBundle
from bot.store.upkeep import damaged

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 20  # integrity problems `db check` lists; the count it prints covers them all

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

    integrity: list[str]  # ["ok"], or one problem a line
    foreign_key_problems: int | None  # None: the damage the integrity check found stopped this check
    counts: dict[str, int | None]  # None: damage made that table unreadable

    @property
    def ok(self) -> bool:
        """Return whether the database passed both checks."""
        return self.integrity == ["ok"] and self.foreign_key_problems == 0

    def lines(self) -> list[str]:
        """Return the report as `db check` prints it: each check's outcome, its problems, then the row counts."""
        if self.integrity == ["ok"]:
            lines = ["integrity_check: ok"]
        else:
            lines = [f"integrity_check: {len(self.integrity)} problem(s)"]
            lines += [f"  {problem}" for problem in self.integrity[:SHOWN_PROBLEMS]]
            if len(self.integrity) > SHOWN_PROBLEMS:
                lines.append(f"  … and {len(self.integrity) - SHOWN_PROBLEMS} more")
        fk = self.foreign_key_problems
        lines.append(
            "foreign_key_check: not run (the damage stops it)" if fk is None else f"foreign_key_check: {fk} problem(s)"
        )
        lines += [f"{table}: {'unreadable' if count is None else count}" for table, count in self.counts.items()]
        return lines

    def failure(self, path: Path) -> str | None:
        """Return one line saying which check failed on path, how often, and what to do; None when both passed."""
        if self.integrity != ["ok"]:
            return str(damaged(path, "integrity_check", self.integrity))
        if self.foreign_key_problems:
            return (
                f"{path}: foreign_key_check found {self.foreign_key_problems} row(s) pointing at rows that do not "
                "exist."
            )
        return None


async def seed(store: Store, data_dir: Path) -> list[str]:
    """Load every race folder under data_dir that is not stored yet; return what was loaded."""
    aliases = read_aliases(data_dir / "drivers.csv")
    loaded = []
    for folder in race_dirs(data_dir):
        bundle = read_race_dir(folder, aliases)
        try:
            race_id = await store.add_race_bundle(bundle)
        except StoreReadOnlyError:
            # A read-only file that holds the race already needs nothing written: only a missing race is an error.
            if not await _is_stored(store, bundle):
                raise
            continue
        if race_id is not None:
            loaded.append(f"{bundle.season} {bundle.name}")
    return loaded


async def _is_stored(store: Store, bundle: RaceBundle) -> bool:
    """Return whether the store holds the bundle's race (its series, season and round), reading only."""
    series = next((s for s in await store.all_series() if s.short_name == bundle.series_short), None)
    races = await store.race_summaries(series_id=series.id, season=bundle.season) if series else []
    return any(race.round == bundle.round for race in races)


async def check(store: Store) -> CheckReport:
    """Run SQLite's integrity and foreign-key checks and count each table's rows, reporting damage, not raising."""
    return CheckReport(
        await store.integrity_check(), await store.foreign_key_problems(), await store.row_counts(COUNTED_TABLES)
    )
