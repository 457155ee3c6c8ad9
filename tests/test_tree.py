"""The one error path: what each error says to the person who met it, worked out as a pure function."""

from unittest.mock import MagicMock

import discord
import pytest
from discord import app_commands

from bot.errors import BadInputError, NoLongerStoredError, NotFoundError
from bot.store import StoreBusyError, StoreWriteError
from bot.tree import GENERIC_FAILURE, NotAllowedError, message_for
from bot.ui.options import RaceOption


def invoke_error(cause: Exception) -> app_commands.CommandInvokeError:
    """Return the error discord.py raises when a command's callback raised cause."""
    command = MagicMock(spec=app_commands.Command)
    command.name = "results"
    return app_commands.CommandInvokeError(command, cause)


def transformer_error(value: str, cause: Exception) -> app_commands.TransformerError:
    """Return the error discord.py raises when an option's transformer raised cause."""
    error = app_commands.TransformerError(value, discord.AppCommandOptionType.string, RaceOption())
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            invoke_error(NotFoundError("No race 'Daytona'. Did you mean Homestead?")),
            "No race 'Daytona'. Did you mean Homestead?",
        ),
        (invoke_error(BadInputError("Type a driver's name.")), "Type a driver's name."),
        (invoke_error(NoLongerStoredError("race")), "That race is no longer stored; pick another from the list."),
        (NotAllowedError("Only moderators can use /manage."), "Only moderators can use /manage."),
        (
            transformer_error("Larsen", NotFoundError("No driver 'Larsen'. Did you mean Kyle Larson?")),
            "No driver 'Larsen'. Did you mean Kyle Larson?",
        ),
        (invoke_error(StoreBusyError("the database is busy; try again.")), "The database is busy; try again."),
        (app_commands.NoPrivateMessage(), "This command works only inside a server."),
        (app_commands.MissingPermissions(["manage_guild"]), "You need the Manage Server permission for this."),
        (app_commands.BotMissingPermissions(["embed_links"]), "I need the Embed Links permission here to do that."),
        (app_commands.CheckFailure(), "You can't use this command here."),
    ],
)
def test_expected_errors_are_answered_with_their_own_words(error: Exception, shown: str):
    assert message_for(error) == shown


def test_a_transformer_failing_for_another_reason_names_the_value_without_the_cause():
    error = transformer_error("abc", ValueError("int() says no"))
    assert message_for(error) == "'abc' is not a valid value for that option."


@pytest.mark.parametrize("cause", [RuntimeError("bug"), KeyError("race"), ZeroDivisionError()])
def test_bugs_have_no_message_so_they_are_logged_and_answered_generically(cause: Exception):
    assert message_for(invoke_error(cause)) is None
    assert "logged" in GENERIC_FAILURE and "Traceback" not in GENERIC_FAILURE


def test_a_failing_disk_is_explained_without_a_traceback():
    text = message_for(invoke_error(StoreWriteError("the disk refused to write the database, so nothing was saved.")))
    assert text == "The disk refused to write the database, so nothing was saved."
