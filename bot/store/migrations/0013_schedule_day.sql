-- 0013: a scheduled race's day, kept when its start time is not announced yet.
--
-- NASCAR's race list writes a race whose time is not announced as midnight at the track ("2031-10-31T00:00:00").
-- Read as a start, that put Martinsville's race at 04:00 UTC: /next counted down to it, and race-day posts would
-- have posted the pre-race card (and pinged) at 22:00 track time the night before. Such a race now has no start
-- (start_utc NULL) but keeps its day, so /schedule and /next still place and date it, and the season's order and
-- rounds still count it. race_day is the ISO date at the track ('2031-10-31'), set on every save of the race list
-- whether or not the start is known. Rows saved before this migration are filled by the next save (the track's
-- zone is not known to SQL); until then their start orders them.

ALTER TABLE schedule_races ADD COLUMN race_day TEXT;
