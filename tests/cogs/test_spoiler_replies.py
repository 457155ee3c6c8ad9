"""Spoiler-safe mode in the fan cogs: a race in its window adds nothing to careers, counts or orders shown publicly."""

import dataclasses
import datetime as dt
import random

import pytest

from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.facts.spoilers import SpoilerPolicy
from bot.racefiles import parse_results
from bot.store import Store
from bot.store.models import Correction
from bot.ui.charts import ChartReplies
from bot.ui.embeds.races import results_pages
from cogs.charts import Charts
from cogs.drivers import Drivers
from cogs.quotes import Quotes
from cogs.records import Records, RevealButton
from tests.chart_fakes import GUILD_ID
from tests.fan_fakes import (
    embed_of,
    fields,
    invoke,
    make_interaction,
    pressing,
    races_cog,
    sent,
    suggest,
    text_of,
    view_of,
)

pytestmark = pytest.mark.backends("sqlite", "postgres")

RACE_NIGHT = dt.datetime(2025, 3, 22, 2, tzinfo=dt.UTC)  # 10 PM in Homestead: the shipped race is on
WEEK_LATER = RACE_NIGHT + dt.timedelta(days=7)


@pytest.fixture
async def spoilers_on(store: Store) -> Store:
    """The store, with spoiler-safe mode at 24 hours in the test server."""
    await store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="spoilers on")
    return store


def policy(catalog: Catalog, now: dt.datetime) -> SpoilerPolicy:
    return SpoilerPolicy(catalog.guild_settings, clock=lambda: now)


def reveal_of(interaction: object) -> RevealButton:
    """Return the Reveal button under a reply."""
    view = view_of(interaction)  # type: ignore[arg-type]
    assert view is not None, "no buttons under the reply"
    found = [item for item in view.children if isinstance(item, RevealButton)]
    assert len(found) == 1
    return found[0]


async def test_wins_and_the_leaderboard_leave_out_the_race_in_the_window(history_store: Store):
    await history_store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="on")
    counted = {}
    for now in (RACE_NIGHT, WEEK_LATER):
        catalog = Catalog(history_store)
        cog = Drivers(catalog, policy(catalog, now))
        board, larson = make_interaction(guild_id=GUILD_ID), make_interaction(guild_id=GUILD_ID)
        await invoke(cog.wins, board)
        await invoke(cog.wins, larson, driver="Larson")
        counted[now] = (embed_of(board).description or "", fields(embed_of(larson))["Wins"])
    board, wins = counted[RACE_NIGHT]
    assert "Kyle Larson · 3 wins in 16 starts" in board and wins == "3"
    assert "1 recent race left out while this server's spoiler-safe mode hides results." in board
    board, wins = counted[WEEK_LATER]
    assert "Kyle Larson · 4 wins in 17 starts" in board and wins == "4"
    assert "left out" not in board


async def test_a_drivers_profile_leaves_out_the_race_in_the_window(spoilers_on: Store):
    catalog = Catalog(spoilers_on)
    during, after = make_interaction(guild_id=GUILD_ID), make_interaction(guild_id=GUILD_ID)
    await invoke(Drivers(catalog, policy(catalog, RACE_NIGHT)).driver, during, name="Larson")
    await invoke(Drivers(catalog, policy(catalog, WEEK_LATER)).driver, after, name="Larson")
    shown = embed_of(during)
    assert "Finish" not in fields(shown) and "1st" not in text_of(shown)
    assert "1 recent race left out" in (shown.description or "")
    assert fields(shown)["Career in Pit Board's races"].startswith("0 starts · 0 wins")
    assert fields(embed_of(after))["Finish"] == "1st (▲2)"


async def test_driver_suggestions_list_a_held_back_field_by_name(spoilers_on: Store):
    catalog = Catalog(spoilers_on)
    during = await suggest(
        Drivers(catalog, policy(catalog, RACE_NIGHT)).driver, "name", make_interaction(guild_id=GUILD_ID), ""
    )
    after = await suggest(
        Drivers(catalog, policy(catalog, WEEK_LATER)).driver, "name", make_interaction(guild_id=GUILD_ID), ""
    )
    assert [c.name for c in after[:3]] == ["#07 Kyle Larson", "#34 Layne Riggs", "#11 Corey Heim"]
    names = [c.name.split(" ", 1)[1] for c in during]
    assert names == sorted(names) and names[0] != "Kyle Larson"


async def test_quotes_of_a_race_in_the_window_are_hidden_until_tapped(spoilers_on: Store):
    catalog = Catalog(spoilers_on)
    quotes = Quotes(catalog, policy(catalog, RACE_NIGHT), rng=random.Random(7))
    asked = make_interaction(guild_id=GUILD_ID)
    await invoke(quotes.quote, asked, driver="Larson")
    shown = embed_of(asked)
    assert fields(shown)["Role"].startswith("||Race winner")
    assert (shown.description or "").startswith("||“") and (shown.description or "").endswith("”||")
    assert "tap to reveal" in (shown.footer.text or "")
    # The Quotes button under a spoiler-safe recap hides them too.
    races = races_cog(spoilers_on, catalog=catalog, spoilers=policy(catalog, RACE_NIGHT), rng=random.Random(7))
    pressed = pressing(guild_id=GUILD_ID)
    await races.quotes_button((await catalog.race(GUILD_ID, None)).id).callback(pressed)
    assert "Race winner" not in text_of(embed_of(pressed)).replace("||Race winner", "")


async def test_compare_leaves_out_the_race_in_the_window_and_reveals_it_privately(history_store: Store):
    await history_store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="on")
    catalog = Catalog(history_store)
    cog = Records(catalog, policy(catalog, RACE_NIGHT))
    asked = make_interaction(guild_id=GUILD_ID)
    await invoke(cog.compare, asked, driver_a="Larson", driver_b="Riggs")
    shown = embed_of(asked)
    assert fields(shown)["Wins"] == "Kyle Larson 3 · Layne Riggs 2"
    assert "Press **Reveal** to see everything, privately." in (shown.description or "")
    pressed = pressing(user_id=300, guild_id=GUILD_ID)  # anyone may press it, and only they see the answer
    await reveal_of(asked).callback(pressed)
    revealed = sent(pressed)
    assert revealed["ephemeral"] is True
    assert fields(revealed["embed"])["Wins"] == "Kyle Larson 4 · Layne Riggs 2"


async def test_track_reveals_the_held_back_race_privately(history_store: Store):
    await history_store.update_guild_settings(GUILD_ID, 1, setting="spoiler_hours", value=24, detail="on")
    catalog = Catalog(history_store)
    cog = Records(catalog, policy(catalog, RACE_NIGHT))
    asked = make_interaction(guild_id=GUILD_ID)
    await invoke(cog.track, asked, name="Homestead")
    assert "2025" not in (embed_of(asked).description or "")
    pressed = pressing(guild_id=GUILD_ID)
    await reveal_of(asked).callback(pressed)
    revealed = sent(pressed)
    assert revealed["ephemeral"] is True
    assert "**2025** Baptist Health 200 · #07 Kyle Larson" in (revealed["embed"].description or "")


async def test_corrections_of_a_race_in_the_window_are_hidden_until_tapped(store: Store):
    catalog = Catalog(store)
    data = await catalog.race_data((await catalog.race(None, None)).id)
    corrected = Correction(1, data.race.id, 9, "#07 Kyle Larson: finish 1 → 3", "disqualified", RACE_NIGHT)
    data = dataclasses.replace(data, corrections=(corrected,))
    hidden = fields(results_pages(data, spoiler=True)[0])["Corrections"]
    assert hidden == "||#07 Kyle Larson: finish 1 → 3 · disqualified||"
    assert fields(results_pages(data)[0])["Corrections"] == "#07 Kyle Larson: finish 1 → 3 · disqualified"


async def test_points_after_each_race_hide_when_an_earlier_race_of_the_season_is_held_back(
    spoilers_on: Store, service: ChartService
):
    # A server's upload of the next round, run earlier the same day at Martinsville (no start time: midnight
    # there): its own window is over by the next night, but its season chart adds up the shipped race's points,
    # whose window runs to 04:00 UTC on the 23rd.
    csv = "finish,car,driver,points\n1,34,Layne Riggs,55\n2,07,Kyle Larson,0\n3,11,Corey Heim,40\n"
    entries, errors = parse_results(csv)
    assert not errors
    await spoilers_on.import_guild_results(
        guild_id=GUILD_ID,
        user_id=1,
        series=("NASCAR Craftsman Truck Series", "truck"),
        season=2025,
        round_=5,
        name="Club 150",
        track="Martinsville Speedway",
        date=dt.date(2025, 3, 21),
        entries=entries,
    )
    catalog = service.catalog
    upload = await catalog.race(GUILD_ID, "Club 150")
    next_night = dt.datetime(2025, 3, 23, 2, tzinfo=dt.UTC)
    for now, hidden in ((next_night, True), (WEEK_LATER, False)):
        replies = ChartReplies(service, catalog, policy(catalog, now))
        assert await replies.spoilers.hidden(GUILD_ID, [upload]) == frozenset()  # the upload itself is not held
        asked = make_interaction(guild_id=GUILD_ID)
        await invoke(Charts(replies, catalog).chart, asked, race=f"race:{upload.id}", kind="season-points")
        answer = (asked.followup.send.await_args or asked.response.send_message.await_args).kwargs
        assert answer["file"].spoiler is hidden
        assert ("embed" not in answer) is hidden
