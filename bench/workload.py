"""What the benchmark asks: every fan command and autocomplete, with option values taken from the database.

Values vary from one interaction to the next the way fans' do (different races, drivers and half-typed
words), so caches are exercised as in use rather than hit by one repeated question.
"""

import random
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.names import name_key

SAMPLE = 40  # races and drivers a row cycles through (more than the catalog keeps, so some reads miss)
CHART_FANS = 1_000  # members the chart row's presses come from: one member may ask for six charts a minute
BACKGROUND_FANS = 10_000  # members a background load comes from, so no member reaches a per-member limit
CHART_CACHE = 64  # charts the bot keeps (bot.charts.service.ChartService.CACHE_SIZE)
LONG_OPTION = 6_000  # the longest string option value Discord delivers
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table: a slash command or an autocomplete, and the option values it cycles."""

    label: str
    command: str
    variants: tuple[Mapping[str, Any], ...]
    focused: str | None = None  # the option being typed, for an autocomplete
    members: int = 1  # distinct members the interactions come from, in turn
    moderator: bool = False  # sent by the server's owner; its private "Done: …" reply is the answer, not an error

    @property
    def autocomplete(self) -> bool:
        """Return whether this row sends autocomplete interactions (type 4)."""
        return self.focused is not None


FLOOR = Row("floor: /noop", "noop", ({},))
FLOOR_AUTOCOMPLETE = Row("floor: /noop autocomplete", "noop", ({"text": "o"},), focused="text")
# A moderator's save: clearing the ping role writes guild_settings and the audit log through the bot's store.
MODERATOR_WRITE = Row("moderator save: /manage settings ping-role", "manage settings ping-role", ({},), moderator=True)
# What a moderator reads: this server's settings (its settings, followed series, race-day settings, stopped posts).
MODERATOR_READ = Row("moderator read: /manage settings show", "manage settings show", ({},), moderator=True)
REFRESH = Row("refresh", "bench-refresh", ({"series": "cup"},))  # bench.refresher: the bot's own refresh, now


@dataclass(frozen=True, slots=True)
class DataShape:
    """The size of what the bot holds."""

    races: int
    results: int
    drivers: int
    tracks: int


def _plain(name: str) -> str:
    return " ".join(w for w in name_key(name).split() if w not in _SUFFIXES)


def _sample(rng: random.Random, items: list[Any], count: int = SAMPLE) -> list[Any]:
    return rng.sample(items, min(count, len(items)))


def shape_of(database: Path) -> DataShape:
    """Return how many races, results, drivers and tracks the database holds."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        count = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                 for table in ("races", "entries", "drivers", "tracks")}  # fmt: skip
    return DataShape(count["races"], count["entries"], count["drivers"], count["tracks"])


def build_rows(database: Path, *, seed: int = 7) -> list[Row]:
    """Return the rows to measure, with option values that exist in this database."""
    rng = random.Random(seed)  # noqa: S311 - picks sample values, guards nothing
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        races = conn.execute(
            """
            SELECT r.id, sn.year, r.name, t.name, se.short_name FROM races r
            JOIN seasons sn ON sn.id = r.season_id JOIN series se ON se.id = sn.series_id
            JOIN tracks t ON t.id = r.track_id
            WHERE r.owner_guild_id IS NULL AND EXISTS (SELECT 1 FROM entries e WHERE e.race_id = r.id)
            ORDER BY substr(r.race_date, 1, 4) DESC, r.round DESC, r.race_date DESC, r.id DESC
            """  # the bot's own order (bot/store/races.py), so races[0] is the race "latest" means
        ).fetchall()
        drivers = conn.execute(
            "SELECT d.id, d.name, count(*) AS starts FROM drivers d JOIN entries e ON e.driver_id = d.id "
            "GROUP BY d.id ORDER BY starts DESC, d.id"
        ).fetchall()
        latest_series, latest_season = races[0][4], races[0][1]
        quoted = [row[0] for row in conn.execute("SELECT DISTINCT race_id FROM quotes WHERE guild_id IS NULL")]
        staged = [row[0] for row in conn.execute("SELECT DISTINCT race_id FROM stage_results ORDER BY race_id DESC")]
        # Pairs for /compare: each of the busiest drivers with whoever shared the most races with them.
        pairs = []
        for driver_id, _, _ in drivers[:8]:
            query = """
                SELECT b.driver_id FROM entries a JOIN entries b ON b.race_id = a.race_id AND b.driver_id != a.driver_id
                WHERE a.driver_id = ? GROUP BY b.driver_id ORDER BY count(*) DESC, b.driver_id LIMIT 1
            """
            partner = conn.execute(query, (driver_id,)).fetchone()
            if partner is not None:
                pairs.append((f"driver:{driver_id}", f"driver:{partner[0]}"))
    finally:
        conn.close()

    # Names typed in full must name one driver: leave out those who share their name without a suffix.
    plain_counts: dict[str, int] = {}
    for _, name, _ in drivers:
        plain_counts[_plain(name)] = plain_counts.get(_plain(name), 0) + 1
    unique = [(i, name) for i, name, _ in drivers if plain_counts[_plain(name)] == 1 and _plain(name) == name_key(name)]
    # Fans ask mostly about the drivers with the most starts, sometimes about anyone.
    famous = unique[: SAMPLE // 2]
    asked = famous + _sample(rng, unique[SAMPLE // 2 :], SAMPLE - len(famous))
    picked_races = _sample(rng, races)
    typed_races = [f"{year} {name} {track}" for _, year, name, track, _ in picked_races]
    surnames = sorted({name.split()[-1][:4].lower() for _, name in asked})[:8]
    tracks = sorted({track for *_, track, _ in races})
    track_words = ["", *sorted({t.split()[0][:4].lower() for t in tracks})[:6]]

    def values(option: str, items: list[Any]) -> tuple[dict[str, Any], ...]:
        return tuple({option: item} for item in items)

    return [
        Row("/recap (latest race)", "recap", ({},)),
        Row("/recap race: picked", "recap", values("race", [f"race:{r[0]}" for r in picked_races])),
        Row("/results (latest race)", "results", ({},)),
        Row("/results race: typed", "results", values("race", typed_races)),
        Row("/stages (latest race)", "stages", ({},))
        if races[0][0] in staged
        else Row("/stages race: picked", "stages", values("race", [f"race:{i}" for i in staged[:SAMPLE]])),
        Row("/quote race: picked", "quote", values("race", [f"race:{race_id}" for race_id in quoted])),
        Row("/wins (leaderboard)", "wins", ({},)),
        Row("/wins series: season:", "wins", ({"series": latest_series, "season": latest_season},)),
        Row("/wins driver: picked", "wins", values("driver", [f"driver:{i}" for i, _ in asked])),
        Row("/driver name: typed", "driver", values("name", [name for _, name in asked])),
        Row("/track name: typed", "track", values("name", _sample(rng, tracks, 12))),
        Row("/compare driver_a: driver_b: picked", "compare", tuple({"driver_a": a, "driver_b": b} for a, b in pairs)),
        Row("/races (all)", "races", ({},)),
        Row("/races series: season:", "races", ({"series": latest_series, "season": latest_season},)),
        Row("/help", "help", ({},)),
        Row("/chart (latest race)", "chart", ({},), members=CHART_FANS),
        Row(
            "autocomplete /results race",
            "results",
            values("race", ["", "hom", "latest", "dayt", "2019 tal", "bristol", "coca cola 600", "2025"]),
            focused="race",
        ),
        Row(
            "autocomplete /wins driver",
            "wins",
            values("driver", ["", *surnames, "#7", "kyle b", "dale earn"]),
            focused="driver",
        ),
        Row(
            "autocomplete /quote driver (race chosen)",
            "quote",
            tuple({"race": f"race:{quoted[0]}", "driver": typed} for typed in ["", "lar", "#1", "cor"]),
            focused="driver",
        ),
        Row("autocomplete /wins track", "wins", values("track", track_words), focused="track"),
        Row("autocomplete /races series", "races", values("series", ["", "cup", "tru", "xfin"]), focused="series"),
        Row("autocomplete /races season", "races", values("season", ["", "20", "199", "2025"]), focused="season"),
    ]


@dataclass(frozen=True, slots=True)
class Load:
    """Work other members keep the bot busy with, a new request as soon as one is answered, while rows run."""

    label: str  # "while others draw charts"
    row: Row
    in_flight: int
    about: str  # what the requests are, for the report


def background_loads(database: Path, *, seed: int = 11) -> tuple[list[Load], list[str]]:
    """Return the loads this database allows, and why any was left out.

    Charts: every request a race none of the last 64 asked for, so each one misses the bot's chart cache and is
    drawn. Long options: 6,000 characters typed into /results' race option, each one different.
    """
    rng = random.Random(seed)  # noqa: S311 - makes up text, guards nothing
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        race_ids = [row[0] for row in conn.execute(
            "SELECT r.id FROM races r WHERE r.owner_guild_id IS NULL "
            "AND EXISTS (SELECT 1 FROM entries e WHERE e.race_id = r.id) ORDER BY r.id"
        )]  # fmt: skip
        words = sorted({word for (name,) in conn.execute("SELECT name FROM tracks") for word in name.lower().split()})
    loads: list[Load] = []
    skipped: list[str] = []
    if len(race_ids) > 2 * CHART_CACHE:
        drawn = _sample(rng, race_ids, 8 * CHART_CACHE)
        chart_row = Row("charts", "chart", tuple({"race": f"race:{i}"} for i in drawn), members=BACKGROUND_FANS)
        about = (
            f"/chart for {len(drawn)} races in turn (the most telling kind of each), more than the {CHART_CACHE} "
            "charts the bot keeps, so every one is drawn"
        )
        loads.append(Load("while others draw charts", chart_row, 2, about))
    else:
        skipped.append(
            f"While others draw charts: not measured, {len(race_ids)} race(s) stored, and the bot keeps "
            f"{CHART_CACHE} charts, so every chart after the first few would come from its cache."
        )
    words = words or ["speedway"]

    def typed() -> str:
        text = " ".join(rng.choice(words) + rng.choice(("", " 19", " 20", "x", "-")) for _ in range(LONG_OPTION // 4))
        return text[:LONG_OPTION]

    long_row = Row(
        "6,000-character options",
        "results",
        tuple({"race": typed()} for _ in range(SAMPLE)),
        focused="race",
        members=BACKGROUND_FANS,
    )
    about = f"autocomplete of /results race with {len(long_row.variants)} different {LONG_OPTION:,}-character texts"
    loads.append(Load("while others type 6,000-character options", long_row, 2, about))
    return loads, skipped


def contention_rows(rows: list[Row]) -> list[Row]:
    """Return the fan commands measured while other members load the bot: a typed command and an autocomplete."""
    wanted = ("/results race: typed", "/driver name: typed", "autocomplete /wins driver")
    return [row for row in rows if row.label in wanted]
