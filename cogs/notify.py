"""The /notify command: fans give themselves the server's ping role, or drop it, when moderators allow it."""

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Catalog
from bot.errors import SetupNeededError
from bot.notify import bot_problem, role_problem
from bot.tree import reply_private

if TYPE_CHECKING:
    from bot.client import PitBoard

log = logging.getLogger(__name__)

NOTHING_CHANGED = "Nothing was changed."


class Notify(commands.Cog):
    """Fans' own choice of Pit Board's one ping."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def _ping_role(self, guild: discord.Guild) -> discord.Role:
        """Return the server's ping role if fans may take it here and Pit Board can hand it out, else refuse."""
        settings = await self.catalog.guild_settings(guild.id)
        if not settings.notify:
            raise SetupNeededError(
                "This server's moderators have not turned on /notify, so the ping role is theirs to hand out. "
                f"{NOTHING_CHANGED}"
            )
        role = guild.get_role(settings.ping_role_id) if settings.ping_role_id is not None else None
        if role is None:
            raise SetupNeededError(
                "This server has no ping role for /notify to give; a moderator chooses one with "
                f"`/manage settings ping-role`. {NOTHING_CHANGED}"
            )
        if problem := role_problem(role, guild.me) or bot_problem(guild.me):
            raise SetupNeededError(f"/notify can't work here yet. {problem} A moderator can fix it. {NOTHING_CHANGED}")
        return role

    @app_commands.command(name="notify")
    @app_commands.describe(state="on: get the role Pit Board pings for race news; off: drop it")
    @app_commands.guild_only()
    # Each change is a Discord request and an entry in the server's audit log: a few a minute is plenty.
    @app_commands.checks.cooldown(5, 60, key=lambda i: (i.guild_id, i.user.id))
    async def notify(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        """Get or drop this server's race ping role yourself."""
        assert interaction.guild is not None  # guild_only
        assert isinstance(interaction.user, discord.Member)  # guild_only: the user is a member of this server
        member = interaction.user
        role = await self._ping_role(interaction.guild)
        has_role = member.get_role(role.id) is not None
        if state == "on" and has_role:
            await reply_private(interaction, f"You have {role.mention} already, so you will be pinged. All set.")
            return
        if state == "off" and not has_role:
            await reply_private(interaction, f"You don't have {role.mention}, so Pit Board won't ping you. All set.")
            return
        try:
            if state == "on":
                await member.add_roles(role, reason="/notify on: the member asked for Pit Board's pings")
            else:
                await member.remove_roles(role, reason="/notify off: the member asked to stop Pit Board's pings")
        except discord.Forbidden:
            # The checks above passed on the cached guild; Discord knew better (a change not yet seen here).
            log.warning("Discord refused /notify %s for role %s in guild %s", state, role.id, interaction.guild.id)
            why = (
                bot_problem(interaction.guild.me)
                or f"A moderator can check that Pit Board's role sits above {role.mention}."
            )
            raise SetupNeededError(f"Discord did not let me change your roles. {why} {NOTHING_CHANGED}") from None
        if state == "on":
            text = f"Done: you now have {role.mention}, and a race post that pings it will ping you."
        else:
            text = f"Done: you no longer have {role.mention}; Pit Board won't ping you. `/notify on` brings it back."
        await reply_private(interaction, text)


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog (where the server's settings are read)."""
    await bot.add_cog(Notify(bot.catalog))
