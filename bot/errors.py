"""Errors written for the user: raise one and the tree answers privately with its text."""


class UserFacingError(Exception):
    """An expected problem whose message is shown, privately, to the person who asked."""


class NotFoundError(UserFacingError):
    """Nothing in the store matches what the user asked for."""


class BadInputError(UserFacingError):
    """The user's input cannot be used as given."""


class NoLongerStoredError(NotFoundError):
    """A race, driver, series or track a list or a button named has been removed since."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"That {kind} is no longer stored; pick another from the list.")


class SetupNeededError(UserFacingError):
    """The command cannot work in this server until a moderator or admin changes a setting or a permission."""
