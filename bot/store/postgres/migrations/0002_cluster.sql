-- 0002: what the processes of a cluster share besides the servers' data: who is running (for `python -m bot
-- status`), the posts the leader decided and each guild's own process sends (the outbox), the NASCAR feed files
-- the leader fetched (so the feeds are asked once for the whole cluster), and when each identify bucket was last
-- used (Discord's max_concurrency, across processes).

-- One row per bot process, written by the process itself every few seconds while it runs.
CREATE TABLE cluster_processes (
    process_id    text PRIMARY KEY,                -- host, pid and start time: unique across restarts
    host          text NOT NULL,
    pid           integer NOT NULL,
    shard_ids     integer[] NOT NULL,              -- the shards this process runs
    shard_count   integer NOT NULL,
    guilds        integer NOT NULL DEFAULT 0,      -- servers on its shards, as its gateway sessions reported them
    latency_ms    double precision,                -- the gateway's heartbeat round trip; NULL until measured
    leader        boolean NOT NULL DEFAULT false,
    last_refresh  text,                            -- what it last refreshed, and when; NULL: never
    started_at    timestamptz NOT NULL,
    seen_at       timestamptz NOT NULL,
    stopped_at    timestamptz                      -- set when it stopped cleanly
);

-- What the leader decided to post in a server, waiting for (or done by) the process that runs that server's shard.
-- subject names what is posted about in natural keys ('truck/2025/4' for a stored race, 'nascar/5515' for a race of
-- NASCAR's schedule); revision tells apart two edits of one post ('v2 official', a new start time).
CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id     bigint NOT NULL,
    kind         text NOT NULL,
    subject      text NOT NULL,
    revision     text NOT NULL DEFAULT '',
    channel_id   bigint,
    mod_channel_id bigint,
    decided_by   text NOT NULL,
    decided_at   timestamptz NOT NULL,
    claimed_by   text,                             -- the process sending it right now
    claimed_at   timestamptz,
    done_at      timestamptz,
    outcome      text                              -- 'sent', 'not needed', 'failed: ...'
);
-- A decision is written once while it waits; once done, the leader may decide the same again (a card whose channel
-- was fixed), and the store's own claim of each post keeps it from going out twice.
CREATE UNIQUE INDEX outbox_waiting_once ON outbox (guild_id, kind, subject, revision) WHERE done_at IS NULL;
CREATE INDEX outbox_waiting ON outbox (id) WHERE done_at IS NULL;

-- The feed files the leader fetched, as fetched; the other processes import them from here instead of asking
-- NASCAR's host themselves.
CREATE TABLE feed_documents (
    url         text PRIMARY KEY,
    body        text NOT NULL,
    fetched_at  timestamptz NOT NULL,              -- when the leader last had an answer for it
    changed_at  timestamptz NOT NULL               -- when its body last changed
);

-- Discord lets max_concurrency sessions identify every 5 seconds, one per bucket (shard_id % max_concurrency).
CREATE TABLE identify_buckets (
    bucket          integer PRIMARY KEY,
    identified_at   timestamptz NOT NULL
);
