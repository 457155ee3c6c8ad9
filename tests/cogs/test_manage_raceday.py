"""/manage settings race-day: moderators only, checked before anything is stored, off until turned on, and off."""

import pytest

from bot.catalog import Catalog
from bot.errors import BadInputError
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.tree import NotAllowedError
from cogs.manage import Manage, RecapPublisher
from tests.cogs.test_manage import FAN_ID, GUILD_ID, channel, private_text
from tests.cogs.test_manage_announce import as_moderator, shown_settings
from tests.fan_fakes import invoke

pytestmark = pytest.mark.backends("sqlite", "postgres")

RACE_DAY = 902


@pytest.fixture
def manage(store: Store) -> Manage:
    catalog = Catalog(store)
    publisher = RecapPublisher(store, catalog, SpoilerPolicy(catalog.guild_settings))
    return Manage(store, catalog, publisher, follow_series=("truck",))


async def test_race_day_posts_are_off_until_a_moderator_turns_them_on(manage: Manage, store: Store):
    shown = as_moderator()
    await invoke(manage.settings_show, shown)
    assert shown_settings(shown)["Race-day posts"] == "off"
    assert not (await store.race_day_settings(GUILD_ID)).enabled
    with pytest.raises(NotAllowedError, match="Only moderators"):
        await manage.interaction_check(as_moderator(user_id=FAN_ID, manage_guild=False))


async def test_it_needs_a_channel_and_a_ping_role_before_anything_is_stored(manage: Manage, store: Store):
    with pytest.raises(BadInputError, match="recap-channel"):
        await invoke(manage.settings_race_day, as_moderator())
    racing = channel(RACE_DAY)
    with pytest.raises(BadInputError, match="ping-role"):
        await invoke(manage.settings_race_day, as_moderator(channels=(racing,)), channel=racing, ping="yes")
    locked = channel(RACE_DAY, allowed=False)
    with pytest.raises(BadInputError, match="Create Public Threads"):
        await invoke(manage.settings_race_day, as_moderator(channels=(locked,)), channel=locked, thread="yes")
    assert not (await store.race_day_settings(GUILD_ID)).enabled
    assert await store.audit_entries(GUILD_ID) == []


async def test_setting_it_turns_it_on_keeps_what_is_left_out_and_off_turns_it_off(manage: Manage, store: Store):
    racing = channel(RACE_DAY)
    turned_on = as_moderator(channels=(racing,))
    turned_on.guild.get_role.return_value = None
    await invoke(manage.settings_race_day, turned_on, channel=racing, hours_before=5, thread="yes")
    assert private_text(turned_on).startswith(f"Done: race-day posts on: in <#{RACE_DAY}>, pre-race card 5 hours")
    assert "RACE_FEED" in private_text(turned_on)  # this bot's owner has not turned the feed on
    stored = await store.race_day_settings(GUILD_ID)
    assert (stored.enabled, stored.channel_id, stored.hours_before, stored.ping, stored.thread) == (
        True, RACE_DAY, 5, False, True,
    )  # fmt: skip
    assert stored.since is not None

    again = as_moderator(channels=(racing,))
    await invoke(manage.settings_race_day, again, thread="no")
    kept = await store.race_day_settings(GUILD_ID)
    assert (kept.channel_id, kept.hours_before, kept.thread, kept.since) == (RACE_DAY, 5, False, stored.since)

    shown = as_moderator()
    await invoke(manage.settings_show, shown)
    assert shown_settings(shown)["Race-day posts"] == (
        f"on: in <#{RACE_DAY}>, pre-race card 5 hours before the start, no ping, no thread"
    )

    off = as_moderator()
    await invoke(manage.settings_race_day, off, state="off")
    assert private_text(off).startswith("Done: race-day posts turned off")
    assert not (await store.race_day_settings(GUILD_ID)).enabled
    details = [e.detail for e in await store.audit_entries(GUILD_ID)]
    assert details[0] == "race-day posts off"
    assert details[-1].startswith("race-day posts on: in #recaps, pre-race card 5 hours before the start")


async def test_hours_before_is_limited_to_three_days(manage: Manage):
    hours = next(p for p in manage.settings_race_day.parameters if p.name == "hours_before")
    assert (hours.min_value, hours.max_value) == (1, 72)
    assert len(manage.settings_race_day.description) <= 100


async def test_a_ping_discord_would_drop_is_refused_with_the_fix(manage: Manage, store: Store):
    from unittest.mock import MagicMock

    await store.update_guild_settings(GUILD_ID, 1, setting="ping_role_id", value=503, detail="ping role")
    racing = channel(RACE_DAY)
    racing.permissions_for.return_value.mention_everyone = False
    asked = as_moderator(channels=(racing,))
    role = MagicMock()
    role.name, role.mentionable = "Race Alerts", False
    asked.guild.get_role.return_value = role
    with pytest.raises(BadInputError, match="Allow anyone to @mention this role"):
        await invoke(manage.settings_race_day, asked, channel=racing, ping="yes")
    assert not (await store.race_day_settings(GUILD_ID)).enabled

    role.mentionable = True
    accepted = as_moderator(channels=(racing,))
    accepted.guild.get_role.return_value = role
    await invoke(manage.settings_race_day, accepted, channel=racing, ping="yes")
    assert (await store.race_day_settings(GUILD_ID)).ping
