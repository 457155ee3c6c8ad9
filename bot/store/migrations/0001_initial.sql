-- 0001: the race store: series, seasons, tracks, races, drivers, teams, entries,
-- stages, key moments, quotes, and the sources behind every fact.

CREATE TABLE series (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    short_name  TEXT NOT NULL UNIQUE
);

CREATE TABLE seasons (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER NOT NULL REFERENCES series(id),
    year        INTEGER NOT NULL,
    rounds      INTEGER,
    UNIQUE (series_id, year)
);

CREATE TABLE tracks (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    location      TEXT,
    length_miles  REAL,
    surface       TEXT
);

CREATE TABLE races (
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
    UNIQUE (season_id, round)
);
CREATE INDEX races_by_date ON races (race_date DESC);
CREATE INDEX races_by_track ON races (track_id);

CREATE TABLE race_stages (
    race_id    INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    first_lap  INTEGER,
    last_lap   INTEGER,
    PRIMARY KEY (race_id, number)
);

CREATE TABLE drivers (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    name_key  TEXT NOT NULL UNIQUE                -- normalised: case, accents, suffixes folded
);

CREATE TABLE driver_aliases (
    alias_key  TEXT PRIMARY KEY,
    alias      TEXT NOT NULL,
    driver_id  INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE
);
CREATE INDEX driver_aliases_by_driver ON driver_aliases (driver_id);

CREATE TABLE teams (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

CREATE TABLE entries (
    id                 INTEGER PRIMARY KEY,
    race_id            INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    driver_id          INTEGER NOT NULL REFERENCES drivers(id),
    car_number         TEXT NOT NULL,              -- TEXT: '07' and '7' are different cars
    team_id            INTEGER REFERENCES teams(id),
    make               TEXT,
    sponsor            TEXT,
    start_pos          INTEGER,
    finish_pos         INTEGER,
    laps_completed     INTEGER,
    status             TEXT,
    laps_led           INTEGER,
    points             INTEGER,
    stage_points       INTEGER,
    points_eligible    INTEGER CHECK (points_eligible IN (0, 1)),  -- NULL: disputed or unknown
    notes              TEXT,
    UNIQUE (race_id, driver_id),
    UNIQUE (race_id, finish_pos)
);
CREATE INDEX entries_by_driver ON entries (driver_id, race_id);
CREATE INDEX entries_by_race_car ON entries (race_id, car_number);

CREATE TABLE stage_results (
    id          INTEGER PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    stage       INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    entry_id    INTEGER REFERENCES entries(id) ON DELETE CASCADE,  -- NULL: unresolved
    points      INTEGER,
    confidence  TEXT,
    basis       TEXT,
    UNIQUE (race_id, stage, position)
);

CREATE TABLE stage_candidates (
    stage_result_id  INTEGER NOT NULL REFERENCES stage_results(id) ON DELETE CASCADE,
    entry_id         INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    ordinal          INTEGER NOT NULL,
    PRIMARY KEY (stage_result_id, entry_id)
);

CREATE TABLE key_moments (
    id          INTEGER PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    lap         INTEGER,
    laps_to_go  INTEGER,
    when_text   TEXT NOT NULL,
    summary     TEXT NOT NULL,
    UNIQUE (race_id, ordinal)
);

CREATE TABLE race_notes (
    id       INTEGER PRIMARY KEY,
    race_id  INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('conflict', 'unknown', 'note')),
    topic    TEXT NOT NULL,
    text     TEXT NOT NULL
);
CREATE INDEX race_notes_by_race ON race_notes (race_id);

CREATE TABLE quotes (
    id            INTEGER PRIMARY KEY,
    race_id       INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    slug          TEXT,                            -- the data file's id, for idempotent seeding
    driver_id     INTEGER REFERENCES drivers(id),  -- NULL when the speaker is not a driver
    speaker       TEXT NOT NULL,
    role          TEXT,
    text          TEXT NOT NULL,
    context       TEXT,
    source_url    TEXT,
    confidence    TEXT,
    added_by      INTEGER,                         -- Discord user id of the moderator, NULL for shipped data
    guild_id      INTEGER,                         -- NULL: shared by every server
    created_at    TEXT NOT NULL,
    UNIQUE (race_id, slug)
);
CREATE INDEX quotes_by_race ON quotes (race_id);
CREATE INDEX quotes_by_driver ON quotes (driver_id);

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL                     -- a URL, or what the source is
);

-- Which sources back which fact: subject is a table name, field NULL means the whole row.
CREATE TABLE fact_sources (
    subject     TEXT NOT NULL,
    subject_id  INTEGER NOT NULL,
    field       TEXT NOT NULL DEFAULT '',
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    confidence  TEXT,
    note        TEXT,
    PRIMARY KEY (subject, subject_id, field, source_id)
);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
