"""Moderators end to end, as an attacker would try: who may hand out /manage, post where, and act after demotion.

Also the upload date and the quote picker of /manage quote remove (issue 14).
"""

import re

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, RECAPS, button, ephemeral, text_of
from tests.fakediscord import FakeAttachment, Interaction, RecordedRequest
from tests.fakediscord.models import (
    FAN,
    OWNER,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Overwrite,
    Perm,
)
from tests.fakediscord.server import FakeDiscord

MARSHAL_ROLE, PING_ROLE, MEMBERS_ROLE, STAFF_ROLE = 501, 502, 503, 504
BOT_ROLE = 444  # FakeGuild's default managed role for the bot
STAFF = 225
OTHER_GUILD, OTHER_CHAT = 112, 333
MARSHAL = FakeUser(1002, "marshal", "Race Marshal")
POSTING = Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS | Perm.CREATE_PUBLIC_THREADS


def guilds() -> list[FakeGuild]:
    """A server with a staff-only channel the bot may post in, and a second server."""
    staff_only = [
        Overwrite(GUILD, 0, 0, Perm.VIEW_CHANNEL),  # hidden from @everyone
        Overwrite(BOT_ROLE, 0, POSTING, 0),
        Overwrite(STAFF_ROLE, 0, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES, 0),
    ]
    main = FakeGuild(
        id=GUILD,
        roles=[
            FakeRole(MARSHAL_ROLE, "Marshals", position=3),
            FakeRole(PING_ROLE, "Race Alerts", position=2),
            FakeRole(MEMBERS_ROLE, "Members", position=1),
            FakeRole(STAFF_ROLE, "Staff", position=4),
        ],
        channels=[
            FakeChannel(CHAT, "race-chat", position=0),
            FakeChannel(RECAPS, "recaps", position=1),
            FakeChannel(STAFF, "staff-only", position=2, overwrites=staff_only),
        ],
        members=[
            FakeMember(OWNER),
            FakeMember(FAN, [MEMBERS_ROLE]),
            FakeMember(MARSHAL, [MARSHAL_ROLE, MEMBERS_ROLE]),
        ],
    )
    other = FakeGuild(id=OTHER_GUILD, name="Other Lane", channels=[FakeChannel(OTHER_CHAT, "general")])
    return [main, other]


pytestmark = pytest.mark.fake_discord(guilds=guilds())

RESULTS_CSV = b"""finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,Alex Able,Team A,Ford,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
"""
MASKED = "Great race. [Full results here](https://example.com/not-what-it-says)"


async def dump(store: Store) -> list[str]:
    """Every row of the database, to show that nothing was written."""
    return [line async for line in store.connection.iterdump()]


async def answer(interaction: Interaction) -> RecordedRequest:
    """The bot's answer to an interaction: its reply, or the follow-up after 'thinking…'."""
    response = await interaction.wait_response()
    return await interaction.wait_followup() if response.body.get("type") == 5 else response


async def run(fake: FakeDiscord, name: str, options: dict | None = None, **who) -> RecordedRequest:
    """Run a slash command (shown to the mod role, as a server may do in Integrations) and return the answer."""
    return await answer(await fake.send_slash(name, options or {}, force=True, **who))


async def appoint_marshals(fake: FakeDiscord) -> None:
    """Have the owner make Marshals the moderator role, as the README tells servers to."""
    done = await run(fake, "manage settings mod-role", {"role": MARSHAL_ROLE}, user=OWNER)
    assert "moderator role set to @Marshals" in text_of(done)


async def write_recap(fake: FakeDiscord, user: FakeUser, headline: str, body: str) -> Interaction:
    """Open the recap form as user and submit it; return the submission, whose answer is the preview."""
    await (await fake.send_slash("manage recap write", user=user, force=True)).wait_response()
    submitted = await fake.submit_modal(None, {"headline": headline, "body": body})
    preview = await submitted.wait_response()
    assert "Saved as version" in text_of(preview)
    return submitted


def take_role(fake: FakeDiscord, user: FakeUser, role_id: int) -> None:
    """Remove a role from a member, as a server's admin would in Discord."""
    member = fake.guild.member(user.id)
    assert member is not None
    member.roles.remove(role_id)


def posts_to(fake: FakeDiscord, channel_id: int) -> list[RecordedRequest]:
    """Messages the bot posted into a channel."""
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"]


def refused(reply: RecordedRequest, *words: str) -> bool:
    """Whether a reply is private and says every one of words."""
    return ephemeral(reply) and all(w in text_of(reply) for w in words)


# --- the moderator role cannot hand out /manage or choose the ping ---------------------------------------------


async def test_a_mod_role_holder_cannot_make_every_member_a_moderator(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await appoint_marshals(fake_discord)
    passed_on = await run(fake_discord, "manage settings mod-role", {"role": MEMBERS_ROLE}, user=MARSHAL)
    assert refused(passed_on, "Only members with Manage Server can change the moderator role", "Nothing was changed")
    cleared = await run(fake_discord, "manage settings mod-role", user=MARSHAL)
    assert refused(cleared, "Only members with Manage Server")
    assert (await store.guild_settings(GUILD)).mod_role_id == MARSHAL_ROLE

    fan = await run(fake_discord, "manage settings show", user=FAN)
    assert refused(fan, "Only moderators can use /manage")
    # Manage Server still may.
    owner = await run(fake_discord, "manage settings mod-role", {"role": MEMBERS_ROLE}, user=OWNER)
    assert "moderator role set to @Members" in text_of(owner)


async def test_a_mod_role_holder_cannot_choose_the_ping_role(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await appoint_marshals(fake_discord)
    before = await dump(store)
    ping = await run(fake_discord, "manage settings ping-role", {"role": MEMBERS_ROLE}, user=MARSHAL)
    assert refused(ping, "Only members with Manage Server can change the ping role", "Nothing was changed")
    assert await dump(store) == before
    owner = await run(fake_discord, "manage settings ping-role", {"role": PING_ROLE}, user=OWNER)
    assert "ping role set to @Race Alerts" in text_of(owner)


# --- a moderator posts only where they can see and write themselves --------------------------------------------


async def test_a_moderator_cannot_make_a_channel_they_cannot_see_the_recap_channel(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await appoint_marshals(fake_discord)
    hidden = await run(fake_discord, "manage settings recap-channel", {"channel": STAFF}, user=MARSHAL)
    assert refused(hidden, "You can't choose", "View Channel and Send Messages", "Nothing was changed")
    assert (await store.guild_settings(GUILD)).recap_channel_id is None

    visible = await run(fake_discord, "manage settings recap-channel", {"channel": RECAPS}, user=MARSHAL)
    assert "Done: recap channel set to #recaps" in text_of(visible)
    owner = await run(fake_discord, "manage settings recap-channel", {"channel": STAFF}, user=OWNER)
    assert "Done: recap channel set to #staff-only" in text_of(owner)  # the bot itself may post there


async def test_a_moderator_cannot_publish_into_a_channel_they_cannot_see(bot: PitBoard, fake_discord: FakeDiscord):
    await appoint_marshals(fake_discord)
    await write_recap(fake_discord, MARSHAL, "Read this", MASKED)
    hidden = await run(fake_discord, "manage recap publish", {"channel": STAFF}, user=MARSHAL)
    assert refused(hidden, "You can't post in", "View Channel and Send Messages", "Nothing was posted")
    assert posts_to(fake_discord, STAFF) == []

    # The same moderator may post where they can write, and the owner where the marshal could not.
    mine = await run(fake_discord, "manage recap publish", {"channel": RECAPS}, user=MARSHAL)
    assert "Published the recap" in text_of(mine)
    owner = await run(fake_discord, "manage recap publish", {"channel": STAFF}, user=OWNER)
    assert "Published the recap" in text_of(owner)
    assert len(posts_to(fake_discord, STAFF)) == 1


async def test_posting_to_the_configured_channel_checks_the_moderator_too(bot: PitBoard, fake_discord: FakeDiscord):
    await appoint_marshals(fake_discord)
    await run(fake_discord, "manage settings recap-channel", {"channel": STAFF}, user=OWNER)
    submitted = await write_recap(fake_discord, MARSHAL, "Read this", MASKED)

    command = await run(fake_discord, "manage recap publish", user=MARSHAL)
    assert refused(command, "You can't post in", f"<#{STAFF}>", "Nothing was posted")
    pressed = await fake_discord.click_button(submitted.original, button(submitted.original, "Publish"), user=MARSHAL)
    assert refused(await answer(pressed), "You can't post in", "Nothing was posted")
    assert posts_to(fake_discord, STAFF) == []

    member = fake_discord.guild.member(MARSHAL.id)
    assert member is not None
    member.roles.append(STAFF_ROLE)  # made staff: now they see and write in the channel
    allowed = await run(fake_discord, "manage recap publish", user=MARSHAL)
    assert "Published the recap" in text_of(allowed)
    assert len(posts_to(fake_discord, STAFF)) == 1


# --- a moderator who lost the role can finish nothing they opened before --------------------------------------


async def test_a_recap_form_opened_before_the_role_was_taken_saves_nothing(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await appoint_marshals(fake_discord)
    await (await fake_discord.send_slash("manage recap write", user=MARSHAL, force=True)).wait_response()
    take_role(fake_discord, MARSHAL, MARSHAL_ROLE)
    before = await dump(store)
    submitted = await fake_discord.submit_modal(None, {"headline": "Still here", "body": "Saved anyway?"})
    assert refused(await submitted.wait_response(), "Only moderators can use /manage")
    assert await dump(store) == before
    history = await run(fake_discord, "manage recap history", user=OWNER)
    assert refused(history, "There is no recap")


async def test_preview_buttons_refuse_a_moderator_who_lost_the_role(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await appoint_marshals(fake_discord)
    await run(fake_discord, "manage settings recap-channel", {"channel": RECAPS}, user=OWNER)
    submitted = await write_recap(fake_discord, MARSHAL, "Draft", "Not yet.")
    preview = submitted.original
    take_role(fake_discord, MARSHAL, MARSHAL_ROLE)
    before = await dump(store)

    for label in ("Edit", "Discard", "Publish"):
        pressed = await fake_discord.click_button(preview, button(preview, label), user=MARSHAL)
        reply = await pressed.wait_response()
        assert reply.body["type"] == 4, f"{label} answered with callback type {reply.body['type']}"  # no form
        assert refused(reply, "Only moderators can use /manage"), label
    assert await dump(store) == before
    assert posts_to(fake_discord, RECAPS) == []
    history = await run(fake_discord, "manage recap history", user=OWNER)
    assert "**v1** Draft" in text_of(history) and "discarded" not in text_of(history)


async def test_an_edit_form_opened_before_the_role_was_taken_saves_nothing(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await appoint_marshals(fake_discord)
    submitted = await write_recap(fake_discord, MARSHAL, "Draft", "Not yet.")
    edit = await fake_discord.click_button(submitted.original, button(submitted.original, "Edit"), user=MARSHAL)
    assert (await edit.wait_response()).body["type"] == 9  # the form, filled in with version 1
    take_role(fake_discord, MARSHAL, MARSHAL_ROLE)
    before = await dump(store)
    resubmitted = await fake_discord.submit_modal(None, {"headline": "Draft, edited", "body": "Now."})
    assert refused(await resubmitted.wait_response(), "Only moderators can use /manage")
    assert await dump(store) == before


# --- upload dates ----------------------------------------------------------------------------------------------


def upload(date: str, season: int = 2026) -> dict:
    """The options of /manage results import for a club race on date."""
    return {
        "file": FakeAttachment("results.csv", RESULTS_CSV, "text/csv"),
        "series": "truck",
        "season": season,
        "round": 1,
        "name": "Club 150",
        "track": "Club Oval",
        "date": date,
    }


async def test_an_upload_dated_outside_its_season_stores_nothing(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    before = await dump(store)
    reply = await run(fake_discord, "manage results import", upload("1999-01-01"), user=OWNER)
    assert refused(reply, "1999-01-01 is not in the 2026 season", "Nothing was imported")
    assert await dump(store) == before
    in_season = await run(fake_discord, "manage results import", upload("2026-02-13"), user=OWNER)
    assert "Imported 2026 Club 150" in text_of(in_season)


async def test_a_date_in_year_9999_is_refused_and_fans_commands_keep_working(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await run(fake_discord, "manage settings spoiler-hours", {"hours": 24}, user=OWNER)
    before = await dump(store)
    reply = await run(fake_discord, "manage results import", upload("9999-12-31"), user=OWNER)
    assert refused(reply, "9999-12-31 is not in the 2026 season", "Nothing was imported")
    assert await dump(store) == before
    for name in ("races", "results", "recap"):
        fan = await run(fake_discord, name, user=FAN)
        assert "Something went wrong" not in text_of(fan), name
        assert "Club 150" not in text_of(fan), name


# --- /manage quote remove picks this server's quotes --------------------------------------------------------------


async def add_quote(fake: FakeDiscord, speaker: str, text: str, **where) -> int:
    """Add a quote through the form as the owner; return its number."""
    await (await fake.send_slash("manage quote add", user=OWNER, **where)).wait_response()
    fields = {"speaker": speaker, "text": text, "context": "", "source": "https://example.com/q"}
    added = await (await fake.submit_modal(None, fields)).wait_response()
    found = re.search(r"Added quote #(\d+)", text_of(added))
    assert found is not None, text_of(added)
    return int(found[1])


async def quote_choices(fake: FakeDiscord, typed: str, **who) -> list[dict]:
    """What /manage quote remove offers while typed is in its quote_id box."""
    asked = await fake.send_autocomplete("manage quote remove", {"quote_id": typed}, "quote_id", **who)
    return (await asked.wait_response()).body["data"]["choices"]


async def test_quote_remove_offers_this_servers_own_quotes_by_speaker_words_and_race(
    bot: PitBoard, fake_discord: FakeDiscord
):
    crew = await add_quote(fake_discord, "Crew chief", "We never gave up on it, not for one lap tonight.")
    spotter = await add_quote(fake_discord, "Spotter", "Clear high, clear low.")
    await add_quote(fake_discord, "Elsewhere", "Another server's words.", guild_id=OTHER_GUILD, channel_id=OTHER_CHAT)

    offered = await quote_choices(fake_discord, "", user=OWNER)
    assert [c["value"] for c in offered] == [spotter, crew]  # newest first; no shared or other server's quotes
    assert offered[1]["name"] == (
        f'#{crew} Crew chief: "We never gave up on it,…" · 2025 Baptist Health 200 (Homestead-Miami Speedway)'
    )
    assert [c["value"] for c in await quote_choices(fake_discord, "crew", user=OWNER)] == [crew]
    assert [c["value"] for c in await quote_choices(fake_discord, "CLEAR LOW", user=OWNER)] == [spotter]
    assert await quote_choices(fake_discord, "pit road", user=OWNER) == []
    assert (await quote_choices(fake_discord, str(spotter), user=OWNER))[0]["value"] == spotter  # typed number first

    removed = await run(fake_discord, "manage quote remove", {"quote_id": offered[1]["value"]}, user=OWNER)
    assert "Removed quote" in text_of(removed) and "Crew chief" in text_of(removed)
    assert [c["value"] for c in await quote_choices(fake_discord, "", user=OWNER)] == [spotter]


async def test_quote_remove_says_its_number_can_be_picked_or_typed(bot: PitBoard, fake_discord: FakeDiscord):
    (manage,) = [c for c in fake_discord.commands[None] if c["name"] == "manage"]
    (quote,) = [o for o in manage["options"] if o["name"] == "quote"]
    (remove,) = [o for o in quote["options"] if o["name"] == "remove"]
    (quote_id,) = remove["options"]
    assert quote_id["autocomplete"] is True
    assert "footer" not in quote_id["description"]
    assert "pick" in quote_id["description"].lower() and "type its number" in quote_id["description"]


async def test_quote_remove_offers_nothing_to_fans(bot: PitBoard, fake_discord: FakeDiscord):
    await add_quote(fake_discord, "Crew chief", "We never gave up.")
    assert await quote_choices(fake_discord, "", user=FAN) == []
    assert len(await quote_choices(fake_discord, "", user=OWNER)) == 1
