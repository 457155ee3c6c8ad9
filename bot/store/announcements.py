"""Announcements: which servers want new races, what each was told, and the automated posts that stopped."""

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import aiosqlite

from bot.store.database import StoreBase
from bot.store.imports import first_import_key
from bot.store.loading import audit
from bot.store.models import Announcement, DueAnnouncement, PostStop, RecapVersion

__all__ = ["MOD_NOTICE", "PIT_BOARD", "RESULTS", "Announcements", "first_import_key", "parse_round"]

RESULTS = "results"  # the "results are in" card, in the recap channel
MOD_NOTICE = "mod-notice"  # Pit Board's notices in the moderators' channel
PIT_BOARD = None  # the audit log's user for what Pit Board did itself


def parse_round(value: str | None) -> tuple[int, int] | None:
    """Return (season, round) from a first_import_key value ('2025:25'), or None when there is none or it is garbled."""
    if not value:
        return None
    season, _, round_ = value.partition(":")
    try:
        return int(season), int(round_)
    except ValueError:
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _announcement(row: aiosqlite.Row) -> Announcement:
    return Announcement(
        guild_id=row["guild_id"],
        race_id=row["race_id"],
        kind=row["kind"],
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        recap_version=row["recap_version"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        shown=row["shown"],
    )


class Announcements(StoreBase):
    """What announcing new races to servers reads and writes; every change a server's moderators made is audited."""

    # --- settings ---------------------------------------------------------------------------------------------

    async def set_announce(self, guild_id: int, user_id: int, *, on: bool) -> None:
        """Turn announcements on or off; turning them on records the newest shared race of each series stored now.

        Turning them on also lifts every stopped kind of post: it is how moderators say they fixed what failed.
        Turning them on while on keeps the watermarks, so races that arrived meanwhile are still announced.
        """
        async with self._transaction() as conn:
            query = "SELECT announce FROM guild_settings WHERE guild_id = ?"
            async with conn.execute(query, (guild_id,)) as cursor:
                row = await cursor.fetchone()
            was_on = bool(row and row["announce"])
            query = """
                INSERT INTO guild_settings (guild_id, announce, announce_since, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET announce = excluded.announce,
                    announce_since = CASE WHEN guild_settings.announce = 1 AND excluded.announce = 1
                                          THEN guild_settings.announce_since ELSE excluded.announce_since END,
                    updated_at = excluded.updated_at
            """
            now = _now()
            await conn.execute(query, (guild_id, int(on), now if on else None, now))
            if on and not was_on:
                await conn.execute("DELETE FROM announce_watermarks WHERE guild_id = ?", (guild_id,))
                query = """
                    INSERT INTO announce_watermarks (guild_id, series, season, round)
                    SELECT ?, se.short_name, newest.year, newest.round
                    FROM series se
                    JOIN (SELECT sn.series_id, sn.year, r.round,
                                 row_number() OVER (PARTITION BY sn.series_id ORDER BY sn.year DESC, r.round DESC) AS n
                          FROM races r JOIN seasons sn ON sn.id = r.season_id
                          WHERE r.owner_guild_id IS NULL) newest ON newest.series_id = se.id AND newest.n = 1
                """
                await conn.execute(query, (guild_id,))
            if on:
                await conn.execute("DELETE FROM post_stops WHERE guild_id = ?", (guild_id,))
            said = "announcements turned on" if on else "announcements turned off"
            if on and was_on:
                said = "announcements turned on again (they were on; stopped posts resume)"
            await audit(conn, guild_id, user_id, "settings", said)
        self._changed("guild", guild_id)

    async def set_mod_channel(self, guild_id: int, user_id: int, channel_id: int | None, *, detail: str) -> None:
        """Set or clear the moderators' channel; setting it lifts a stop on notices there."""
        async with self._transaction() as conn:
            query = """
                INSERT INTO guild_settings (guild_id, mod_channel_id, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET mod_channel_id = excluded.mod_channel_id,
                                                     updated_at = excluded.updated_at
            """
            await conn.execute(query, (guild_id, channel_id, _now()))
            query = "DELETE FROM post_stops WHERE guild_id = ? AND kind = ?"
            await conn.execute(query, (guild_id, MOD_NOTICE))
            await audit(conn, guild_id, user_id, "settings", detail)
        self._changed("guild", guild_id)

    async def followed_series(self, guild_id: int) -> tuple[str, ...]:
        """Return the series codes a server chose to follow; () when it never chose (every series the bot follows)."""
        query = "SELECT series FROM guild_series WHERE guild_id = ? ORDER BY series"
        return tuple(r["series"] for r in await self._fetchall(query, (guild_id,)))

    async def set_followed_series(self, guild_id: int, user_id: int, series: Sequence[str], *, detail: str) -> None:
        """Replace the series a server follows; () goes back to every series the bot follows."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM guild_series WHERE guild_id = ?", (guild_id,))
            query = "INSERT INTO guild_series (guild_id, series) VALUES (?, ?)"
            await conn.executemany(query, [(guild_id, code) for code in series])
            await audit(conn, guild_id, user_id, "settings", detail)
        self._changed("guild", guild_id)

    async def post_stops(self, guild_id: int) -> list[PostStop]:
        """Return the kinds of automated post stopped in a server, and why."""
        query = "SELECT * FROM post_stops WHERE guild_id = ? ORDER BY kind"
        return [
            PostStop(r["guild_id"], r["kind"], r["channel_id"], r["reason"], dt.datetime.fromisoformat(r["stopped_at"]))
            for r in await self._fetchall(query, (guild_id,))
        ]

    # --- the announcer's pass ---------------------------------------------------------------------------------

    async def due_announcements(
        self, follow: Mapping[str, tuple[int, int] | None], kind: str = RESULTS
    ) -> list[DueAnnouncement]:
        """Return the shared races each server with announcements on is due a post of this kind about, oldest first.

        follow maps each series the bot follows to the newest round its first whole-history import brought (None:
        none recorded). A server gets the races of the series it follows (all of follow when it never chose), after
        its watermark and after that first import, that it has no announcement of this kind for; a server whose
        posts of this kind stopped, or that has no recap channel, gets none.
        """
        series = json.dumps([[code, *(through or (None, None))] for code, through in follow.items()])
        query = """
            WITH followed (series, season, round) AS (
                SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
                FROM json_each(:follow)
            ),
            wanting AS (
                SELECT g.guild_id, g.recap_channel_id, g.mod_channel_id FROM guild_settings g
                WHERE g.announce = 1 AND g.recap_channel_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM post_stops s WHERE s.guild_id = g.guild_id AND s.kind = :kind)
            )
            SELECT w.guild_id, w.recap_channel_id, w.mod_channel_id, r.id AS race_id, f.series, sn.year, r.round
            FROM wanting w
            JOIN followed f ON NOT EXISTS (SELECT 1 FROM guild_series gs WHERE gs.guild_id = w.guild_id)
                            OR EXISTS (SELECT 1 FROM guild_series gs WHERE gs.guild_id = w.guild_id
                                                                      AND gs.series = f.series)
            JOIN series se ON se.short_name = f.series
            JOIN seasons sn ON sn.series_id = se.id
            JOIN races r ON r.season_id = sn.id AND r.owner_guild_id IS NULL
            LEFT JOIN announce_watermarks m ON m.guild_id = w.guild_id AND m.series = f.series
            WHERE (m.season IS NULL OR (sn.year, r.round) > (m.season, m.round))
              AND (f.season IS NULL OR (sn.year, r.round) > (f.season, f.round))
              AND NOT EXISTS (SELECT 1 FROM announcements a
                              WHERE a.guild_id = w.guild_id AND a.race_id = r.id AND a.kind = :kind)
            ORDER BY w.guild_id, f.series, sn.year, r.round
        """
        rows = await self._fetchall(query, {"follow": series, "kind": kind})
        return [
            DueAnnouncement(
                r["guild_id"],
                r["race_id"],
                r["series"],
                r["year"],
                r["round"],
                r["recap_channel_id"],
                r["mod_channel_id"],
            )
            for r in rows
        ]

    async def pass_over_history(self, guild_id: int, series: str, newest: tuple[int, int], count: int) -> None:
        """Move a server's watermark of a series to newest without announcing the races before it, and say so.

        For a pass that finds a whole history due at once (loaded without the first-import mark): announcing it
        would post a card per race ever run.
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO announce_watermarks (guild_id, series, season, round) VALUES (?, ?, ?, ?)
                ON CONFLICT (guild_id, series) DO UPDATE SET season = excluded.season, round = excluded.round
            """
            await conn.execute(query, (guild_id, series, *newest))
            detail = (
                f"{count} {series} races arrived at once, up to {newest[0]} round {newest[1]}: a history being "
                "loaded, not races being run, so none of them was announced"
            )
            await audit(conn, guild_id, PIT_BOARD, "announcement", detail)

    async def claim_announcement(self, guild_id: int, race_id: int, kind: str, channel_id: int) -> bool:
        """Record that a post about the race is going out; return False if one was already claimed (never post it).

        The claim is committed before anything is posted, so no crash or second pass can post it twice.
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO announcements (guild_id, race_id, kind, status, channel_id, created_at)
                VALUES (?, ?, ?, 'pending', ?, ?)
                ON CONFLICT (guild_id, race_id, kind) DO NOTHING
            """
            cursor = await conn.execute(query, (guild_id, race_id, kind, channel_id, _now()))
            return cursor.rowcount == 1

    async def announcement_sent(
        self,
        guild_id: int,
        race_id: int,
        kind: str,
        message_id: int,
        *,
        headline: str,
        body: str,
        author_id: int,
        shown: str | None = None,
        official: bool = False,
    ) -> RecapVersion:
        """Mark the post sent and save the generated recap as a draft version by Pit Board, together.

        shown is what the card shows (its results version and status), so a change edits it. official: the draft
        was written from official results, so it is the race's official draft too (none is saved again).
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO recap_versions (guild_id, race_id, version, headline, body, author_id, created_at)
                VALUES (?, ?, (SELECT coalesce(max(version), 0) + 1 FROM recap_versions
                               WHERE guild_id = ? AND race_id = ?), ?, ?, ?, ?)
                RETURNING *
            """
            now = _now()
            params = (guild_id, race_id, guild_id, race_id, headline, body, author_id, now)
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the inserted row
            query = """
                UPDATE announcements SET status = 'sent', message_id = ?, recap_version = ?, sent_at = ?, shown = ?
                WHERE guild_id = ? AND race_id = ? AND kind = ?
            """
            await conn.execute(query, (message_id, row["version"], now, shown, guild_id, race_id, kind))
            if official:
                query = """
                    INSERT INTO announcements (guild_id, race_id, kind, status, recap_version, created_at, sent_at)
                    VALUES (?, ?, 'official-draft', 'sent', ?, ?, ?)
                    ON CONFLICT (guild_id, race_id, kind) DO NOTHING
                """
                await conn.execute(query, (guild_id, race_id, row["version"], now, now))
            detail = f"announced race {race_id} and saved a draft recap as version {row['version']}"
            await audit(conn, guild_id, PIT_BOARD, "announcement", detail)
        return RecapVersion(
            id=row["id"],
            guild_id=guild_id,
            race_id=race_id,
            version=row["version"],
            headline=row["headline"],
            body=row["body"],
            author_id=row["author_id"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            reverted_from=None,
            discarded=False,
        )

    async def announcement_failed(self, guild_id: int, race_id: int, kind: str, *, retry: bool) -> None:
        """Record that a claimed post failed: forgotten when retry (nothing was posted), else kept as failed."""
        async with self._transaction() as conn:
            if retry:
                query = (
                    "DELETE FROM announcements WHERE guild_id = ? AND race_id = ? AND kind = ? AND status = 'pending'"
                )
            else:
                query = "UPDATE announcements SET status = 'failed' WHERE guild_id = ? AND race_id = ? AND kind = ?"
            await conn.execute(query, (guild_id, race_id, kind))

    async def stop_posts(self, guild_id: int, kind: str, channel_id: int | None, reason: str) -> bool:
        """Stop a kind of automated post in a server and note why in its audit log; False if it was stopped already.

        Only the first failure is reported: the stop holds until a moderator fixes its cause.
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO post_stops (guild_id, kind, channel_id, reason, stopped_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, kind) DO NOTHING
            """
            cursor = await conn.execute(query, (guild_id, kind, channel_id, reason, _now()))
            if cursor.rowcount != 1:
                return False
            await audit(conn, guild_id, PIT_BOARD, "automated post stopped", reason)
        self._changed("guild", guild_id)
        return True

    async def announcement(self, guild_id: int, race_id: int, kind: str = RESULTS) -> Announcement | None:
        """Return a server's post of this kind about a race, if one was claimed."""
        query = "SELECT * FROM announcements WHERE guild_id = ? AND race_id = ? AND kind = ?"
        row = await self._fetchone(query, (guild_id, race_id, kind))
        return _announcement(row) if row is not None else None

    async def announcements(self, guild_id: int) -> list[Announcement]:
        """Return a server's automated posts, oldest first."""
        query = "SELECT * FROM announcements WHERE guild_id = ? ORDER BY id"
        return [_announcement(r) for r in await self._fetchall(query, (guild_id,))]
