-- 0011: race-day posts, per server (/manage settings race-day).
--
-- With NASCAR's feed on (RACE_FEED), a server can have Pit Board post around each race of the series it follows:
-- a pre-race card some hours before the start (maybe pinging its ping role, maybe opening a thread), then the
-- "results are in" card minutes after the flag, edited as the results change and become official, and when they
-- are official a draft recap for the moderators. What that needs to remember, across restarts:
--
-- * race_day: a server's settings. No row, or enabled = 0: no race-day posts (the default). channel_id NULL means
--   the recap channel. since is when they were last turned on: a race whose results were stored before that gets
--   no results card, so turning them on never posts about races already run.
-- * race_day_posts: the pre-race card of each (server, NASCAR race). It is its own table because the race it is
--   about is a race of the schedule (schedule_races), not stored in races yet, and announcements.race_id must name
--   a stored race. The same rule as announcements: the row is written 'pending' before the post, then marked
--   'sent' with the message (and the thread it opened); a row left pending by a crash is never posted again.
--   shown_start is the start the card shows, so a race moved after the card went out gets its card edited.
-- * announcements.shown: what a posted card shows ('v2 official' for a results card: the results version and
--   status), so a new version (a penalty) or official results edit the same message instead of posting another.
--   The 'results' card stays one row per (server, race) whoever posted it: announcements (nascaR.data) or
--   race-day (the feed). A new kind, 'official-draft', records the draft recap saved once a race is official.

CREATE TABLE race_day (
    guild_id      INTEGER PRIMARY KEY,
    enabled       INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    channel_id    INTEGER,                            -- NULL: the recap channel
    hours_before  INTEGER NOT NULL DEFAULT 2 CHECK (hours_before BETWEEN 1 AND 72),
    ping          INTEGER NOT NULL DEFAULT 0 CHECK (ping IN (0, 1)),
    thread        INTEGER NOT NULL DEFAULT 0 CHECK (thread IN (0, 1)),
    since         TEXT,                               -- ISO-8601 UTC: when race-day posts were last turned on
    updated_at    TEXT NOT NULL
);

CREATE TABLE race_day_posts (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    nascar_race_id  INTEGER NOT NULL,                 -- schedule_races.nascar_race_id (no foreign key: a race list
                                                      -- may drop a race, and what was posted stays recorded)
    kind            TEXT NOT NULL,                    -- 'pre-race'
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    channel_id      INTEGER,
    message_id      INTEGER,
    thread_id       INTEGER,
    shown_start     TEXT,                             -- ISO-8601 UTC: the start the posted card shows
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (guild_id, nascar_race_id, kind)
);

ALTER TABLE announcements ADD COLUMN shown TEXT;      -- what the posted card shows ('v2 official'); NULL: unknown
