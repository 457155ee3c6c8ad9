"""The moderators' cog: /manage and everything under it."""

from typing import TYPE_CHECKING

from cogs.manage.commands import Manage
from cogs.manage.publishing import RecapPublisher

if TYPE_CHECKING:
    from bot.client import PitBoard

__all__ = ["Manage", "RecapPublisher"]


async def setup(bot: "PitBoard") -> None:
    """Add the moderator cog, handing it the store it writes to, the catalog and a recap publisher."""
    await bot.add_cog(Manage(bot.store, bot.catalog, RecapPublisher(bot.store, bot.catalog, bot.spoilers)))
