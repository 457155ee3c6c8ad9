"""Translating this node's race and driver ids to the natural keys PostgreSQL stores, and back."""

from collections.abc import Sequence
from typing import Protocol

from bot.store.race_keys import DriverKey, RaceKey, RaceKeyReads


class RaceKeys(Protocol):
    """What the PostgreSQL server data needs to know of the node's own race store."""

    async def key_of(self, race_id: int) -> RaceKey | None:
        """Return the natural key of the node's race race_id, or None when the node holds no such race."""
        ...

    async def id_of(self, key: RaceKey) -> int | None:
        """Return the node's id of the race with this key, or None when the node holds no such race (yet)."""
        ...

    async def name_of(self, race_id: int) -> str | None:
        """Return the name of the node's race race_id, or None when the node holds no such race."""
        ...

    async def shared_races(self, series: Sequence[str]) -> list[tuple[int, RaceKey]]:
        """Return (node id, key) of every shared race of these series, in series, season and round order."""
        ...

    async def newest_shared(self) -> dict[str, tuple[int, int]]:
        """Return, per series code, the (season, round) of the newest shared race the node holds."""
        ...

    async def driver_key_of(self, driver_id: int) -> DriverKey | None:
        """Return the natural key of the node's driver driver_id, or None when the node holds no such driver."""
        ...

    async def driver_id_of(self, key: DriverKey) -> int | None:
        """Return the node's id of the driver with this key, or None when the node holds no such driver."""
        ...


class SqliteRaceKeys:
    """RaceKeys read from the node's SQLite race store."""

    def __init__(self, store: RaceKeyReads) -> None:
        self._store = store

    async def key_of(self, race_id: int) -> RaceKey | None:
        """Return the natural key of the node's race race_id, or None when the node holds no such race."""
        return await self._store.race_key(race_id)

    async def id_of(self, key: RaceKey) -> int | None:
        """Return the node's id of the race with this key, or None when the node holds no such race (yet)."""
        return await self._store.race_id_by_key(key)

    async def name_of(self, race_id: int) -> str | None:
        """Return the name of the node's race race_id, or None when the node holds no such race."""
        return await self._store.race_name(race_id)

    async def shared_races(self, series: Sequence[str]) -> list[tuple[int, RaceKey]]:
        """Return (node id, key) of every shared race of these series, in series, season and round order."""
        return await self._store.shared_race_keys(series)

    async def newest_shared(self) -> dict[str, tuple[int, int]]:
        """Return, per series code, the (season, round) of the newest shared race the node holds."""
        return await self._store.newest_shared_rounds()

    async def driver_key_of(self, driver_id: int) -> DriverKey | None:
        """Return the natural key of the node's driver driver_id, or None when the node holds no such driver."""
        return await self._store.driver_key(driver_id)

    async def driver_id_of(self, key: DriverKey) -> int | None:
        """Return the node's id of the driver with this key, or None when the node holds no such driver."""
        return await self._store.driver_id_by_key(key)
