"""The chart service: prepares a race's chart from the store, draws it off the event loop, and keeps the PNGs.

Drawing runs in one worker process, started on the first request. matplotlib spends most of its time in
Python code holding the GIL, so a thread would slow every other command while a chart draws; a separate
process keeps the event loop free. One worker is enough: charts are cached per race, kind and data
version, so the same chart is drawn once until a moderator's change bumps the race's data version.
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from bot.catalog import Catalog, RaceData
from bot.charts import render
from bot.charts.data import (
    ChartKind,
    LapsLedRow,
    SeasonPoints,
    StagePoints,
    StandingsBar,
    StartFinish,
    best_kind,
    caption,
    laps_led_data,
    names,
    season_points_data,
    stage_points_data,
    standings_chart_data,
    start_finish_data,
    surname,
)
from bot.errors import NotFoundError
from bot.store import Store
from bot.store.models import Race, SourceLink
from bot.store.schedule import Standings

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 1024  # Discord's limit for an attachment's description, which screen readers read out
ChartKey = tuple[int, ChartKind, Hashable]


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart and the words that go with it."""

    png: bytes
    filename: str
    title: str
    description: str  # what the picture shows, for screen readers and anyone who cannot load it
    caption: str
    kind: ChartKind
    race_id: int


@dataclass(frozen=True, slots=True)
class ChartJob:
    """A chart ready to draw: its cache key, its spec and its words."""

    key: ChartKey
    spec: render.Spec
    filename: str
    description: str
    race_id: int


def _title(race: Race) -> str:
    return f"{race.season} {race.name}"


def _date(race: Race) -> str:
    if race.date_precision == "season":
        return f"{race.season} season, round {race.round}"
    return f"{race.date:%B} {race.date.day}, {race.date.year}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _clip(text: str, limit: int = DESCRIPTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _status_note(race: Race) -> str:
    return "" if race.results_status == "official" else "Provisional results, may still change."


# --- the words for each chart --------------------------------------------------------------------------------


def laps_led_description(race: Race, rows: Sequence[LapsLedRow], *, shown: int = 8) -> str:
    """Return 'Bar chart of laps led in the 2025 Baptist Health 200 (134 laps): Corey Heim 78, …'."""
    laps = f" ({race.laps_run} laps)" if race.laps_run else ""
    listed = ", ".join(f"{row.driver} {row.laps_led}" for row in rows[:shown])
    if len(rows) > shown:
        listed += f" and {len(rows) - shown} more with fewer"
    text = f"Bar chart of laps led in the {_title(race)}{laps}: {listed}."
    for row in rows:
        if row.stage_wins:
            stages = ("Stage " if len(row.stage_wins) == 1 else "Stages ") + names([str(s) for s in row.stage_wins])
            text += f" {surname(row.driver)} won {stages}."
    winner = next((row for row in rows if row.race_winner), None)
    if winner is not None:
        text += f" {surname(winner.driver)} won the race."
    return _clip(text)


def start_finish_description(race: Race, data: StartFinish) -> str:
    """Return 'Slope chart of every driver's start and finish in …: winner Kyle Larson 3rd → 1st; …'."""
    text = (
        f"Slope chart of every driver's start and finish in the {_title(race)}: {data.gainers} gained places, "
        f"{data.losers} lost places and {data.unchanged} finished where they started."
    )
    if data.winner is not None:
        text += f" Winner {data.winner.driver} went {data.winner.text}."
    if data.biggest_gain is not None:
        move = data.biggest_gain
        text += f" {move.driver} gained the most: {move.text}, {move.gained} places."
    if data.biggest_drop is not None:
        move = data.biggest_drop
        text += f" {move.driver} lost the most: {move.text}, {-move.gained} places."
    return _clip(text)


def stage_points_description(race: Race, data: StagePoints) -> str:
    """Return 'Stacked bar chart of the points scored in …: Corey Heim 54 (20 in stages), …'."""
    listed = ", ".join(
        f"{row.driver} {row.total} ({row.total - row.finish_points} in stages)" if row.finish_points != row.total
        else f"{row.driver} {row.total}"
        for row in data.rows
    )  # fmt: skip
    text = (
        f"Stacked bar chart of the points scored in the {_title(race)}, split into stage and finish points, "
        f"top {len(data.rows)}: {listed}."
    )
    if data.unresolved:
        text += " Stage positions the store has not resolved, shown as unresolved and not given to anyone: "
        text += "; ".join(group.text for group in data.unresolved) + "."
    if data.ineligible:
        text += f" Not eligible for points: {names(list(data.ineligible))}."
    return _clip(text)


def season_points_description(race: Race, data: SeasonPoints) -> str:
    """Return 'Line chart of points after each of the 3 stored races of the 2025 …: Corey Heim 150, …'."""
    listed = ", ".join(f"{line.driver} {line.totals[-1]}" for line in data.lines)
    rounds = f"rounds {names([str(r) for r in data.rounds])}"
    return _clip(
        f"Line chart of points after each of the {len(data.races)} stored races of the {race.season} "
        f"{race.series} ({rounds}), top {len(data.lines)} after round {data.rounds[-1]}: {listed}."
    )


def standings_description(standings: Standings, label: str, series: str) -> str:
    """Return 'Bar chart of the 2025 … official standings, after race 12: Corey Heim 120, …'."""
    listed = ", ".join(f"{row.position}. {row.driver_name} {row.points}" for row in standings.rows[:10])
    more = f" and {len(standings.rows) - 10} more" if len(standings.rows) > 10 else ""
    return _clip(f"Bar chart of the {standings.season} {series} points standings, {label}: {listed}{more}.")


def standings_job(standings: Standings, label: str, series: str) -> ChartJob:
    """Return the chart of NASCAR's official standings (label: 'official, after race 12 (…)') ready to draw."""
    bars = [
        StandingsBar(r.position, r.driver_name, r.car_number, r.points, r.gap_leader, r.wins, r.playoff_points)
        for r in standings.rows
    ]
    data = standings_chart_data(bars)
    if not data.bars:
        raise NotFoundError(f"NASCAR's {standings.season} {series} standings list no driver yet.")
    spec = render.Spec(
        ChartKind.STANDINGS,
        f"Points standings · {standings.season} {series}",
        f"{label[0].upper()}{label[1:]} · top {len(data.bars)} of {data.drivers} drivers",
        "Source: NASCAR (drivers-points.json), the official standings.",
        data,
    )
    key: ChartKey = (
        0,
        ChartKind.STANDINGS,
        (standings.series, standings.season, standings.after_round, standings.fetched_at),
    )
    filename = f"standings-{standings.season}-{standings.series}-after-{standings.after_round}.png"
    return ChartJob(key, spec, filename, standings_description(standings, label, series), 0)


# --- the service ---------------------------------------------------------------------------------------------


class ChartService:
    """Prepare, draw and cache race charts; drawing happens in a worker, never on the event loop."""

    CACHE_SIZE = 64  # a chart is 60-160 KB, so the cache stays near 10 MB at most

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        executor: concurrent.futures.Executor | None = None,
        draw: Callable[[render.Spec], bytes] = render.draw,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._executor = executor
        self._owns_executor = executor is None
        self._draw = draw
        self._cache: OrderedDict[ChartKey, Chart] = OrderedDict()
        self._pending: dict[ChartKey, asyncio.Future[Chart]] = {}
        # (race, kind asked for) -> the facts a one-race job was prepared from, and the job. Preparing picks the
        # best kind by working out every kind's data; it is done again only when the facts are read again.
        self._jobs: OrderedDict[tuple[int, ChartKind | None], tuple[RaceData, ChartJob]] = OrderedDict()

    # -- preparing (fast: store reads and arithmetic) -------------------------------------------------------

    async def prepare(self, race_id: int, kind: ChartKind | None = None, *, guild_id: int | None = None) -> ChartJob:
        """Return the chart of a race ready to draw; the most telling kind when none is given.

        Raises NotFoundError when the store lacks what the chart needs. The race id must come from the
        catalog's index for the asking server (guild_id), as for every fan command.
        """
        data = await self.catalog.race_data(race_id)
        race = data.race
        asked = kind
        if (prepared := self._jobs.get((race_id, asked))) is not None and prepared[0] is data:
            self._jobs.move_to_end((race_id, asked))
            return prepared[1]
        if kind is None:
            kind = best_kind(race, data.entries, data.stages)
            if kind is None:
                raise NotFoundError(f"No results are stored for the {_title(race)} yet, so there is nothing to draw.")
        if kind is ChartKind.SEASON_POINTS:
            return await self._season_job(race, guild_id)  # drawn from the other races of the season too
        sources = await self.store.entry_sources(race.id)
        spec, description = self._race_spec(kind, data, sources)
        filename = f"{kind.value}-{_slug(_title(race))}.png"
        job = ChartJob((race.id, kind, race.data_version), spec, filename, description, race.id)
        self._jobs[(race_id, asked)] = (data, job)
        while len(self._jobs) > self.CACHE_SIZE:
            self._jobs.popitem(last=False)
        return job

    def _race_spec(self, kind: ChartKind, data: RaceData, sources: Sequence[SourceLink]) -> tuple[render.Spec, str]:
        race = data.race
        where = f"{race.track} · {_date(race)}"
        note = _status_note(race)
        match kind:
            case ChartKind.LAPS_LED:
                rows = laps_led_data(data.entries, data.stages)
                if not rows:
                    raise NotFoundError(f"No laps-led figures are stored for the {_title(race)}.")
                laps = f"{race.laps_run} laps · " if race.laps_run else ""
                spec = render.Spec(
                    kind,
                    f"Laps led · {_title(race)}",
                    f"{where} · {laps}{len(rows)} drivers led",
                    caption(sources, extra=note),
                    rows,
                    laps=race.laps_run,
                )
                return spec, laps_led_description(race, rows)
            case ChartKind.START_FINISH:
                moves = start_finish_data(data.entries)
                if len(moves.moves) < 2:
                    raise NotFoundError(f"Starting positions are not stored for the {_title(race)}.")
                spec = render.Spec(
                    kind,
                    f"Start to finish · {_title(race)}",
                    f"{where} · one line per driver, from starting spot to finishing spot",
                    caption(sources, extra=note),
                    moves,
                )
                return spec, start_finish_description(race, moves)
            case ChartKind.STAGE_POINTS:
                points = stage_points_data(data.entries, data.stages)
                if not data.stages or not points.rows:
                    raise NotFoundError(f"No stage results are stored for the {_title(race)}.")
                extra = "Stage positions from race reports or derived; unresolved ones are not guessed. " + note
                spec = render.Spec(
                    kind,
                    f"Points · {_title(race)}",
                    f"{where} · top {len(points.rows)} in points scored, stage by stage and at the finish",
                    caption(sources, extra=extra.strip()),
                    points,
                )
                return spec, stage_points_description(race, points)
            case _:
                raise AssertionError(f"not a one-race chart: {kind}")

    async def _season_job(self, race: Race, guild_id: int | None) -> ChartJob:
        season = await self.store.season_races(race.id, guild_id=guild_id)
        what = f"{race.season} {race.series}"
        if len(season) < 2:
            raise NotFoundError(
                f"Only one race of the {what} is stored (the {race.name}), "
                "so there are no points after each race to draw yet."
            )
        data = season_points_data([(s.race.round, s.race.track, s.entries) for s in season])
        if not data.lines:
            raise NotFoundError(f"No points are stored for the races of the {what}.")
        sources: list[SourceLink] = []
        for stored in season:
            sources += await self.store.entry_sources(stored.race.id)
        of = f" of {race.rounds_in_season}" if race.rounds_in_season else ""
        spec = render.Spec(
            ChartKind.SEASON_POINTS,
            f"Points after each race · {what}",
            f"The {len(season)} stored races up to round {race.round}{of}: top {len(data.lines)} by points",
            caption(sources, extra="Race points added up from the stored races; not the official standings."),
            data,
        )
        version = tuple((stored.race.id, stored.data_version) for stored in season)
        filename = f"season-points-{race.season}-{_slug(race.series_short)}-round-{race.round}.png"
        description = season_points_description(race, data)
        return ChartJob((race.id, ChartKind.SEASON_POINTS, version), spec, filename, description, race.id)

    # -- drawing (slow: in the worker) ----------------------------------------------------------------------

    def cached(self, job: ChartJob) -> Chart | None:
        """Return the chart if it was drawn already for this data version."""
        chart = self._cache.get(job.key)
        if chart is not None:
            self._cache.move_to_end(job.key)
        return chart

    async def draw(self, job: ChartJob) -> Chart:
        """Return the drawn chart: from the cache, from a drawing already under way, or drawn now."""
        chart = self.cached(job)
        if chart is not None:
            return chart
        pending = self._pending.get(job.key)
        if pending is None:
            pending = self._pending[job.key] = asyncio.ensure_future(self._draw_now(job))
            pending.add_done_callback(lambda _: self._pending.pop(job.key, None))
        # shield: one asker giving up (a cancelled interaction) does not cancel the drawing others wait for
        return await asyncio.shield(pending)

    async def render(self, race_id: int, kind: ChartKind | None = None, *, guild_id: int | None = None) -> Chart:
        """Return a race's chart, drawing it if needed."""
        return await self.draw(await self.prepare(race_id, kind, guild_id=guild_id))

    async def _draw_now(self, job: ChartJob) -> Chart:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            png = await loop.run_in_executor(self._worker(), self._draw, job.spec)
        except BrokenProcessPool:
            log.warning("The chart worker process died; starting a new one")
            broken, self._executor = self._executor, None
            if broken is not None:
                broken.shutdown(wait=False)
            png = await loop.run_in_executor(self._worker(), self._draw, job.spec)
        log.info(
            "Drew %s for race %d in %.0f ms (%d KB)", job.filename, job.race_id, (loop.time() - started) * 1000,
            len(png) // 1024,
        )  # fmt: skip
        spec = job.spec
        chart = Chart(png, job.filename, spec.title, job.description, spec.caption, spec.kind, job.race_id)
        self._cache[job.key] = chart
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return chart

    def _worker(self) -> concurrent.futures.Executor:
        if self._executor is None:
            # spawn, not fork: the bot has threads (aiosqlite's among them) that a forked child would inherit
            # mid-lock. One worker, started on the first chart, so start-up never pays for matplotlib.
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
            self._owns_executor = True
        return self._executor

    async def close(self) -> None:
        """Stop the worker process, if this service started one."""
        executor, self._executor = self._executor, None
        if executor is not None and self._owns_executor:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
