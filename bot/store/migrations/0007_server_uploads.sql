-- 0007: each server's uploads are its own.
--
-- Until now a server's upload of a round took the one (season, round) slot every server shares: the next shared
-- import then left the real race out for everyone, and a second server could not upload that round at all. The
-- names an upload brought were shared rows too, so an import could adopt an uploader's spelling of a driver, or
-- make a real track another name of the uploader's.
--
-- * races: a round is unique among the shared races, and among each server's own uploads, but a server's upload
--   and the shared race of the same round live side by side. The server's fans see the shared race; the upload
--   stays stored. UNIQUE (season_id, round) was written into the table, and SQLite cannot drop such a constraint,
--   so the table is rebuilt: same columns, every row copied with its id, so every reference to a race still holds.
-- * drivers: a driver an upload names and no shared source has is that server's own, keyed '<server id>:<name key>'.
--   A shared name key never holds ':' (bot.names.fold drops punctuation), so such a driver never meets a shared one
--   or another server's, and a shared import never adopts its spelling. Its other names are keyed the same way.
-- * upload_tracks: the tracks only servers' uploads have named. An upload finds a shared track by any of its names;
--   a track of its own it finds again only by the same text (a track is unique by its name, so two servers that
--   type exactly the same text share that row: nothing in it came from either but that text). A shared source that
--   brings the same text makes it shared.
-- * upload_notices: the uploads whose moderators were told that Pit Board's shared results for that round arrived;
--   they are told once, in the server's audit log.
-- * audit_log: user_id NULL is an entry written by Pit Board itself (that notice), not by a member. The NOT NULL
--   constraint was written into the table, so it is rebuilt too (nothing refers to it).
--
-- Rebuilding races safely needs foreign keys off: with them on, dropping the old table would first delete every
-- row that refers to a race (entries, stages, recaps …), which cascade. They can be switched off only outside a
-- transaction, so this script ends the one the migration runner opened, does its work in its own transaction
-- with the schema version set inside it (so a crash leaves either all of it or none), checks that every reference
-- to a race still finds its row, and opens a transaction again for the runner to close. Everything here can run
-- again on its own result and changes nothing more.

COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE races_new (
    id                INTEGER PRIMARY KEY,
    season_id         INTEGER NOT NULL REFERENCES seasons(id),
    round             INTEGER NOT NULL,
    name              TEXT NOT NULL,
    track_id          INTEGER NOT NULL REFERENCES tracks(id),
    race_date         TEXT NOT NULL,              -- ISO date, local to the track
    start_time_local  TEXT,
    scheduled_laps    INTEGER,
    laps_run          INTEGER,
    distance_miles    REAL,
    pole_entry_id     INTEGER REFERENCES entries(id) DEFERRABLE INITIALLY DEFERRED,
    pole_time_s       TEXT,                       -- TEXT keeps the published precision
    pole_speed_mph    TEXT,
    margin_s          TEXT,
    fastest_lap_driver_id INTEGER REFERENCES drivers(id),
    fastest_lap_s     TEXT,
    fastest_lap_mph   TEXT,
    leaders           INTEGER,
    lead_changes      INTEGER,
    cautions          INTEGER,
    caution_laps      INTEGER,
    average_speed_mph TEXT,
    race_duration     TEXT,
    attendance        INTEGER,
    purse_usd         INTEGER,
    weather           TEXT,
    tv_network        TEXT,
    results_status    TEXT NOT NULL DEFAULT 'provisional' CHECK (results_status IN ('provisional', 'official')),
    curated           INTEGER NOT NULL DEFAULT 0, -- 1: checked by hand; imports never overwrite it
    data_version      INTEGER NOT NULL DEFAULT 1, -- bumped on every change, for caches
    owner_guild_id    INTEGER,                    -- NULL: shared Pit Board data; else the server that uploaded it
    date_precision    TEXT NOT NULL DEFAULT 'day' CHECK (date_precision IN ('day', 'season')),
    import_digest     TEXT
);
INSERT INTO races_new (
    id, season_id, round, name, track_id, race_date, start_time_local, scheduled_laps, laps_run, distance_miles,
    pole_entry_id, pole_time_s, pole_speed_mph, margin_s, fastest_lap_driver_id, fastest_lap_s, fastest_lap_mph,
    leaders, lead_changes, cautions, caution_laps, average_speed_mph, race_duration, attendance, purse_usd, weather,
    tv_network, results_status, curated, data_version, owner_guild_id, date_precision, import_digest
)
SELECT
    id, season_id, round, name, track_id, race_date, start_time_local, scheduled_laps, laps_run, distance_miles,
    pole_entry_id, pole_time_s, pole_speed_mph, margin_s, fastest_lap_driver_id, fastest_lap_s, fastest_lap_mph,
    leaders, lead_changes, cautions, caution_laps, average_speed_mph, race_duration, attendance, purse_usd, weather,
    tv_network, results_status, curated, data_version, owner_guild_id, date_precision, import_digest
FROM races;
DROP TABLE races;
ALTER TABLE races_new RENAME TO races;

-- The slots: one shared race per round, and one upload per round and server.
CREATE UNIQUE INDEX races_shared_round ON races (season_id, round) WHERE owner_guild_id IS NULL;
CREATE UNIQUE INDEX races_upload_round ON races (owner_guild_id, season_id, round) WHERE owner_guild_id IS NOT NULL;
-- Every query that went from a season to its races through the old constraint's index still can.
CREATE INDEX races_by_season ON races (season_id, round);
CREATE INDEX races_by_date ON races (race_date DESC);
CREATE INDEX races_by_track ON races (track_id);
CREATE INDEX races_by_owner ON races (owner_guild_id);

-- Ids were copied as they were, so nothing can point nowhere; a failed CHECK here rolls the whole migration back.
CREATE TEMP TABLE migration_0007_check (broken_references INTEGER NOT NULL CHECK (broken_references = 0));
INSERT INTO migration_0007_check
SELECT count(*) FROM pragma_foreign_key_check WHERE "table" = 'races' OR parent = 'races';
DROP TABLE migration_0007_check;

CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER,                          -- NULL: Pit Board itself, not a member
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO audit_log_new (id, guild_id, user_id, action, detail, created_at)
SELECT id, guild_id, user_id, action, detail, created_at FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_by_guild ON audit_log (guild_id, id DESC);

CREATE TABLE IF NOT EXISTS upload_tracks (
    track_id  INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS upload_notices (
    race_id         INTEGER PRIMARY KEY REFERENCES races(id) ON DELETE CASCADE,  -- the server's upload
    shared_race_id  INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    noted_at        TEXT NOT NULL
);

-- What earlier uploads brought: a track only uploads use, and a driver only one server's uploads name, become that
-- upload's own. A name a shared race also uses stays shared: which spelling was the real one, nothing recorded.
INSERT OR IGNORE INTO upload_tracks (track_id)
SELECT t.id FROM tracks t
WHERE EXISTS (SELECT 1 FROM races r WHERE r.track_id = t.id AND r.owner_guild_id IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM races r WHERE r.track_id = t.id AND r.owner_guild_id IS NULL)
  AND NOT EXISTS (SELECT 1 FROM track_aliases a WHERE a.track_id = t.id);

UPDATE drivers
SET name_key = (SELECT min(r.owner_guild_id) FROM entries e JOIN races r ON r.id = e.race_id
                WHERE e.driver_id = drivers.id) || ':' || name_key
WHERE instr(name_key, ':') = 0
  AND EXISTS (SELECT 1 FROM entries e WHERE e.driver_id = drivers.id)
  AND (SELECT count(DISTINCT r.owner_guild_id) FROM entries e JOIN races r ON r.id = e.race_id
       WHERE e.driver_id = drivers.id) = 1
  AND NOT EXISTS (SELECT 1 FROM entries e JOIN races r ON r.id = e.race_id
                  WHERE e.driver_id = drivers.id AND r.owner_guild_id IS NULL)
  AND NOT EXISTS (SELECT 1 FROM races r WHERE r.fastest_lap_driver_id = drivers.id AND r.owner_guild_id IS NULL)
  AND NOT EXISTS (SELECT 1 FROM quotes q WHERE q.driver_id = drivers.id AND q.guild_id IS NULL);
UPDATE driver_aliases
SET alias_key = (SELECT substr(d.name_key, 1, instr(d.name_key, ':')) FROM drivers d
                 WHERE d.id = driver_aliases.driver_id) || alias_key
WHERE instr(alias_key, ':') = 0
  AND driver_id IN (SELECT id FROM drivers WHERE instr(name_key, ':') > 0);

PRAGMA user_version = 7;
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
