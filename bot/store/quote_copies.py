"""The node's copies of the quotes servers added when PostgreSQL holds them: written as they are there, never edited.

With DATABASE_URL set, a server's quotes live in PostgreSQL (guild_quotes), but fans' reads (/quote, a race's
quotes, the moderators' list of their own) read the node's quotes table. So each node keeps a copy of every such
quote, written only by bot.store.postgres.mirror and keyed by its PostgreSQL id (server_quote_id, migration 0014):
copying a quote twice writes it once, and a quote removed there is removed here. A copy's own id is the node's, and
that is the number fans and moderators see here, as with races (PgServerData.remove_guild_quote takes it).
"""

import datetime as dt
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.store.database import StoreBase, StoreError


@dataclass(frozen=True, slots=True)
class QuoteCopy:
    """One server's quote as PostgreSQL holds it, its race and driver named by the node's ids."""

    server_quote_id: int
    guild_id: int
    race_id: int
    driver_id: int | None
    speaker: str
    text: str
    context: str | None
    source_url: str
    added_by: int
    created_at: dt.datetime


class QuoteCopies(StoreBase):
    """Writing and listing the node's copies of servers' quotes."""

    async def quote_copy_ids(self, guild_id: int | None = None) -> dict[int, int]:
        """Return PostgreSQL id -> node id of every quote copy the node holds, of one server or (None) of all."""
        query = """
            SELECT server_quote_id, id FROM quotes
            WHERE server_quote_id IS NOT NULL AND (:guild IS NULL OR guild_id = :guild)
        """
        return {r[0]: r[1] for r in await self._fetchall(query, {"guild": guild_id})}

    async def quote_copy_id(self, guild_id: int, quote_id: int) -> int | None:
        """Return the PostgreSQL id of the node's quote quote_id when it is a copy of this server's, else None."""
        query = "SELECT server_quote_id FROM quotes WHERE id = ? AND guild_id = ? AND server_quote_id IS NOT NULL"
        row = await self._fetchone(query, (quote_id, guild_id))
        return int(row[0]) if row else None

    async def sync_quote_copies(
        self, copies: Sequence[QuoteCopy], present: Collection[int], guild_id: int | None = None
    ) -> dict[int, int]:
        """Write the copies the node lacks and drop those of quotes no longer present; return PostgreSQL id -> node id.

        present is every PostgreSQL id of the server's quotes (every server's when guild_id is None), copied or not:
        a quote whose race the node does not hold yet has no copy, and is not dropped for it.
        """
        query = """
            SELECT server_quote_id, id, guild_id FROM quotes
            WHERE server_quote_id IS NOT NULL AND (:guild IS NULL OR guild_id = :guild)
        """
        touched: set[int] = set()
        async with self._transaction() as conn:
            async with conn.execute(query, {"guild": guild_id}) as cursor:
                held = {row[0]: (int(row[1]), int(row[2])) for row in await cursor.fetchall()}
            for server_id, (_, owner) in held.items():
                if server_id not in present:
                    await conn.execute("DELETE FROM quotes WHERE server_quote_id = ?", (server_id,))
                    touched.add(owner)
            ids = {server_id: node_id for server_id, (node_id, _) in held.items() if server_id in present}
            query = """
                INSERT INTO quotes (race_id, driver_id, speaker, role, text, context, source_url, confidence,
                                    added_by, guild_id, created_at, server_quote_id)
                VALUES (?, ?, ?, NULL, ?, ?, ?, 'added by a moderator', ?, ?, ?, ?)
                RETURNING id
            """
            for copy in copies:
                if copy.server_quote_id in ids:
                    continue
                params = (
                    copy.race_id,
                    copy.driver_id,
                    copy.speaker,
                    copy.text,
                    copy.context,
                    copy.source_url,
                    copy.added_by,
                    copy.guild_id,
                    copy.created_at.astimezone(dt.UTC).isoformat(),
                    copy.server_quote_id,
                )
                async with conn.execute(query, params) as cursor:
                    row = await cursor.fetchone()
                assert row is not None  # RETURNING always yields the inserted row
                ids[copy.server_quote_id] = int(row[0])
                touched.add(copy.guild_id)
        for owner in sorted(touched):
            self._changed("quotes", owner)
        return ids

    @asynccontextmanager
    async def linking_quote_copies(self, links: Mapping[int, int]) -> AsyncIterator[None]:
        """Make the file's own quotes (node id -> PostgreSQL id) the node's copies of them, committed after the block.

        For moving servers' data to PostgreSQL (bot.store.postgres.move): the caller commits PostgreSQL inside the
        block, so the links are kept only when the quotes they name were, and an error leaves every quote as it was.
        """
        async with self._transaction() as conn:
            # Cleared first: a link left from another database may hold an id one of these quotes now takes.
            await conn.executemany("UPDATE quotes SET server_quote_id = NULL WHERE id = ?", [(n,) for n in links])
            query = "UPDATE quotes SET server_quote_id = ? WHERE id = ? AND guild_id IS NOT NULL"
            for node_id, server_id in links.items():
                cursor = await conn.execute(query, (server_id, node_id))
                if cursor.rowcount != 1:
                    raise StoreError(f"quote {node_id} is no server's quote in this file; nothing was moved.")
            yield
