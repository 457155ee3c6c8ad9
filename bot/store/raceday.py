"""Race-day posts: each server's settings, the pre-race cards posted, and the feed races their results cards follow."""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from bot.store.database import StoreBase
from bot.store.loading import audit
from bot.store.models import RecapVersion

PRE_RACE = "pre-race"  # the card some hours before a race's start
OFFICIAL_DRAFT = "official-draft"  # the draft recap saved once a race's results are official
DEFAULT_HOURS_BEFORE = 2
PIT_BOARD = None  # the audit log's user for what Pit Board did itself


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC) if text else None


@dataclass(frozen=True, slots=True)
class RaceDaySettings:
    """One server's race-day posts as its moderators set them (off, with the defaults, when never set)."""

    guild_id: int
    enabled: bool = False
    channel_id: int | None = None  # None: the recap channel
    hours_before: int = DEFAULT_HOURS_BEFORE
    ping: bool = False  # the pre-race card pings the server's ping role
    thread: bool = False  # the pre-race card opens a thread for the race
    since: dt.datetime | None = None  # when race-day posts were last turned on


@dataclass(frozen=True, slots=True)
class RaceDayServer:
    """A server with race-day posts on, with what posting there needs from its other settings."""

    settings: RaceDaySettings
    channel_id: int | None  # where the posts go: race-day's channel, else the recap channel (None: neither set)
    ping_role_id: int | None
    mod_channel_id: int | None

    @property
    def guild_id(self) -> int:
        """Return the server's id."""
        return self.settings.guild_id


@dataclass(frozen=True, slots=True)
class RaceDayPost:
    """One pre-race card: claimed, sent or failed, where, and the start it shows."""

    guild_id: int
    nascar_race_id: int
    kind: str
    status: Literal["pending", "sent", "failed"]
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    shown_start: dt.datetime | None


@dataclass(frozen=True, slots=True)
class FeedRaceState:
    """A shared race stored from NASCAR's feed, as far as its results have come."""

    race_id: int
    series: str  # the series code
    season: int
    round: int
    start: dt.datetime | None  # the start the feed gave (UTC); None: not given
    results_status: str  # 'provisional' or 'official'
    version: int | None  # the latest results version
    first_results_at: dt.datetime | None  # when the feed's first results of it were stored


def _settings(row: aiosqlite.Row) -> RaceDaySettings:
    return RaceDaySettings(
        guild_id=row["guild_id"],
        enabled=bool(row["enabled"]),
        channel_id=row["channel_id"],
        hours_before=row["hours_before"],
        ping=bool(row["ping"]),
        thread=bool(row["thread"]),
        since=_instant(row["since"]),
    )


class RaceDayStore(StoreBase):
    """What race-day posts read and write; every change a server's moderators made is audited."""

    async def race_day_settings(self, guild_id: int) -> RaceDaySettings:
        """Return a server's race-day settings (off, with the defaults, when it never set them)."""
        query = "SELECT * FROM race_day WHERE guild_id = ?"
        row = await self._fetchone(query, (guild_id,))
        return _settings(row) if row is not None else RaceDaySettings(guild_id)

    async def set_race_day(self, settings: RaceDaySettings, user_id: int, *, detail: str) -> RaceDaySettings:
        """Store a server's race-day settings and audit who changed them; return them as stored.

        Turning them on (from off) records when, and turning them on at all lifts a stop on race-day posts: it is
        how moderators say they fixed the channel that failed.
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO race_day (guild_id, enabled, channel_id, hours_before, ping, thread, since, updated_at)
                VALUES (:guild, :enabled, :channel, :hours, :ping, :thread, :now, :now)
                ON CONFLICT (guild_id) DO UPDATE SET
                    since = CASE WHEN race_day.enabled = 1 AND excluded.enabled = 1 THEN race_day.since
                                 WHEN excluded.enabled = 1 THEN excluded.since ELSE race_day.since END,
                    enabled = excluded.enabled, channel_id = excluded.channel_id,
                    hours_before = excluded.hours_before, ping = excluded.ping, thread = excluded.thread,
                    updated_at = excluded.updated_at
                RETURNING *
            """
            params = {
                "guild": settings.guild_id,
                "enabled": int(settings.enabled),
                "channel": settings.channel_id,
                "hours": settings.hours_before,
                "ping": int(settings.ping),
                "thread": int(settings.thread),
                "now": _now(),
            }
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the row
            if settings.enabled:
                query = "DELETE FROM post_stops WHERE guild_id = ? AND kind IN ('results', ?)"
                await conn.execute(query, (settings.guild_id, PRE_RACE))
            await audit(conn, settings.guild_id, user_id, "settings", detail)
        self._changed("guild", settings.guild_id)
        return _settings(row)

    async def race_day_servers(self, guild_id: int | None = None) -> list[RaceDayServer]:
        """Return every server (or guild_id only) with race-day posts on: its channel, ping role and mods' channel."""
        query = """
            SELECT rd.*, coalesce(rd.channel_id, g.recap_channel_id) AS post_channel_id, g.ping_role_id,
                   g.mod_channel_id
            FROM race_day rd LEFT JOIN guild_settings g ON g.guild_id = rd.guild_id
            WHERE rd.enabled = 1 AND (:guild IS NULL OR rd.guild_id = :guild) ORDER BY rd.guild_id
        """
        return [
            RaceDayServer(_settings(r), r["post_channel_id"], r["ping_role_id"], r["mod_channel_id"])
            for r in await self._fetchall(query, {"guild": guild_id})
        ]

    # --- pre-race cards --------------------------------------------------------------------------------------

    async def race_day_post(self, guild_id: int, nascar_race_id: int, kind: str = PRE_RACE) -> RaceDayPost | None:
        """Return a server's post of this kind about a scheduled race, if one was claimed."""
        query = "SELECT * FROM race_day_posts WHERE guild_id = ? AND nascar_race_id = ? AND kind = ?"
        row = await self._fetchone(query, (guild_id, nascar_race_id, kind))
        if row is None:
            return None
        return RaceDayPost(
            guild_id=row["guild_id"],
            nascar_race_id=row["nascar_race_id"],
            kind=row["kind"],
            status=row["status"],
            channel_id=row["channel_id"],
            message_id=row["message_id"],
            thread_id=row["thread_id"],
            shown_start=_instant(row["shown_start"]),
        )

    async def claim_race_day_post(self, guild_id: int, nascar_race_id: int, kind: str, channel_id: int) -> bool:
        """Record that a post about a scheduled race is going out; False if one was claimed already (never post).

        The claim is committed before anything is posted, so no crash or second pass can post it twice.
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO race_day_posts (guild_id, nascar_race_id, kind, status, channel_id, created_at)
                VALUES (?, ?, ?, 'pending', ?, ?)
                ON CONFLICT (guild_id, nascar_race_id, kind) DO NOTHING
            """
            cursor = await conn.execute(query, (guild_id, nascar_race_id, kind, channel_id, _now()))
            return cursor.rowcount == 1

    async def race_day_post_sent(
        self,
        guild_id: int,
        nascar_race_id: int,
        kind: str,
        *,
        message_id: int,
        thread_id: int | None,
        shown_start: dt.datetime | None,
        detail: str,
    ) -> None:
        """Mark a claimed post sent, with its message, the thread it opened and the start it shows; audit it."""
        async with self._transaction() as conn:
            query = """
                UPDATE race_day_posts SET status = 'sent', message_id = ?, thread_id = ?, shown_start = ?, sent_at = ?
                WHERE guild_id = ? AND nascar_race_id = ? AND kind = ?
            """
            shown = _iso(shown_start) if shown_start else None
            await conn.execute(query, (message_id, thread_id, shown, _now(), guild_id, nascar_race_id, kind))
            await audit(conn, guild_id, PIT_BOARD, "race day", detail)

    async def race_day_post_moved(self, guild_id: int, nascar_race_id: int, kind: str, start: dt.datetime) -> None:
        """Record the start a posted card shows now that it was edited to a moved start."""
        async with self._transaction() as conn:
            query = "UPDATE race_day_posts SET shown_start = ? WHERE guild_id = ? AND nascar_race_id = ? AND kind = ?"
            await conn.execute(query, (_iso(start), guild_id, nascar_race_id, kind))

    async def race_day_post_failed(self, guild_id: int, nascar_race_id: int, kind: str, *, retry: bool) -> None:
        """Record that a claimed post failed: forgotten when retry (nothing was posted), else kept as failed."""
        async with self._transaction() as conn:
            if retry:
                query = """
                    DELETE FROM race_day_posts
                    WHERE guild_id = ? AND nascar_race_id = ? AND kind = ? AND status = 'pending'
                """
            else:
                query = (
                    "UPDATE race_day_posts SET status = 'failed' WHERE guild_id = ? AND nascar_race_id = ? AND kind = ?"
                )
            await conn.execute(query, (guild_id, nascar_race_id, kind))

    # --- results cards and the official draft ----------------------------------------------------------------

    async def feed_races_since(self, series: Sequence[str], after: dt.datetime) -> list[FeedRaceState]:
        """Return the shared races of these series stored from NASCAR's feed that started after `after`."""
        query = """
            SELECT r.id, se.short_name AS series, sn.year, r.round, r.start_utc, r.results_status,
                   (SELECT max(v.version) FROM result_versions v WHERE v.race_id = r.id) AS version,
                   (SELECT min(v.fetched_at) FROM result_versions v WHERE v.race_id = r.id) AS first_results_at
            FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE r.feed_race_id IS NOT NULL AND r.owner_guild_id IS NULL
              AND se.short_name IN (SELECT value FROM json_each(:series))
              AND coalesce(r.start_utc, r.arrived_at) >= :after
            ORDER BY coalesce(r.start_utc, r.arrived_at), r.id
        """
        rows = await self._fetchall(query, {"series": json.dumps(list(series)), "after": _iso(after)})
        return [
            FeedRaceState(
                r["id"],
                r["series"],
                r["year"],
                r["round"],
                _instant(r["start_utc"]),
                r["results_status"],
                r["version"],
                _instant(r["first_results_at"]),
            )
            for r in rows
        ]

    async def set_announcement_shown(self, guild_id: int, race_id: int, kind: str, shown: str) -> None:
        """Record what a posted card shows now that it was edited."""
        async with self._transaction() as conn:
            query = "UPDATE announcements SET shown = ? WHERE guild_id = ? AND race_id = ? AND kind = ?"
            await conn.execute(query, (shown, guild_id, race_id, kind))

    async def save_official_draft(
        self, guild_id: int, race_id: int, *, headline: str, body: str, author_id: int
    ) -> RecapVersion | None:
        """Save the recap written from a race's official results as a draft version by Pit Board, once per server.

        Return None when it was saved already (or the results card's draft was written from official results).
        """
        async with self._transaction() as conn:
            query = """
                INSERT INTO announcements (guild_id, race_id, kind, status, created_at, sent_at)
                VALUES (?, ?, ?, 'sent', ?, ?)
                ON CONFLICT (guild_id, race_id, kind) DO NOTHING
            """
            now = _now()
            cursor = await conn.execute(query, (guild_id, race_id, OFFICIAL_DRAFT, now, now))
            if cursor.rowcount != 1:
                return None
            query = """
                INSERT INTO recap_versions (guild_id, race_id, version, headline, body, author_id, created_at)
                VALUES (?, ?, (SELECT coalesce(max(version), 0) + 1 FROM recap_versions
                               WHERE guild_id = ? AND race_id = ?), ?, ?, ?, ?)
                RETURNING *
            """
            params = (guild_id, race_id, guild_id, race_id, headline, body, author_id, now)
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the inserted row
            query = "UPDATE announcements SET recap_version = ? WHERE guild_id = ? AND race_id = ? AND kind = ?"
            await conn.execute(query, (row["version"], guild_id, race_id, OFFICIAL_DRAFT))
            detail = (
                f"race {race_id} is official: saved a draft recap from the official results as version {row['version']}"
            )
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
