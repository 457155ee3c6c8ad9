"""Errors written for the user: raise one and the tree answers privately with its text."""

from discord import app_commands


class UserFacingError(Exception):
    """An expected problem whose message is shown, privately, to the person who asked."""


class NotFoundError(UserFacingError):
    """Nothing in the store matches what the user asked for."""


class BadInputError(UserFacingError):
    """The user's input cannot be used as given."""


class NotAllowedError(UserFacingError, app_commands.CheckFailure):
    """The user may not do this here; raised from checks, so the command never runs."""
