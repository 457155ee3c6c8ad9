"""/track and /compare called as Discord calls them, over the synthetic Truck history and the curated Homestead race."""

import datetime as dt
import io

import pytest

from bot.catalog import Catalog
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.importers.nascar_data import parse_history
from bot.store import Store
from cogs.records import Records
from tests.fan_fakes import embed_of, fields, invoke, make_interaction, paged_view

GUILD = 77


@pytest.fixture
def cog(history_store: Store) -> Records:
    return Records(Catalog(history_store), SpoilerPolicy(history_store.guild_settings))


async def test_track_lists_winners_newest_first_with_most_wins_and_records(cog: Records):
    interaction = make_interaction()
    await invoke(cog.track, interaction, name="Homestead")
    embed = embed_of(interaction)
    assert embed.title == "Homestead-Miami Speedway · winners"
    assert (embed.description or "").splitlines() == [
        "3 races stored.",
        "",
        "**2025** Baptist Health 200 · #07 Kyle Larson",
        "**2024** Baptist Health 200 · #9 Grant Enfinger",
        "**2023** Baptist Health 200 · #42 Carson Hocevar",
    ]
    assert fields(embed) == {
        "Most wins": "1 win · Carson Hocevar, Grant Enfinger, Kyle Larson",
        "Most starts": "3 · Corey Heim, Grant Enfinger, Kyle Larson, Layne Riggs and 1 more",
        "Most laps led in a race": "78 · Corey Heim (2025 Baptist Health 200)",
        "Won from furthest back": "from 6th · Carson Hocevar (2023 Baptist Health 200), "
        "Grant Enfinger (2024 Baptist Health 200)",
        "Fastest pole": "168.167 mph · Corey Heim (2025 Baptist Health 200)",
        "Closest winning margin": "1.340 s · Kyle Larson (2025 Baptist Health 200)",
    }
    assert (embed.footer.text or "").splitlines()[0] == "Counted from the races stored in Pit Board"


async def test_track_most_wins_at_daytona(cog: Records):
    interaction = make_interaction()
    await invoke(cog.track, interaction, name="Daytona", series="truck")
    embed = embed_of(interaction)
    assert fields(embed)["Most wins"] == "2 wins · Corey Heim"
    assert "3 races stored (NASCAR Craftsman Truck Series)." in (embed.description or "")


async def test_track_errors(cog: Records):
    with pytest.raises(NotFoundError, match="No track 'Monaco'"):
        await invoke(cog.track, make_interaction(), name="Monaco")
    with pytest.raises(NotFoundError, match="No races of the 'cup' series are stored"):
        await invoke(cog.track, make_interaction(), name="Homestead", series="cup")


async def test_track_leaves_out_a_race_still_in_the_spoiler_window(history_store: Store):
    await history_store.update_guild_settings(GUILD, 1, setting="spoiler_hours", value=48, detail="spoilers 48h")
    during = dt.datetime(2025, 3, 22, 12, tzinfo=dt.UTC)  # the day after the curated Homestead race
    cog = Records(Catalog(history_store), SpoilerPolicy(history_store.guild_settings, clock=lambda: during))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(cog.track, interaction, name="Homestead")
    embed = embed_of(interaction)
    assert "2025" not in (embed.description or "") + "".join(fields(embed).values())
    assert "Most laps led in a race" in fields(embed)  # counted from 2023 and 2024 only
    assert "1 recent race left out while this server's spoiler-safe mode hides results." in (embed.description or "")


async def test_compare_heim_and_riggs(cog: Records):
    interaction = make_interaction()
    await invoke(cog.compare, interaction, driver_a="Corey Heim", driver_b="Riggs")
    embed = embed_of(interaction)
    assert embed.title == "Corey Heim vs Layne Riggs"
    assert embed.description == "In the 19 races both started (2023-2025)."
    assert fields(embed) == {
        "Finished ahead": "Corey Heim 13 · Layne Riggs 6",
        "Wins": "Corey Heim 7 · Layne Riggs 3",
        "Average finish": "Corey Heim 1.9 · Layne Riggs 2.8",
    }


async def test_compare_at_one_track(cog: Records):
    interaction = make_interaction()
    await invoke(cog.compare, interaction, driver_a="Heim", driver_b="Layne Riggs", track="Homestead")
    embed = embed_of(interaction)
    assert embed.description == "In the 3 races both started (Homestead-Miami Speedway) (2023-2025)."
    assert fields(embed)["Finished ahead"] == "Corey Heim 1 · Layne Riggs 2"


async def test_compare_errors(cog: Records):
    with pytest.raises(BadInputError, match="pick two different drivers"):
        await invoke(cog.compare, make_interaction(), driver_a="Corey Heim", driver_b="Heim")
    with pytest.raises(NotFoundError, match="Carson Hocevar and Andres Perez de Lara never started the same"):
        await invoke(cog.compare, make_interaction(), driver_a="Hocevar", driver_b="Perez de Lara")


async def test_a_long_winners_list_is_paged(store: Store):
    rows = ['"Season","Race","Track","Name","Finish","Car","Driver"']
    rows += [f'{season},1,"Eldora Speedway","Dirt Derby",1,"5","Driver {season}"' for season in range(1995, 2020)]
    history = parse_history(io.StringIO("\n".join(rows) + "\n"), series="truck", source="eldora.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    cog = Records(Catalog(store), SpoilerPolicy(store.guild_settings))
    interaction = make_interaction()
    await invoke(cog.track, interaction, name="Eldora")
    view = paged_view(interaction)
    assert len(view.pages) == 3
    assert (view.pages[0].description or "").splitlines()[2] == "**2019** Dirt Derby · #5 Driver 2019"
