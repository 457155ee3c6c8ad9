"""What the store's read queries share: the columns of a race summary and an entry, and the rows made of them."""

import datetime as dt
import sys
from typing import Any, TypeVar

import aiosqlite

from bot.store.models import Entry, RaceSummary

# When a race arrived, as spoiler-safe mode reads it (needs the aliases r, sn and se): only for a race with no known
# date (a dated race's window opens at its start), and not for the races the first import of a series' whole
# history brought (at or before the round bot.store.imports.first_import_key records). Those are history, whenever
# the file was read, and no window opens on them.
ARRIVAL = """
    CASE WHEN r.date_precision = 'day' THEN NULL
         WHEN r.owner_guild_id IS NULL AND EXISTS (
        SELECT 1 FROM meta fi WHERE fi.key = 'nascar_data:' || se.short_name || ':first_import_through'
          AND (sn.year, r.round) <= (CAST(substr(fi.value, 1, instr(fi.value, ':') - 1) AS INTEGER),
                                     CAST(substr(fi.value, instr(fi.value, ':') + 1) AS INTEGER)))
    THEN NULL ELSE r.arrived_at END
"""
# Columns of RaceSummary, shared by every query that lists races.
SUMMARY_COLUMNS = f"""
    r.id, se.name AS series, se.short_name AS series_short, sn.year AS season, r.round, r.name,
    t.name AS track, r.race_date, r.date_precision, r.results_status, r.start_time_local, r.race_duration,
    r.start_utc, {ARRIVAL} AS arrival,
    (SELECT d.name FROM entries e JOIN drivers d ON d.id = e.driver_id
      WHERE e.race_id = r.id AND e.finish_pos = 1) AS winner,
    (SELECT e.car_number FROM entries e WHERE e.race_id = r.id AND e.finish_pos = 1) AS winner_car
"""  # noqa: S608 - fixed fragments, no values
SUMMARY_FROM = """
    FROM races r
    JOIN seasons sn ON sn.id = r.season_id
    JOIN series se ON se.id = sn.series_id
    JOIN tracks t ON t.id = r.track_id
"""
ENTRY_COLUMNS = """
    e.id, e.race_id, e.driver_id, d.name AS driver, e.car_number, tm.name AS team, e.make, e.sponsor,
    e.start_pos, e.finish_pos, e.laps_completed, e.status, e.laps_led, e.points, e.stage_points,
    e.eligibility, e.notes
"""
ENTRY_FROM = """
    FROM entries e
    JOIN drivers d ON d.id = e.driver_id
    LEFT JOIN teams tm ON tm.id = e.team_id
"""


_Text = TypeVar("_Text", str, None)


def shared_text(text: _Text) -> _Text:
    """Return one shared copy of a text that repeats across rows (a series, track, team, status, name).

    A driver's career is read as hundreds of rows, each with its race and entry: with a copy of every such
    text per row they took 1.3 KB a row.
    """
    return text if text is None else sys.intern(text)


def summary_of(row: aiosqlite.Row) -> RaceSummary:
    """Return the race summary of a row selected with SUMMARY_COLUMNS."""
    return RaceSummary(
        id=row["id"],
        series=shared_text(row["series"]),
        series_short=shared_text(row["series_short"]),
        season=row["season"],
        round=row["round"],
        name=shared_text(row["name"]),
        track=shared_text(row["track"]),
        date=dt.date.fromisoformat(row["race_date"]),
        results_status=shared_text(row["results_status"]),
        winner=shared_text(row["winner"]),
        winner_car=shared_text(row["winner_car"]),
        date_precision=shared_text(row["date_precision"]),
        start_time_local=shared_text(row["start_time_local"]),
        race_duration=row["race_duration"],
        arrived_at=arrival(row["arrival"]),
        start_utc=arrival(row["start_utc"]),
    )


def arrival(text: str | None) -> dt.datetime | None:
    """Return an instant stored as ISO-8601 UTC (when a race arrived, its start), or None."""
    return dt.datetime.fromisoformat(text) if text else None


def entry_of(row: aiosqlite.Row) -> Entry:
    """Return the entry of a row selected with ENTRY_COLUMNS (a whole career is hundreds of these)."""
    (
        entry_id,
        race_id,
        driver_id,
        driver,
        car_number,
        team,
        make,
        sponsor,
        start,
        finish,
        laps,
        status,
        laps_led,
        points,
        stage_points,
        eligible,
        notes,
    ) = row
    return Entry(
        id=entry_id,
        race_id=race_id,
        driver_id=driver_id,
        driver=shared_text(driver),
        car_number=shared_text(car_number),
        team=shared_text(team),
        make=shared_text(make),
        sponsor=shared_text(sponsor),
        start=start,
        finish=finish,
        laps=laps,
        status=shared_text(status),
        laps_led=laps_led,
        points=points,
        stage_points=stage_points,
        points_eligible=shared_text(eligible),  # the column's CHECK admits only yes, no and disputed
        notes=notes,
    )


# The facts of an entry an import compares and corrects: (the name reports use, the entries column it is read from
# as a stored row gives it, the attribute of the imported record). Every source's record names them the same way.
ENTRY_FACTS: tuple[tuple[str, str, str], ...] = (
    ("finish", "finish_pos", "finish"),
    ("start", "start_pos", "start"),
    ("team", "team", "team"),
    ("make", "make", "make"),
    ("laps", "laps_completed", "laps"),
    ("status", "status", "status"),
    ("laps led", "laps_led", "laps_led"),
    ("points", "points", "points"),
)


def entry_facts(stored: aiosqlite.Row, record: object) -> list[tuple[str, Any, Any]]:
    """Return (name, stored value, the record's value) for each of ENTRY_FACTS."""
    return [(name, stored[column], getattr(record, attribute)) for name, column, attribute in ENTRY_FACTS]
