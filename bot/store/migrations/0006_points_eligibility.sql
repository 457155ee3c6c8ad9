-- 0006: points eligibility as its three recorded states, 'yes', 'no' and 'disputed', with NULL for "not recorded".
-- Until now 'disputed' and "not recorded" were both NULL, so every imported or uploaded row without a value
-- read as disputed, and an export turned a real dispute into a blank.
--
-- What this migration can honestly carry over: 1 is 'yes' and 0 is 'no'. An old NULL could be either a dispute
-- or nothing recorded, and the database holds no trace of which (the entry notes are free text), so every old
-- NULL becomes NULL here: not recorded. Nothing is claimed that no source gives.
-- The disputes that were lost are those of curated races, and their folders under data/ still say 'disputed':
-- loading a curated race that is already stored (`python -m bot db seed`, or `import race` of its folder) fills
-- in the eligibility its folder records for each of its entries still stored as not recorded. A server's own
-- upload that said 'disputed' reads as not recorded until the moderator uploads it again.

ALTER TABLE entries ADD COLUMN eligibility TEXT CHECK (eligibility IN ('yes', 'no', 'disputed'));  -- NULL: not recorded
UPDATE entries SET eligibility = CASE points_eligible WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END
WHERE points_eligible IS NOT NULL;
-- One column holds the fact: SQL still writing the old one now fails instead of writing a value nobody reads.
ALTER TABLE entries DROP COLUMN points_eligible;
