"""Fans see how current the data is (/races, /wins, /driver, /track), and moderators the whole story (/manage data)."""

import datetime as dt
from unittest.mock import MagicMock

import discord
import pytest

from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.store.coverage import LAST_ERROR_KEY, REFRESHED_AT_KEY, SeriesFreshness, refresh_key
from bot.ui.embeds.coverage import footer_text, freshness_text
from bot.ui.limits import FOOTER_MAX
from cogs.drivers import Drivers
from cogs.manage import Manage, RecapPublisher
from cogs.records import Records
from tests.fan_fakes import embed_of, fields, invoke, make_interaction, races_cog, sent

TRUCK_NOW = (
    "NASCAR Craftsman Truck Series current up to the 2025 Long John Silver's 200 (round 5) · "
    "data: DriverAverages.com via nascaR.data"
)
TRUCK_REFRESHED = (
    "NASCAR Craftsman Truck Series current up to the 2025 Long John Silver's 200 (round 5) · "
    "refreshed 2 Jun 2025, 10:14 UTC · data: DriverAverages.com via nascaR.data"
)
GUILD_ID, MOD_ID = 4242, 7


class Clock:
    """A monotonic clock the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def footer_lines(embed: discord.Embed) -> list[str]:
    return (embed.footer.text or "").splitlines()


async def fan_footers(catalog: Catalog, store: Store) -> dict[str, list[str]]:
    """Return the footers of /races, /wins, /wins driver, /driver and /track, asked in a server."""
    spoilers = SpoilerPolicy(catalog.guild_settings)
    races, drivers, records = races_cog(store, catalog=catalog), Drivers(catalog, spoilers), Records(catalog, spoilers)
    asked = {
        "races": (races.races, {}),
        "leaderboard": (drivers.wins, {}),
        "wins": (drivers.wins, {"driver": "larson"}),
        "driver": (drivers.driver, {"name": "larson"}),
        "track": (records.track, {"name": "Homestead"}),
    }
    footers = {}
    for name, (command, options) in asked.items():
        interaction = make_interaction(guild_id=GUILD_ID)
        await invoke(command, interaction, **options)
        footers[name] = footer_lines(embed_of(interaction))
    return footers


async def test_fan_footers_say_up_to_which_race_the_series_is_current_and_credit_the_source(history_store: Store):
    footers = await fan_footers(Catalog(history_store), history_store)
    assert footers.pop("races")[0].startswith(TRUCK_NOW)  # the list's own footer, numbered after it
    assert footers == {
        "leaderboard": ["Counted from stored results", TRUCK_NOW],
        "wins": ["Counted from stored results", TRUCK_NOW],
        "driver": ["Career figures count only the races stored in Pit Board", TRUCK_NOW],
        "track": ["Counted from the races stored in Pit Board", TRUCK_NOW],
    }
    assert all("refreshed" not in line for lines in footers.values() for line in lines)  # never invented


async def test_a_refresh_shows_in_the_footers_within_seconds_even_without_new_races(history_store: Store):
    clock = Clock()
    catalog = Catalog(history_store, clock=clock)
    assert (await fan_footers(catalog, history_store))["wins"][1] == TRUCK_NOW
    # A refresh that found the file unchanged writes only when it happened.
    await history_store.set_meta_value(REFRESHED_AT_KEY.format(series="truck"), "2025-06-02T10:14:03+00:00")
    clock.now += Catalog.RECHECK_SECONDS
    footers = await fan_footers(catalog, history_store)
    assert footers["races"][0].startswith(TRUCK_REFRESHED)
    for name in ("leaderboard", "wins", "driver", "track"):
        assert footers[name][1] == TRUCK_REFRESHED, name


async def test_with_only_the_shipped_race_the_footer_names_it_without_credit(store: Store):
    interaction = make_interaction()
    await invoke(Drivers(Catalog(store)).wins, interaction)
    assert footer_lines(embed_of(interaction)) == [
        "Counted from stored results",
        "NASCAR Craftsman Truck Series current up to the 2025 Baptist Health 200 (round 4)",
    ]


def test_footers_fit_discord_with_three_series_of_the_longest_names():
    long_name = "Careers for Veterans 200, presented by " + "Cooper Standard Foundation and " * 20
    series = [
        SeriesFreshness(
            series=f"NASCAR {name} Series",
            series_short=code,
            season=2025,
            round=36,
            race=long_name,
            credit="DriverAverages.com via nascaR.data",
            refreshed_at=dt.datetime(2025, 6, 2, 10, 14, tzinfo=dt.UTC),
            last_error=None,
        )
        for name, code in (("Cup", "cup"), ("Xfinity", "nxs"), ("Craftsman Truck", "truck"))
    ]
    footer = footer_text("Counted from the races stored in Pit Board", freshness_text(series))
    assert len(footer) < FOOTER_MAX // 2  # room left for 'page 1/40'
    assert footer.count("…") == 3 and footer.count("refreshed 2 Jun 2025, 10:14 UTC") == 3
    assert freshness_text(series, {"nxs"}).startswith("NASCAR Xfinity Series current up to")


# --- /manage data --------------------------------------------------------------------------------------------


def moderator() -> MagicMock:
    """Return a fake interaction from a member with Manage Server in the test server."""
    interaction = make_interaction(user_id=MOD_ID, guild_id=GUILD_ID)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = MOD_ID
    interaction.permissions = discord.Permissions(manage_guild=True)
    guild = MagicMock(spec=discord.Guild)
    guild.id = GUILD_ID
    interaction.guild = guild
    return interaction


@pytest.fixture
def manage(history_store: Store) -> Manage:
    catalog = Catalog(history_store)
    return Manage(history_store, catalog, RecapPublisher(history_store, catalog, SpoilerPolicy(catalog.guild_settings)))


async def test_manage_data_shows_sources_counts_refreshes_and_errors_privately(manage: Manage, history_store: Store):
    before = moderator()
    await invoke(manage.data, before)
    assert sent(before)["ephemeral"] is True
    embed = sent(before)["embed"]
    assert "Automatic refresh: off" in (embed.description or "")
    truck = fields(embed)["NASCAR Craftsman Truck Series"].splitlines()
    # 18 imported races of six trucks each, and the curated Homestead race's 34 finishers.
    assert truck == [
        "**Races** 19 · **entries** 142",
        "**Sources** curated (data/) 1 · DriverAverages.com via nascaR.data 18",
        "**Current up to** the 2025 Long John Silver's 200 (round 5)",
        "**Last refresh** never",
        "**Next refresh** not followed",
        "**Last error** none",
    ]
    assert fields(embed)["This server's uploads"] == "0 races · 0 entries"

    await history_store.set_meta_value(refresh_key("truck", "refreshed_at"), "2025-06-02T10:14:03+00:00")
    await history_store.set_meta_value(LAST_ERROR_KEY.format(series="truck"), "**offline**: no route to host")
    after = moderator()
    await invoke(manage.data, after)
    truck = fields(sent(after)["embed"])["NASCAR Craftsman Truck Series"].splitlines()
    at = int(dt.datetime(2025, 6, 2, 10, 14, 3, tzinfo=dt.UTC).timestamp())
    assert truck[3] == f"**Last refresh** <t:{at}:f> (<t:{at}:R>)"
    assert truck[5] == r"**Last error** \*\*offline\*\*: no route to host"  # shown as written, never as markdown
