"""Race charts: the data each one shows, the PNGs, the service's cache and worker, /chart and its button."""

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import functools
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import discord
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
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.racefiles import read_race_dir, read_results
from bot.store import Store
from bot.store.models import Entry, StageResult
from bot.ui.charts import ChartButton, ChartReplies, chart_message
from cogs.charts import Charts
from tests.e2e.conftest import TOKEN, QuickBot, settings_for
from tests.fakediscord.server import FakeDiscord
from tests.fan_fakes import invoke, make_interaction

HOMESTEAD = PROJECT_ROOT / "data" / "homestead-2025"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GUILD_ID = 111  # the fake Discord's default server


@functools.cache
def drawn(spec: render.Spec) -> bytes:
    """Draw each distinct spec once per test session: drawing is the slow part, and it is deterministic."""
    return render.draw(spec)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


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
                    points=points_for(field + 1 - e.finish) if e.points_eligible else 0,
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


class CountingDraw:
    """A drawing function that counts its calls (run in a thread, so the count is shared)."""

    def __init__(self) -> None:
        self.calls: list[ChartKind] = []

    def __call__(self, spec: render.Spec) -> bytes:
        self.calls.append(spec.kind)
        return drawn(spec)


@pytest.fixture
def threads() -> Iterator[concurrent.futures.Executor]:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    yield executor
    executor.shutdown(wait=True)


@pytest.fixture
def counting() -> CountingDraw:
    return CountingDraw()


@pytest.fixture
async def service(store: Store, threads: concurrent.futures.Executor, counting: CountingDraw) -> ChartService:
    return ChartService(store, Catalog(store), executor=threads, draw=counting)


async def race_id_of(store: Store) -> int:
    return next(r.id for r in await store.race_summaries() if r.name == "Baptist Health 200")


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


@pytest.mark.parametrize("kind", list(ChartKind))
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


def test_importing_the_charts_cog_does_not_import_matplotlib():
    # As at start-up: the bot module, then the extension.
    code = "import sys, bot.client, cogs.charts; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- /chart and the Chart button -------------------------------------------------------------------------------


@pytest.fixture
def cog(store: Store, service: ChartService) -> Charts:
    return Charts(ChartReplies(service, service.catalog, SpoilerPolicy(store.guild_settings)), service.catalog)


def assert_chart_message(kwargs: dict[str, Any], description: str) -> None:
    file, embed = kwargs["file"], kwargs["embed"]
    assert isinstance(file, discord.File) and isinstance(embed, discord.Embed)
    assert embed.image.url == f"attachment://{file.filename}"
    assert embed.description == description == file.description
    file.reset()
    assert file.fp.read(8) == PNG_SIGNATURE
    mentions = kwargs["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles) == (False, False, False)


async def test_chart_defers_then_sends_the_picture_with_its_description(cog: Charts):
    interaction = make_interaction()
    await invoke(cog.chart, interaction, race=None, kind="laps-led")
    interaction.response.defer.assert_awaited_once_with(thinking=True)
    interaction.followup.send.assert_awaited_once()
    kwargs = interaction.followup.send.await_args.kwargs
    assert_chart_message(kwargs, kwargs["embed"].description)
    assert kwargs["embed"].description.startswith("Bar chart of laps led in the 2025 Baptist Health 200")
    assert kwargs["embed"].title == "Laps led · 2025 Baptist Health 200"
    assert kwargs["embed"].footer.text.startswith("Source: Pit Board race store")

    # Asked again, the chart is cached: answered at once, without "thinking…".
    again = make_interaction()
    await invoke(cog.chart, again, race="Homestead 2025", kind="laps-led")
    again.response.defer.assert_not_awaited()
    assert_chart_message(again.response.send_message.await_args.kwargs, kwargs["embed"].description)


async def test_chart_without_a_kind_draws_the_most_telling_one(cog: Charts, counting: CountingDraw):
    interaction = make_interaction()
    await invoke(cog.chart, interaction, race=None, kind=None)
    assert counting.calls == [ChartKind.LAPS_LED]


async def test_chart_refuses_privately_before_thinking(cog: Charts):
    interaction = make_interaction()
    with pytest.raises(NotFoundError, match="Only one race"):
        await invoke(cog.chart, interaction, race=None, kind="season-points")
    with pytest.raises(BadInputError, match="no 'pie' chart"):
        await invoke(cog.chart, interaction, race=None, kind="pie")
    with pytest.raises(NotFoundError, match="No race 'Daytona'"):
        await invoke(cog.chart, interaction, race="Daytona", kind=None)
    interaction.response.defer.assert_not_awaited()


async def test_chart_button_answers_with_the_races_chart(store: Store, cog: Charts, counting: CountingDraw):
    interaction = make_interaction()
    button = cog.charts.button(await race_id_of(store))
    assert isinstance(button, ChartButton) and button.label == "Chart"
    await button.callback(interaction)
    assert counting.calls == [ChartKind.LAPS_LED]
    interaction.followup.send.assert_awaited_once()


async def test_spoiler_safe_servers_get_the_chart_hidden_until_tapped(store: Store, service: ChartService):
    await store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="spoilers on")
    race_night = dt.datetime(2025, 3, 22, 2, tzinfo=dt.UTC)
    spoilers = SpoilerPolicy(store.guild_settings, clock=lambda: race_night)
    cog = Charts(ChartReplies(service, service.catalog, spoilers), service.catalog)
    interaction = make_interaction(guild_id=GUILD_ID)
    await invoke(cog.chart, interaction, race=None, kind="start-finish")
    kwargs = interaction.followup.send.await_args.kwargs
    assert "embed" not in kwargs  # an embed cannot blur its picture
    assert kwargs["file"].spoiler and kwargs["file"].filename.startswith("SPOILER_")
    assert "Kyle Larson" not in (kwargs["file"].description or "")
    assert "||Slope chart of every driver's start and finish" in kwargs["content"]
    # In a server without spoiler-safe mode the same (now cached) picture comes at once, in an embed.
    other = make_interaction(guild_id=GUILD_ID + 1)
    await invoke(cog.chart, other, race=None, kind="start-finish")
    assert other.response.send_message.await_args.kwargs["embed"].image.url.startswith("attachment://")


async def test_chart_message_shows_the_picture_in_an_embed(store: Store, service: ChartService):
    chart = await service.render(await race_id_of(store), ChartKind.START_FINISH)
    message = chart_message(chart)
    assert message.file.filename == "start-finish-2025-baptist-health-200.png"
    assert message.embed is not None
    assert message.embed.image.url == "attachment://start-finish-2025-baptist-health-200.png"
    assert message.file.description == message.embed.description == chart.description
    assert message.content is None


async def test_descriptions_stay_within_discords_alt_text_limit(store: Store):
    race = await store.race(await race_id_of(store))
    assert race is not None
    rows = [LapsLedRow(f"Driver Number {n}", str(n), 1, (1, 2, 3), race_winner=False) for n in range(200)]
    assert len(laps_led_description(race, rows, shown=200)) == DESCRIPTION_MAX


# --- end to end: real bot, fake Discord ---------------------------------------------------------------------------


@pytest.fixture
async def live_bot(fake_discord: FakeDiscord, start_bot: Callable[..., Any], store: Store, tmp_path: Path) -> Any:
    bot = QuickBot(settings=settings_for(tmp_path, fake_discord), store=store, guild_ready_timeout=0.05)
    return await start_bot(bot, TOKEN)


async def timed_results(fake: FakeDiscord) -> float:
    started = time.perf_counter()
    interaction = await fake.send_slash("results", {"top": 3})
    await interaction.wait_response()
    return time.perf_counter() - started


@pytest.mark.usefixtures("discord_contract", "discord_errors")
async def test_chart_arrives_as_a_multipart_attachment_and_results_stay_fast(fake_discord: FakeDiscord, live_bot: Any):
    baseline = [await timed_results(fake_discord) for _ in range(5)]

    # Three charts queue up in the worker process (which starts now); /results keeps answering meanwhile.
    charts = [
        await fake_discord.send_slash("chart", {"kind": kind}) for kind in ("laps-led", "start-finish", "stage-points")
    ]
    during = [await timed_results(fake_discord) for _ in range(8)]
    answered_at = time.monotonic()
    followups = [await chart.wait_followup(timeout=60) for chart in charts]
    assert followups[-1].time > answered_at, "the charts finished before /results was measured"
    assert statistics.median(during) < statistics.median(baseline) * 2 + 0.05, (baseline, during)
    assert max(during) < max(baseline) * 3 + 0.25, (baseline, during)

    for chart, followup in zip(charts, followups, strict=True):
        (deferred,) = chart.callbacks
        assert deferred.body["type"] == 5  # "thinking…", then the picture as a follow-up
        assert followup.headers["Content-Type"].startswith("multipart/form-data")
        (picture,) = followup.files
        assert picture.data[:8] == PNG_SIGNATURE and png_size(picture.data) == (1200, 675)
        (attachment,) = followup.body["attachments"]
        (embed,) = followup.body["embeds"]
        assert attachment["filename"] == picture.filename
        assert embed["image"]["url"] == f"attachment://{picture.filename}"
        assert attachment["description"] == embed["description"]
    assert followups[0].body["embeds"][0]["description"].startswith("Bar chart of laps led")
