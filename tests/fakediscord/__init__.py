"""Fake Discord (REST + gateway on 127.0.0.1) for end-to-end tests of the bot through real discord.py.

Typical test (fixtures from tests.fakediscord.fixtures)::

    async def test_recap(fake_discord, start_bot):
        await start_bot(make_bot())
        interaction = await fake_discord.send_slash("recap", {"race": "Monaco"})
        callback = await interaction.wait_response()
        assert callback.body["data"]["embeds"][0]["title"] == "Monaco recap"
"""

from .hooks import discord_pointed_at, fast_http_retries, running_bot
from .interactions import FakeAttachment, Interaction
from .models import (
    BOT_USER,
    FAN,
    OWNER,
    DiscordError,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Overwrite,
    Perm,
    RecordedFile,
    RecordedRequest,
)
from .server import FakeDiscord, Injection

__all__ = [
    "BOT_USER",
    "FAN",
    "OWNER",
    "DiscordError",
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "Injection",
    "Interaction",
    "Overwrite",
    "Perm",
    "RecordedFile",
    "RecordedRequest",
    "discord_pointed_at",
    "fast_http_retries",
    "running_bot",
]
