"""The /quote command: what drivers and teams said, with where it was published."""

import random
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import render
from bot.errors import NotFoundError
from bot.options import SearchOptions
from bot.search import (
    Catalog,
    echo,
    resolve_driver,
    resolve_race,
)
from bot.store import Store

if TYPE_CHECKING:
    from bot.client import PitBoard


class Quotes(SearchOptions):
    """Sourced quotes from the stored races."""

    def __init__(self, store: Store, catalog: Catalog, *, rng: random.Random | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.rng = rng or random.Random()  # noqa: S311 - shuffles quotes, guards nothing

    @app_commands.command(name="quote")
    @app_commands.describe(
        driver="Who said it: name, surname or car number (or pick one)",
        race="Race name, track or season (or pick one); the latest race if empty",
        words="Words the quote or its context contains",
    )
    @app_commands.autocomplete(driver=SearchOptions.driver_autocomplete, race=SearchOptions.race_autocomplete)
    async def quote(
        self,
        interaction: discord.Interaction,
        driver: str | None = None,
        race: str | None = None,
        words: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Hear what drivers said about a race, with a link to the source."""
        index = await self.catalog.index(interaction.guild_id)
        chosen_race = resolve_race(index, race)
        person = resolve_driver(index, driver, race_id=chosen_race.id) if driver else None
        driver_id = person.id if person else None
        quotes = await self.catalog.read(
            self.store.quotes, race_id=chosen_race.id, driver_id=driver_id, words=words, guild_id=interaction.guild_id
        )
        if not quotes:
            wanted = " ".join(
                part
                for part in (f"from {person.name}" if person else "", f"with '{echo(words)}'" if words else "")
                if part
            )
            message = f"No quotes {wanted + ' ' if wanted else ''}in the {render.race_title(chosen_race)}."
            elsewhere = await self.store.quotes(driver_id=driver_id, words=words, guild_id=interaction.guild_id)
            if elsewhere and race is None:
                message += f" There {'is' if len(elsewhere) == 1 else 'are'} {len(elsewhere)} in other races: pick one."
            raise NotFoundError(message)
        reply = render.quotes_reply(quotes, owner_id=interaction.user.id, rng=self.rng)
        await render.send_reply(interaction, reply)


async def setup(bot: "PitBoard") -> None:
    """Add the cog, handing it the store and the shared search catalog."""
    await bot.add_cog(Quotes(bot.store, bot.catalog))
