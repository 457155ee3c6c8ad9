"""A refresh on demand: /bench-refresh runs the running bot's own refresh of a followed series, now.

Benchmarks only. The bot loads it when started with EXTRA_EXTENSIONS=bench.refresher. The command runs what the
bot's follower does on schedule (Follower.refresh_due: `python -m bot refresh --series X` in a child process through
ChildRefresh, inside catalog.steady(), then what follows a refresh), with a clock fixed a week past now so the series
is due, and answers when that is done. The benchmark measures fan commands meanwhile.
"""

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.follow.follower import ChildRefresh, Follower, RunOutcome, utc_now

if TYPE_CHECKING:
    from bot.client import PitBoard

log = logging.getLogger(__name__)

DONE = "bench refresh done"  # the log line the benchmark reads the outcome from


class TimedRefresh:
    """ChildRefresh, remembering how long the child ran and how it ended."""

    def __init__(self, child: ChildRefresh) -> None:
        self.child = child
        self.seconds = 0.0
        self.outcome: RunOutcome | None = None

    async def __call__(self, series: str) -> RunOutcome:
        """Run the child refresh and time it."""
        began = time.perf_counter()
        self.outcome = await self.child(series)
        self.seconds = time.perf_counter() - began
        return self.outcome


class Refresher(commands.Cog):
    """Refresh a series the way the running bot does, when the benchmark asks."""

    def __init__(self, bot: "PitBoard") -> None:
        self.bot = bot

    @app_commands.command(name="bench-refresh")
    @app_commands.describe(series="The series to refresh from NASCAR_DATA_URL")
    async def refresh(self, interaction: discord.Interaction, series: Literal["cup", "nxs", "truck"] = "cup") -> None:
        """Refresh a series from nascaR.data now, as the bot's follower does (benchmark only)."""
        await interaction.response.defer(thinking=True)
        bot = self.bot
        child = TimedRefresh(
            ChildRefresh(database_path=bot.settings.database_path, data_url=bot.settings.nascar_data_url)
        )
        moment = utc_now() + dt.timedelta(days=8)  # more than a week after any refresh: always due
        follower = Follower(
            bot.store, bot.catalog, series=(series,), refresh=child, after=bot.follower.after, clock=lambda: moment
        )
        began = time.perf_counter()
        await follower.refresh_due()
        seconds = time.perf_counter() - began
        ok = child.outcome is not None and child.outcome.ok
        reason = child.outcome.reason if child.outcome is not None else "not due"
        log.info("%s: series=%s ok=%s child=%.3f whole=%.3f %s", DONE, series, ok, child.seconds, seconds, reason)
        await interaction.followup.send(f"refreshed {series}: {'ok' if ok else reason}")


async def setup(bot: "PitBoard") -> None:
    """Add the refresh-on-demand cog."""
    await bot.add_cog(Refresher(bot))
