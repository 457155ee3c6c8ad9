"""What servers write, in PostgreSQL: the pool, the schema's migrations, and change notices between processes."""

from bot.store.postgres.database import MIGRATION_LOCK, connect_pool, migrate
from bot.store.postgres.notify import CHANNEL, ChangeFeed

__all__ = ["CHANNEL", "MIGRATION_LOCK", "ChangeFeed", "connect_pool", "migrate"]
