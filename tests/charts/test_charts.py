"""Race charts: the data each one shows, the PNGs, and the chart service's cache and worker."""

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.charts import render
from bot.charts.data import (
    ChartKind,
    LapsLedRow,
    StagePoints,
    StartFinish,
    best_kind,
    caption,
    laps_led_data,
    season_points_data,
    stage_points_data,
    start_finish_data,
)
from bot.charts.service import DESCRIPTION_MAX, ChartService, laps_led_description
from bot.config import PROJECT_ROOT
from bot.errors import NotFoundError
from bot.racefiles import read_race_dir, read_results
from bot.store import Store
from bot.store.models import Entry, StageResult
from tests.chart_fakes import GUILD_ID, CountingDraw, drawn, png_size, race_id_of

HOMESTEAD = PROJECT_ROOT / "data" / "homestead-2025"


def points_for(finish: int) -> int:
    """The Truck Series table: 40 for a win, then 35, 34, … down to 1 for 36th."""
    return 40 if finish == 1 else max(37 - finish, 1)


async def add_second_race(store: Store) -> int:
    """Store a made-up round 5 a week after Homestead, with the field in reverse order; return its id."""
    bundle = read_race_dir(HOMESTEAD)
    field = len(bundle.entries)
    entries = tuple(
        sorted(
            (
                dataclasses.replace(
                    e,
                    finish=field + 1 - e.finish,
                    start=e.finish,
                    laps_led=None,
                    stage_points=None,
                    points=points_for(field + 1 - e.finish) if e.points_eligible == "yes" else 0,
                )
                for e in bundle.entries
                if e.finish is not None
            ),
            key=lambda e: e.finish or 0,
        )
    )
    second = dataclasses.replace(
        bundle,
        round=5,
        name="Second Test 250",
        date=bundle.date + dt.timedelta(days=7),
        entries=entries,
        stage_results=(),
        moments=(),
        quotes=(),
    )
    race_id = await store.add_race_bundle(second)
    assert race_id is not None
    return race_id


async def homestead(store: Store) -> tuple[list[Entry], list[StageResult]]:
    race_id = await race_id_of(store)
    return await store.entries(race_id), await store.stage_results(race_id)


# --- the data each chart shows -------------------------------------------------------------------------------


async def test_laps_led_data_is_the_four_leaders_with_stage_and_race_winners(store: Store):
    entries, stages = await homestead(store)
    rows = laps_led_data(entries, stages)
    assert [(r.driver, r.laps_led) for r in rows] == [
        ("Corey Heim", 78),
        ("Ross Chastain", 33),
        ("Kyle Larson", 20),
        ("Layne Riggs", 3),
    ]
    assert {r.driver: r.stage_wins for r in rows if r.stage_wins} == {"Corey Heim": (1, 2)}
    assert [r.driver for r in rows if r.race_winner] == ["Kyle Larson"]


async def test_start_finish_data_names_the_winner_and_the_biggest_movers(store: Store):
    entries, _ = await homestead(store)
    data = start_finish_data(entries)
    assert len(data.moves) == 34
    assert data.winner is not None and (data.winner.driver, data.winner.start, data.winner.finish) == (
        "Kyle Larson",
        3,
        1,
    )
    assert data.biggest_gain is not None
    assert (data.biggest_gain.driver, data.biggest_gain.text, data.biggest_gain.gained) == (
        "Jake Garcia",
        "20th → 7th",
        13,
    )
    assert data.biggest_drop is not None and data.biggest_drop.driver == "Giovanni Ruggiero"
    assert data.gainers + data.losers + data.unchanged == 34


async def test_stage_points_keep_unresolved_positions_unresolved(store: Store):
    entries, stages = await homestead(store)
    data = stage_points_data(entries, stages)
    rows = {r.driver: r for r in data.rows}
    assert data.stage_numbers == (1, 2)
    heim = rows["Corey Heim"]
    assert (heim.stages, heim.unresolved, heim.finish_points, heim.total) == ((10, 10), 0, 34, 54)
    # Friesen's 10 stage points are known, but not which of the unresolved positions earned them.
    friesen = rows["Stewart Friesen"]
    assert (friesen.stages, friesen.unresolved, friesen.finish_points) == ((0, 0), 10, 21)
    assert (rows["Chandler Smith"].stages, rows["Chandler Smith"].unresolved) == ((0, 0), 1)
    assert (rows["Grant Enfinger"].stages, rows["Grant Enfinger"].unresolved) == ((0, 0), 1)
    assert {g.candidates: g.positions for g in data.unresolved} == {
        ("Ross Chastain", "Stewart Friesen"): ((1, 5), (1, 8), (2, 4), (2, 7)),
        ("Chandler Smith", "Grant Enfinger"): ((1, 10), (2, 10)),
    }
    assert data.unresolved[0].text == "Ross Chastain or Stewart Friesen: Stage 1 5th and 8th, Stage 2 4th and 7th"
    assert data.ineligible == ("Kyle Larson", "Ross Chastain", "Brandon Jones")
    assert "Ross Chastain" not in rows and "Kyle Larson" not in rows
    for row in data.rows:
        assert sum(row.stages) + row.unresolved + row.finish_points == row.total


async def test_season_points_add_up_after_each_race(store: Store):
    entries, _ = await homestead(store)
    heim = next(e for e in entries if e.driver == "Corey Heim")
    riggs = next(e for e in entries if e.driver == "Layne Riggs")
    later = [dataclasses.replace(heim, race_id=99, points=10), dataclasses.replace(riggs, race_id=99, points=40)]
    data = season_points_data([(4, "Homestead-Miami Speedway", entries), (5, "Martinsville Speedway", later)], top=3)
    assert data.races == ("R4 Homestead-Miami", "R5 Martinsville")
    assert [(line.driver, line.totals) for line in data.lines] == [
        ("Layne Riggs", (48, 88)),
        ("Corey Heim", (54, 64)),
        ("Ty Majeski", (41, 41)),  # missed round 5: keeps his total
    ]


async def test_best_kind_is_laps_led_when_the_dominant_driver_lost(store: Store):
    race = await store.race(await race_id_of(store))
    assert race is not None
    entries, stages = await homestead(store)
    assert best_kind(race, entries, stages) is ChartKind.LAPS_LED
    # A winner from 20th in a race nobody dominated is told best from start to finish.
    shared = [
        dataclasses.replace(e, laps_led=30 if e.laps_led else 0, start=20 if e.finish == 1 else e.start)
        for e in entries
    ]
    assert best_kind(race, shared, stages) is ChartKind.START_FINISH
    assert best_kind(race, [], []) is None


async def test_caption_names_the_data_source(store: Store):
    sources = await store.entry_sources(await race_id_of(store))
    assert caption(sources) == "Source: Pit Board race store (DriverAverages.com via nascaR.data)."


# --- the pictures ---------------------------------------------------------------------------------------------


def changed_spec(spec: render.Spec) -> render.Spec:
    """Return the spec after a correction: one number moved."""
    data = spec.data
    if isinstance(data, tuple):
        changed: Any = (dataclasses.replace(data[0], laps_led=data[0].laps_led - 1), *data[1:])
    elif isinstance(data, StartFinish):
        first, *rest = data.moves
        changed = dataclasses.replace(data, moves=(dataclasses.replace(first, start=first.start + 1), *rest))
    elif isinstance(data, StagePoints):
        first, *rest = data.rows
        first = dataclasses.replace(first, finish_points=first.finish_points - 5, total=first.total - 5)
        changed = dataclasses.replace(data, rows=(first, *rest))
    else:
        first, *rest = data.lines
        first = dataclasses.replace(first, totals=(*first.totals[:-1], first.totals[-1] + 7))
        changed = dataclasses.replace(data, lines=(first, *rest))
    return dataclasses.replace(spec, data=changed)


@pytest.mark.parametrize("kind", [kind for kind in ChartKind if kind is not ChartKind.STANDINGS])  # a race's
async def test_each_chart_is_a_small_deterministic_png_that_changes_with_the_data(
    store: Store, service: ChartService, kind: ChartKind
):
    race_id = await race_id_of(store)
    if kind is ChartKind.SEASON_POINTS:
        race_id = await add_second_race(store)
    job = await service.prepare(race_id, kind)
    png = drawn(job.spec)
    assert png_size(png) == (render.WIDTH, render.HEIGHT) == (1200, 675)
    assert len(png) < 64 * 1024  # a palette PNG: every fan downloads it, the bot uploads it with each reply
    assert png[25] == 3  # IHDR colour type 3: indexed colour
    assert render.draw(job.spec) == png  # the same data draws the same bytes
    corrected = render.draw(changed_spec(job.spec))
    assert corrected != png
    assert png_size(corrected) == (1200, 675)
    assert job.spec.caption.startswith("Source: Pit Board race store (DriverAverages.com via nascaR.data).")
    assert 0 < len(job.description) <= DESCRIPTION_MAX


async def test_descriptions_state_what_each_chart_shows(store: Store, service: ChartService):
    race_id = await race_id_of(store)
    laps = await service.prepare(race_id, ChartKind.LAPS_LED)
    assert laps.description.startswith(
        "Bar chart of laps led in the 2025 Baptist Health 200 (134 laps): "
        "Corey Heim 78, Ross Chastain 33, Kyle Larson 20, Layne Riggs 3."
    )
    moves = await service.prepare(race_id, ChartKind.START_FINISH)
    assert "Winner Kyle Larson went 3rd → 1st." in moves.description
    assert "Jake Garcia gained the most: 20th → 7th, 13 places." in moves.description
    points = await service.prepare(race_id, ChartKind.STAGE_POINTS)
    assert "Ross Chastain or Stewart Friesen: Stage 1 5th and 8th, Stage 2 4th and 7th" in points.description
    assert "not given to anyone" in points.description
    assert laps.filename == "laps-led-2025-baptist-health-200.png"


async def test_descriptions_stay_within_discords_alt_text_limit(store: Store):
    race = await store.race(await race_id_of(store))
    assert race is not None
    rows = [LapsLedRow(f"Driver Number {n}", str(n), 1, (1, 2, 3), race_winner=False) for n in range(200)]
    assert len(laps_led_description(race, rows, shown=200)) == DESCRIPTION_MAX


# --- the service ------------------------------------------------------------------------------------------------


async def test_a_second_request_comes_from_the_cache(store: Store, service: ChartService, counting: CountingDraw):
    race_id = await race_id_of(store)
    first = await service.render(race_id, ChartKind.LAPS_LED)
    second = await service.render(race_id, ChartKind.LAPS_LED)
    assert second is first
    assert counting.calls == [ChartKind.LAPS_LED]


async def test_requests_at_once_draw_once(store: Store, service: ChartService, counting: CountingDraw):
    race_id = await race_id_of(store)
    charts = await asyncio.gather(*(service.render(race_id, ChartKind.START_FINISH) for _ in range(3)))
    assert charts[0] is charts[1] is charts[2]
    assert counting.calls == [ChartKind.START_FINISH]


async def test_a_chart_is_prepared_once_while_the_race_is_unchanged(store: Store, service: ChartService):
    race_id = await race_id_of(store)
    first = await service.prepare(race_id)  # the most telling kind: every kind's data is worked out
    assert await service.prepare(race_id) is first
    assert (await service.prepare(race_id, first.key[1])).key == first.key
    service.catalog.invalidate()  # the race's facts are read again: so is the chart prepared again
    again = await service.prepare(race_id)
    assert again is not first and again.key == first.key


async def test_a_moderators_correction_draws_the_chart_again(
    store: Store, service: ChartService, counting: CountingDraw
):
    # A server's own upload is the kind of race a moderator can correct.
    outcome = await store.import_guild_results(
        guild_id=GUILD_ID,
        user_id=1,
        series=("NASCAR Craftsman Truck Series", "truck"),
        season=2025,
        round_=30,
        name="Club Race 100",
        track="Homestead-Miami Speedway",
        date=dt.date(2025, 10, 1),
        entries=read_results(HOMESTEAD / "results.csv"),
    )
    before = await service.render(outcome.race_id, ChartKind.START_FINISH)
    assert await service.render(outcome.race_id, ChartKind.START_FINISH) is before
    await store.correct_result(
        guild_id=GUILD_ID, race_id=outcome.race_id, user_id=1, car="07", finish=5, reason="penalty"
    )
    after = await service.render(outcome.race_id, ChartKind.START_FINISH)
    assert counting.calls == [ChartKind.START_FINISH, ChartKind.START_FINISH]
    assert after.png != before.png
    assert "Winner Layne Riggs went 4th → 1st." in after.description


async def test_season_points_need_two_races_of_the_season(store: Store, service: ChartService):
    with pytest.raises(NotFoundError, match="Only one race of the 2025 NASCAR Craftsman Truck Series is stored"):
        await service.prepare(await race_id_of(store), ChartKind.SEASON_POINTS)
    second = await add_second_race(store)
    job = await service.prepare(second, ChartKind.SEASON_POINTS)
    assert job.description.startswith(
        "Line chart of points after each of the 2 stored races of the 2025 NASCAR Craftsman Truck Series "
        "(rounds 4 and 5), top 10 after round 5:"
    )
    # Chosen at round 4, the season so far is that one race.
    with pytest.raises(NotFoundError):
        await service.prepare(await race_id_of(store), ChartKind.SEASON_POINTS)


async def test_season_races_leave_out_other_servers_uploads(store: Store):
    outcome = await store.import_guild_results(
        guild_id=GUILD_ID,
        user_id=1,
        series=("NASCAR Craftsman Truck Series", "truck"),
        season=2025,
        round_=3,
        name="Club Race 100",
        track="Homestead-Miami Speedway",
        date=dt.date(2025, 3, 1),
        entries=read_results(HOMESTEAD / "results.csv"),
    )
    homestead_id = await race_id_of(store)
    assert [s.race.id for s in await store.season_races(homestead_id)] == [homestead_id]
    assert [s.race.id for s in await store.season_races(homestead_id, guild_id=GUILD_ID)] == [
        outcome.race_id,
        homestead_id,
    ]


async def test_the_worker_process_draws_what_the_event_loop_would(store: Store):
    service = ChartService(store, Catalog(store))  # the production path: one spawned worker process
    try:
        job = await service.prepare(await race_id_of(store), ChartKind.STAGE_POINTS)
        chart = await service.draw(job)
    finally:
        await service.close()
    assert chart.png == drawn(job.spec)  # same fonts, same bytes, in another process


async def test_season_races_follow_the_rounds_when_imported_races_know_only_their_season(store: Store):
    import io

    from bot.importers.nascar_data import parse_history
    from tests.history_data import history_csv

    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    martinsville = next(r for r in await store.race_summaries() if (r.season, r.round) == (2025, 5))
    rounds = [s.race.round for s in await store.season_races(martinsville.id)]
    # Homestead (round 4, curated, dated 21 March) counts before Martinsville (round 5, dated only by its season).
    assert rounds == [1, 2, 3, 4, 5]
