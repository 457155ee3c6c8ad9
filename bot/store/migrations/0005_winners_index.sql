-- 0005: the winners of every race, by car number, for "the car's Nth win in the series" in /recap milestones.
-- Without it SQLite probed every race of the series for its winner (about 6 ms for a Cup race at 200,000
-- results); the index holds one row per race.

CREATE INDEX entries_winners ON entries (car_number, race_id) WHERE finish_pos = 1;
