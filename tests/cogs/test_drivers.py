"""/wins and /driver called as Discord would call them, and /wins over an imported history: a career as of a race."""

import pytest

from bot.catalog import Catalog
from bot.errors import BadInputError, NotFoundError
from bot.store import Store
from bot.tree import report_error
from cogs.drivers import Drivers
from cogs.races import Races
from tests.fan_fakes import embed_of, everything, fields, invoke, lines, make_interaction, sent, suggest

# --- /wins ---------------------------------------------------------------------------------------------------


async def test_wins_for_larson(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.wins, interaction, driver="larson")
    embed = embed_of(interaction)
    assert embed.title == "Kyle Larson · wins"
    assert fields(embed) == {
        "Wins": "1",
        "Starts": "1",
        "Win rate": "100%",
        "Top 5s": "1",
        "Top 10s": "1",
        "Laps led": "20",
    }
    assert "**2025 Baptist Health 200** · Homestead-Miami Speedway · <t:1742558400:D> · from 3rd" in lines(embed)


async def test_wins_for_a_driver_without_wins(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.wins, interaction, driver="heim", series="truck", track="homestead", season=2025)
    embed = embed_of(interaction)
    assert (fields(embed)["Wins"], fields(embed)["Starts"], fields(embed)["Win rate"]) == ("0", "1", "0%")
    assert (fields(embed)["Top 5s"], fields(embed)["Laps led"]) == ("1", "78")
    assert "(NASCAR Craftsman Truck Series, Homestead-Miami Speedway, 2025)" in (embed.description or "")


async def test_wins_leaderboard(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.wins, interaction)
    embed = embed_of(interaction)
    assert embed.title == "Wins leaderboard"
    assert lines(embed)[-1] == "**1.** Kyle Larson · 1 win in 1 start"


async def test_wins_outside_the_filters(drivers: Drivers):
    with pytest.raises(NotFoundError, match=r"Kyle Larson has no starts in the stored races \(2024\)"):
        await invoke(drivers.wins, make_interaction(), driver="larson", season=2024)
    with pytest.raises(NotFoundError, match=r"No wins are stored \(2024\)"):
        await invoke(drivers.wins, make_interaction(), season=2024)


# --- /driver -------------------------------------------------------------------------------------------------


async def test_driver_7_is_corey_day_not_larson(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.driver, interaction, name="#7")
    embed = embed_of(interaction)
    assert embed.title == "Corey Day"
    assert fields(embed)["Car"] == "#7"
    assert fields(embed)["Points"] == "0 pts (eligibility disputed)"


async def test_driver_profile(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.driver, interaction, name="07")
    embed = embed_of(interaction)
    assert embed.title == "Kyle Larson"
    assert fields(embed) == {
        "Car": "#07",
        "Make": "Chevrolet",
        "Team": "Spire Motorsports",
        "Sponsor": "HendrickCars.com",
        "Start": "3rd",
        "Finish": "1st (▲2)",
        "Laps led": "20",
        "Points": "no pts (not eligible)",
        "Quotes stored": "10 · /quote driver:Kyle Larson",
        "Career in Pit Board's races": "1 start · 1 win · 1 top 5 · 1 top 10 · 20 laps led",
    }
    assert "Latest race: **2025 Baptist Health 200**" in (embed.description or "")


async def test_driver_profile_of_a_non_finisher_with_an_alias(drivers: Drivers):
    interaction = make_interaction()
    await invoke(drivers.driver, interaction, name="Gio Ruggiero")
    embed = embed_of(interaction)
    assert embed.title == "Giovanni Ruggiero"
    assert lines(embed)[0] == "Also known as Gio Ruggiero."
    assert fields(embed)["Sponsor"] == "not recorded"
    assert fields(embed)["Finish"] == "29th (▼24)"


async def test_unknown_driver_answers_privately_with_the_closest(drivers: Drivers):
    interaction = make_interaction()
    with pytest.raises(NotFoundError) as caught:
        await invoke(drivers.driver, interaction, name="Larsen")
    assert str(caught.value) == "No driver 'Larsen'. Did you mean Kyle Larson?"
    # The tree's error path answers privately, with mentions off.
    await report_error(interaction, caught.value, where="/driver")
    kwargs = sent(interaction)
    assert interaction.response.send_message.await_args.args == ("No driver 'Larsen'. Did you mean Kyle Larson?",)
    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].users is False


async def test_ambiguous_driver(drivers: Drivers):
    with pytest.raises(BadInputError, match="could be Corey Heim or Corey Day"):
        await invoke(drivers.driver, make_interaction(), name="corey")


# --- autocomplete --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("heim", "#11 Corey Heim"),
        ("LARSON", "#07 Kyle Larson"),
        ("ty maj", "#98 Ty Majeski"),
        ("07", "#07 Kyle Larson"),
    ],
)
async def test_driver_autocomplete(drivers: Drivers, typed: str, first: str):
    choices = await suggest(drivers.driver, "name", make_interaction(), typed)
    assert choices[0].name == first
    assert choices[0].value.startswith("driver:")
    assert len(choices) <= 25


async def test_season_and_series_autocomplete(races: Races, drivers: Drivers):
    assert [(c.name, c.value) for c in await suggest(races.races, "season", make_interaction(), "")] == [("2025", 2025)]
    assert [c.value for c in await suggest(drivers.wins, "series", make_interaction(), "t")] == ["truck"]
    assert [c.value for c in await suggest(drivers.wins, "track", make_interaction(), "miami")] == ["track:1"]


# --- over an imported history --------------------------------------------------------------------------------


async def test_wins_as_of_homestead_counts_the_career_up_to_that_race(history_store: Store):
    cog = Drivers(Catalog(history_store))
    asked = make_interaction()
    await invoke(cog.wins, asked, driver="larson", as_of="Homestead 2025")
    text = everything(embed_of(asked))
    assert "up to the 2025 Baptist Health 200" in text
    assert "Wins: 4" in text and "Starts: 16" in text
    everything_stored = make_interaction()
    await invoke(cog.wins, everything_stored, driver="larson")
    assert "Starts: 16\n" not in everything(embed_of(everything_stored))  # later 2025 rounds count too
