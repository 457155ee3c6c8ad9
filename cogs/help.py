"""The /help command: every command with a clickable mention and what it does."""

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.embeds.help import help_embed
from bot.ui.replies import Reply, send_reply

if TYPE_CHECKING:
    from bot.client import PitBoard

log = logging.getLogger(__name__)

# Fans' commands first, in the order a newcomer would try them.
FAN_ORDER = (
    "recap", "results", "stages", "chart", "quote", "wins", "driver", "track", "compare", "races", "next", "schedule",
    "standings", "notify", "help",
)  # fmt: skip


class Help(commands.Cog):
    """A map of the bot's slash commands."""

    def __init__(self, tree: app_commands.CommandTree) -> None:
        self.tree = tree
        self._ids: dict[int | None, dict[str, int]] = {}  # guild id (None: global only) -> command name -> id
        self._cards: dict[int | None, discord.Embed] = {}  # the same, once its command ids are known

    async def command_ids(self, guild_id: int | None) -> dict[str, int]:
        """Return the registered id of each top-level command, fetched once per server.

        Without an application id (the bot is not connected, as in the offline preview) there are no
        ids, and commands are shown as plain /names.
        """
        if guild_id in self._ids:
            return self._ids[guild_id]
        if self.tree.client.application_id is None:
            return {}
        try:
            fetched = await self.tree.fetch_commands()
            if guild_id is not None:
                # Commands synced to a development server exist only there.
                fetched += await self.tree.fetch_commands(guild=discord.Object(guild_id))
        except discord.HTTPException:
            log.warning("Could not fetch command ids for /help; showing plain names", exc_info=True)
            return {}
        self._ids[guild_id] = ids = {command.name: command.id for command in fetched}
        return ids

    def entries(self, ids: dict[str, int]) -> tuple[list[tuple[str, str]], list[str]]:
        """Return (mention or /name, description) of the fans' commands, and the moderators' mentions."""
        fan: list[tuple[str, str, str]] = []
        moderator: list[str] = []
        for command in self.tree.get_commands(type=discord.AppCommandType.chat_input):
            top = command.name
            leaves = command.walk_commands() if isinstance(command, app_commands.Group) else [command]
            for leaf in leaves:
                if isinstance(leaf, app_commands.Group):
                    continue
                name = leaf.qualified_name
                mention = f"</{name}:{ids[top]}>" if top in ids else f"/{name}"
                if command.default_permissions is not None:
                    moderator.append(mention)
                else:
                    fan.append((top, mention, leaf.description))
        order = {name: n for n, name in enumerate(FAN_ORDER)}
        fan.sort(key=lambda row: (order.get(row[0], len(order)), row[1]))
        return [(mention, description) for _, mention, description in fan], sorted(moderator)

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """See what each command does, with links to run them."""
        card = self._cards.get(interaction.guild_id)
        if card is None:
            ids = await self.command_ids(interaction.guild_id)
            card = help_embed(*self.entries(ids))
            if interaction.guild_id in self._ids:  # ids fetched: the card stays right while the bot runs
                self._cards[interaction.guild_id] = card
        await send_reply(interaction, Reply(card))


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the command tree it describes."""
    await bot.add_cog(Help(bot.tree))
