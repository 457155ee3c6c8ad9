"""The /quote command: what drivers and teams said, with where it was published."""

import random
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Catalog
from bot.errors import NotFoundError
from bot.facts.spoilers import SpoilerPolicy
from bot.search import echo
from bot.store.models import Driver, Quote, RaceSummary
from bot.ui.embeds.coverage import picked_line
from bot.ui.embeds.quotes import quotes_reply
from bot.ui.options import RACE_OPTION, DriverOption, RaceOption
from bot.ui.replies import send_reply
from bot.ui.text import plain, race_title

if TYPE_CHECKING:
    from bot.client import PitBoard


class Quotes(commands.Cog):
    """Sourced quotes from the stored races."""

    def __init__(
        self, catalog: Catalog, spoilers: SpoilerPolicy | None = None, *, rng: random.Random | None = None
    ) -> None:
        self.catalog = catalog
        self.spoilers = spoilers or SpoilerPolicy(catalog.guild_settings)
        self.rng = rng or random.Random()  # noqa: S311 - shuffles quotes, guards nothing

    async def _hidden(self, interaction: discord.Interaction, quotes: list[Quote]) -> frozenset[int]:
        """Return the races of these quotes whose results this server must not see yet (spoiler-safe mode)."""
        index = await self.catalog.index(interaction.guild_id)
        races = (race for race_id in {q.race_id for q in quotes} if (race := index.race(race_id)) is not None)
        return await self.spoilers.hidden(interaction.guild_id, races)

    @app_commands.command(name="quote")
    @app_commands.describe(
        driver="Who said it: name, surname or car number (or pick one)",
        race=RACE_OPTION,
        words="Words the quote or its context contains",
    )
    async def quote(
        self,
        interaction: discord.Interaction,
        driver: app_commands.Transform[Driver, DriverOption] | None = None,
        race: app_commands.Transform[RaceSummary, RaceOption] | None = None,
        words: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Hear what drivers said about a race, with a link to the source."""
        driver_id = driver.id if driver else None
        guild_id = interaction.guild_id
        note = ""
        if race is not None:
            chosen_race = race
            quotes = await self.catalog.quotes(race_id=race.id, driver_id=driver_id, words=words, guild_id=guild_id)
        elif driver is None and words is None:
            # Bare: the latest race with quotes this server sees (the latest race has none in a whole history).
            pick = await self.catalog.default_race(guild_id, "quotes")
            chosen_race, note = pick.race, picked_line(pick, "quotes", shown=str)
            quotes = await self.catalog.quotes(race_id=chosen_race.id, guild_id=guild_id)
        else:
            # The latest race with quotes that match, read from the matches everywhere.
            matches = await self.catalog.quotes(driver_id=driver_id, words=words, guild_id=guild_id)
            found = await self.catalog.latest_race_among(guild_id, frozenset(q.race_id for q in matches))
            pick = found or await self.catalog.default_race(guild_id, "quotes")
            chosen_race = pick.race
            quotes = [q for q in matches if q.race_id == chosen_race.id]
            note = picked_line(pick, _matching(driver, words), shown=str) if found else ""
        if not quotes:
            wanted = " ".join(
                part
                for part in (f"from {plain(driver.name)}" if driver else "", f"with '{echo(words)}'" if words else "")
                if part
            )
            message = f"No quotes {wanted + ' ' if wanted else ''}in the {race_title(chosen_race)}."
            raise NotFoundError(message)
        hidden = await self._hidden(interaction, quotes)
        reply = quotes_reply(quotes, owner_id=interaction.user.id, rng=self.rng, hidden=hidden, note=note)
        await send_reply(interaction, reply)


def _matching(driver: Driver | None, words: str | None) -> str:
    """Return what the quotes a fan asked for are, as a picked race's note names them: 'quotes from Kyle Larson'."""
    # The note goes in a footer, which shows text as stored: the driver's name is not escaped.
    kind = "matching quotes" if words else "quotes"
    return f"{kind} from {driver.name}" if driver else kind


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the catalog and the spoiler policy."""
    await bot.add_cog(Quotes(bot.catalog, bot.spoilers))
