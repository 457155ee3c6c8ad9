"""/chart and the Chart button: called directly, then end to end with the real bot against a fake Discord."""

import concurrent.futures
import datetime as dt
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest

from bot.catalog import Catalog
from bot.charts.data import ChartKind
from bot.charts.service import ChartService
from bot.config import PROJECT_ROOT
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.ui.charts import ChartButton, ChartReplies
from cogs.charts import Charts
from tests.chart_fakes import GUILD_ID, PNG_SIGNATURE, CountingDraw, png_size, race_id_of
from tests.e2e.conftest import TOKEN, QuickBot, settings_for
from tests.fakediscord.server import FakeDiscord
from tests.fan_fakes import invoke, lines, make_interaction


def test_importing_the_charts_cog_does_not_import_matplotlib():
    # As at start-up: the bot module, then the extension.
    code = "import sys, bot.client, cogs.charts; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- /chart and the Chart button -----------------------------------------------------------------------------


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


# --- /chart given no race, with a whole history ------------------------------------------------------------------

# In the generated history the latest race, the 2025 Martinsville race, has results but no stage results: only the
# curated Homestead race before it has them.
LATEST = "2025 Long John Silver's 200"


def history_charts(store: Store, threads: concurrent.futures.Executor, spoilers: SpoilerPolicy | None = None) -> Charts:
    """Return the Charts cog over a store already holding the history (its catalog is made after the import)."""
    catalog = Catalog(store)
    service = ChartService(store, catalog, executor=threads, draw=CountingDraw())
    return Charts(ChartReplies(service, catalog, spoilers or SpoilerPolicy(catalog.guild_settings)), catalog)


async def delete_latest_results(store: Store) -> None:
    """Delete the latest race's entries, as for a race whose results are not in yet."""
    race_id = next(
        r.id for r in await store.race_summaries() if r.name == "Long John Silver's 200" and r.season == 2025
    )
    await store.connection.execute("DELETE FROM entries WHERE race_id = ?", (race_id,))


def answer(interaction: MagicMock) -> dict[str, Any]:
    """Return what a /chart sent: at once when the chart was drawn already, else as a follow-up."""
    sent = interaction.followup.send.await_args or interaction.response.send_message.await_args
    return sent.kwargs


async def test_bare_chart_says_which_race_it_picked_and_why(history_store: Store, threads: concurrent.futures.Executor):
    await delete_latest_results(history_store)
    cog = history_charts(history_store, threads)
    note = f"Latest race with results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
    asked = make_interaction()
    await invoke(cog.chart, asked)
    kwargs = asked.followup.send.await_args.kwargs
    embed = kwargs["embed"]
    assert embed.title.endswith("· 2025 Baptist Health 200")
    assert lines(embed)[0] == note
    assert note not in (kwargs["file"].description or "")  # the picture's own description says what it shows
    # Asked again, the chart comes at once from the cache, and still says why.
    again = make_interaction()
    await invoke(cog.chart, again)
    again.response.defer.assert_not_awaited()
    assert lines(again.response.send_message.await_args.kwargs["embed"])[0] == note


async def test_chart_of_a_race_asked_for_or_of_the_latest_race_says_nothing_about_picking(
    history_store: Store, threads: concurrent.futures.Executor
):
    cog = history_charts(history_store, threads)
    for typed in ({}, {"race": "Homestead 2025"}, {"kind": "laps-led"}):
        asked = make_interaction()
        await invoke(cog.chart, asked, **typed)
        assert "Latest race" not in (answer(asked)["embed"].description or ""), typed


async def test_bare_stage_points_chart_draws_the_latest_race_with_stage_results(
    history_store: Store, threads: concurrent.futures.Executor
):
    cog = history_charts(history_store, threads)
    asked = make_interaction()
    await invoke(cog.chart, asked, kind="stage-points")
    embed = asked.followup.send.await_args.kwargs["embed"]
    assert embed.title == "Points · 2025 Baptist Health 200"
    assert lines(embed)[0] == f"Latest race with stage results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
    # The latest race asked for by name still says it has none.
    with pytest.raises(NotFoundError, match=f"No stage results are stored for the {LATEST}"):
        await invoke(cog.chart, make_interaction(), race="Martinsville 2025", kind="stage-points")


async def test_a_spoiler_safe_bare_chart_still_says_which_race_it_picked(
    history_store: Store, threads: concurrent.futures.Executor
):
    await delete_latest_results(history_store)
    await history_store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="on")
    race_night = dt.datetime(2025, 3, 22, 2, tzinfo=dt.UTC)  # the Homestead race is on
    spoilers = SpoilerPolicy(history_store.guild_settings, clock=lambda: race_night)
    cog = history_charts(history_store, threads, spoilers)
    asked = make_interaction(guild_id=GUILD_ID)
    await invoke(cog.chart, asked)
    kwargs = asked.followup.send.await_args.kwargs
    assert "embed" not in kwargs and kwargs["file"].spoiler
    first, second = kwargs["content"].splitlines()[:2]
    assert first == f"Latest race with results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
    assert "spoiler-safe mode: tap to reveal" in second


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
