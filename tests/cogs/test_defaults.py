"""A command given no race answers with the latest race that has what it shows, and says which race and why."""

import concurrent.futures
import datetime as dt
import random

import pytest

from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.errors import NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.ui.charts import ChartReplies
from cogs.charts import Charts
from cogs.quotes import Quotes
from tests.chart_fakes import GUILD_ID, CountingDraw
from tests.fan_fakes import (
    embed_of,
    fields,
    invoke,
    lines,
    make_interaction,
    paged_view,
    pressing,
    quote_view,
    races_cog,
)

# In the generated history the latest race is the 2025 Martinsville race (round 5), imported from nascaR.data: it
# has results but no stage results and no quotes, which only the curated Homestead race (round 4) has.
LATEST = "2025 Long John Silver's 200"
STAGES_NOTE = f"Latest race with stage results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
QUOTES_NOTE = f"Latest race with quotes: 2025 Baptist Health 200 (the {LATEST} has none stored)"
OTHER_GUILD = GUILD_ID + 1


async def _without_results(store: Store, name: str) -> None:
    """Delete a race's entries, as for a race whose results are not in yet (before any catalog reads the store)."""
    race_id = next(r.id for r in await store.race_summaries() if r.name == name and r.season == 2025)
    await store.connection.execute("DELETE FROM entries WHERE race_id = ?", (race_id,))


def _quotes(store: Store) -> Quotes:
    return Quotes(Catalog(store), rng=random.Random(7))


async def _add_quote(store: Store, guild_id: int, race_name: str) -> None:
    race_id = next(r.id for r in await store.race_summaries() if r.name == race_name and r.season == 2025)
    await store.add_guild_quote(
        guild_id=guild_id,
        race_id=race_id,
        driver_id=None,
        speaker="Crew chief",
        text="Short-track racing at its best.",
        context=None,
        source_url="https://example.com/martinsville",
        author_id=1,
    )


# --- with a whole history ------------------------------------------------------------------------------------


async def test_bare_stages_answers_with_the_latest_race_with_stage_results_and_says_why(history_store: Store):
    cog = races_cog(history_store)
    asked = make_interaction()
    await invoke(cog.stages, asked)
    embed = embed_of(asked)
    assert embed.title == "Stages · 2025 Baptist Health 200"
    assert lines(embed)[0] == STAGES_NOTE
    assert "Stage 1 (laps 1-30)" in fields(embed)


async def test_stages_of_the_latest_race_asked_for_by_name_still_says_there_are_none(history_store: Store):
    cog = races_cog(history_store)
    with pytest.raises(NotFoundError, match=f"No stage results are stored for the {LATEST}"):
        await invoke(cog.stages, make_interaction(), race="Martinsville 2025")


async def test_bare_quote_answers_with_the_latest_race_with_quotes_and_says_why(history_store: Store):
    asked = make_interaction()
    await invoke(_quotes(history_store).quote, asked)
    embed = embed_of(asked)
    assert "Baptist Health 200" in fields(embed)["Race"]
    footer = (embed.footer.text or "").splitlines()
    assert footer[0].startswith("Quote 1 of 19") and footer[1] == QUOTES_NOTE
    # Every quote 'Another' steps to says it too.
    view = quote_view(asked)
    press = pressing()
    await view.another.callback(press)
    shown = press.response.edit_message.await_args.kwargs["embed"]
    assert (shown.footer.text or "").startswith("Quote 2 of 19") and QUOTES_NOTE in (shown.footer.text or "")


async def test_quote_by_a_driver_answers_with_the_latest_race_with_their_quotes(history_store: Store):
    asked = make_interaction()
    await invoke(_quotes(history_store).quote, asked, driver="larson")
    embed = embed_of(asked)
    assert embed.title == "Kyle Larson"
    footer = embed.footer.text or ""
    assert footer.startswith("Quote 1 of 10")
    assert f"Latest race with quotes from Kyle Larson: 2025 Baptist Health 200 (the {LATEST} has none" in footer


async def test_a_servers_own_quotes_count_for_that_server_only(history_store: Store):
    quotes = _quotes(history_store)
    before = make_interaction(guild_id=GUILD_ID)
    await invoke(quotes.quote, before)
    assert QUOTES_NOTE in (embed_of(before).footer.text or "")
    # A moderator adds a quote about the latest race: the catalog hears of it and the default moves, here only.
    await _add_quote(history_store, GUILD_ID, "Long John Silver's 200")
    ours, theirs = make_interaction(guild_id=GUILD_ID), make_interaction(guild_id=OTHER_GUILD)
    await invoke(quotes.quote, ours)
    await invoke(quotes.quote, theirs)
    mine = embed_of(ours)
    assert mine.title == "Crew chief" and "Long John Silver's 200" in fields(mine)["Race"]
    assert "Latest race" not in (mine.footer.text or "")  # the latest race itself: nothing to explain
    assert QUOTES_NOTE in (embed_of(theirs).footer.text or "")


async def test_bare_results_and_recap_skip_a_latest_race_without_results(history_store: Store):
    await _without_results(history_store, "Long John Silver's 200")
    cog = races_cog(history_store, rng=random.Random(1))
    note = f"Latest race with results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
    results = make_interaction()
    await invoke(cog.results, results)
    first = embed_of(results)
    assert first.title == "Results · 2025 Baptist Health 200" and lines(first)[0] == note
    # The next page says it too, and so does the first page again, written afresh from what the buttons carry.
    view = paged_view(results)
    turned = pressing()
    await view.next.callback(turned)
    second = turned.response.edit_message.await_args.kwargs["embed"]
    assert lines(second)[0] == note and "**11th**" in (second.description or "")
    again = await view.source.pages(pressing(), view.address.args)
    assert lines(again[0])[0] == note
    recap = make_interaction()
    await invoke(cog.recap, recap)
    card = embed_of(recap)
    assert (card.title or "").startswith("2025 Baptist Health 200") and lines(card)[0] == note
    assert fields(card)["Winner"].startswith("#07 Kyle Larson")


async def test_a_spoiler_safe_recap_still_says_which_race_it_picked(history_store: Store):
    await _without_results(history_store, "Long John Silver's 200")
    await history_store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="on")
    catalog = Catalog(history_store)
    race_night = dt.datetime(2025, 3, 22, 2, tzinfo=dt.UTC)  # the Homestead race is on
    cog = races_cog(
        history_store, catalog=catalog, spoilers=SpoilerPolicy(catalog.guild_settings, clock=lambda: race_night)
    )
    asked = make_interaction(guild_id=GUILD_ID)
    await invoke(cog.recap, asked)
    card = embed_of(asked)
    assert lines(card)[0].startswith("Latest race with results: 2025 Baptist Health 200")
    assert "keeps results hidden" in (card.description or "") and "Winner" not in fields(card)


async def test_bare_chart_draws_the_latest_race_with_results(history_store: Store):
    await _without_results(history_store, "Long John Silver's 200")
    catalog = Catalog(history_store)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as threads:
        service = ChartService(history_store, catalog, executor=threads, draw=CountingDraw())
        cog = Charts(ChartReplies(service, catalog, SpoilerPolicy(catalog.guild_settings)), catalog)
        asked = make_interaction()
        await invoke(cog.chart, asked, kind="laps-led")
    embed = asked.followup.send.await_args.kwargs["embed"]
    assert embed.title == "Laps led · 2025 Baptist Health 200"


# --- with only the shipped race: replies as before -----------------------------------------------------------


async def test_with_only_the_shipped_race_bare_commands_answer_as_before(store: Store):
    cog = races_cog(store, rng=random.Random(1))
    stages, results = make_interaction(), make_interaction()
    await invoke(cog.stages, stages)
    await invoke(cog.results, results)
    for embed in (embed_of(stages), embed_of(results)):
        assert lines(embed)[0].startswith("Homestead-Miami Speedway · <t:")
    quote = make_interaction()
    await invoke(_quotes(store).quote, quote)
    footer = embed_of(quote).footer.text or ""
    assert footer.startswith("Quote 1 of 19") and "\n" not in footer and "Latest race" not in footer
    with pytest.raises(NotFoundError, match=r"^No quotes from Corey Day in the 2025 Baptist Health 200\.$"):
        await invoke(_quotes(store).quote, make_interaction(), driver="#7")
