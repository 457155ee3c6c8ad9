"""Moderators end to end: who may act, the recap cycle, uploads, pings, spoilers and per-server settings."""

import datetime as dt
import re

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, RECAPS, button, embed_of, ephemeral, text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite
from tests.fakediscord.server import FakeDiscord

MARSHAL_ROLE, PING_ROLE, LOCKED = 501, 502, 224
MARSHAL = FakeUser(1002, "marshal", "Race Marshal")
SEND_MESSAGES = 1 << 11
OTHER_GUILD = 112


def guilds() -> list[FakeGuild]:
    main = FakeGuild(
        id=GUILD,
        roles=[FakeRole(MARSHAL_ROLE, "Marshals", position=2), FakeRole(PING_ROLE, "Race Alerts", position=1)],
        channels=[
            FakeChannel(CHAT, "race-chat", position=0),
            FakeChannel(RECAPS, "recaps", position=1),
            FakeChannel(LOCKED, "announcements", position=2, overwrites=[Overwrite(444, 0, 0, SEND_MESSAGES)]),
        ],
        members=[FakeMember(OWNER), FakeMember(FAN), FakeMember(MARSHAL, [MARSHAL_ROLE])],
    )
    other = FakeGuild(id=OTHER_GUILD, name="Other Lane", channels=[FakeChannel(333, "general")])
    return [main, other]


pytestmark = pytest.mark.fake_discord(guilds=guilds())

RESULTS_CSV = b"""finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,Alex Able,Team A,Ford,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
"""


def upload(csv: bytes) -> dict:
    """The options of /manage results import for a 2026 club race."""
    return {
        "file": FakeAttachment("results.csv", csv, "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Club 150",
        "track": "Club Oval",
        "date": "2026-02-13",
    }


async def dump(store: Store) -> list[str]:
    return [line async for line in store.connection.iterdump()]


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, **who):
    return await (await fake.send_slash(name, options or {}, **who)).wait_response()


async def write_recap(fake: FakeDiscord, headline: str, body: str, **who):
    await (await fake.send_slash("manage recap write", **who)).wait_response()
    submitted = await fake.submit_modal(None, {"headline": headline, "body": body}, **who)
    return submitted, await submitted.wait_response()


MANAGE_CALLS = [
    ("manage settings show", {}),
    ("manage settings recap-channel", {"channel": RECAPS}),
    ("manage settings mod-role", {"role": MARSHAL_ROLE}),
    ("manage settings ping-role", {}),
    ("manage settings spoiler-hours", {"hours": 12}),
    ("manage recap write", {}),
    ("manage recap publish", {}),
    ("manage recap history", {}),
    ("manage recap revert", {"race": "latest", "version": 1}),
    ("manage quote add", {}),
    ("manage quote remove", {"quote_id": 1}),
    ("manage results official", {"race": "latest"}),
    ("manage results correct", {"race": "latest", "car": "07", "reason": "penalty"}),
    ("manage audit", {}),
]


@pytest.mark.parametrize(("name", "options"), MANAGE_CALLS)
async def test_fans_are_refused_at_run_time_and_nothing_changes(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store, name: str, options: dict
):
    before = await dump(store)
    # force: the server could have shown /manage to everyone in its Integrations settings.
    answer = await (await fake_discord.send_slash(name, options, user=FAN, force=True)).wait_response()
    assert ephemeral(answer)
    assert "Only moderators can use /manage" in text_of(answer)
    assert await dump(store) == before


async def test_upload_is_refused_to_fans_too(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    before = await dump(store)
    options = upload(RESULTS_CSV)
    answer = await reply(fake_discord, "manage results import", options, user=FAN, force=True)
    assert ephemeral(answer) and "Only moderators" in text_of(answer)
    assert await dump(store) == before


async def test_the_configured_moderator_role_may_act(bot: PitBoard, fake_discord: FakeDiscord):
    refused = await reply(fake_discord, "manage settings show", user=MARSHAL, force=True)
    assert "Only moderators" in text_of(refused)
    await reply(fake_discord, "manage settings mod-role", {"role": MARSHAL_ROLE}, user=OWNER)
    allowed = await reply(fake_discord, "manage settings show", user=MARSHAL, roles=[MARSHAL_ROLE], force=True)
    assert "Marshals" in text_of(allowed) or f"<@&{MARSHAL_ROLE}>" in text_of(allowed)


async def test_write_preview_publish_then_publish_again_edits(bot: PitBoard, fake_discord: FakeDiscord):
    await reply(fake_discord, "manage settings recap-channel", {"channel": RECAPS}, user=OWNER)
    submitted, preview = await write_recap(fake_discord, "Spin and win", "Larson spun and still won.", user=OWNER)
    assert ephemeral(preview)
    assert embed_of(preview)["title"] == "Spin and win"
    assert "Kyle Larson" in text_of(preview)  # the key results, as they will be posted

    published = await fake_discord.click_button(submitted.original, button(submitted.original, "Publish"), user=OWNER)
    await published.wait_edit()
    posts = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{RECAPS}/messages")]
    assert len(posts) == 1
    assert embed_of(posts[0])["title"] == "Spin and win"

    fan_view = await reply(fake_discord, "recap", user=FAN)
    assert "Spin and win" in text_of(fan_view)
    assert "published by this server's moderators" in text_of(fan_view)

    await write_recap(fake_discord, "Spin and win, again", "Now with more detail.", user=OWNER)
    again = await fake_discord.send_slash("manage recap publish", user=OWNER)
    report = await again.wait_followup()
    assert "Updated the recap already posted" in text_of(report)
    posts = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{RECAPS}/messages")]
    edits = [r for r in fake_discord.requests if r.method == "PATCH" and f"/channels/{RECAPS}/messages/" in r.path]
    assert len(posts) == 1 and len(edits) == 1
    assert embed_of(edits[0])["title"] == "Spin and win, again"

    # A deleted post is replaced by a new one rather than failing.
    fake_discord.messages.pop(int(posts[0].response["id"]))
    third = await fake_discord.send_slash("manage recap publish", user=OWNER)
    assert "Published the recap" in text_of(await third.wait_followup())
    posts = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{RECAPS}/messages")]
    assert len(posts) == 2


async def test_history_and_revert(bot: PitBoard, fake_discord: FakeDiscord):
    await write_recap(fake_discord, "First take", "v1", user=OWNER)
    await write_recap(fake_discord, "Second take", "v2", user=OWNER)
    reverted = await reply(fake_discord, "manage recap revert", {"race": "latest", "version": 1}, user=OWNER)
    assert "saved as version 3" in text_of(reverted)
    history = await reply(fake_discord, "manage recap history", user=OWNER)
    text = text_of(history)
    assert text.index("**v3** First take") < text.index("**v2** Second take") < text.index("**v1** First take")
    assert "copy of v1" in text


async def test_a_csv_with_bad_lines_writes_nothing_and_lists_them(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    before = await dump(store)
    bad = RESULTS_CSV + b"3,4,7,Cy Cole,Team C,Ford,99,running,0,34\nx,5,21,Dee Dunn,Team D,Ford,99,running,0,30\n"
    options = upload(bad)
    answer = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert ephemeral(answer)
    text = text_of(answer)
    assert "Nothing was imported" in text
    assert "results.csv:4: the same car as line 3" in text
    assert "results.csv:5: column finish must be a whole number, not 'x'" in text
    assert await dump(store) == before


async def test_upload_official_and_correction_reach_fans(bot: PitBoard, fake_discord: FakeDiscord):
    options = upload(RESULTS_CSV)
    imported = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert "provisional" in text_of(imported)
    latest = await reply(fake_discord, "results", user=FAN)
    assert "Club 150" in text_of(latest) and "Provisional" in text_of(latest)
    elsewhere = await reply(fake_discord, "results", guild_id=OTHER_GUILD, channel_id=333, user=OWNER)
    assert "Club 150" not in text_of(elsewhere)  # another server never sees this server's upload

    corrected = await reply(
        fake_discord,
        "manage results correct",
        {
            "race": "Club 150",
            "car": "07",
            "reason": "Disqualified: rear spoiler",
            "finish": 2,
            "status": "disqualified",
        },
        user=OWNER,
    )
    assert "#07 Alex Able: finish 1 → 2; status running → disqualified" in text_of(corrected)
    await reply(fake_discord, "manage results official", {"race": "Club 150"}, user=OWNER)
    after = await reply(fake_discord, "results", {"race": "Club 150"}, user=FAN)
    text = text_of(after)
    assert text.index("Bea Bright") < text.index("Alex Able")
    assert "Disqualified: rear spoiler" in text
    assert "Official" in text


@pytest.mark.discord_contract(allowed_roles=[PING_ROLE])
async def test_the_configured_ping_role_is_the_only_mention(bot: PitBoard, fake_discord: FakeDiscord):
    await reply(fake_discord, "manage settings ping-role", {"role": PING_ROLE}, user=OWNER)
    await write_recap(fake_discord, "Alert", "Body", user=OWNER)
    publish = await fake_discord.send_slash(
        "manage recap publish", {"channel": RECAPS, "ping": True, "thread": True}, user=OWNER
    )
    await publish.wait_followup()
    (post,) = [
        r for r in fake_discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{RECAPS}/messages")
    ]
    assert post.body["content"] == f"<@&{PING_ROLE}>"
    mentions = post.body["allowed_mentions"]
    assert [int(r) for r in mentions["roles"]] == [PING_ROLE]
    assert not mentions.get("parse") and not mentions.get("users") and not mentions.get("replied_user")
    threads = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/threads")]
    assert len(threads) == 1
    everyone = await reply(fake_discord, "manage settings ping-role", {"role": GUILD}, user=OWNER)
    assert ephemeral(everyone) and "never pings @everyone" in text_of(everyone)


async def test_recap_channel_without_permission_names_what_is_missing(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    answer = await reply(fake_discord, "manage settings recap-channel", {"channel": LOCKED}, user=OWNER)
    assert ephemeral(answer)
    assert "Send Messages" in text_of(answer) and "Nothing was changed" in text_of(answer)
    assert (await store.guild_settings(GUILD)).recap_channel_id is None


async def test_spoiler_mode_hides_and_reveal_answers_privately(bot: PitBoard, fake_discord: FakeDiscord):
    cog = bot.get_cog("Races")
    assert cog is not None
    cog.spoilers.clock = lambda: dt.datetime(2025, 3, 22, 3, 0, tzinfo=dt.UTC)  # the night of the race
    await reply(fake_discord, "manage settings spoiler-hours", {"hours": 24}, user=OWNER)
    asked = await fake_discord.send_slash("recap", user=FAN)
    card = await asked.wait_response()
    assert not ephemeral(card)
    assert "Kyle Larson" not in text_of(card)
    results = await reply(fake_discord, "results", {"top": 1}, user=FAN)
    assert "||" in text_of(results) and "||**1st** #07 Kyle Larson" in text_of(results)
    revealed = await (await fake_discord.click_button(asked.original, button(asked.original, "Reveal"))).wait_response()
    assert ephemeral(revealed) and "Kyle Larson" in text_of(revealed)
    elsewhere = await reply(fake_discord, "recap", guild_id=OTHER_GUILD, channel_id=333, user=OWNER)
    assert "Kyle Larson" in text_of(elsewhere)  # spoiler mode is this server's setting only


async def test_quote_added_by_a_moderator_reaches_this_servers_fans(bot: PitBoard, fake_discord: FakeDiscord):
    await (await fake_discord.send_slash("manage quote add", user=OWNER)).wait_response()
    bad = await fake_discord.submit_modal(
        None, {"speaker": "Kyle Larson", "text": "What a night.", "context": "", "source": "http://x.org"}
    )
    assert ephemeral(await bad.wait_response()) and "https://" in text_of(await bad.wait_response())
    await (await fake_discord.send_slash("manage quote add", user=OWNER)).wait_response()
    good = await fake_discord.submit_modal(
        None,
        {"speaker": "Kyle Larson", "text": "What a night.", "context": "Victory lane", "source": "https://x.org/a"},
    )
    assert "Added quote" in text_of(await good.wait_response())
    found = await reply(fake_discord, "quote", {"words": "what a night"}, user=FAN)
    assert "What a night." in text_of(found)
    audit = await reply(fake_discord, "manage audit", user=OWNER)
    assert "added quote" in text_of(audit) and f"<@{OWNER.id}>" in text_of(audit)

    added = re.search(r"Added quote #(\d+)", text_of(await good.wait_response()))
    assert added is not None
    quote_id = int(added[1])
    removed = await reply(fake_discord, "manage quote remove", {"quote_id": quote_id}, user=OWNER)
    assert "Removed quote" in text_of(removed)
    gone = await reply(fake_discord, "quote", {"words": "what a night"}, user=FAN)
    assert ephemeral(gone) and "No quotes" in text_of(gone)  # fans stop seeing it at once
