-- 0010: NASCAR's season schedule and official points standings, read from its public but unofficial JSON feeds
-- when the bot's owner turns RACE_FEED on (bot.feeds).
--
-- * feed_cache: the last good answer for each feed URL, with the validators its host sent. Requests are
--   conditional, so an unchanged file costs a 304 and is answered from here; a malformed answer never replaces a
--   good one.
-- * schedule_races: one row per NASCAR race (its race_id is NASCAR's, unique across series and seasons). The start
--   is a UTC instant: the race list's times carry no offset and are read in the track's time zone (bot.tracks),
--   the schedule feed's Race_Date carries one. start_basis says which. round is the race's place among its
--   season's points races by date (NULL for an exhibition). The poller's progress through the race's weekend feed
--   (results complete, inspection complete, last checked) lives here too, so a restart never polls a finished race
--   again. winner_nascar_driver_id is NASCAR's driver id; 0 in the feed means "not run" and is stored as NULL.
-- * standings / standing_rows: each drivers-points.json fetched after a different race is a snapshot of its own,
--   so a server whose spoiler-safe window hides the latest race can be shown the standings before it. A fetch
--   after the same race (a penalty, say) replaces that race's snapshot. Drivers are kept as the feed names them
--   (name and NASCAR id) with the name's key (bot.names.name_key), and are joined to stored drivers when read:
--   by NASCAR's id through 0009's nascar_drivers first, then by name and alias.
-- Every row records its source and when it was fetched.

CREATE TABLE feed_cache (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    body           TEXT NOT NULL,                    -- the JSON as the host sent it
    fetched_at     TEXT NOT NULL,                    -- ISO-8601 UTC: the host's last answer (200 or 304)
    changed_at     TEXT NOT NULL                     -- ISO-8601 UTC: when the body last changed
);

CREATE TABLE schedule_races (
    nascar_race_id        INTEGER PRIMARY KEY,
    series                TEXT NOT NULL CHECK (series IN ('truck', 'nxs', 'cup')),
    season                INTEGER NOT NULL,
    name                  TEXT NOT NULL,
    track                 TEXT NOT NULL,
    nascar_track_id       INTEGER,
    start_utc             TEXT,                      -- ISO-8601 UTC; NULL when no feed gives a usable date
    start_basis           TEXT CHECK (start_basis IN ('offset', 'track zone')),
    tv                    TEXT,
    radio                 TEXT,
    race_type_id          INTEGER,
    points_race           INTEGER NOT NULL CHECK (points_race IN (0, 1)),
    round                 INTEGER,                   -- place among the season's points races by date
    scheduled_laps        INTEGER,
    scheduled_distance    REAL,
    winner_nascar_driver_id INTEGER,                 -- NULL: not run (the feed's 0)
    results_complete      INTEGER NOT NULL DEFAULT 0 CHECK (results_complete IN (0, 1)),
    inspection_complete   INTEGER NOT NULL DEFAULT 0 CHECK (inspection_complete IN (0, 1)),
    weekend_checked_at    TEXT,                      -- the poller's last look at the weekend feed
    source                TEXT NOT NULL DEFAULT 'NASCAR',
    fetched_at            TEXT NOT NULL
);
CREATE INDEX schedule_by_season ON schedule_races (series, season, start_utc);
CREATE INDEX schedule_by_start ON schedule_races (start_utc);

CREATE TABLE standings (
    id             INTEGER PRIMARY KEY,
    series         TEXT NOT NULL CHECK (series IN ('truck', 'nxs', 'cup')),
    season         INTEGER NOT NULL,
    after_round    INTEGER NOT NULL,                 -- the points races run when fetched (0: none yet)
    source         TEXT NOT NULL DEFAULT 'NASCAR',
    fetched_at     TEXT NOT NULL,
    UNIQUE (series, season, after_round)
);

CREATE TABLE standing_rows (
    standings_id      INTEGER NOT NULL REFERENCES standings(id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    driver_name       TEXT NOT NULL,
    name_key          TEXT NOT NULL,                 -- bot.names.name_key(driver_name), for joining stored drivers
    nascar_driver_id  INTEGER,
    car_number        TEXT,                          -- TEXT: '07' and '7' are different cars
    manufacturer      TEXT,
    points            INTEGER NOT NULL,
    playoff_points    INTEGER,
    starts            INTEGER,
    wins              INTEGER,
    top_5             INTEGER,
    top_10            INTEGER,
    PRIMARY KEY (standings_id, position)
);
CREATE INDEX standing_rows_by_driver ON standing_rows (nascar_driver_id);
