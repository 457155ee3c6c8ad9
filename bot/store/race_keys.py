"""The node's races and drivers by the natural keys every process agrees on, for the PostgreSQL server data.

A race's row id in this file is this node's own; (series, season, round) and, for an upload, the server that made
it name the same race on every node. A driver is named by NASCAR's driver id where the feed gave one, and always by
the name's key.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.database import StoreBase

RACE_KEY_COLUMNS = """
    r.id, se.short_name AS series, sn.year AS season, r.round, r.owner_guild_id AS owner
    FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
"""


@dataclass(frozen=True, slots=True)
class RaceKey:
    """A race as every node names it: series code, season, round, and the server that uploaded it (None: shared)."""

    series: str
    season: int
    round: int
    owner: int | None = None

    @property
    def upload(self) -> bool:
        """Return whether this is a server's own upload rather than Pit Board's shared race."""
        return self.owner is not None

    @property
    def label(self) -> str:
        """Return the race for an audit line, such as 'truck 2025 round 3' or 'truck 2025 round 3 (upload)'."""
        return f"{self.series} {self.season} round {self.round}" + (" (upload)" if self.upload else "")


@dataclass(frozen=True, slots=True)
class DriverKey:
    """A driver as every node names them: NASCAR's id where known, and the name's key."""

    nascar_id: int | None
    name_key: str


class RaceKeyReads(StoreBase):
    """Reads of the node's races and drivers by their natural keys."""

    async def race_key(self, race_id: int) -> RaceKey | None:
        """Return the natural key of the race with this node's id, or None when there is no such race."""
        query = f"SELECT {RACE_KEY_COLUMNS} WHERE r.id = ?"
        row = await self._fetchone(query, (race_id,))
        return RaceKey(row["series"], row["season"], row["round"], row["owner"]) if row else None

    async def race_id_by_key(self, key: RaceKey) -> int | None:
        """Return this node's id of the race with that natural key, or None when this node holds no such race."""
        query = """
            SELECT r.id FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE se.short_name = ? AND sn.year = ? AND r.round = ? AND r.owner_guild_id IS ?
        """
        row = await self._fetchone(query, (key.series, key.season, key.round, key.owner))
        return int(row[0]) if row else None

    async def race_name(self, race_id: int) -> str | None:
        """Return the name of the race with this node's id, or None when there is no such race."""
        row = await self._fetchone("SELECT name FROM races WHERE id = ?", (race_id,))
        return str(row["name"]) if row else None

    async def shared_race_keys(self, series: Sequence[str]) -> list[tuple[int, RaceKey]]:
        """Return (id, key) of every shared race of these series, by series, season and round."""
        marks = ", ".join("?" * len(series))
        query = f"""
            SELECT {RACE_KEY_COLUMNS}
            WHERE r.owner_guild_id IS NULL AND se.short_name IN ({marks})
            ORDER BY se.short_name, sn.year, r.round
        """
        return [(r["id"], RaceKey(r["series"], r["season"], r["round"])) for r in await self._fetchall(query, series)]

    async def newest_shared_rounds(self) -> dict[str, tuple[int, int]]:
        """Return, per series code, the (season, round) of the newest shared race stored."""
        query = """
            SELECT se.short_name AS series, newest.year, newest.round
            FROM series se
            JOIN (SELECT sn.series_id, sn.year, r.round,
                         row_number() OVER (PARTITION BY sn.series_id ORDER BY sn.year DESC, r.round DESC) AS n
                  FROM races r JOIN seasons sn ON sn.id = r.season_id
                  WHERE r.owner_guild_id IS NULL) newest ON newest.series_id = se.id AND newest.n = 1
        """
        return {r["series"]: (r["year"], r["round"]) for r in await self._fetchall(query)}

    async def driver_key(self, driver_id: int) -> DriverKey | None:
        """Return the natural key of the driver with this node's id, or None when there is no such driver."""
        query = """
            SELECT d.name_key, (SELECT min(n.nascar_id) FROM nascar_drivers n WHERE n.driver_id = d.id) AS nascar_id
            FROM drivers d WHERE d.id = ?
        """
        row = await self._fetchone(query, (driver_id,))
        return DriverKey(row["nascar_id"], row["name_key"]) if row else None

    async def driver_id_by_key(self, key: DriverKey) -> int | None:
        """Return this node's id of the driver with that natural key, or None when this node holds no such driver.

        NASCAR's id finds the driver first; the name's key finds one the feed never named (or a server's own).
        """
        query = """
            SELECT coalesce((SELECT driver_id FROM nascar_drivers WHERE nascar_id = :nascar),
                            (SELECT id FROM drivers WHERE name_key = :key)) AS id
        """
        row = await self._fetchone(query, {"nascar": key.nascar_id, "key": key.name_key})
        return int(row["id"]) if row and row["id"] is not None else None
