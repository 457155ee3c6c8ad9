-- 0002: what moderators do per server: settings, recap versions and posts, corrections, an audit log,
-- and races a server imported itself (visible to that server only).

ALTER TABLE races ADD COLUMN owner_guild_id INTEGER;  -- NULL: shared Pit Board data
CREATE INDEX races_by_owner ON races (owner_guild_id);

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    recap_channel_id  INTEGER,
    mod_role_id       INTEGER,
    ping_role_id      INTEGER,
    spoiler_hours     INTEGER NOT NULL DEFAULT 0 CHECK (spoiler_hours BETWEEN 0 AND 168),
    updated_at        TEXT NOT NULL
);

-- Every save is a new version; nothing is overwritten. A revert copies an old version as a new one.
CREATE TABLE recap_versions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    race_id        INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    headline       TEXT NOT NULL,
    body           TEXT NOT NULL,
    author_id      INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    reverted_from  INTEGER,
    UNIQUE (guild_id, race_id, version)
);

-- The one message a server's recap of a race lives in; publishing again edits it.
CREATE TABLE recap_posts (
    guild_id      INTEGER NOT NULL,
    race_id       INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    channel_id    INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    thread_id     INTEGER,
    version       INTEGER NOT NULL,
    published_by  INTEGER NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, race_id)
);

CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    summary     TEXT NOT NULL,   -- what changed, written by the bot from the before and after values
    reason      TEXT NOT NULL,   -- the moderator's words
    created_at  TEXT NOT NULL
);
CREATE INDEX corrections_by_race ON corrections (race_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX audit_by_guild ON audit_log (guild_id, id DESC);
