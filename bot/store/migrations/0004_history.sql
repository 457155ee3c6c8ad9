-- 0004: whole series histories imported from nascaR.data exports: how precise a race's date is, a fingerprint
-- of each imported race (so importing the same file again changes nothing), other names of tracks, and indexes
-- for career, track and head-to-head questions over hundreds of thousands of results.

-- 'season': the source gives only the year; race_date then holds 1 January of that year and must be shown as
-- the year alone. Within a series and season, such races are ordered by round.
ALTER TABLE races ADD COLUMN date_precision TEXT NOT NULL DEFAULT 'day' CHECK (date_precision IN ('day', 'season'));
-- Digest of the imported rows a race was built from; NULL for curated and server-uploaded races.
ALTER TABLE races ADD COLUMN import_digest TEXT;

-- Another source's name for a track ('Homestead' for Homestead-Miami Speedway), learnt from curated races.
CREATE TABLE track_aliases (
    alias_key  TEXT PRIMARY KEY,                  -- bot.names.fold of the alias
    alias      TEXT NOT NULL,
    track_id   INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE
);
CREATE INDEX track_aliases_by_track ON track_aliases (track_id);

-- Career lines, leaderboards and head-to-heads read only these columns: cover them, keyed like the index
-- they replace so every query that used entries_by_driver still can.
DROP INDEX entries_by_driver;
CREATE INDEX entries_by_driver ON entries (driver_id, race_id, finish_pos, start_pos, laps_led);
-- A race's few dozen entries are found through UNIQUE (race_id, driver_id) already; a car index on top only
-- slows every bulk import.
DROP INDEX entries_by_race_car;
