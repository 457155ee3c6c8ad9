"""The command tree and the one error path every command, button and modal shares."""

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.store import StoreBusyError, StoreReadOnlyError, StoreWriteError

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Something went wrong on our side and it has been logged. Please try again in a moment."
NO_MENTIONS = discord.AllowedMentions.none()


class NotAllowedError(UserFacingError, app_commands.CheckFailure):
    """The user may not do this here; raised from checks, so the command never runs."""


def message_for(error: BaseException) -> str | None:
    """Return the text to show the user, or None if the error is a bug that must be logged."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, UserFacingError):
        cause = error.__cause__  # an option's resolver said what was wrong with the value
    if isinstance(cause, UserFacingError):
        return str(cause)
    if isinstance(cause, StoreBusyError | StoreReadOnlyError | StoreWriteError):
        text = str(cause)  # written for the command line too, where it follows "Database error: "
        return text[:1].upper() + text[1:]
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only inside a server."
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission for this."
    if isinstance(error, app_commands.BotMissingPermissions):
        return f"I need the {_permission_names(error.missing_permissions)} permission here to do that."
    if isinstance(error, app_commands.TransformerError):
        return f"'{error.value}' is not a valid value for that option."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


def option_problem(parameter: app_commands.Parameter, value: object) -> str | None:
    """Return why a received option value breaks the range, length or choices its command declares, or None."""
    name = parameter.display_name
    if value is None:
        return None
    if parameter.choices and value not in [choice.value for choice in parameter.choices]:
        return f"{name} must be one of {', '.join(choice.name for choice in parameter.choices)}."
    if parameter.type is discord.AppCommandOptionType.string and isinstance(value, str):
        size, unit = len(value), " characters long"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        size, unit = value, ""
    else:
        return None
    low, high = parameter.min_value, parameter.max_value
    if (low is not None and size < low) or (high is not None and size > high):
        if low is not None and high is not None:
            return f"{name} must be between {low} and {high}{unit}."
        return f"{name} must be at least {low}{unit}." if low is not None else f"{name} must be at most {high}{unit}."
    return None


def _permission_names(permissions: list[str]) -> str:
    return " and ".join(p.replace("_", " ").replace("guild", "server").title() for p in permissions)


async def reply_private(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Answer only the person who asked, mentions off: a first response, or a follow-up once answered."""
    parts: dict[str, Any] = {name: value for name, value in (("embed", embed), ("view", view)) if value is not None}
    text = () if content is None else (content,)
    if interaction.response.is_done():
        await interaction.followup.send(*text, ephemeral=True, allowed_mentions=NO_MENTIONS, **parts)
    else:
        await interaction.response.send_message(*text, ephemeral=True, allowed_mentions=NO_MENTIONS, **parts)


async def _deliver(interaction: discord.Interaction, message: str) -> None:
    """Answer privately with an error or a refusal; the person may be gone, which is no reason for another error."""
    try:
        await reply_private(interaction, message)
    except discord.HTTPException:
        log.warning("Could not deliver an error message for interaction %s", interaction.id, exc_info=True)


async def report_error(interaction: discord.Interaction, error: BaseException, *, where: str) -> None:
    """Answer the user privately; log a bug with its traceback."""
    message = message_for(error)
    if message is None:
        log.error("Unhandled error in %s", where, exc_info=error)
        message = GENERIC_FAILURE
    elif isinstance(getattr(error, "original", error), StoreWriteError):
        log.error("%s: %s", where, message)  # a full or failing disk: the operator has to act, not the user
    await _deliver(interaction, message)


class BotTree(app_commands.CommandTree):
    """A CommandTree whose on_error answers the user privately and logs bugs."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse, privately, option values outside the ranges, lengths and choices a command declares.

        Discord checks them before it sends a command, but the bot does not count on it: an undeclared value
        could break a store constraint or overflow a reply.
        """
        command = interaction.command
        if interaction.type is not discord.InteractionType.application_command or not isinstance(
            command, app_commands.Command
        ):
            return True
        for parameter in command.parameters:
            problem = option_problem(parameter, getattr(interaction.namespace, parameter.display_name, None))
            if problem is not None:
                await _deliver(interaction, f"{problem} Nothing was done.")
                return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Reply ephemerally; log anything that is not an expected user error."""
        name = interaction.command.qualified_name if interaction.command else "unknown command"
        await report_error(interaction, error, where=f"/{name}")


class View(discord.ui.View):
    """A view whose errors take the same path as commands'."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        """Answer privately and log bugs."""
        await report_error(interaction, error, where=f"{type(self).__name__} {item.type.name}")


class Modal(discord.ui.Modal):
    """A modal whose errors take the same path as commands'."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer privately and log bugs."""
        await report_error(interaction, error, where=type(self).__name__)
