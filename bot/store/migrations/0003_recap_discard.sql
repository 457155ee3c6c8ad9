-- 0003: a moderator can discard a draft; the version stays in the history, marked, and is never published.

ALTER TABLE recap_versions ADD COLUMN discarded_at TEXT;
