"""Opening a test's store as the bot does: with what servers write in the SQLite file, or in PostgreSQL."""

from pathlib import Path

from bot.store import Store, open_store
from bot.store.postgres.race_keys import SqliteRaceKeys
from bot.store.postgres.server_data import open_server_data


async def open_test_store(path: Path, server_data_url: str | None) -> Store:
    """Open the store on path, sending what servers write to PostgreSQL when given its URL (as DATABASE_URL does)."""
    store = await open_store(path)
    if server_data_url is not None:
        try:
            store.use_server_data(
                await open_server_data(server_data_url, SqliteRaceKeys(store), node=store, max_size=3)
            )
        except BaseException:
            await store.close()
            raise
    return store
