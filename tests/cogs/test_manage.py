"""The moderator cog called directly, with spec'd fakes: settings, recaps, quotes, uploads, corrections, audit."""

import random
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.catalog import Catalog
from bot.errors import BadInputError, NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.tree import NotAllowedError
from cogs.manage import Manage, RecapPublisher
from cogs.manage.views import QuoteModal, RecapModal, RecapPreview
from cogs.quotes import Quotes
from cogs.races import Races
from tests.fan_fakes import embed_of, invoke, make_interaction, races_cog, text_of

pytestmark = pytest.mark.backends("sqlite", "postgres")

GUILD_ID, MOD_ID, FAN_ID, MOD_ROLE_ID, CHANNEL_ID = 4242, 7, 8, 77, 900

UPLOAD = b"""finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,Alex Able,Team A,Ford,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
3,3,21,Cy Cole,Team C,Chevrolet,99,running,0,34
"""


@pytest.fixture
def catalog(store: Store) -> Catalog:
    return Catalog(store)


@pytest.fixture
def manage(store: Store, catalog: Catalog) -> Manage:
    return Manage(store, catalog, RecapPublisher(store, catalog, SpoilerPolicy(catalog.guild_settings)))


@pytest.fixture
def races(store: Store, catalog: Catalog) -> Races:
    return races_cog(store, catalog=catalog, rng=random.Random(3))


def channel(channel_id: int = CHANNEL_ID, *, allowed: bool = True) -> MagicMock:
    """Return a text channel the bot may (or may not) post in; what it is sent comes back as message 5000."""
    found = MagicMock(spec=discord.TextChannel)
    found.id = channel_id
    found.name = "recaps"
    found.mention = f"<#{channel_id}>"
    found.permissions_for.return_value = discord.Permissions.all() if allowed else discord.Permissions.none()
    message = MagicMock(spec=discord.Message)
    message.id = 5000
    message.jump_url = f"https://discord.com/channels/{GUILD_ID}/{channel_id}/5000"
    found.send = AsyncMock(return_value=message)
    return found


def moderator(
    *, user_id: int = MOD_ID, manage_guild: bool = True, roles: tuple[int, ...] = (), channels: tuple[Any, ...] = ()
) -> MagicMock:
    """Return a fake interaction from a member of the test server, with Manage Server or not."""
    interaction = make_interaction(user_id=user_id, guild_id=GUILD_ID)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = user_id
    interaction.user.get_role.side_effect = lambda role_id: object() if role_id in roles else None
    interaction.permissions = discord.Permissions(manage_guild=manage_guild)
    guild = MagicMock(spec=discord.Guild)
    guild.id = GUILD_ID
    guild.me = MagicMock(spec=discord.Member)
    by_id = {c.id: c for c in channels}
    guild.get_channel.side_effect = by_id.get
    interaction.guild = guild
    interaction.response.send_modal = AsyncMock()
    return interaction


def private_text(interaction: MagicMock) -> str:
    """Return the text of the one private reply, checking it is private."""
    interaction.response.send_message.assert_awaited_once()
    call = interaction.response.send_message.await_args
    assert call.kwargs["ephemeral"] is True
    return call.args[0] if call.args else ""


def followup_text(interaction: MagicMock) -> str:
    """Return the text of the one private follow-up (after 'thinking…')."""
    interaction.followup.send.assert_awaited_once()
    call = interaction.followup.send.await_args
    assert call.kwargs["ephemeral"] is True
    return call.args[0]


async def upload(manage: Manage, who: MagicMock, data: bytes = UPLOAD) -> None:
    file = MagicMock(spec=discord.Attachment)
    file.filename, file.size = "results.csv", len(data)
    file.read = AsyncMock(return_value=data)
    await invoke(
        manage.results_import,
        who,
        file=file,
        series="truck",
        season=2025,
        round=3,
        name="Club 150",
        track="Test Oval",
        date="2025-04-05",
    )


# --- who may use /manage -------------------------------------------------------------------------------------


async def test_members_without_manage_server_or_the_mod_role_are_refused_at_run_time(manage: Manage, store: Store):
    with pytest.raises(NotAllowedError, match="Only moderators can use /manage"):
        await manage.interaction_check(moderator(user_id=FAN_ID, manage_guild=False))
    assert await manage.interaction_check(moderator())
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="mod_role_id", value=MOD_ROLE_ID, detail="role")
    assert await manage.interaction_check(moderator(user_id=FAN_ID, manage_guild=False, roles=(MOD_ROLE_ID,)))


# --- settings ------------------------------------------------------------------------------------------------


async def test_settings_are_shown_privately_and_a_change_is_seen_at_once(manage: Manage, catalog: Catalog):
    asked = moderator()
    await invoke(manage.settings_show, asked)
    shown = asked.response.send_message.await_args.kwargs
    assert shown["ephemeral"] is True
    assert {f.name: f.value for f in shown["embed"].fields}["Spoiler-safe mode"] == "off"

    changed = moderator()
    await invoke(manage.settings_spoiler_hours, changed, hours=24)
    assert private_text(changed) == "Done: spoiler-safe mode set to 24 hours after each race ends."
    assert (await catalog.guild_settings(GUILD_ID)).spoiler_hours == 24  # no stale copy anywhere

    again = moderator()
    await invoke(manage.settings_show, again)
    fields = {f.name: f.value for f in again.response.send_message.await_args.kwargs["embed"].fields}
    assert fields["Spoiler-safe mode"] == "24 hours after each race"


async def test_a_recap_channel_the_bot_cannot_post_in_is_refused(manage: Manage, catalog: Catalog):
    with pytest.raises(BadInputError, match="I need View Channel, Send Messages, Embed Links"):
        await invoke(manage.settings_recap_channel, moderator(), channel=channel(allowed=False))
    assert (await catalog.guild_settings(GUILD_ID)).recap_channel_id is None


async def test_everyone_cannot_be_the_moderator_role(manage: Manage):
    everyone = MagicMock(spec=discord.Role)
    everyone.is_default.return_value = True
    with pytest.raises(BadInputError, match="@everyone can't be the moderator role"):
        await invoke(manage.settings_mod_role, moderator(), role=everyone)


# --- recaps ----------------------------------------------------------------------------------------------------


async def write(manage: Manage, headline: str, body: str, *, race: str | None = None) -> tuple[MagicMock, RecapPreview]:
    """Open the recap form as a moderator, submit it, and return the submission and its preview."""
    opened = moderator()
    await invoke(manage.recap_write, opened, race=race)
    form = opened.response.send_modal.await_args.args[0]
    assert isinstance(form, RecapModal)
    form.headline._value, form.body._value = headline, body
    submitted = moderator()
    await form.on_submit(submitted)
    preview = submitted.response.send_message.await_args.kwargs["view"]
    assert isinstance(preview, RecapPreview)
    return submitted, preview


async def test_writing_a_recap_saves_a_version_and_previews_it_privately(manage: Manage, store: Store):
    submitted, _ = await write(manage, "Larson steals it", "Spun on lap 91, won anyway.")
    reply = submitted.response.send_message.await_args
    assert reply.args[0] == "Saved as version 1. This is exactly how it will be posted:"
    assert reply.kwargs["ephemeral"] is True
    embed = reply.kwargs["embed"]
    assert (embed.title, embed.description) == ("Larson steals it", "Spun on lap 91, won anyway.")
    assert {f.name: f.value for f in embed.fields}["Winner"] == "#07 Kyle Larson · Spire Motorsports"
    (version,) = await store.recap_versions(GUILD_ID, 1)
    assert (version.version, version.author_id) == (1, MOD_ID)


async def test_a_form_opened_before_the_role_was_taken_saves_nothing(manage: Manage, store: Store):
    opened = moderator()
    await invoke(manage.recap_write, opened)
    form = opened.response.send_modal.await_args.args[0]
    form.headline._value, form.body._value = "Headline", "Body"
    with pytest.raises(NotAllowedError):
        await form.on_submit(moderator(manage_guild=False))
    assert await store.recap_versions(GUILD_ID, 1) == []


async def test_publishing_without_a_channel_says_how_to_set_one(manage: Manage):
    await write(manage, "Headline", "Body")
    asked = moderator()
    with pytest.raises(BadInputError, match="Choose a channel, or set one"):
        await invoke(manage.recap_publish, asked)


async def test_a_published_recap_is_what_fans_read_at_once(manage: Manage, races: Races):
    await write(manage, "Larson steals it", "Spun on lap 91, won anyway.")
    recaps = channel()
    asked = moderator(channels=(recaps,))
    await invoke(manage.recap_publish, asked, channel=recaps)
    assert followup_text(asked).startswith(f"Published the recap in <#{CHANNEL_ID}> (version 1)")
    posted = recaps.send.await_args.kwargs
    assert posted["embed"].title == "Larson steals it"
    assert posted["content"] is None and posted["allowed_mentions"].roles is False  # no ping asked for

    fan = make_interaction(user_id=FAN_ID, guild_id=GUILD_ID)
    await invoke(races.recap, fan)
    card = embed_of(fan)
    assert (card.footer.text or "").startswith("Recap published by this server's moderators")
    assert "**Larson steals it**" in (card.description or "")


async def test_discarding_a_draft_keeps_it_in_the_history(manage: Manage, store: Store):
    _, preview = await write(manage, "Draft", "Not yet.")
    pressed = moderator()
    await preview.discard.callback(pressed)
    assert pressed.response.edit_message.await_args.kwargs["content"].startswith("Discarded version 1.")
    (version,) = await store.recap_versions(GUILD_ID, 1)
    assert version.discarded


async def test_history_and_revert(manage: Manage):
    await write(manage, "First", "One.")
    await write(manage, "Second", "Two.")
    reverted = moderator()
    await invoke(manage.recap_revert, reverted, race="Homestead 2025", version=1)
    assert private_text(reverted).startswith("Version 1 is the latest again, saved as version 3.")
    listed = moderator()
    await invoke(manage.recap_history, listed)
    lines = (listed.response.send_message.await_args.kwargs["embed"].description or "").splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["**v3**", "**v2**", "**v1**"]
    assert "copy of v1" in lines[0]
    with pytest.raises(NotFoundError, match="has no recap version 9"):
        await invoke(manage.recap_revert, moderator(), race="Homestead 2025", version=9)


# --- quotes ----------------------------------------------------------------------------------------------------


async def test_a_quote_added_and_removed_reaches_fans_at_once(manage: Manage, catalog: Catalog):
    quotes = Quotes(catalog, rng=random.Random(1))
    before = make_interaction(guild_id=GUILD_ID)
    await invoke(quotes.quote, before)
    assert (embed_of(before).footer.text or "").startswith("Quote 1 of 19")

    opened = moderator()
    await invoke(manage.quote_add, opened)
    form = opened.response.send_modal.await_args.args[0]
    assert isinstance(form, QuoteModal)
    form.speaker._value, form.text._value = "Crew chief", "We never gave up on it."
    form.context._value, form.source._value = "", "https://example.com/quote"
    submitted = moderator()
    await form.on_submit(submitted)
    added = private_text(submitted)
    assert added.startswith("Added quote #")
    assert added.endswith("by Crew chief to 2025 Baptist Health 200 (Homestead-Miami Speedway).")
    quote_id = int(added.removeprefix("Added quote #").split(" ")[0])

    after = make_interaction(guild_id=GUILD_ID)
    await invoke(quotes.quote, after)
    assert (embed_of(after).footer.text or "").startswith("Quote 1 of 20")

    removed = moderator()
    await invoke(manage.quote_remove, removed, quote_id=quote_id)
    assert private_text(removed) == f"Removed quote #{quote_id} by Crew chief."
    again = make_interaction(guild_id=GUILD_ID)
    await invoke(quotes.quote, again)
    assert (embed_of(again).footer.text or "").startswith("Quote 1 of 19")


async def test_a_quote_needs_an_https_source(manage: Manage, store: Store):
    opened = moderator()
    await invoke(manage.quote_add, opened)
    form = opened.response.send_modal.await_args.args[0]
    form.speaker._value, form.text._value, form.context._value = "Someone", "Words.", ""
    form.source._value = "http://example.com"
    with pytest.raises(BadInputError, match="single https:// link"):
        await form.on_submit(moderator())
    assert len(await store.quotes(guild_id=GUILD_ID)) == 19


# --- uploads and corrections -----------------------------------------------------------------------------------


async def test_an_upload_is_provisional_then_official_and_a_correction_moves_the_others(manage: Manage, races: Races):
    uploaded = moderator()
    await upload(manage, uploaded)
    assert followup_text(uploaded).startswith("Imported 2025 Club 150 (3 entries). They are **provisional**")

    official = moderator()
    await invoke(manage.results_official, official, race="Club 150")
    assert private_text(official) == "The results of 2025 Club 150 (Test Oval) are now official."

    corrected = moderator()
    await invoke(manage.results_correct, corrected, race="Club 150", car="07", reason="disqualified: spoiler", finish=3)
    assert "Fans see it in /results and /recap." in private_text(corrected)

    fan = make_interaction(user_id=FAN_ID, guild_id=GUILD_ID)
    await invoke(races.results, fan, race="Club 150")
    shown = text_of(embed_of(fan))
    assert shown.index("#7 Bea Bright") < shown.index("#21 Cy Cole") < shown.index("#07 Alex Able")
    assert "disqualified: spoiler" in shown


async def test_a_csv_with_bad_lines_imports_nothing_and_lists_them(manage: Manage, races: Races):
    bad = UPLOAD.replace(b"2,1,7,Bea Bright", b"two,1,7,Bea Bright")
    with pytest.raises(BadInputError, match="Nothing was imported; fix these lines"):
        await upload(manage, moderator(), bad)
    with pytest.raises(NotFoundError, match="No race 'Club 150'"):
        await invoke(races.results, make_interaction(guild_id=GUILD_ID), race="Club 150")


# --- the pole, the same in /recap and in the posted recap ------------------------------------------------------


async def test_without_a_stored_pole_recap_and_post_name_who_started_first_the_same_way(
    manage: Manage, races: Races, catalog: Catalog
):
    await upload(manage, moderator())  # an upload has starting positions but no pole
    fan = make_interaction(user_id=FAN_ID, guild_id=GUILD_ID)
    await invoke(races.recap, fan, race="Club 150")
    recap_fields = {f.name: f.value for f in embed_of(fan).fields}
    assert "Pole" not in recap_fields  # no source gave a pole
    assert recap_fields["Started first"] == "#7 Bea Bright"

    submitted, _ = await write(manage, "Able holds on", "A clean race.", race="Club 150")
    post_fields = {f.name: f.value for f in submitted.response.send_message.await_args.kwargs["embed"].fields}
    assert "Pole" not in post_fields
    assert post_fields["Started first"] == "#7 Bea Bright"


async def test_a_stored_pole_is_called_the_pole_in_both(manage: Manage, races: Races):
    fan = make_interaction(user_id=FAN_ID, guild_id=GUILD_ID)
    await invoke(races.recap, fan)
    assert {f.name: f.value for f in embed_of(fan).fields}["Pole"].startswith("#11 Corey Heim")
    submitted, _ = await write(manage, "Headline", "Body")
    post_fields = {f.name: f.value for f in submitted.response.send_message.await_args.kwargs["embed"].fields}
    assert post_fields["Pole"] == "#11 Corey Heim (32.111 s)"


# --- audit -----------------------------------------------------------------------------------------------------


async def test_the_audit_lists_what_moderators_did(manage: Manage):
    with pytest.raises(NotFoundError, match="No moderator actions"):
        await invoke(manage.audit, moderator())
    await invoke(manage.settings_spoiler_hours, moderator(), hours=12)
    asked = moderator()
    await invoke(manage.audit, asked)
    embed = asked.response.send_message.await_args.kwargs["embed"]
    assert f"<@{MOD_ID}> · settings: spoiler-safe mode set to 12 hours after each race ends" in (
        embed.description or ""
    )


# --- issue 14: the moderator role's limits, channels the moderator cannot see, upload dates, the quote picker -----


async def test_only_manage_server_changes_the_moderator_and_ping_roles(manage: Manage, catalog: Catalog, store: Store):
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="mod_role_id", value=MOD_ROLE_ID, detail="role")
    members = MagicMock(spec=discord.Role)
    members.is_default.return_value = False
    members.id, members.name = 78, "Members"
    marshal = moderator(user_id=FAN_ID, manage_guild=False, roles=(MOD_ROLE_ID,))
    with pytest.raises(NotAllowedError, match="Only members with Manage Server can change the moderator role"):
        await invoke(manage.settings_mod_role, marshal, role=members)
    with pytest.raises(NotAllowedError, match="Only members with Manage Server can change the ping role"):
        await invoke(manage.settings_ping_role, marshal, role=members)
    settings = await catalog.guild_settings(GUILD_ID)
    assert (settings.mod_role_id, settings.ping_role_id) == (MOD_ROLE_ID, None)

    owner = moderator()
    await invoke(manage.settings_mod_role, owner, role=members)
    assert private_text(owner) == "Done: moderator role set to @Members."


def hidden_from_moderators(asked: MagicMock) -> MagicMock:
    """Return a channel the bot may post in but the asking moderator may not even see."""
    found = channel()
    found.permissions_for.side_effect = lambda who: (
        discord.Permissions.all() if who is asked.guild.me else discord.Permissions.none()
    )
    return found


async def test_a_channel_the_moderator_cannot_see_is_neither_chosen_nor_posted_in(manage: Manage, catalog: Catalog):
    asked = moderator()
    with pytest.raises(NotAllowedError, match="you need View Channel and Send Messages there yourself"):
        await invoke(manage.settings_recap_channel, asked, channel=hidden_from_moderators(asked))
    assert (await catalog.guild_settings(GUILD_ID)).recap_channel_id is None

    await write(manage, "Headline", "Body [masked](https://example.com)")
    asked = moderator()
    hidden = hidden_from_moderators(asked)
    with pytest.raises(NotAllowedError, match=r"You can't post in <#900>.*Nothing was posted"):
        await invoke(manage.recap_publish, asked, channel=hidden)
    hidden.send.assert_not_awaited()


async def test_the_configured_recap_channel_is_checked_for_the_moderator_too(manage: Manage, store: Store):
    await store.update_guild_settings(GUILD_ID, MOD_ID, setting="recap_channel_id", value=CHANNEL_ID, detail="set")
    _, preview = await write(manage, "Headline", "Body")
    pressed = moderator()
    hidden = hidden_from_moderators(pressed)
    pressed.guild.get_channel.side_effect = {CHANNEL_ID: hidden}.get
    with pytest.raises(NotAllowedError, match="You can't post in <#900>"):
        await preview.publish.callback(pressed)
    hidden.send.assert_not_awaited()
    assert await store.recap_post(GUILD_ID, 1) is None


@pytest.mark.parametrize("date", ["1999-01-01", "9999-12-31", "2024-12-31"])
async def test_an_upload_dated_outside_its_season_imports_nothing(manage: Manage, store: Store, date: str):
    file = MagicMock(spec=discord.Attachment)
    file.filename, file.size = "results.csv", len(UPLOAD)
    file.read = AsyncMock(return_value=UPLOAD)
    options = {"series": "truck", "season": 2025, "round": 3, "name": "Club 150", "track": "Test Oval"}
    with pytest.raises(BadInputError, match=rf"The date {date} is not in the 2025 season.*Nothing was imported"):
        await invoke(manage.results_import, moderator(), file=file, date=date, **options)
    file.read.assert_not_awaited()
    assert [r.name for r in await store.race_summaries()] == ["Baptist Health 200"]


async def test_quote_remove_offers_only_this_servers_quotes_and_only_to_moderators(manage: Manage, store: Store):
    added = {}
    for speaker, text in [("Crew chief", "We never gave up."), ("Spotter", "Clear high, clear low.")]:
        added[speaker] = await store.add_guild_quote(
            guild_id=GUILD_ID,
            race_id=1,
            driver_id=None,
            speaker=speaker,
            text=text,
            context=None,
            source_url="https://example.com",
            author_id=MOD_ID,
        )
    await store.add_guild_quote(
        guild_id=GUILD_ID + 1,
        race_id=1,
        driver_id=None,
        speaker="Elsewhere",
        text="Not this server's.",
        context=None,
        source_url="https://example.com",
        author_id=MOD_ID,
    )
    offered = await manage.quote_remove_autocomplete(moderator(), "")
    assert [c.value for c in offered] == [added["Spotter"], added["Crew chief"]]
    assert offered[0].name.startswith(f'#{added["Spotter"]} Spotter: "Clear high, clear low."')
    assert [c.value for c in await manage.quote_remove_autocomplete(moderator(), "GAVE UP")] == [added["Crew chief"]]
    assert await manage.quote_remove_autocomplete(moderator(user_id=FAN_ID, manage_guild=False), "") == []
