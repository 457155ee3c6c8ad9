"""Every fan command typed bare, against a whole history: each answers with a race that has what it shows, and says
which race and why when that is not the latest one.

In the generated history the latest race (the 2025 Martinsville race, imported from nascaR.data) has results but no
stage results and no quotes, as the real history's latest race has none: only the curated Homestead race does.
"""

import concurrent.futures
import random

from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.ui.charts import ChartReplies
from cogs.charts import Charts
from cogs.drivers import Drivers
from cogs.quotes import Quotes
from tests.chart_fakes import CountingDraw
from tests.fan_fakes import invoke, make_interaction, races_cog, text_of

LATEST = "2025 Long John Silver's 200"
PICKED = "2025 Baptist Health 200"


def why(shown: str) -> str:
    return f"Latest race with {shown}: {PICKED} (the {LATEST} has none stored)"


async def bare_replies(store: Store, threads: concurrent.futures.Executor) -> dict[str, str]:
    """Run each fan command that needs no option, with none; return everything each public reply shows, as text."""
    catalog = Catalog(store)
    spoilers = SpoilerPolicy(catalog.guild_settings)
    races = races_cog(store, catalog=catalog, spoilers=spoilers, rng=random.Random(1))
    service = ChartService(store, catalog, executor=threads, draw=CountingDraw())
    charts = Charts(ChartReplies(service, catalog, spoilers), catalog)
    commands = {
        "recap": races.recap,
        "results": races.results,
        "stages": races.stages,
        "races": races.races,
        "chart": charts.chart,
        "quote": Quotes(catalog, spoilers, rng=random.Random(1)).quote,
        "wins": Drivers(catalog, spoilers).wins,
    }
    shown: dict[str, str] = {}
    for name, command in commands.items():
        asked = make_interaction()
        await invoke(command, asked)  # raises, as the command would answer privately, if it has nothing to show
        sent = asked.followup.send.await_args or asked.response.send_message.await_args
        assert not sent.kwargs.get("ephemeral", False), name
        embed = sent.kwargs.get("embed")
        shown[name] = text_of(embed) if embed is not None else sent.kwargs["content"]
    return shown


async def test_bare_commands_answer_with_the_latest_race_that_has_what_they_show(
    history_store: Store, threads: concurrent.futures.Executor
):
    shown = await bare_replies(history_store, threads)
    # The latest race has results: the commands showing them answer about it, with nothing to explain.
    for name in ("recap", "results", "chart"):
        assert LATEST in shown[name] and "Latest race with" not in shown[name], name
    # It has no stage results and no quotes: those commands answer about the race before it, and say why.
    assert shown["stages"].startswith(f"Stages · {PICKED}\n{why('stage results')}\n")
    assert PICKED in shown["quote"] and why("quotes") in shown["quote"]
    # The list and the leaderboard are about no one race; they say how current the data is.
    for name in ("races", "wins"):
        assert f"current up to the {LATEST} (round 5)" in shown[name], name


async def test_bare_commands_skip_a_latest_race_with_nothing_stored_yet(
    history_store: Store, threads: concurrent.futures.Executor
):
    # A race whose results are not in yet: no command has anything to show about it.
    latest = (await history_store.race_summaries())[0]  # newest first
    assert f"{latest.season} {latest.name}" == LATEST
    await history_store.connection.execute("DELETE FROM entries WHERE race_id = ?", (latest.id,))
    shown = await bare_replies(history_store, threads)
    for name, what in (("recap", "results"), ("results", "results"), ("chart", "results"), ("stages", "stage results")):
        assert why(what) in shown[name], name
    assert why("quotes") in shown["quote"]
