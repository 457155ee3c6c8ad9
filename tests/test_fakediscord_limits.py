"""The fake Discord refuses what Discord refuses: message and choice bodies over Discord's size limits get a 400.

First the rules on their own (tests.fakediscord.limits), then through a real discord.py client: the bot gets
HTTPException 400 with code 50035 and Discord's error tree, and nothing over the limits reaches a channel.
"""

from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.limits import body_errors, embed_length

pytestmark = pytest.mark.usefixtures("discord_errors")

RECAPS = 223
NOBODY = {"parse": []}
MAX_LENGTH = "BASE_TYPE_MAX_LENGTH"


def too_long(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": MAX_LENGTH, "message": f"Must be {limit} or fewer in length."}]}


# --- the rules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"content": "c" * 2001}, {"content": too_long(2000)}),
        ({"embeds": [{"title": "t" * 257}]}, {"embeds": {"0": {"title": too_long(256)}}}),
        ({"embeds": [{"description": "d" * 4097}]}, {"embeds": {"0": {"description": too_long(4096)}}}),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, {"embeds": {"0": {"fields": too_long(25)}}}),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v"}, {"name": "n" * 257, "value": "v"}]}]},
            {"embeds": {"0": {"fields": {"1": {"name": too_long(256)}}}}},
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            {"embeds": {"0": {"fields": {"0": {"value": too_long(1024)}}}}},
        ),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, {"embeds": {"0": {"footer": {"text": too_long(2048)}}}}),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, {"embeds": {"0": {"author": {"name": too_long(256)}}}}),
        ({"embeds": [{"title": "t"}] * 11}, {"embeds": too_long(10)}),
    ],
    ids=["content", "title", "description", "fields", "field name", "field value", "footer", "author", "embeds"],
)
def test_each_limit_is_refused_where_it_is_broken(body: dict[str, Any], errors: dict[str, Any]):
    assert body_errors("POST", "/channels/1/messages", body) == errors


def test_the_total_counts_every_embed_of_the_message():
    # Each embed is within every limit of its own; together they are one character over 6,000.
    two = [{"title": "t" * 256, "description": "d" * 2744}, {"description": "d" * 2999, "footer": {"text": "f" * 2}}]
    assert sum(embed_length(e) for e in two) == 6001
    assert body_errors("POST", "/channels/1/messages", {"embeds": two}) == {
        "embeds": {
            "_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}]
        }
    }
    two[1]["footer"] = {"text": "f"}
    assert body_errors("POST", "/channels/1/messages", {"embeds": two}) == {}


def test_a_message_at_every_limit_is_accepted():
    at_limits = {
        "content": "c" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 1392}, "author": {}}],
    }
    assert embed_length(at_limits["embeds"][0]) == 5744
    at_limits["embeds"][0]["fields"] = [{"name": "n" * 128, "value": "v" * 128}]
    assert embed_length(at_limits["embeds"][0]) == 6000
    for method, path in [
        ("POST", "/channels/1/messages"),
        ("PATCH", "/channels/1/messages/2"),
        ("POST", "/webhooks/9/tok"),
        ("PATCH", "/webhooks/9/tok/messages/@original"),
    ]:
        assert body_errors(method, path, at_limits) == {}
    assert body_errors("POST", "/interactions/1/tok/callback", {"type": 4, "data": at_limits}) == {}


@pytest.mark.parametrize(
    ("method", "path", "wrap", "where"),
    [
        ("POST", "/channels/1/messages", lambda m: m, ()),
        ("PATCH", "/channels/1/messages/2", lambda m: m, ()),
        ("POST", "/webhooks/9/tok", lambda m: m, ()),
        ("PATCH", "/webhooks/9/tok/messages/@original", lambda m: m, ()),
        ("PATCH", "/webhooks/9/tok/messages/5", lambda m: m, ()),
        ("POST", "/interactions/1/tok/callback", lambda m: {"type": 4, "data": m}, ("data",)),
        ("POST", "/interactions/1/tok/callback", lambda m: {"type": 7, "data": m}, ("data",)),
        ("POST", "/channels/1/threads", lambda m: {"name": "post", "message": m}, ("message",)),
    ],
    ids=["channel post", "channel edit", "follow-up", "edit original", "edit follow-up", "reply", "update", "forum"],
)
def test_every_route_that_carries_a_message_checks_it(method: str, path: str, wrap: Any, where: tuple[str, ...]):
    errors: dict[str, Any] = {"embeds": {"0": {"description": too_long(4096)}}}
    for key in reversed(where):
        errors = {key: errors}
    assert body_errors(method, path, wrap({"embeds": [{"description": "d" * 4097}]})) == errors


def test_autocomplete_choices_are_checked():
    def errors(choices: list[dict[str, Any]]) -> dict[str, Any]:
        return body_errors("POST", "/interactions/1/tok/callback", {"type": 8, "data": {"choices": choices}})

    assert errors([{"name": "n" * 100, "value": "v" * 100}] * 25) == {}
    assert errors([{"name": "n", "value": "v"}] * 26) == {"data": {"choices": too_long(25)}}
    bad_length = {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}
    assert errors([{"name": "n" * 101, "value": 7}, {"name": "", "value": "v"}]) == {
        "data": {"choices": {"0": {"name": {"_errors": [bad_length]}}, "1": {"name": {"_errors": [bad_length]}}}}
    }
    assert errors([{"name": "n", "value": "v" * 101}]) == {"data": {"choices": {"0": {"value": too_long(100)}}}}


def test_other_bodies_are_left_alone():
    assert body_errors("POST", "/interactions/1/tok/callback", {"type": 9, "data": {"title": "t" * 300}}) == {}
    assert body_errors("PUT", "/applications/1/commands", [{"name": "x", "description": "d" * 5000}]) == {}
    assert body_errors("POST", "/channels/1/messages", None) == {}


# --- through discord.py --------------------------------------------------------------------------------------


class LimitBot(commands.Bot):
    """A throwaway bot that sends whatever a test prepared, and keeps the errors Discord answered with."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.reply: dict[str, Any] = {}
        self.choices: list[app_commands.Choice[str]] = []
        self.refusals: list[discord.HTTPException] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    async def setup_hook(self) -> None:
        @self.tree.command(description="Reply with what the test prepared")
        async def reply(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message(**self.reply)
            except discord.HTTPException as error:
                self.refusals.append(error)
                await interaction.response.send_message("Discord refused the reply", ephemeral=True)

        @self.tree.command(description="Defer, then follow up with what the test prepared")
        async def later(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            try:
                await interaction.followup.send(**self.reply)
            except discord.HTTPException as error:
                self.refusals.append(error)
                await interaction.followup.send("Discord refused the follow-up")

        @self.tree.command(description="Pick")
        async def pick(interaction: discord.Interaction, what: str) -> None:
            await interaction.response.send_message(what)

        @pick.autocomplete("what")
        async def offer(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            try:
                await interaction.response.autocomplete(self.choices)
            except discord.HTTPException as error:
                self.refusals.append(error)
                await interaction.response.autocomplete([app_commands.Choice(name="fallback", value="fallback")])
            return []

        await self.tree.sync()


@pytest.fixture
async def bot(fake_discord: FakeDiscord, start_bot: Any) -> LimitBot:
    return await start_bot(LimitBot())


def refused_with(error: discord.HTTPException, where: str) -> bool:
    return error.status == 400 and error.code == 50035 and where in error.text


async def test_an_oversized_reply_is_refused_and_never_shown(fake_discord: FakeDiscord, bot: LimitBot):
    bot.reply = {"embed": discord.Embed(title="Recap", description="d" * 4097)}
    interaction = await fake_discord.send_slash("reply")
    answer = await interaction.wait_response()
    assert answer.body["data"]["content"] == "Discord refused the reply"
    (refused,) = [r for r in interaction.callbacks if not r.ok]
    assert refused.status == 400
    assert refused.response == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {"data": {"embeds": {"0": {"description": too_long(4096)}}}},
    }
    (error,) = bot.refusals
    assert refused_with(error, "data.embeds.0.description")
    assert all(m["embeds"] == [] for m in fake_discord.messages.values())


async def test_a_reply_of_exactly_6000_characters_is_shown(fake_discord: FakeDiscord, bot: LimitBot):
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    embed.add_field(name="n" * 256, value="v" * 1024)
    embed.set_footer(text="f" * 368)
    assert len(embed) == 6000
    bot.reply = {"embed": embed, "content": "c" * 2000}
    interaction = await fake_discord.send_slash("reply")
    await interaction.wait_response()
    assert bot.refusals == []
    assert interaction.original is not None and len(interaction.original["embeds"][0]["footer"]["text"]) == 368


async def test_embeds_over_6000_together_are_refused_in_a_follow_up(fake_discord: FakeDiscord, bot: LimitBot):
    bot.reply = {"embeds": [discord.Embed(description="d" * 3000), discord.Embed(description="d" * 3001)]}
    interaction = await fake_discord.send_slash("later")
    followup = await interaction.wait_followup()
    assert followup.body["content"] == "Discord refused the follow-up"
    (error,) = bot.refusals
    assert refused_with(error, "Embed size exceeds maximum size of 6000")
    assert interaction.original is not None and interaction.original["content"] == "Discord refused the follow-up"


async def test_too_much_content_is_refused_in_a_channel_and_on_edit(fake_discord: FakeDiscord, bot: LimitBot):
    channel = bot.get_channel(RECAPS)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as posted:
        await channel.send("c" * 2001)
    assert refused_with(posted.value, "content: Must be 2000 or fewer in length.")
    assert fake_discord.messages == {}
    message = await channel.send("Lights out")
    embed = discord.Embed(title="Recap")
    for n in range(26):
        embed.add_field(name=f"P{n + 1}", value="driver")
    with pytest.raises(discord.HTTPException) as edited:
        await message.edit(embed=embed)
    assert refused_with(edited.value, "embeds.0.fields: Must be 25 or fewer in length.")
    assert fake_discord.message(message.id)["embeds"] == []  # the message stays as it was


async def test_too_many_choices_are_refused(fake_discord: FakeDiscord, bot: LimitBot):
    bot.choices = [app_commands.Choice(name=f"Race {n}", value=f"race:{n}") for n in range(26)]
    interaction = await fake_discord.send_autocomplete("pick", {"what": "ra"}, focused="what")
    answer = await interaction.wait_response()
    assert answer.body["data"]["choices"] == [{"name": "fallback", "value": "fallback"}]
    (error,) = bot.refusals
    assert refused_with(error, "data.choices: Must be 25 or fewer in length.")


async def test_an_overlong_choice_name_is_refused(fake_discord: FakeDiscord, bot: LimitBot):
    bot.choices = [app_commands.Choice(name="n" * 101, value="v")]
    interaction = await fake_discord.send_autocomplete("pick", {"what": "n"}, focused="what")
    await interaction.wait_response()
    (error,) = bot.refusals
    assert refused_with(error, "data.choices.0.name: Must be between 1 and 100 in length.")


@pytest.mark.fake_discord(enforce_limits=False)
async def test_enforcement_can_be_turned_off(fake_discord: FakeDiscord, bot: LimitBot):
    bot.reply = {"embed": discord.Embed(title="t" * 257)}
    interaction = await fake_discord.send_slash("reply")
    answer = await interaction.wait_response()
    assert bot.refusals == []
    assert len(answer.body["data"]["embeds"][0]["title"]) == 257
