"""The series Pit Board knows: short names, full names, the names fans use, and each one's first season."""

from dataclasses import dataclass

from bot.names import fold


@dataclass(frozen=True, slots=True)
class SeriesFamily:
    """One series family as fans and the data sources name it."""

    code: str  # the short name: 'truck', 'nxs' or 'cup'
    name: str  # the full name a new race's series gets when none is stored yet
    first_season: int  # nascaR.data's own validation uses the same years
    aliases: tuple[str, ...]  # folded names fans type for it


FAMILIES: tuple[SeriesFamily, ...] = (
    SeriesFamily(
        "truck",
        "NASCAR Craftsman Truck Series",
        1995,
        ("truck", "trucks", "truck series", "craftsman truck series", "camping world truck series", "cts"),
    ),
    SeriesFamily(
        "nxs",
        "NASCAR Xfinity Series",
        1982,
        ("nxs", "xfinity", "xfinity series", "o reilly auto parts series", "oreilly", "busch series"),
    ),
    SeriesFamily(
        "cup",
        "NASCAR Cup Series",
        1949,
        ("cup", "cup series", "nascar cup series", "sprint cup", "monster energy cup"),
    ),
)
BY_CODE: dict[str, SeriesFamily] = {family.code: family for family in FAMILIES}


def family_named(text: str) -> SeriesFamily | None:
    """Return the family that text names by its short name or an alias ('truck', 'Xfinity'), if any."""
    folded = fold(text)
    return next((f for f in FAMILIES if folded == f.code or folded in f.aliases), None)
