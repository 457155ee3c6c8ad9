-- 0001: everything a server writes, for bot processes that share one PostgreSQL (DATABASE_URL): settings, the
-- series it follows, recap versions and posts, its own quotes, its uploads with their corrections, the audit log,
-- and the announcements and race-day posts it was sent (SQLite's 0002, 0003, 0007, 0008, 0011 and 0012, up to
-- the keys). Each migration runs in one transaction, under an advisory lock.
--
-- Why natural keys. Race data (shipped, nascaR.data, NASCAR's feed) stays in each process's own SQLite file, which
-- numbers races, drivers and tracks in the order it happened to load them: race 812 on one machine is another race,
-- or none, on the next, and a file rebuilt from its sources numbers everything anew. A row id stored here would
-- point at the wrong race on every process but the one that wrote it. So this schema names what every process
-- agrees on:
-- * a race: (series, season, round). series is the short name ('truck', 'nxs', 'cup'), round the race's place
--   among its season's points races, as SQLite's races.round. A server's own upload of a round and Pit Board's
--   shared race of it live side by side (SQLite's 0007), so what a server writes about a race also says which:
--   upload false is the shared race, true this server's own upload, whose row is in server_races. The generated
--   column upload_round (round for an upload, else NULL) is what makes a foreign key to server_races that a shared
--   race, held in no table here, is not bound by: a key with a NULL column is not checked.
-- * a driver: NASCAR's driver id where a source gives one, else the name's key (bot.names.name_key), always with
--   the name as given. A server's own drivers are keyed by the name it uploaded; each process makes its own rows
--   of them, as SQLite's 0007 does.
-- * a track: its name as typed; each process finds its own row by any of the track's names.
-- Ids here (audit entries, quotes, corrections) are PostgreSQL's own and the same for every process.
-- Discord ids are bigint (snowflakes fit in 63 bits); times are timestamptz; SQLite's 0/1 flags are boolean.

-- One row per server that changed a setting; no row: the defaults. The columns are SQLite's guild_settings
-- (0002, 0008, 0012); tests/postgres/test_schema.py holds every table here to its SQLite twin's columns.
CREATE TABLE guild_settings (
    guild_id          bigint PRIMARY KEY,
    recap_channel_id  bigint,
    mod_role_id       bigint,
    ping_role_id      bigint,
    spoiler_hours     integer NOT NULL DEFAULT 0 CHECK (spoiler_hours BETWEEN 0 AND 168),
    announce          boolean NOT NULL DEFAULT false,
    announce_since    timestamptz,                   -- when announcements were last turned on
    mod_channel_id    bigint,
    notify            boolean NOT NULL DEFAULT false,  -- fans may give themselves the ping role
    updated_at        timestamptz NOT NULL
);
CREATE INDEX guild_settings_announcing ON guild_settings (guild_id) WHERE announce;

-- The series a server chose to follow; no row for a server: every series the bot follows.
CREATE TABLE guild_series (
    guild_id  bigint NOT NULL,
    series    text NOT NULL,
    PRIMARY KEY (guild_id, series)
);

-- A server's uploaded races, its own: (guild, series, season, round) is one upload, and two servers may upload
-- the same round. series_name is the series' full name, for a process that stores no race of it yet.
CREATE TABLE server_races (
    guild_id         bigint NOT NULL,
    series           text NOT NULL,
    season           integer NOT NULL,
    round            integer NOT NULL CHECK (round >= 1),
    series_name      text NOT NULL,
    name             text NOT NULL,
    track            text NOT NULL,                  -- as the moderator typed it
    race_date        date NOT NULL,
    results_status   text NOT NULL DEFAULT 'provisional' CHECK (results_status IN ('provisional', 'official')),
    data_version     integer NOT NULL DEFAULT 1,     -- bumped on every change, for each process's copy
    shared_noted_at  timestamptz,                    -- when its moderators were told the shared race arrived
    PRIMARY KEY (guild_id, series, season, round)
);

-- An upload's rows, one per driver, as uploaded. finish_pos is unique per race at the end of each statement
-- (DEFERRABLE), so a correction moves the other finishers with one UPDATE.
CREATE TABLE server_entries (
    guild_id        bigint NOT NULL,
    series          text NOT NULL,
    season          integer NOT NULL,
    round           integer NOT NULL,
    car_number      text NOT NULL,                   -- text: '07' and '7' are different cars
    driver          text NOT NULL,                   -- the name as uploaded
    driver_key      text NOT NULL,                   -- bot.names.name_key(driver)
    team            text,
    make            text,
    sponsor         text,
    start_pos       integer,
    finish_pos      integer,
    laps_completed  integer,
    status          text,
    laps_led        integer,
    points          integer,
    stage_points    integer,
    eligibility     text CHECK (eligibility IN ('yes', 'no', 'disputed')),  -- NULL: not recorded
    sources         text[] NOT NULL DEFAULT '{}',
    confidence      text,
    notes           text,
    PRIMARY KEY (guild_id, series, season, round, driver_key),
    UNIQUE (guild_id, series, season, round, finish_pos) DEFERRABLE INITIALLY IMMEDIATE,
    FOREIGN KEY (guild_id, series, season, round) REFERENCES server_races ON DELETE CASCADE
);

-- Corrections are made to a server's own uploads only.
CREATE TABLE corrections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    bigint NOT NULL,
    series      text NOT NULL,
    season      integer NOT NULL,
    round       integer NOT NULL,
    author_id   bigint NOT NULL,
    summary     text NOT NULL,                       -- what changed, written by the bot
    reason      text NOT NULL,                       -- the moderator's words
    created_at  timestamptz NOT NULL,
    FOREIGN KEY (guild_id, series, season, round) REFERENCES server_races ON DELETE CASCADE
);
CREATE INDEX corrections_by_race ON corrections (guild_id, series, season, round);

-- Every save is a new version; nothing is overwritten. A revert copies an old version as a new one.
CREATE TABLE recap_versions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id       bigint NOT NULL,
    series         text NOT NULL,
    season         integer NOT NULL,
    round          integer NOT NULL,
    upload         boolean NOT NULL DEFAULT false,
    upload_round   integer GENERATED ALWAYS AS (CASE WHEN upload THEN round END) STORED,
    version        integer NOT NULL CHECK (version >= 1),
    headline       text NOT NULL,
    body           text NOT NULL,
    author_id      bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    reverted_from  integer,
    discarded_at   timestamptz,
    UNIQUE (guild_id, series, season, round, upload, version),
    FOREIGN KEY (guild_id, series, season, upload_round) REFERENCES server_races ON DELETE CASCADE
);

-- The one message a server's recap of a race lives in; publishing again edits it.
CREATE TABLE recap_posts (
    guild_id      bigint NOT NULL,
    series        text NOT NULL,
    season        integer NOT NULL,
    round         integer NOT NULL,
    upload        boolean NOT NULL DEFAULT false,
    channel_id    bigint NOT NULL,
    message_id    bigint NOT NULL,
    thread_id     bigint,
    version       integer NOT NULL,
    published_by  bigint NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (guild_id, series, season, round, upload),
    FOREIGN KEY (guild_id, series, season, round, upload, version)
        REFERENCES recap_versions (guild_id, series, season, round, upload, version) ON DELETE CASCADE
);

-- Quotes a server's moderators added, seen in that server only.
CREATE TABLE guild_quotes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id          bigint NOT NULL,
    series            text NOT NULL,
    season            integer NOT NULL,
    round             integer NOT NULL,
    upload            boolean NOT NULL DEFAULT false,
    upload_round      integer GENERATED ALWAYS AS (CASE WHEN upload THEN round END) STORED,
    driver_nascar_id  integer,                       -- NASCAR's driver id, where known
    driver_key        text,                          -- the driver's name key; both NULL: the speaker is no driver
    speaker           text NOT NULL,
    text              text NOT NULL,
    context           text,
    source_url        text NOT NULL,
    added_by          bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    FOREIGN KEY (guild_id, series, season, upload_round) REFERENCES server_races ON DELETE CASCADE
);
CREATE INDEX guild_quotes_by_race ON guild_quotes (guild_id, series, season, round);

-- user_id NULL: Pit Board itself, telling the moderators something no member did.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    bigint NOT NULL,
    user_id     bigint,
    action      text NOT NULL,
    detail      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX audit_by_guild ON audit_log (guild_id, id DESC);

-- Per server and series, the newest shared race stored when announcements were turned on; only later ones are
-- announced.
CREATE TABLE announce_watermarks (
    guild_id  bigint NOT NULL,
    series    text NOT NULL,
    season    integer NOT NULL,
    round     integer NOT NULL,
    PRIMARY KEY (guild_id, series)
);

-- One row per (server, shared race, kind) is what keeps a race from being announced twice, whatever process or
-- restart: written 'pending' before the post, then 'sent' with its message. Only shared races are announced.
CREATE TABLE announcements (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id       bigint NOT NULL,
    series         text NOT NULL,
    season         integer NOT NULL,
    round          integer NOT NULL,
    kind           text NOT NULL,                    -- 'results'; later 'pre-race' and others
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    channel_id     bigint,
    message_id     bigint,
    recap_version  integer,                          -- the draft saved with it, if any
    shown          text,                             -- what the posted card shows ('v2 official'); NULL: unknown
    created_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    UNIQUE (guild_id, series, season, round, kind)
);

-- A server's race-day posts (SQLite's 0011); no row, or enabled false: none. channel_id NULL: the recap channel.
CREATE TABLE race_day (
    guild_id      bigint PRIMARY KEY,
    enabled       boolean NOT NULL DEFAULT false,
    channel_id    bigint,
    hours_before  integer NOT NULL DEFAULT 2 CHECK (hours_before BETWEEN 1 AND 72),
    ping          boolean NOT NULL DEFAULT false,
    thread        boolean NOT NULL DEFAULT false,
    since         timestamptz,                       -- when race-day posts were last turned on
    updated_at    timestamptz NOT NULL
);

-- The pre-race card of each (server, race of the schedule), written 'pending' before the post as announcements
-- are. The race is named by NASCAR's own race id, the same on every process: it is not stored as a race yet.
CREATE TABLE race_day_posts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id        bigint NOT NULL,
    nascar_race_id  integer NOT NULL,
    kind            text NOT NULL,                   -- 'pre-race'
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    channel_id      bigint,
    message_id      bigint,
    thread_id       bigint,
    shown_start     timestamptz,                     -- the start the posted card shows
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    UNIQUE (guild_id, nascar_race_id, kind)
);

-- A kind of automated post that failed in a server; it stops until the moderators fix it.
CREATE TABLE post_stops (
    guild_id    bigint NOT NULL,
    kind        text NOT NULL,                       -- 'results' (the card) or 'mod-notice'
    channel_id  bigint,
    reason      text NOT NULL,
    stopped_at  timestamptz NOT NULL,
    PRIMARY KEY (guild_id, kind)
);
