"""Small key-value facts about the bot itself, such as the last synced command set."""

from collections.abc import Mapping

from bot.store.database import StoreBase


class MetaValues(StoreBase):
    """Read and write the meta table."""

    async def meta_value(self, key: str) -> str | None:
        """Return the value stored under key, if any."""
        row = await self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    async def set_meta_value(self, key: str, value: str) -> None:
        """Store value under key, replacing what was there."""
        async with self._transaction() as conn:
            query = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            await conn.execute(query, (key, value))

    async def set_meta_values(self, values: Mapping[str, str]) -> None:
        """Store each value under its key in one transaction, replacing what was there."""
        async with self._transaction() as conn:
            query = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            await conn.executemany(query, list(values.items()))
