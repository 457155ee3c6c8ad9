-- 0009: races from NASCAR's own weekend feed (weekend-feed.json), minutes after the flag.
--
-- nascaR.data publishes on Mondays; NASCAR's feed has a race's complete results, stages, cautions and lead changes
-- the night it runs, and keeps changing them until inspection is complete. What that needs:
--
-- * entries.times_led, playoff_points, disqualified: three facts the feed gives per car (NULL: not recorded).
-- * races.feed_race_id: NASCAR's race_id, so the next fetch of the same weekend finds the same race whatever its
--   name or date says; races.start_utc: the start as a UTC instant (ISO-8601). The feed's times carry no offset,
--   so it is worked out from the track's zone (bot.tracks) once, at import, and the poller and countdowns read it.
-- * nascar_drivers: NASCAR's driver_id -> our driver. A driver is joined on it first, then on the alias table;
--   a new spelling under a known id becomes another alias of that driver, never a second driver.
-- * caution_segments and lead_changes: the race lap by lap, as the feed lists them (ordinal keeps the feed's
--   order). A lead change names the car; entry_id is the car's entry when the results hold it.
-- * result_versions: every version of a race's results a source published (provisional, a penalty, official).
--   The entries table holds the latest, which is what fans see; each version keeps a JSON snapshot of its results
--   rather than rows of its own. A version is only ever read whole (to compare with the next one, or to show what
--   changed), never queried by column, and a copy of every entries column per version would be a second table to
--   keep in step with entries at every schema change. changes and reasons are JSON lists of lines of our own
--   words: what moved from the version before, and why when the source says (its disqualified flag, its
--   infractions). digest is the fingerprint of the whole feed race, so an unchanged fetch adds no version.

ALTER TABLE entries ADD COLUMN times_led INTEGER;
ALTER TABLE entries ADD COLUMN playoff_points INTEGER;
ALTER TABLE entries ADD COLUMN disqualified INTEGER CHECK (disqualified IN (0, 1));  -- NULL: not recorded

ALTER TABLE races ADD COLUMN feed_race_id INTEGER;
ALTER TABLE races ADD COLUMN start_utc TEXT;
CREATE UNIQUE INDEX races_by_feed_id ON races (feed_race_id) WHERE feed_race_id IS NOT NULL;

CREATE TABLE nascar_drivers (
    nascar_id  INTEGER PRIMARY KEY,                -- NASCAR's driver_id
    driver_id  INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE
);
CREATE INDEX nascar_drivers_by_driver ON nascar_drivers (driver_id);

CREATE TABLE caution_segments (
    race_id          INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    ordinal          INTEGER NOT NULL,
    start_lap        INTEGER,
    end_lap          INTEGER,
    reason           TEXT,                          -- the feed's category: 'Debris', 'Competition'
    comment          TEXT,
    beneficiary_car  TEXT,                          -- TEXT: '07' and '7' are different cars
    PRIMARY KEY (race_id, ordinal)
);

CREATE TABLE lead_changes (
    race_id     INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,                   -- 1: the pole sitter leading to the green (laps 0-0)
    start_lap   INTEGER,
    end_lap     INTEGER,
    car_number  TEXT NOT NULL,
    entry_id    INTEGER REFERENCES entries(id) ON DELETE SET NULL,
    PRIMARY KEY (race_id, ordinal)
);

CREATE TABLE result_versions (
    id          INTEGER PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,                   -- 1, 2, 3 … per race
    status      TEXT NOT NULL CHECK (status IN ('provisional', 'official')),
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    fetched_at  TEXT NOT NULL,                      -- ISO-8601 UTC
    digest      TEXT NOT NULL,
    changes     TEXT NOT NULL DEFAULT '[]',         -- JSON list of lines
    reasons     TEXT NOT NULL DEFAULT '[]',         -- JSON list of lines
    snapshot    TEXT NOT NULL,                      -- JSON: the version's results, one object per car
    UNIQUE (race_id, version)
);
