"""The options commands share, as transformers: a race, driver, series, track or season, typed or picked.

Each transformer resolves what was typed or picked (a value typed without picking a suggestion is understood the
same way) and offers its own autocomplete. A resolver's user-facing error reaches the tree's one error path as
it was raised. Use them as `race: app_commands.Transform[RaceSummary, RaceOption] | None = None`; the catalog is
the one the command's cog was handed.
"""

import inspect
import typing
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy
from bot.search import (
    SearchIndex,
    Track,
    driver_suggestions,
    race_in_context,
    race_suggestions,
    resolve_driver,
    resolve_race,
    resolve_series,
    resolve_track,
    season_suggestions,
    series_suggestions,
    track_suggestions,
)
from bot.store.models import Driver, RaceSummary, Series
from bot.ui.limits import CHOICE_VALUE_MAX, choices

RACE_OPTION = "Race name, track or season (or pick one); the latest race if empty"
DRIVER_OPTION = "Name, surname or car number such as #07 (or pick one)"
SERIES_OPTION = "truck, nxs, cup or a full series name"
TRACK_OPTION = "A track (or pick one)"
SEASON_OPTION = "A season, such as 2025"


class HasCatalog(Protocol):
    """A cog handed the catalog its options are resolved against."""

    catalog: Catalog


async def _index(interaction: discord.Interaction) -> SearchIndex:
    """Return the index the asking server sees, through the catalog of the cog whose command this is."""
    command = interaction.command
    binding = getattr(command, "binding", None)
    catalog = getattr(binding, "catalog", None)
    if not isinstance(catalog, Catalog):
        raise TypeError(f"/{getattr(command, 'qualified_name', '?')} belongs to a cog without a catalog")
    return await catalog.index(interaction.guild_id)


async def _finish_hidden(interaction: discord.Interaction, index: SearchIndex, race_id: int | None) -> bool:
    """Return whether the race whose field a driver option lists (else the latest) is held back for spoilers."""
    # The spoiler policy of the cog whose command this is; a cog without one answers only privately.
    spoilers = getattr(getattr(interaction.command, "binding", None), "spoilers", None)
    race = index.race(race_id) if race_id is not None else index.latest
    if not isinstance(spoilers, SpoilerPolicy) or race is None:
        return False
    return bool(await spoilers.hidden(interaction.guild_id, (race,)))


def _typed(value: str) -> str:
    # Discord never sends more than 100 characters for an option; ranking more only costs time.
    return value[:CHOICE_VALUE_MAX]


class RaceOption(app_commands.Transformer):
    """A race by name, track, season or 'latest'."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> RaceSummary:
        """Return the race meant."""
        return resolve_race(await _index(interaction), _typed(value))

    async def autocomplete(  # type: ignore[override]  # choices of str, as the option is
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Suggest races by name, track, season or 'latest'."""
        return choices(race_suggestions(await _index(interaction), _typed(value)))


def _race_typed_beside(interaction: discord.Interaction, index: SearchIndex) -> int | None:
    """Return the race the command's race option clearly names so far, for its car numbers."""
    typed = getattr(interaction.namespace, "race", None)
    return race_in_context(index, _typed(typed) if isinstance(typed, str) else None)


class DriverOption(app_commands.Transformer):
    """A driver by name, surname, alias or car number (in the race named beside it, else the latest race)."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> Driver:
        """Return the driver meant."""
        index = await _index(interaction)
        return resolve_driver(index, _typed(value), race_id=_race_typed_beside(interaction, index))

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Suggest drivers; car numbers are those of the race chosen so far, else of the latest race.

        The field of that race comes first, in finishing order unless the server's spoiler window hides it.
        """
        index = await _index(interaction)
        race_id = _race_typed_beside(interaction, index)
        hidden = await _finish_hidden(interaction, index, race_id)
        return choices(driver_suggestions(index, _typed(value), race_id=race_id, finish_hidden=hidden))


class SeriesOption(app_commands.Transformer):
    """A stored series by short name ('truck', 'nxs', 'cup') or full name."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> Series:
        """Return the series meant."""
        return resolve_series(await _index(interaction), _typed(value))

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Suggest stored series."""
        return choices(series_suggestions(await _index(interaction), _typed(value)))


class NewSeriesOption(app_commands.Transformer):
    """A series for a race being stored: a stored one, or a family by its short name even with no race yet."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> tuple[str, str]:
        """Return the series' (name, short name)."""
        return resolve_series(await _index(interaction), _typed(value), allow_new=True)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Offer stored series and the short names truck, nxs and cup."""
        return choices(series_suggestions(await _index(interaction), _typed(value), include_new=True))


class TrackOption(app_commands.Transformer):
    """A track by name."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> Track:
        """Return the track meant."""
        return resolve_track(await _index(interaction), _typed(value))

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        """Suggest stored tracks."""
        return choices(track_suggestions(await _index(interaction), _typed(value)))


class SeasonOption(app_commands.Transformer):
    """A season year, suggested from the stored seasons."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Return integer: a season is a year."""
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        """Return the earliest season accepted."""
        return 1900

    @property
    def max_value(self) -> int:
        """Return the latest season accepted."""
        return 2200

    async def transform(self, interaction: discord.Interaction, value: int, /) -> int:
        """Return the season as given."""
        return value

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: int | str, /
    ) -> list[app_commands.Choice[int]]:
        """Suggest stored seasons, newest first."""
        seasons = season_suggestions(await _index(interaction), str(value)[:CHOICE_VALUE_MAX])
        return [app_commands.Choice(name=str(season), value=season) for season in seasons]


def transformer_of(annotation: object) -> app_commands.Transformer | None:
    """Return the transformer an option's annotation names (also inside `| None`), if any."""
    if isinstance(annotation, app_commands.Transformer):
        return annotation
    return next((a for a in typing.get_args(annotation) if isinstance(a, app_commands.Transformer)), None)


async def resolve_options(
    command: app_commands.Command[Any, ..., Any], interaction: discord.Interaction, typed: dict[str, Any]
) -> dict[str, Any]:
    """Return a command's keyword arguments with typed option values resolved as Discord's own call would.

    For callers that run a command's callback themselves: the offline preview, and tests.
    """
    signature = inspect.signature(command.callback)
    resolved = {}
    for name, value in typed.items():
        transformer = transformer_of(signature.parameters[name].annotation)
        resolved[name] = await transformer.transform(interaction, value) if transformer and value is not None else value
    return resolved
