"""The moderators' cog: /manage and everything under it."""

from typing import TYPE_CHECKING

from cogs.manage.commands import Manage
from cogs.manage.publishing import RecapPublisher

if TYPE_CHECKING:
    from bot.client import PitBoard

__all__ = ["Manage", "RecapPublisher"]


async def setup(bot: "PitBoard") -> None:
    """Add the moderator cog, handing it the store, the catalog and a recap publisher, and register its buttons."""
    publisher = RecapPublisher(bot.store, bot.catalog, bot.spoilers)
    manage = Manage(
        bot.store,
        bot.catalog,
        publisher,
        follow_series=bot.settings.follow_series,
        race_feed=bot.settings.race_feed,
    )
    await bot.add_cog(manage)
    bot.add_dynamic_items(*manage.dynamic_items)
