"""Per-server moderator data: settings, recap versions and posts, quotes, corrections and the audit log."""

import datetime as dt

import aiosqlite

from bot.names import car_key
from bot.store.loading import RaceLoading, audit, season_id_for, series_id_for, upload_track_id_for
from bot.store.models import (
    AuditEntry,
    Correction,
    GuildSettings,
    ImportOutcome,
    PublishedRecap,
    RecapPost,
    RecapVersion,
)
from bot.store.records import EntryRecord


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _version(row: aiosqlite.Row) -> RecapVersion:
    return RecapVersion(
        id=row["id"],
        guild_id=row["guild_id"],
        race_id=row["race_id"],
        version=row["version"],
        headline=row["headline"],
        body=row["body"],
        author_id=row["author_id"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        reverted_from=row["reverted_from"],
        discarded=row["discarded_at"] is not None,
    )


def _post(row: aiosqlite.Row) -> RecapPost:
    return RecapPost(
        guild_id=row["guild_id"],
        race_id=row["race_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        version=row["version"],
        published_by=row["published_by"],
        published_at=dt.datetime.fromisoformat(row["published_at"]),
    )


class ResultsRefusedError(Exception):
    """The race cannot take this change; the message says why."""


class Moderation(RaceLoading):
    """What moderators write, always scoped to one server."""

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """Return a server's settings (defaults when it never changed any)."""
        query = "SELECT * FROM guild_settings WHERE guild_id = ?"
        row = await self._fetchone(query, (guild_id,))
        if row is None:
            return GuildSettings(guild_id, None, None, None, 0)
        since = row["announce_since"]
        return GuildSettings(
            guild_id,
            row["recap_channel_id"],
            row["mod_role_id"],
            row["ping_role_id"],
            row["spoiler_hours"],
            announce=bool(row["announce"]),
            announce_since=dt.datetime.fromisoformat(since) if since else None,
            mod_channel_id=row["mod_channel_id"],
            notify=bool(row["notify"]),
        )

    async def update_guild_settings(
        self, guild_id: int, user_id: int, *, setting: str, value: int | None, detail: str
    ) -> GuildSettings:
        """Change one setting (a column of guild_settings) and record who did it."""
        columns = {"recap_channel_id", "mod_role_id", "ping_role_id", "spoiler_hours", "notify"}
        if setting not in columns:
            raise ValueError(f"unknown setting {setting}")
        async with self._transaction() as conn:
            query = f"""
                INSERT INTO guild_settings (guild_id, {setting}, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET {setting} = excluded.{setting}, updated_at = excluded.updated_at
            """  # noqa: S608 - the column name is checked against a fixed set above
            await conn.execute(query, (guild_id, value if value is not None else None, _now()))
            if setting == "recap_channel_id":
                # Choosing the recap channel again is how moderators say they fixed the cards that failed there.
                await conn.execute("DELETE FROM post_stops WHERE guild_id = ? AND kind = 'results'", (guild_id,))
            await audit(conn, guild_id, user_id, "settings", detail)
        self._changed("guild", guild_id)
        return await self.guild_settings(guild_id)

    async def add_recap_version(
        self, guild_id: int, race_id: int, *, headline: str, body: str, author_id: int, reverted_from: int | None = None
    ) -> RecapVersion:
        """Save a new version of a server's recap of a race; earlier versions stay as they were."""
        async with self._transaction() as conn:
            query = """
                INSERT INTO recap_versions (guild_id, race_id, version, headline, body, author_id, created_at,
                                            reverted_from)
                VALUES (?, ?, (SELECT coalesce(max(version), 0) + 1 FROM recap_versions
                               WHERE guild_id = ? AND race_id = ?), ?, ?, ?, ?, ?)
                RETURNING *
            """
            params = (guild_id, race_id, guild_id, race_id, headline, body, author_id, _now(), reverted_from)
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the inserted row
            saved = _version(row)
            action = f"reverted to version {reverted_from} as" if reverted_from else "saved"
            await audit(conn, guild_id, author_id, "recap", f"{action} version {saved.version} of race {race_id}")
        return saved

    async def recap_versions(self, guild_id: int, race_id: int) -> list[RecapVersion]:
        """Return every version of a server's recap of a race, newest first."""
        query = "SELECT * FROM recap_versions WHERE guild_id = ? AND race_id = ? ORDER BY version DESC"
        return [_version(r) for r in await self._fetchall(query, (guild_id, race_id))]

    async def recap_version(self, guild_id: int, race_id: int, version: int | None = None) -> RecapVersion | None:
        """Return one version, or the latest that was not discarded when version is None."""
        query = """
            SELECT * FROM recap_versions
            WHERE guild_id = ? AND race_id = ? AND (? IS NULL AND discarded_at IS NULL OR version = ?)
            ORDER BY version DESC LIMIT 1
        """
        row = await self._fetchone(query, (guild_id, race_id, version, version))
        return _version(row) if row else None

    async def discard_recap_version(self, guild_id: int, race_id: int, version: int, user_id: int) -> bool:
        """Mark a draft discarded (it stays in the history); return False if it was published or is unknown."""
        async with self._transaction() as conn:
            query = """
                UPDATE recap_versions SET discarded_at = ?
                WHERE guild_id = ? AND race_id = ? AND version = ? AND discarded_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM recap_posts p WHERE p.guild_id = recap_versions.guild_id
                                  AND p.race_id = recap_versions.race_id AND p.version = recap_versions.version)
            """
            cursor = await conn.execute(query, (_now(), guild_id, race_id, version))
            if cursor.rowcount == 0:
                return False
            await audit(conn, guild_id, user_id, "recap", f"discarded version {version} of race {race_id}")
        return True

    async def recap_post(self, guild_id: int, race_id: int) -> RecapPost | None:
        """Return where this server's recap of the race was posted, if it was."""
        query = "SELECT * FROM recap_posts WHERE guild_id = ? AND race_id = ?"
        row = await self._fetchone(query, (guild_id, race_id))
        return _post(row) if row else None

    async def record_recap_post(
        self,
        *,
        guild_id: int,
        race_id: int,
        channel_id: int,
        message_id: int,
        thread_id: int | None,
        version: int,
        user_id: int,
        edited: bool,
    ) -> RecapPost:
        """Remember the message a recap lives in (replacing an older one) and record the action."""
        async with self._transaction() as conn:
            query = """
                INSERT INTO recap_posts (guild_id, race_id, channel_id, message_id, thread_id, version, published_by,
                                         published_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, race_id) DO UPDATE SET
                    channel_id = excluded.channel_id, message_id = excluded.message_id,
                    thread_id = coalesce(excluded.thread_id, recap_posts.thread_id),
                    version = excluded.version, published_by = excluded.published_by,
                    published_at = excluded.published_at
                RETURNING *
            """
            params = (guild_id, race_id, channel_id, message_id, thread_id, version, user_id, _now())
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the upserted row
            verb = "edited the post of" if edited else "published"
            await audit(conn, guild_id, user_id, "publish", f"{verb} version {version} of race {race_id}")
        self._changed("guild", guild_id)
        return _post(row)

    async def published_recap(self, race_id: int, guild_id: int) -> PublishedRecap | None:
        """Return the recap this server published for the race, as fans should see it."""
        query = """
            SELECT v.headline, v.body, v.author_id, v.version, p.published_at
            FROM recap_posts p
            JOIN recap_versions v ON v.guild_id = p.guild_id AND v.race_id = p.race_id AND v.version = p.version
            WHERE p.guild_id = ? AND p.race_id = ?
        """
        row = await self._fetchone(query, (guild_id, race_id))
        if row is None:
            return None
        published_at = dt.datetime.fromisoformat(row["published_at"])
        return PublishedRecap(row["headline"], row["body"], row["author_id"], row["version"], published_at)

    async def add_guild_quote(
        self,
        *,
        guild_id: int,
        race_id: int,
        driver_id: int | None,
        speaker: str,
        text: str,
        context: str | None,
        source_url: str,
        author_id: int,
    ) -> int:
        """Add a quote visible in this server only, attributed to the moderator; return its id."""
        async with self._transaction() as conn:
            query = """
                INSERT INTO quotes (race_id, driver_id, speaker, role, text, context, source_url, confidence,
                                    added_by, guild_id, created_at)
                VALUES (?, ?, ?, NULL, ?, ?, ?, 'added by a moderator', ?, ?, ?)
                RETURNING id
            """
            params = (race_id, driver_id, speaker, text, context, source_url, author_id, guild_id, _now())
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the inserted row
            await audit(conn, guild_id, author_id, "quote", f"added quote #{row[0]} by {speaker}")
        self._changed("quotes", guild_id)
        return int(row[0])

    async def remove_guild_quote(self, guild_id: int, quote_id: int, user_id: int) -> str | None:
        """Delete a quote this server added; return its speaker, or None if it has no such quote."""
        async with self._transaction() as conn:
            query = "DELETE FROM quotes WHERE id = ? AND guild_id = ? RETURNING speaker"
            async with conn.execute(query, (quote_id, guild_id)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await audit(conn, guild_id, user_id, "quote", f"removed quote #{quote_id} by {row[0]}")
        self._changed("quotes", guild_id)
        return str(row[0])

    async def corrections(self, race_id: int) -> list[Correction]:
        """Return the corrections made to a race's results, oldest first."""
        query = "SELECT * FROM corrections WHERE race_id = ? ORDER BY id"
        return [
            Correction(
                r["id"],
                r["race_id"],
                r["author_id"],
                r["summary"],
                r["reason"],
                dt.datetime.fromisoformat(r["created_at"]),
            )
            for r in await self._fetchall(query, (race_id,))
        ]

    async def audit_entries(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        """Return a server's latest audit entries, moderators' actions and Pit Board's notices, newest first."""
        query = "SELECT * FROM audit_log WHERE guild_id = ? ORDER BY id DESC LIMIT ?"
        return [
            AuditEntry(r["id"], r["user_id"], r["action"], r["detail"], dt.datetime.fromisoformat(r["created_at"]))
            for r in await self._fetchall(query, (guild_id, limit))
        ]

    async def import_guild_results(
        self,
        *,
        guild_id: int,
        user_id: int,
        series: tuple[str, str],
        season: int,
        round_: int,
        name: str,
        track: str,
        date: dt.date,
        entries: tuple[EntryRecord, ...],
    ) -> ImportOutcome:
        """Store a server's uploaded results as a provisional race only it sees, all or nothing.

        The upload is the server's own: it never takes the shared race's place, and every server may upload the
        same round. Uploading the same round again replaces the entries of the server's own provisional race,
        keeping its recaps; a shared or official race is never touched.
        """
        async with self._transaction() as conn:
            series_id = await series_id_for(conn, *series)
            season_id = await season_id_for(conn, series_id, season, None)
            query = "SELECT name FROM races WHERE season_id = ? AND round = ? AND owner_guild_id IS NULL"
            async with conn.execute(query, (season_id, round_)) as cursor:
                shared = await cursor.fetchone()
            if shared is not None:
                # Fans here would see the shared race of that round, never the upload (bot.store.races.REPLACED_UPLOAD).
                raise ResultsRefusedError(
                    f"Pit Board already has the shared results of {season} round {round_} of this series "
                    f"({shared['name']}), and this server's fans see those; an upload of that round would never "
                    "be shown."
                )
            query = "SELECT id, results_status FROM races WHERE season_id = ? AND round = ? AND owner_guild_id = ?"
            async with conn.execute(query, (season_id, round_, guild_id)) as cursor:
                existing = await cursor.fetchone()
            track_id = await upload_track_id_for(conn, track)
            if existing is None:
                query = """
                    INSERT INTO races (season_id, round, name, track_id, race_date, results_status, curated,
                                       owner_guild_id)
                    VALUES (?, ?, ?, ?, ?, 'provisional', 0, ?) RETURNING id
                """
                async with conn.execute(query, (season_id, round_, name, track_id, date.isoformat(), guild_id)) as cur:
                    row = await cur.fetchone()
                assert row is not None  # RETURNING always yields the inserted row
                race_id, replaced = int(row[0]), False
            elif existing["results_status"] == "official":
                raise ResultsRefusedError(
                    "Those results are official already; record a change with /manage results correct instead."
                )
            else:
                race_id, replaced = int(existing["id"]), True
                await conn.execute("DELETE FROM entries WHERE race_id = ?", (race_id,))
                query = """
                    UPDATE races SET name = ?, track_id = ?, race_date = ?, data_version = data_version + 1
                    WHERE id = ?
                """
                await conn.execute(query, (name, track_id, date.isoformat(), race_id))
            await self._insert_entries(conn, race_id, entries, {}, {}, guild_id=guild_id)
            verb = "replaced the results of" if replaced else "imported"
            detail = f"{verb} {season} {name} (race {race_id}, {len(entries)} entries)"
            await audit(conn, guild_id, user_id, "results", detail)
        self._changed("races", guild_id)
        return ImportOutcome(race_id, replaced, len(entries))

    async def _own_race(self, conn: aiosqlite.Connection, guild_id: int, race_id: int) -> aiosqlite.Row:
        query = "SELECT id, name, owner_guild_id, results_status FROM races WHERE id = ?"
        async with conn.execute(query, (race_id,)) as cursor:
            race = await cursor.fetchone()
        if race is None or race["owner_guild_id"] not in (None, guild_id):
            raise ResultsRefusedError("No such race in this server.")
        if race["owner_guild_id"] is None:
            raise ResultsRefusedError(
                "That race is Pit Board's shared, source-checked data; "
                "only results this server uploaded can be changed."
            )
        return race

    async def mark_official(self, guild_id: int, race_id: int, user_id: int) -> bool:
        """Mark a server's uploaded results official; return False if they already were."""
        async with self._transaction() as conn:
            race = await self._own_race(conn, guild_id, race_id)
            if race["results_status"] == "official":
                return False
            query = "UPDATE races SET results_status = 'official', data_version = data_version + 1 WHERE id = ?"
            await conn.execute(query, (race_id,))
            await audit(conn, guild_id, user_id, "results", f"marked {race['name']} (race {race_id}) official")
        self._changed("races", guild_id)
        return True

    async def correct_result(
        self,
        *,
        guild_id: int,
        race_id: int,
        user_id: int,
        car: str,
        reason: str,
        finish: int | None = None,
        status: str | None = None,
        points: int | None = None,
    ) -> Correction:
        """Change one entry's finish, status or points with a reason; other finishers move up or down one place."""
        async with self._transaction() as conn:
            await self._own_race(conn, guild_id, race_id)
            query = """
                SELECT e.id, e.finish_pos, e.status, e.points, d.name FROM entries e
                JOIN drivers d ON d.id = e.driver_id WHERE e.race_id = ? AND e.car_number = ?
            """
            async with conn.execute(query, (race_id, car_key(car))) as cursor:
                entry = await cursor.fetchone()
            if entry is None:
                raise ResultsRefusedError(f"No car #{car_key(car)} in that race.")
            async with conn.execute("SELECT count(*) FROM entries WHERE race_id = ?", (race_id,)) as cursor:
                field_size = int((await cursor.fetchone() or (0,))[0])
            changes = []
            old_finish = entry["finish_pos"]
            if finish is not None and finish != old_finish:
                if not 1 <= finish <= field_size or old_finish is None:
                    raise ResultsRefusedError(f"The finish must be between 1 and {field_size}.")
                # Park the entry at 0 and move the others through negative numbers, so UNIQUE (race_id, finish_pos)
                # holds after every statement.
                await conn.execute("UPDATE entries SET finish_pos = 0 WHERE id = ?", (entry["id"],))
                if finish > old_finish:
                    query = """
                        UPDATE entries SET finish_pos = -finish_pos + 1
                        WHERE race_id = ? AND finish_pos > ? AND finish_pos <= ?
                    """
                else:
                    query = """
                        UPDATE entries SET finish_pos = -finish_pos - 1
                        WHERE race_id = ? AND finish_pos >= ? AND finish_pos < ?
                    """
                low, high = (old_finish, finish) if finish > old_finish else (finish, old_finish)
                await conn.execute(query, (race_id, low, high))
                await conn.execute(
                    "UPDATE entries SET finish_pos = -finish_pos WHERE race_id = ? AND finish_pos < 0", (race_id,)
                )
                await conn.execute("UPDATE entries SET finish_pos = ? WHERE id = ?", (finish, entry["id"]))
                changes.append(f"finish {old_finish} → {finish}")
            if status is not None and status != entry["status"]:
                await conn.execute("UPDATE entries SET status = ? WHERE id = ?", (status, entry["id"]))
                changes.append(f"status {entry['status'] or 'not recorded'} → {status}")
            if points is not None and points != entry["points"]:
                await conn.execute("UPDATE entries SET points = ? WHERE id = ?", (points, entry["id"]))
                old_points = "not recorded" if entry["points"] is None else entry["points"]
                changes.append(f"points {old_points} → {points}")
            if not changes:
                raise ResultsRefusedError("That changes nothing: give a new finish, status or points.")
            summary = f"#{car_key(car)} {entry['name']}: " + "; ".join(changes)
            await conn.execute("UPDATE races SET data_version = data_version + 1 WHERE id = ?", (race_id,))
            query = """
                INSERT INTO corrections (race_id, guild_id, author_id, summary, reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING *
            """
            async with conn.execute(query, (race_id, guild_id, user_id, summary, reason, _now())) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING always yields the inserted row
            await audit(conn, guild_id, user_id, "correction", f"{summary} ({reason})")
        self._changed("races", guild_id)
        return Correction(row["id"], race_id, user_id, summary, reason, dt.datetime.fromisoformat(row["created_at"]))
