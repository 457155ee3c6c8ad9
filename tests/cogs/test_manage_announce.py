"""/manage settings announce, series and mod-channel; the draft notice's buttons; the card's buttons."""

import io
import random
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest
from discord.ext import commands

from bot.announce import Announcer
from bot.catalog import Catalog
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.importers.nascar_data import parse_history
from bot.store import Store
from bot.tree import NotAllowedError
from bot.ui.announcements import CardRecapButton, CardResultsButton, DraftButton, DraftRef
from cogs.manage import Manage, RecapPublisher
from cogs.manage.views import RecapPreview
from cogs.races import Races
from tests.cogs.test_manage import FAN_ID, GUILD_ID, MOD_ID, channel, followup_text, moderator, private_text
from tests.fan_fakes import invoke, races_cog
from tests.history_data import history_csv

pytestmark = pytest.mark.backends("sqlite", "postgres")

BOT_ID, RECAPS, MODS = 999, 900, 901


@pytest.fixture
def catalog(store: Store) -> Catalog:
    return Catalog(store)


@pytest.fixture
def manage(store: Store, catalog: Catalog) -> Manage:
    publisher = RecapPublisher(store, catalog, SpoilerPolicy(catalog.guild_settings))
    return Manage(store, catalog, publisher, follow_series=("truck",))


@pytest.fixture
def races(store: Store, catalog: Catalog) -> Races:
    return races_cog(store, catalog=catalog, rng=random.Random(3))


def private_channel(channel_id: int = MODS, *, everyone_reads: bool = False) -> MagicMock:
    """Return a text channel that @everyone can (or cannot) read; the bot and moderators may use it."""
    found = channel(channel_id)
    found.name = "mods"

    def permissions(who: Any) -> discord.Permissions:
        if isinstance(who, discord.Role) or getattr(who, "is_default", None) is True:
            return discord.Permissions(view_channel=everyone_reads)
        return discord.Permissions.all()

    found.permissions_for.side_effect = permissions
    return found


def as_moderator(*, manage_guild: bool = True, channels: tuple[Any, ...] = (), user_id: int = MOD_ID) -> MagicMock:
    """Return a moderator's interaction whose guild knows its @everyone role and whose client is Pit Board."""
    interaction = moderator(user_id=user_id, manage_guild=manage_guild, channels=channels)
    everyone = MagicMock(spec=discord.Role)
    everyone.is_default = True
    interaction.guild.default_role = everyone
    interaction.guild_id = GUILD_ID
    interaction.client = MagicMock(spec=commands.Bot)
    interaction.client.user = MagicMock(spec=discord.ClientUser)
    interaction.client.user.id = BOT_ID
    return interaction


def shown_settings(interaction: MagicMock) -> dict[str, str]:
    embed = interaction.response.send_message.await_args.kwargs["embed"]
    return {f.name: f.value for f in embed.fields}


async def new_race(store: Store) -> int:
    """Store the truck history, then the 2025 season: its round 5 is the one race newer than the curated round 4."""
    history = history_csv()
    for text in (history.only(2023, 2024), history.text):
        parsed = parse_history(io.StringIO(text), series="truck", source="truck.csv")
        await store.import_history(parsed, series=("NASCAR Craftsman Truck Series", "truck"))
    return next(r.id for r in await store.race_summaries() if (r.season, r.round) == (2025, 5))


async def announced(store: Store, catalog: Catalog, recaps: MagicMock, mods: MagicMock | None = None) -> int:
    """Run one announcer pass with Pit Board's user and these channels; return the cards posted."""
    client = MagicMock(spec=discord.Client)
    client.user = MagicMock(spec=discord.ClientUser)
    client.user.id = BOT_ID
    client.get_channel.side_effect = {c.id: c for c in (recaps, mods) if c is not None}.get
    return await Announcer(
        client, store, catalog, SpoilerPolicy(catalog.guild_settings), ("truck",)
    ).announce_new_races()


# --- settings ------------------------------------------------------------------------------------------------


async def test_announcements_need_a_recap_channel_then_turn_on_and_off(manage: Manage, store: Store):
    refused = as_moderator()
    with pytest.raises(BadInputError, match="recap-channel"):
        await invoke(manage.settings_announce, refused, state="on")
    assert not (await store.guild_settings(GUILD_ID)).announce

    await invoke(manage.settings_recap_channel, as_moderator(), channel=channel(RECAPS))
    turned_on = as_moderator()
    await invoke(manage.settings_announce, turned_on, state="on")
    text = private_text(turned_on)
    assert text.startswith("Done: announcements turned on.") and f"<#{RECAPS}>" in text
    assert "mod-channel" in text  # says how to be told of the drafts
    settings = await store.guild_settings(GUILD_ID)
    assert settings.announce and settings.announce_since is not None

    shown = as_moderator()
    await invoke(manage.settings_show, shown)
    fields = shown_settings(shown)
    assert fields["Announcements"].startswith("on (since <t:")
    assert fields["Series announced"] == "every series Pit Board follows (NASCAR Craftsman Truck Series)"
    assert fields["Moderators' channel"] == "not set"

    off = as_moderator()
    await invoke(manage.settings_announce, off, state="off")
    assert private_text(off) == "Done: announcements turned off."
    assert not (await store.guild_settings(GUILD_ID)).announce
    actions = [e.detail for e in await store.audit_entries(GUILD_ID)]
    assert actions[:2] == ["announcements turned off", "announcements turned on"]


async def test_fans_are_refused_the_new_settings_at_run_time(manage: Manage):
    with pytest.raises(NotAllowedError, match="Only moderators"):
        await manage.interaction_check(as_moderator(user_id=FAN_ID, manage_guild=False))


async def test_the_series_a_server_announces_and_back_to_every_series(manage: Manage, store: Store):
    cup = as_moderator()
    await invoke(manage.settings_series, cup, series="cup")
    assert (await store.followed_series(GUILD_ID)) == ("cup", "truck")
    assert "Pit Board does not follow NASCAR Cup Series right now" in private_text(cup)

    no_truck = as_moderator()
    await invoke(manage.settings_series, no_truck, series="truck", follow=False)
    assert (await store.followed_series(GUILD_ID)) == ("cup",)

    with pytest.raises(BadInputError, match="announce off"):
        await invoke(manage.settings_series, as_moderator(), series="cup", follow=False)
    with pytest.raises(BadInputError, match="announce off"):
        await invoke(manage.settings_series, as_moderator(), series="all", follow=False)

    every = as_moderator()
    await invoke(manage.settings_series, every, series="all")
    assert (await store.followed_series(GUILD_ID)) == ()
    assert private_text(every) == (
        "Done: this server announces every series Pit Board follows (NASCAR Craftsman Truck Series)."
    )
    assert [e.action for e in await store.audit_entries(GUILD_ID)][:3] == ["settings"] * 3


async def test_a_mod_channel_everyone_can_read_is_refused_and_nothing_changes(manage: Manage, store: Store):
    with pytest.raises(BadInputError, match="Everyone in this server can read"):
        await invoke(manage.settings_mod_channel, as_moderator(), channel=private_channel(everyone_reads=True))
    assert (await store.guild_settings(GUILD_ID)).mod_channel_id is None
    assert await store.audit_entries(GUILD_ID) == []

    chosen = as_moderator()
    await invoke(manage.settings_mod_channel, chosen, channel=private_channel())
    assert private_text(chosen) == "Done: moderators' channel set to #mods."
    assert (await store.guild_settings(GUILD_ID)).mod_channel_id == MODS

    cleared = as_moderator()
    await invoke(manage.settings_mod_channel, cleared)
    assert (await store.guild_settings(GUILD_ID)).mod_channel_id is None


async def test_a_stopped_post_shows_in_the_settings(manage: Manage, store: Store):
    await store.stop_posts(GUILD_ID, "results", RECAPS, "The card could not be posted: gone.")
    shown = as_moderator()
    await invoke(manage.settings_show, shown)
    assert shown_settings(shown)["Stopped: Results cards"] == "The card could not be posted: gone."


# --- the draft Pit Board saves, and its notice's buttons -----------------------------------------------------


async def _announce_with_draft(manage: Manage, store: Store, catalog: Catalog) -> tuple[int, MagicMock]:
    recaps, mods = channel(RECAPS), private_channel()
    await invoke(manage.settings_recap_channel, as_moderator(), channel=recaps)
    await invoke(manage.settings_mod_channel, as_moderator(), channel=mods)
    await invoke(manage.settings_announce, as_moderator(), state="on")
    race_id = await new_race(store)
    assert await announced(store, catalog, recaps, mods) == 1
    return race_id, recaps


async def test_the_draft_shows_as_pit_boards_in_recap_history(manage: Manage, store: Store, catalog: Catalog):
    race_id, _ = await _announce_with_draft(manage, store, catalog)
    history = as_moderator()
    await invoke(manage.recap_history, history, race=f"race:{race_id}")
    text = history.response.send_message.await_args.kwargs["embed"].description
    assert "**v1** Corey Heim wins the 2025 Long John Silver's 200 · Pit Board ·" in text
    assert f"<@{BOT_ID}>" not in text


async def test_review_shows_the_draft_privately_with_the_usual_preview(manage: Manage, store: Store, catalog: Catalog):
    race_id, _ = await _announce_with_draft(manage, store, catalog)
    review = as_moderator()
    await manage.draft_pressed(review, "review", DraftRef(GUILD_ID, race_id, 1))
    call = review.response.send_message.await_args
    assert call.kwargs["ephemeral"] is True
    assert call.args[0].startswith("Version 1, drafted by Pit Board.")
    assert call.kwargs["embed"].title == "Corey Heim wins the 2025 Long John Silver's 200"
    assert isinstance(call.kwargs["view"], RecapPreview)


async def test_publish_posts_that_version_to_the_recap_channel(manage: Manage, store: Store, catalog: Catalog):
    race_id, recaps = await _announce_with_draft(manage, store, catalog)
    recaps.send.reset_mock()
    press = as_moderator(channels=(recaps,))
    await manage.draft_pressed(press, "publish", DraftRef(GUILD_ID, race_id, 1))
    assert followup_text(press).startswith(f"Published the recap in <#{RECAPS}> (version 1)")
    post = await store.recap_post(GUILD_ID, race_id)
    assert post is not None and (post.version, post.published_by) == (1, MOD_ID)
    assert recaps.send.await_args.kwargs["embed"].title == "Corey Heim wins the 2025 Long John Silver's 200"


async def test_discard_discards_that_version_once(manage: Manage, store: Store, catalog: Catalog):
    race_id, _ = await _announce_with_draft(manage, store, catalog)
    press = as_moderator()
    await manage.draft_pressed(press, "discard", DraftRef(GUILD_ID, race_id, 1))
    assert private_text(press).startswith("Discarded version 1.")
    assert (await store.recap_version(GUILD_ID, race_id, 1)).discarded  # type: ignore[union-attr]
    with pytest.raises(BadInputError, match="published or discarded already"):
        await manage.draft_pressed(as_moderator(), "discard", DraftRef(GUILD_ID, race_id, 1))
    with pytest.raises(BadInputError, match="was discarded"):
        await manage.draft_pressed(as_moderator(), "publish", DraftRef(GUILD_ID, race_id, 1))


async def test_draft_buttons_refuse_fans_other_servers_and_unknown_versions(
    manage: Manage, store: Store, catalog: Catalog
):
    race_id, _ = await _announce_with_draft(manage, store, catalog)
    for action in ("review", "publish", "discard"):
        with pytest.raises(NotAllowedError, match="Only moderators"):
            await manage.draft_pressed(
                as_moderator(user_id=FAN_ID, manage_guild=False), action, DraftRef(GUILD_ID, race_id, 1)
            )
    with pytest.raises(NotAllowedError, match="another server"):
        await manage.draft_pressed(as_moderator(), "review", DraftRef(GUILD_ID + 1, race_id, 1))
    with pytest.raises(NotFoundError, match="no recap version 7"):
        await manage.draft_pressed(as_moderator(), "review", DraftRef(GUILD_ID, race_id, 7))
    assert not (await store.recap_version(GUILD_ID, race_id, 1)).discarded  # type: ignore[union-attr]


async def test_a_pressed_draft_button_finds_the_manage_cog_and_answers_errors_privately(
    manage: Manage, store: Store, catalog: Catalog
):
    race_id, _ = await _announce_with_draft(manage, store, catalog)
    fan = as_moderator(user_id=FAN_ID, manage_guild=False)
    fan.client.get_cog.side_effect = {"Manage": manage}.get
    await DraftButton("discard", DraftRef(GUILD_ID, race_id, 1)).callback(fan)
    assert "Only moderators" in private_text(fan)

    mod = as_moderator()
    mod.client.get_cog.side_effect = {"Manage": manage}.get
    await DraftButton("review", DraftRef(GUILD_ID, race_id, 1)).callback(mod)
    assert private_text(mod).startswith("Version 1, drafted by Pit Board.")


# --- the card's buttons ----------------------------------------------------------------------------------------


async def test_the_cards_buttons_answer_privately_and_unhidden(races: Races, store: Store, catalog: Catalog):
    race_id = await new_race(store)
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="spoiler_hours", value=24, detail="24")
    for button, expected in ((CardResultsButton(race_id), "Corey Heim"), (CardRecapButton(race_id), "Heim")):
        press = as_moderator(user_id=FAN_ID, manage_guild=False)
        press.client.get_cog.side_effect = {"Races": races}.get
        await button.callback(press)
        call = press.response.send_message.await_args
        assert call.kwargs["ephemeral"] is True
        embed = call.kwargs["embed"]
        text = f"{embed.description} {[f.value for f in embed.fields]}"
        assert expected in text and "||" not in text
    assert set(races.dynamic_items) >= {CardResultsButton, CardRecapButton}


async def test_publish_of_provisional_results_goes_through_the_preview_and_its_warning(
    manage: Manage, store: Store, catalog: Catalog
):
    race_id, recaps = await _announce_with_draft(manage, store, catalog)
    await store.connection.execute("UPDATE races SET results_status = 'provisional' WHERE id = ?", (race_id,))
    catalog.invalidate()
    recaps.send.reset_mock()
    press = as_moderator(channels=(recaps,))
    await manage.draft_pressed(press, "publish", DraftRef(GUILD_ID, race_id, 1))
    call = press.response.send_message.await_args
    assert call.kwargs["ephemeral"] is True and "These results are provisional" in call.args[0]
    assert isinstance(call.kwargs["view"], RecapPreview)  # its Publish button is the one that posts
    assert recaps.send.await_count == 0 and await store.recap_post(GUILD_ID, race_id) is None
