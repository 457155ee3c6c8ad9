"""Tests of the end-to-end harness itself (fake Discord + contract validator), using a throwaway bot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contract.validator import assert_valid, find_operation, validate_request, validate_requests
from tests.fakediscord import FakeAttachment, FakeDiscord, RecordedRequest, discord_pointed_at, running_bot

if TYPE_CHECKING:
    from tests.fakediscord.fixtures import ContractCheck, ErrorLog

THIS_FILE = Path(__file__).read_bytes()  # sent as an attachment below

pytestmark = pytest.mark.usefixtures("discord_contract", "discord_errors")

NOBODY = {"parse": []}


class TipModal(discord.ui.Modal, title="Race tip"):
    tip = discord.ui.TextInput(label="Your tip", custom_id="tip", max_length=100)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Tip noted: {self.tip.value}", ephemeral=True)


class PitView(discord.ui.View):
    @discord.ui.button(label="Box box", custom_id="box", style=discord.ButtonStyle.primary)
    async def box(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Boxing this lap", view=None)


class HarnessBot(commands.Bot):
    """The smallest bot exercising every interaction shape the harness supports."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or discord.Intents.default(),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # the default sleeps 5 s before every re-IDENTIFY

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(description="Race recap")
        @app_commands.describe(race="Grand Prix")
        async def recap(interaction: discord.Interaction, race: str) -> None:
            embed = discord.Embed(title=f"{race} recap", description="Lights out and away we go")
            embed.add_field(name="Winner", value="VER")
            await interaction.response.send_message(embed=embed)

        @recap.autocomplete("race")
        async def race_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            races = ["Monaco", "Monza", "Silverstone"]
            return [app_commands.Choice(name=r, value=r) for r in races if current.lower() in r.lower()]

        @tree.command(description="Pit wall")
        async def pit(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Stay out?", view=PitView())

        @tree.command(description="Send a tip")
        async def tip(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(TipModal())

        @tree.command(description="Standings")
        async def standings(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.followup.send("P1 VER")

        @tree.command(description="Upload results")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(f"{file.filename}: {len(data)} bytes", ephemeral=True)

        @tree.command(description="Misbehave")
        async def shout(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "@everyone race!",
                embed=discord.Embed(title="x" * 257),
                allowed_mentions=discord.AllowedMentions(everyone=True),
            )

        await tree.sync()


@pytest.fixture
async def bot(fake_discord: FakeDiscord, start_bot) -> HarnessBot:
    return await start_bot(HarnessBot())


# -- login, sync, interactions --------------------------------------------------------------------------------


async def test_login_ready_and_guild(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    assert bot.user is not None and bot.user.id == fake_discord.bot_user.id
    guild = bot.get_guild(111)
    assert guild is not None and guild.me is not None
    assert {c.id: c.name for c in guild.text_channels} == {222: "race-chat", 223: "recaps"}
    me, app = fake_discord.requests[:2]
    assert (me.method, me.path, me.headers["Authorization"]) == ("GET", "/users/@me", "Bot fake-bot-token")
    assert app.path == "/oauth2/applications/@me"
    identify = await fake_discord.wait_for_gateway(lambda d, f: d == "in" and f["op"] == 2)
    assert identify["d"]["intents"] == discord.Intents.default().value
    assert fake_discord.gateway_connects[0].startswith("/gateway?v=10&encoding=json")


async def test_command_sync_payload_recorded(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    sync = await fake_discord.wait_for(lambda r: r.method == "PUT" and r.path == "/applications/999/commands")
    by_name = {c["name"]: c for c in sync.body}
    assert set(by_name) == {"recap", "pit", "tip", "standings", "upload", "shout"}
    assert by_name["recap"]["options"][0] == {
        "type": 3,
        "name": "race",
        "description": "Grand Prix",
        "required": True,
        "autocomplete": True,
    }
    assert all("id" in c and c["application_id"] == "999" for c in sync.response)


async def test_slash_command_gets_embed_reply(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    interaction = await fake_discord.send_slash("recap", {"race": "Monaco"})
    callback = await interaction.wait_response()
    assert callback.body["type"] == 4
    embed = callback.body["data"]["embeds"][0]
    assert embed["title"] == "Monaco recap"
    assert embed["fields"] == [{"name": "Winner", "value": "VER", "inline": True}]
    assert interaction.original is not None and interaction.original["embeds"][0]["title"] == "Monaco recap"


async def test_slash_refuses_what_discord_would(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    with pytest.raises(AssertionError, match="missing required option"):
        await fake_discord.send_slash("recap")
    with pytest.raises(AssertionError, match="has no option 'lap'"):
        await fake_discord.send_slash("recap", {"race": "Monza", "lap": 3})


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    interaction = await fake_discord.send_autocomplete("recap", {"race": "mon"}, focused="race")
    callback = await interaction.wait_response()
    assert callback.status == 204
    assert callback.body == {
        "type": 8,
        "data": {"choices": [{"name": "Monaco", "value": "Monaco"}, {"name": "Monza", "value": "Monza"}]},
    }


async def test_button_click_updates_message(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    slash = await fake_discord.send_slash("pit")
    await slash.wait_response()
    message = slash.original
    assert message is not None
    click = await fake_discord.click_button(message, "box")
    update = await click.wait_response()
    assert update.body["type"] == 7
    assert update.body["data"]["content"] == "Boxing this lap"
    assert fake_discord.message(message["id"])["components"] == []
    with pytest.raises(AssertionError, match="no component 'box'"):
        await fake_discord.click_button(message, "box")


async def test_modal_submit(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    slash = await fake_discord.send_slash("tip")
    shown = await slash.wait_response()
    assert shown.body["type"] == 9 and shown.body["data"]["title"] == "Race tip"
    submit = await fake_discord.submit_modal(shown.body["data"]["custom_id"], {"tip": "Undercut on lap 20"})
    answer = await submit.wait_response()
    assert answer.body["data"]["content"] == "Tip noted: Undercut on lap 20"
    assert answer.body["data"]["flags"] == 64
    with pytest.raises(AssertionError, match="length 101"):
        await fake_discord.submit_modal(None, {"tip": "x" * 101})


async def test_attachment_option_is_downloadable(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    results = FakeAttachment("results.csv", b"pos,driver\n1,VER\n", "text/csv")
    interaction = await fake_discord.send_slash("upload", {"file": results})
    callback = await interaction.wait_response()
    assert callback.body["data"]["content"] == "results.csv: 17 bytes"


async def test_messages_are_stored_and_deleted(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    channel = bot.get_channel(223)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Race recap", file=discord.File(__file__, "recap.py"))
    post = await fake_discord.wait_for(lambda r: r.method == "POST" and r.path == "/channels/223/messages")
    assert post.files[0].filename == "recap.py" and post.body["attachments"] == [{"id": 0, "filename": "recap.py"}]
    assert post.files[0].data == THIS_FILE  # the part's bytes, exactly
    thread = await message.create_thread(name="Discuss")
    assert thread.id == message.id and thread.parent_id == 223
    await message.delete()
    with pytest.raises(discord.NotFound) as err:
        await channel.fetch_message(message.id)
    assert err.value.code == 10008


async def test_unknown_route_is_404_and_logged(
    fake_discord: FakeDiscord, bot: HarnessBot, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(discord.NotFound):
        await bot.fetch_guild(111)
    assert "fakediscord: unimplemented GET /guilds/111" in caplog.text


# -- faults ---------------------------------------------------------------------------------------------------


async def test_429_on_callback_is_retried_once(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    injection = fake_discord.inject("POST", "/interactions/*/callback", status=429, retry_after=0.05)
    interaction = await fake_discord.send_slash("recap", {"race": "Monza"})
    await interaction.wait_response()
    assert injection.hits == 1
    assert [c.status for c in interaction.callbacks] == [429, 200]
    answers = [
        m for m in fake_discord.messages.values() if m.get("interaction_metadata", {}).get("id") == str(interaction.id)
    ]
    assert len(answers) == 1


async def test_500_on_followup_is_logged_and_bot_recovers(
    fake_discord: FakeDiscord, bot: HarnessBot, fast_retries: None, discord_errors: ErrorLog
) -> None:
    fake_discord.inject("POST", "/webhooks/*", status=500, times=5)
    failed = await fake_discord.send_slash("standings")
    await failed.wait_response()
    await discord_errors.wait("standings")
    assert [r.status for r in fake_discord.requests if r.path == failed.webhook_path] == [500] * 5
    retry = await fake_discord.send_slash("standings")
    followup = await retry.wait_followup()
    assert followup.body["content"] == "P1 VER"
    assert retry.original is not None and retry.original["content"] == "P1 VER"


async def test_gateway_drop_resumes_and_replays(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    await fake_discord.drop_gateway(wait=False)
    # Sent while the bot is disconnected: Discord buffers it and replays it on RESUME.
    interaction = await fake_discord.send_slash("recap", {"race": "Spa"})
    await interaction.wait_response()
    assert any(d == "in" and f["op"] == 6 for d, f in fake_discord.gateway_log)
    assert fake_discord.gateway_connects[-1].startswith("/resume-gateway")
    after = await fake_discord.send_slash("recap", {"race": "Zandvoort"})
    await after.wait_response()


async def test_invalid_session_forces_reidentify(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    await fake_discord.drop_gateway(resume=False)
    ops = [f["op"] for d, f in fake_discord.gateway_log if d == "in" and f["op"] in (2, 6)]
    assert ops == [2, 6, 2]
    interaction = await fake_discord.send_slash("recap", {"race": "Suzuka"})
    await interaction.wait_response()


async def test_wait_timeout_lists_recent_requests(fake_discord: FakeDiscord, bot: HarnessBot) -> None:
    with pytest.raises(AssertionError, match=r"(?s)timed out.*GET /users/@me"):
        await fake_discord.wait_for(lambda r: r.path == "/never", timeout=0.05)


async def test_members_intent_gets_chunked_guild(fake_discord: FakeDiscord, start_bot) -> None:
    intents = discord.Intents.default()
    intents.members = True
    member_bot = await start_bot(HarnessBot(intents))
    guild = member_bot.get_guild(111)
    assert guild is not None and guild.chunked
    assert guild.get_member(1001) is not None


async def test_zlib_stream_transport_compression(discord_errors: ErrorLog) -> None:
    async with FakeDiscord(honor_transport_compression=True) as fake:
        with discord_pointed_at(fake):
            async with running_bot(HarnessBot()):
                interaction = await fake.send_slash("recap", {"race": "Imola"})
                await interaction.wait_response()
        assert "compress=zlib-stream" in fake.gateway_connects[0]
        assert_valid(fake.requests)


# -- contract validator ---------------------------------------------------------------------------------------


@pytest.mark.fake_discord(enforce_limits=False)  # the contract check is under test here, not Discord's 400
async def test_contract_flags_broken_payloads_from_the_bot(
    fake_discord: FakeDiscord, bot: HarnessBot, discord_contract: ContractCheck
) -> None:
    interaction = await fake_discord.send_slash("shout")
    await interaction.wait_response()
    assert discord_contract.expect("embed title longer than 256 (257) at $.data.embeds[0].title")
    assert discord_contract.expect("allowed_mentions.parse must be empty, got ['everyone']")
    assert discord_contract.expect("@everyone/@here in content would ping everyone at $.data.content")


def _request(method: str, path: str, body: object) -> RecordedRequest:
    return RecordedRequest(method, path, {}, None, body, [], 0.0, 200)  # type: ignore[arg-type]


def test_validator_passes_good_payloads() -> None:
    good = [
        _request("POST", "/channels/222/messages", {"content": "Recap", "allowed_mentions": NOBODY}),
        _request(
            "POST",
            "/interactions/1/tok/callback",
            {"type": 4, "data": {"embeds": [{"title": "t" * 256}], "allowed_mentions": NOBODY}},
        ),
        _request("POST", "/channels/223/messages", {"content": "<@&555> race", "allowed_mentions": {"roles": [555]}}),
        _request("GET", "/users/@me", None),
    ]
    assert validate_requests(good, allowed_roles=[555]) == []
    assert_valid(good, allowed_roles=["555"])


def test_validator_rejects_title_and_everyone_ping() -> None:
    long_title = {"type": 4, "data": {"embeds": [{"title": "t" * 257}], "allowed_mentions": NOBODY}}
    assert validate_request("POST", "/interactions/1/tok/callback", long_title) == [
        "POST /interactions/1/tok/callback: embed title longer than 256 (257) at $.data.embeds[0].title"
    ]
    ping = {"content": "@everyone lights out", "allowed_mentions": {"parse": ["everyone"]}}
    assert len(validate_request("POST", "/channels/222/messages", ping)) == 2
    with pytest.raises(AssertionError, match="allowed_mentions missing"):
        assert_valid([_request("POST", "/webhooks/999/tok", {"content": "@here"})])
    stray_role = {"content": "<@&9>", "allowed_mentions": {"parse": [], "roles": [9]}}
    assert validate_request("POST", "/channels/222/messages", stray_role, allowed_roles=[555])


def test_validator_is_strict_about_unknown_keys_and_routes() -> None:
    typo = {"type": 4, "data": {"content": "hi", "embed": {"title": "x"}, "allowed_mentions": NOBODY}}
    assert validate_request("POST", "/interactions/1/tok/callback", typo) == [
        "POST /interactions/1/tok/callback: schema: Additional properties are not allowed ('embed' was unexpected)"
        " at $.data"
    ]
    assert validate_request("POST", "/no/such/route", {}) == [
        "POST /no/such/route: no such operation in Discord's API spec at $"
    ]
    op = find_operation("PATCH", "/api/v10/webhooks/1/tok/messages/@original")
    assert op is not None and op.template.endswith("/messages/@original")


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(st.integers(0, 300), min_size=1, max_size=12), description=st.integers(0, 4200))
def test_validator_embed_limits_property(titles: list[int], description: int) -> None:
    embeds = [{"title": "t" * n} for n in titles]
    embeds[0]["description"] = "d" * description
    found = validate_request("POST", "/channels/1/messages", {"embeds": embeds, "allowed_mentions": NOBODY})
    too_long = any(n > 256 for n in titles) or description > 4096
    too_many = len(titles) > 10
    too_much = sum(titles) + description > 6000
    assert bool(found) == (too_long or too_many or too_much)
