"""Writing whole races: the seed from data/ and the race-folder import."""

import datetime as dt
import logging

import aiosqlite

from bot.names import fold, name_key
from bot.store.database import StoreBase
from bot.store.records import EntryRecord, RaceBundle, SourcedField

log = logging.getLogger(__name__)


async def _id(conn: aiosqlite.Connection, query: str, params: tuple[object, ...]) -> int:
    async with conn.execute(query, params) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # every caller's query is an upsert with RETURNING or a lookup of a row it just made
    return int(row[0])


async def audit(conn: aiosqlite.Connection, guild_id: int, user_id: int | None, action: str, detail: str) -> None:
    """Record an action in a server's audit log inside the caller's transaction, so both land together.

    user_id None is Pit Board itself, telling the moderators something no member did.
    """
    query = "INSERT INTO audit_log (guild_id, user_id, action, detail, created_at) VALUES (?, ?, ?, ?, ?)"
    await conn.execute(query, (guild_id, user_id, action, detail, dt.datetime.now(dt.UTC).isoformat()))


async def driver_id_for(conn: aiosqlite.Connection, name: str) -> int:
    """Return the id of the shared driver with this name or alias, adding the driver when new."""
    # A server's own drivers are keyed '<server id>:<key>', their other names too, so a shared name never finds one.
    key = name_key(name)
    query = "SELECT driver_id FROM driver_aliases WHERE alias_key = ?"
    async with conn.execute(query, (key,)) as cursor:
        alias = await cursor.fetchone()
    if alias is not None:
        return int(alias[0])
    query = """
        INSERT INTO drivers (name, name_key) VALUES (?, ?)
        ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key
        RETURNING id
    """
    return await _id(conn, query, (name.strip(), key))


async def upload_driver_id_for(conn: aiosqlite.Connection, guild_id: int, name: str) -> int:
    """Return the id of the driver a server's upload names: a shared one it matches, else the server's own."""
    key = name_key(name)
    # Found by any of a shared driver's names, the upload refers to that driver and changes nothing of theirs.
    query = """
        SELECT driver_id FROM driver_aliases WHERE alias_key = :key
        UNION ALL SELECT id FROM drivers WHERE name_key = :key
        LIMIT 1
    """
    async with conn.execute(query, {"key": key}) as cursor:
        shared = await cursor.fetchone()
    if shared is not None:
        return int(shared[0])
    # Otherwise the server's own driver, spelt as its first upload spelt them; no other server ever sees them.
    query = """
        INSERT INTO drivers (name, name_key) VALUES (?, ?)
        ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key
        RETURNING id
    """
    return await _id(conn, query, (name.strip(), f"{guild_id}:{key}"))


async def add_alias(conn: aiosqlite.Connection, driver_id: int, alias: str) -> None:
    """Let a driver also be found (and matched on import) by another name."""
    query = "INSERT OR IGNORE INTO driver_aliases (alias_key, alias, driver_id) VALUES (?, ?, ?)"
    await conn.execute(query, (name_key(alias), alias.strip(), driver_id))


async def team_id_for(conn: aiosqlite.Connection, name: str | None) -> int | None:
    """Return the id of the team with this name, adding it when new."""
    if not name:
        return None
    query = "INSERT INTO teams (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id"
    return await _id(conn, query, (name,))


async def series_id_for(conn: aiosqlite.Connection, name: str, short_name: str) -> int:
    """Return the id of a series, adding it when new."""
    query = """
        INSERT INTO series (name, short_name) VALUES (?, ?)
        ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id
    """
    return await _id(conn, query, (name, short_name))


async def season_id_for(conn: aiosqlite.Connection, series_id: int, year: int, rounds: int | None) -> int:
    """Return the id of a season, adding it when new (a known round count is kept)."""
    query = """
        INSERT INTO seasons (series_id, year, rounds) VALUES (?, ?, ?)
        ON CONFLICT (series_id, year) DO UPDATE SET rounds = coalesce(excluded.rounds, seasons.rounds)
        RETURNING id
    """
    return await _id(conn, query, (series_id, year, rounds))


async def track_id_for(
    conn: aiosqlite.Connection, name: str, location: str | None, length: float | None, surface: str | None
) -> int:
    """Return the id of a shared track, adding it when new and filling facts it lacked."""
    query = """
        INSERT INTO tracks (name, location, length_miles, surface) VALUES (?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET
            location = coalesce(tracks.location, excluded.location),
            length_miles = coalesce(tracks.length_miles, excluded.length_miles),
            surface = coalesce(tracks.surface, excluded.surface)
        RETURNING id
    """
    track_id = await _id(conn, query, (name, location, length, surface))
    # A shared source that names a track exactly as an upload did makes it shared: its name is that source's own.
    await conn.execute("DELETE FROM upload_tracks WHERE track_id = ?", (track_id,))
    return track_id


async def upload_track_id_for(conn: aiosqlite.Connection, name: str) -> int:
    """Return the id of the track a server's upload names: a shared one it matches, else one of uploads' own."""
    query = "SELECT id FROM tracks WHERE name = ?"
    async with conn.execute(query, (name,)) as cursor:
        exact = await cursor.fetchone()
    if exact is not None:  # the very text, whoever brought it: nothing but that text is in the row
        return int(exact[0])
    # A shared track by another spelling of its name, or by another of its names ('Homestead'); never a track
    # only uploads named, whose spelling is some server's own.
    folded = fold(name)
    query = """
        SELECT a.track_id FROM track_aliases a
        WHERE a.alias_key = ? AND a.track_id NOT IN (SELECT track_id FROM upload_tracks)
    """
    async with conn.execute(query, (folded,)) as cursor:
        alias = await cursor.fetchone()
    if alias is not None:
        return int(alias[0])
    query = "SELECT id, name FROM tracks WHERE id NOT IN (SELECT track_id FROM upload_tracks) ORDER BY id"
    async with conn.execute(query) as cursor:
        for row in await cursor.fetchall():
            if fold(row["name"]) == folded:
                return int(row["id"])
    track_id = await _id(conn, "INSERT INTO tracks (name) VALUES (?) RETURNING id", (name,))
    await conn.execute("INSERT INTO upload_tracks (track_id) VALUES (?)", (track_id,))
    return track_id


async def note_replaced_uploads(conn: aiosqlite.Connection) -> int:
    """Tell each server once, in its audit log, that shared results arrived for a round it uploaded; return how many.

    Call it inside the transaction that stores shared races. From then on the server's fans see the shared race
    (see REPLACED_UPLOAD in bot.store.races); the upload itself stays stored as it was.
    """
    query = """
        SELECT u.id, u.owner_guild_id, u.name AS upload, shared.id AS shared_id, shared.name AS shared,
               sn.year, u.round, se.name AS series
        FROM races u
        JOIN races shared ON shared.season_id = u.season_id AND shared.round = u.round
                         AND shared.owner_guild_id IS NULL
        JOIN seasons sn ON sn.id = u.season_id
        JOIN series se ON se.id = sn.series_id
        WHERE u.owner_guild_id IS NOT NULL AND u.id NOT IN (SELECT race_id FROM upload_notices)
        ORDER BY u.id
    """
    async with conn.execute(query) as cursor:
        replaced = list(await cursor.fetchall())
    now = dt.datetime.now(dt.UTC).isoformat()
    for race in replaced:
        detail = (
            f"Pit Board's shared results of {race['year']} {race['series']} round {race['round']} "
            f"({race['shared']}) arrived; fans here now see them instead of this server's upload "
            f"{race['upload']} (race {race['id']}), which stays stored."
        )
        await audit(conn, race["owner_guild_id"], None, "shared results", detail)
        query = "INSERT INTO upload_notices (race_id, shared_race_id, noted_at) VALUES (?, ?, ?)"
        await conn.execute(query, (race["id"], race["shared_id"], now))
    return len(replaced)


async def _fill_eligibility(conn: aiosqlite.Connection, race_id: int, entries: tuple[EntryRecord, ...]) -> int:
    """Fill in the recorded eligibility of a stored race's entries that hold none; return how many were filled."""
    # Only an entry with the same car and the same driver (by name or alias) is the folder's row, and only a
    # value not recorded is filled: the stored race stays as it was in everything else.
    query = """
        UPDATE entries SET eligibility = :eligibility
        WHERE race_id = :race AND car_number = :car AND eligibility IS NULL
          AND driver_id = (SELECT driver_id FROM driver_aliases WHERE alias_key = :driver)
    """
    filled = 0
    for record in entries:
        if record.points_eligible is None:
            continue
        params = {"eligibility": record.points_eligible, "race": race_id, "car": record.car}
        async with conn.execute(query, params | {"driver": name_key(record.driver)}) as cursor:
            filled += cursor.rowcount
    return filled


class RaceLoading(StoreBase):
    """Loading a race folder's bundle in one transaction."""

    async def race_exists(self, series: str, season: int, round_: int) -> int | None:
        """Return the id of the shared race at (series, season, round), if stored (servers' uploads are not)."""
        query = """
            SELECT r.id FROM races r JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            WHERE se.name = ? AND sn.year = ? AND r.round = ? AND r.owner_guild_id IS NULL
        """
        row = await self._fetchone(query, (series, season, round_))
        return int(row[0]) if row else None

    async def add_race_bundle(
        self, bundle: RaceBundle, *, curated: bool = True, date_precision: str = "day"
    ) -> int | None:
        """Store a whole race atomically and return its id; None if that race is already stored (idempotent).

        date_precision 'season' marks a race whose folder came from a source that gives only the year. A curated
        race already stored is not changed, except that eligibility it holds as not recorded is filled in from
        the folder (see migration 0006, which could not tell a dispute from nothing recorded).
        """
        filled = 0
        async with self._transaction() as conn:
            series_id = await series_id_for(conn, bundle.series, bundle.series_short)
            season_id = await season_id_for(conn, series_id, bundle.season, bundle.rounds_in_season)
            # Only the shared slot: a server's upload of the round is that server's own and never stands in the way.
            query = "SELECT id, curated FROM races WHERE season_id = ? AND round = ? AND owner_guild_id IS NULL"
            async with conn.execute(query, (season_id, bundle.round)) as cursor:
                stored = await cursor.fetchone()
            if stored is None:
                race_id = await self._insert_race(conn, bundle, season_id, curated=curated)
                if date_precision != "day":
                    query = "UPDATE races SET date_precision = ? WHERE id = ?"
                    await conn.execute(query, (date_precision, race_id))
                told = await note_replaced_uploads(conn)
                log.info("Loaded %s %s (%d entries)", bundle.season, bundle.name, len(bundle.entries))
                if told:
                    log.info("Told %d server(s) that shared results replaced their upload of that round", told)
                return race_id
            if curated and stored["curated"]:
                filled = await _fill_eligibility(conn, stored["id"], bundle.entries)
        if filled:
            log.info("Filled in the points eligibility of %d entries of %s %s", filled, bundle.season, bundle.name)
            self._changed("races")
        return None

    async def _insert_race(
        self, conn: aiosqlite.Connection, bundle: RaceBundle, season_id: int, *, curated: bool
    ) -> int:
        source_ids = await self._insert_sources(conn, bundle.sources)
        track_id = await track_id_for(conn, bundle.track, bundle.location, bundle.track_length_miles, bundle.surface)
        facts = bundle.facts
        fastest = facts.get("fastest_lap") or {}
        fastest_driver = await driver_id_for(conn, fastest["driver"]) if fastest.get("driver") else None
        query = """
            INSERT INTO races (
                season_id, round, name, track_id, race_date, start_time_local, scheduled_laps, laps_run,
                distance_miles, margin_s, leaders, lead_changes, cautions, caution_laps, average_speed_mph,
                race_duration, attendance, purse_usd, weather, tv_network, results_status, curated,
                pole_time_s, pole_speed_mph, fastest_lap_driver_id, fastest_lap_s, fastest_lap_mph
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING id
        """
        pole = facts.get("pole") or {}
        race_id = await _id(
            conn,
            query,
            (
                season_id,
                bundle.round,
                bundle.name,
                track_id,
                bundle.date.isoformat(),
                facts["start_time_local"],
                facts["scheduled_laps"],
                facts["laps_run"],
                facts["distance_miles"],
                facts["margin_s"],
                facts["leaders"],
                facts["lead_changes"],
                facts["cautions"],
                facts["caution_laps"],
                facts["average_speed_mph"],
                facts["race_duration"],
                facts["attendance"],
                facts["purse_usd"],
                facts["weather"],
                facts["tv_network"],
                facts["results_status"] or "provisional",
                int(curated),
                pole.get("time_s"),
                pole.get("speed_mph"),
                fastest_driver,
                fastest.get("time_s"),
                fastest.get("speed_mph"),
            ),
        )
        await conn.executemany(
            "INSERT INTO race_stages (race_id, number, first_lap, last_lap) VALUES (?, ?, ?, ?)",
            [(race_id, number, first, last) for number, first, last in bundle.stages],
        )
        for field in bundle.field_sources:
            await self._link_sources(conn, source_ids, "races", race_id, field)

        entry_by_car = await self._insert_entries(conn, race_id, bundle.entries, bundle.aliases, source_ids)

        if pole.get("car"):
            await conn.execute("UPDATE races SET pole_entry_id = ? WHERE id = ?", (entry_by_car[pole["car"]], race_id))

        for stage in bundle.stage_results:
            query = """
                INSERT INTO stage_results (race_id, stage, position, entry_id, points, confidence, basis)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """
            entry_id = entry_by_car[stage.car] if stage.car else None
            params = (race_id, stage.stage, stage.position, entry_id, stage.points, stage.confidence, stage.basis)
            stage_id = await _id(conn, query, params)
            await conn.executemany(
                "INSERT INTO stage_candidates (stage_result_id, entry_id, ordinal) VALUES (?, ?, ?)",
                [(stage_id, entry_by_car[car], n) for n, car in enumerate(stage.candidates)],
            )

        for ordinal, moment in enumerate(bundle.moments, start=1):
            query = """
                INSERT INTO key_moments (race_id, ordinal, lap, laps_to_go, when_text, summary)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """
            params = (race_id, ordinal, moment.lap, moment.laps_to_go, moment.when, moment.summary)
            moment_id = await _id(conn, query, params)
            await self._link_sources(
                conn, source_ids, "key_moments", moment_id, SourcedField("", moment.sources, None, None)
            )

        notes = [("conflict", topic, text) for topic, text in bundle.conflicts]
        notes += [("unknown", u.field, u.note or "Not found in any source.") for u in bundle.unknown]
        await conn.executemany(
            "INSERT INTO race_notes (race_id, kind, topic, text) VALUES (?, ?, ?, ?)",
            [(race_id, *note) for note in notes],
        )

        speakers = {name_key(e.driver): e.driver for e in bundle.entries}
        now = dt.datetime.now(dt.UTC).isoformat()
        for quote in bundle.quotes:
            driver_id = await driver_id_for(conn, quote.speaker) if name_key(quote.speaker) in speakers else None
            query = """
                INSERT INTO quotes (race_id, slug, driver_id, speaker, role, text, context, source_url, confidence,
                                    created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """
            url = quote.source_urls[0][1].split(" ")[0] if quote.source_urls else None
            params = (race_id, quote.slug, driver_id, quote.speaker, quote.role, quote.text, quote.context, url,
                      quote.confidence, now)  # fmt: skip
            quote_id = await _id(conn, query, params)
            keys = tuple(key for key, _ in quote.source_urls)
            await self._link_sources(
                conn, source_ids, "quotes", quote_id, SourcedField("", keys, quote.confidence, None)
            )
        return race_id

    async def _insert_entries(
        self,
        conn: aiosqlite.Connection,
        race_id: int,
        entries: tuple[EntryRecord, ...],
        aliases: dict[str, tuple[str, ...]],
        source_ids: dict[str, int],
        *,
        guild_id: int | None = None,
    ) -> dict[str, int]:
        """Insert a race's entries (a server's upload when guild_id is given); return entry ids by car number."""
        entry_by_car: dict[str, int] = {}
        for record in entries:
            if guild_id is not None:
                # An upload gives no driver another name: a shared driver keeps theirs, the server's own need none.
                driver_id = await upload_driver_id_for(conn, guild_id, record.driver)
            else:
                driver_id = await driver_id_for(conn, record.driver)
                for alias in aliases.get(record.driver, ()):
                    await add_alias(conn, driver_id, alias)
                await add_alias(conn, driver_id, record.driver)
            query = """
                INSERT INTO entries (
                    race_id, driver_id, car_number, team_id, make, sponsor, start_pos, finish_pos, laps_completed,
                    status, laps_led, points, stage_points, eligibility, notes
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
            """
            entry_id = await _id(
                conn,
                query,
                (
                    race_id,
                    driver_id,
                    record.car,
                    await team_id_for(conn, record.team),
                    record.make,
                    record.sponsor,
                    record.start,
                    record.finish,
                    record.laps,
                    record.status,
                    record.laps_led,
                    record.points,
                    record.stage_points,
                    record.points_eligible,
                    record.notes,
                ),
            )
            entry_by_car[record.car] = entry_id
            sourced = SourcedField("", record.sources, record.confidence, None)
            await self._link_sources(conn, source_ids, "entries", entry_id, sourced)
        return entry_by_car

    async def _insert_sources(self, conn: aiosqlite.Connection, sources: dict[str, str]) -> dict[str, int]:
        ids = {}
        for key, description in sources.items():
            query = """
                INSERT INTO sources (key, description) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id
            """
            ids[key] = await _id(conn, query, (key, description))
        return ids

    async def _link_sources(
        self, conn: aiosqlite.Connection, source_ids: dict[str, int], subject: str, subject_id: int, field: SourcedField
    ) -> None:
        query = """
            INSERT OR IGNORE INTO fact_sources (subject, subject_id, field, source_id, confidence, note)
            VALUES (?, ?, ?, ?, ?, ?)
        """
        for key in field.sources:
            if key not in source_ids:
                # A per-quote source may be keyed only in quotes.json; keep it with its key as description.
                source_ids[key] = await _id(
                    conn,
                    "INSERT INTO sources (key, description) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
                    (key, key),
                )
            await conn.execute(query, (subject, subject_id, field.field, source_ids[key], field.confidence, field.note))
