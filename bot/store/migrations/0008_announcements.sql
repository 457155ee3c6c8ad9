-- 0008: new races reach the servers that want them.
--
-- A server can now turn on announcements: when a shared race of a series it follows arrives, Pit Board posts a
-- "results are in" card in its recap channel, saves a generated recap as a draft version, and tells its moderators
-- in their own channel. What that needs to remember, across restarts:
--
-- * guild_settings: whether announcements are on and since when, and the moderators' channel (private to them:
--   the bot refuses a channel every member can read).
-- * guild_series: the series a server chose to follow. No row for a server means every series the bot follows,
--   so a server that never chose gets a series the bot starts following later.
-- * announce_watermarks: per server and series, the newest shared race stored when announcements were turned on.
--   Only races after it are announced, so turning them on never posts the back catalogue. No row: nothing of that
--   series was stored then, and any race of it is new.
-- * announcements: one row per (server, race, kind) is what keeps a race from being announced twice, whatever
--   restarts. The row is written before the post ('pending'), then marked 'sent' with the message; a row left
--   pending by a crash is never posted again (see bot.announce). 'results' is the only kind yet; the next issue
--   adds others ('pre-race' …), which is why kind is part of the key.
-- * post_stops: a kind of automated post that failed in a server (a deleted channel, a lost permission). The
--   moderators are told once, and that kind stops until they fix it: setting the channel again, or turning
--   announcements on again, deletes the row. Nothing is retried forever.
-- * races.arrived_at: when a race row was first stored. nascaR.data gives a race's season and round but no date,
--   so its spoiler-safe window starts when it arrived. ALTER TABLE cannot give a column a CURRENT_TIMESTAMP
--   default, so a trigger fills it in on insert; races stored before this migration keep NULL (their arrival is
--   unknown, and they are old news). A later migration that rebuilds races must create the trigger again.

ALTER TABLE guild_settings ADD COLUMN announce INTEGER NOT NULL DEFAULT 0 CHECK (announce IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN announce_since TEXT;  -- when announcements were last turned on
ALTER TABLE guild_settings ADD COLUMN mod_channel_id INTEGER;

CREATE TABLE guild_series (
    guild_id  INTEGER NOT NULL,
    series    TEXT NOT NULL,                         -- a series code: 'truck', 'nxs', 'cup'
    PRIMARY KEY (guild_id, series)
);

CREATE TABLE announce_watermarks (
    guild_id  INTEGER NOT NULL,
    series    TEXT NOT NULL,
    season    INTEGER NOT NULL,
    round     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, series)
);

CREATE TABLE announcements (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    race_id        INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,                    -- 'results'; later 'pre-race' and others
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    channel_id     INTEGER,
    message_id     INTEGER,
    recap_version  INTEGER,                          -- the draft saved with it, if any
    created_at     TEXT NOT NULL,
    sent_at        TEXT,
    UNIQUE (guild_id, race_id, kind)
);

CREATE TABLE post_stops (
    guild_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,                       -- 'results' (the card) or 'mod-notice'
    channel_id  INTEGER,
    reason      TEXT NOT NULL,
    stopped_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, kind)
);

ALTER TABLE races ADD COLUMN arrived_at TEXT;        -- ISO-8601 UTC; NULL: stored before this migration
CREATE TRIGGER races_arrived_at AFTER INSERT ON races
FOR EACH ROW WHEN NEW.arrived_at IS NULL
BEGIN
    UPDATE races SET arrived_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') WHERE id = NEW.id;
END;
