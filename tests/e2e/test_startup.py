"""Log-in, command registration and the sync policy, as Discord sees them."""

from pathlib import Path

from bot.client import PitBoard
from bot.config import Secret, Settings
from bot.store import Store
from tests.e2e.conftest import GUILD, TOKEN, QuickBot
from tests.fakediscord.hooks import running_bot
from tests.fakediscord.server import FakeDiscord


def command_puts(fake: FakeDiscord) -> list:
    return [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_commands_are_registered_globally_with_descriptions(bot: PitBoard, fake_discord: FakeDiscord):
    (put,) = command_puts(fake_discord)
    assert "/guilds/" not in put.path
    names = {c["name"] for c in put.body}
    assert {"recap", "results", "stages", "quote", "wins", "driver", "races", "help"} <= names
    for command in put.body:
        assert 0 < len(command["description"]) <= 100, command["name"]  # Discord: 1 to 100 characters


async def test_restart_with_unchanged_commands_does_not_sync_again(
    fake_discord: FakeDiscord, store: Store, tmp_path: Path
):
    settings = Settings(
        token=Secret(TOKEN),
        database_path=tmp_path / "pitboard.db",
        api_base=fake_discord.api_base,
        gateway_url=fake_discord.gateway_url,
    )
    for _ in range(2):
        async with running_bot(QuickBot(settings=settings, store=store, guild_ready_timeout=0.05), TOKEN):
            pass
    assert len(command_puts(fake_discord)) == 1


async def test_dev_guild_gets_the_commands_at_every_start(launch, fake_discord: FakeDiscord):
    await launch(dev_guild_id=GUILD)
    (put,) = command_puts(fake_discord)
    assert put.path.endswith(f"/guilds/{GUILD}/commands")
    assert "results" in {c["name"] for c in put.body}
