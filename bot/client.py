"""The bot: a discord.py AutoShardedBot that loads Pit Board's cogs and keeps Discord's command list in sync."""

import asyncio
import gc
import hashlib
import json
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.announce import Announcer
from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.config import Settings
from bot.facts.spoilers import SpoilerPolicy
from bot.feeds.client import FeedClient
from bot.feeds.poller import FeedPoller
from bot.follow.follower import ChildRefresh, Follower
from bot.importers.nascar_feed import read_weekend_feed
from bot.raceday import RaceDay
from bot.store import Store, StoreReadOnlyError
from bot.tree import BotTree
from bot.ui.charts import ChartReplies
from bot.ui.expiry import ButtonTimers

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.races",
    "cogs.drivers",
    "cogs.quotes",
    "cogs.help",
    "cogs.manage",
    "cogs.charts",
    "cogs.records",
    "cogs.schedule",
    "cogs.notify",
)
COMMAND_HASH_KEY = "global_command_hash"


class PitBoard(commands.AutoShardedBot):
    """Pit Board's bot, handed its settings and store by the composition root."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        extensions: tuple[str, ...] = EXTENSIONS,
        guild_ready_timeout: float = 2.0,
        freeze_startup_objects: bool = False,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=BotTree,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=settings.shard_count,
            guild_ready_timeout=guild_ready_timeout,
            activity=discord.Activity(type=discord.ActivityType.watching, name="the race replays | /help"),
        )
        self.settings = settings
        self.store = store
        # The services the cogs are handed: one catalog for every cog, so a change is seen by all of them at once.
        self.catalog = Catalog(store)
        self.spoilers = SpoilerPolicy(self.catalog.guild_settings)
        self.charts = ChartReplies(ChartService(store, self.catalog), self.catalog, self.spoilers)
        # New races reach the servers that want them: the card, the draft recap and the moderators' notice.
        self.announcer = Announcer(self, store, self.catalog, self.spoilers, settings.follow_series)
        # Keeping the followed series current (FOLLOW_SERIES); off when it names none.
        self.follower = Follower(
            store,
            self.catalog,
            series=settings.follow_series,
            refresh=ChildRefresh(database_path=settings.database_path, data_url=settings.nascar_data_url),
            after=self._after_refresh,
        )
        # NASCAR's own feeds, when the owner turned them on (RACE_FEED=on): the schedule, race nights, standings.
        self.feed_poller = (
            FeedPoller(
                store,
                FeedClient(store, settings.nascar_feed_url),
                series=settings.follow_series,
                import_weekend=self._import_weekend,
            )
            if settings.race_feed
            else None
        )
        # Race-day posts (pre-race card, results card, official draft) for the servers that want them: feed only.
        self.raceday = (
            RaceDay(self, store, self.catalog, self.spoilers, self.announcer, follow_series=settings.follow_series)
            if settings.race_feed
            else None
        )
        # Replies keep nothing per message; this turns their buttons off when they expire.
        self.button_timers = ButtonTimers(self)
        # EXTRA_EXTENSIONS (benchmarks only) come after the bot's own, so they cannot change how those load.
        self.initial_extensions = (*extensions, *settings.extra_extensions)
        self._warming: asyncio.Task[None] | None = None
        self._freeze_startup_objects = freeze_startup_objects

    async def setup_hook(self) -> None:
        """Load every extension (failing fast), sync commands as the settings ask, and start building the index."""
        self.add_dynamic_items(self.charts.button)  # under every race reply, whichever cog sent it
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        await self.sync_commands()
        # Build the search index while the gateway connects, so the first fan's command does not wait for it.
        self._warming = asyncio.create_task(self._warm_catalog(), name="pitboard-warm-catalog")
        self.follower.start()
        if self.feed_poller is not None:
            self.feed_poller.start()
        if self.raceday is not None:
            self.raceday.start()

    async def _after_refresh(self) -> None:
        """Once the followed series are refreshed: the new races reach the servers that want them."""
        await self.wait_until_ready()
        await self.announcer.announce_new_races()

    async def _import_weekend(self, data: dict[str, Any]) -> None:
        """Store a race weekend the feed poller fetched, then tell the servers that want new races."""
        race = read_weekend_feed(data, source="NASCAR's weekend feed")
        scheduled = await self.store.scheduled_race(race.feed_race_id)
        if scheduled is not None and not scheduled.points_race:
            # A race is stored by its place among the season's points races; an exhibition has none.
            log.info("Not storing %s: it is not a points race", race.label)
            return
        await self.store.import_feed_race(race, round_=scheduled.round if scheduled else None)
        if self.is_ready():
            # Race-day first: its channel, and the card edited as the results change; then plain announcements.
            if self.raceday is not None:
                await self.raceday.after_import()
            await self.announcer.announce_new_races()

    async def _warm_catalog(self) -> None:
        try:
            index = await self.catalog.index()
            # The word lists typed text is matched against, likewise: the first fan to type waits for nothing.
            await asyncio.sleep(0)
            index.race_words()
            await asyncio.sleep(0)
            index.name_words()
        except Exception:  # the first command builds it (and reports any error) instead
            log.warning("Could not build the search index ahead of the first command", exc_info=True)
        if self._freeze_startup_objects:
            # What is loaded by now (modules, discord.py, the search index) lasts as long as the process: frozen,
            # the garbage collector's full passes no longer walk it while fans wait.
            gc.freeze()

    async def close(self) -> None:
        """Stop building the index if that is still going on, then close the connection to Discord."""
        if self._warming is not None:
            self._warming.cancel()
        self.button_timers.close()
        await self.follower.close()
        if self.feed_poller is not None:
            await self.feed_poller.close()
        if self.raceday is not None:
            await self.raceday.close()
        await self.charts.service.close()
        await super().close()

    def command_payload(self) -> list[dict[str, object]]:
        """Return the JSON Discord receives for the global command list."""
        return [command.to_dict(self.tree) for command in self.tree.get_commands()]

    async def sync_commands(self) -> None:
        """Sync to the dev guild at every start; globally only when the definitions changed since the last sync."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to the development server %s", len(synced), guild.id)
            return
        digest = hashlib.sha256(json.dumps(self.command_payload(), sort_keys=True).encode()).hexdigest()
        if await self.store.meta_value(COMMAND_HASH_KEY) == digest:
            log.info("Command definitions unchanged since the last sync; not syncing")
            return
        synced = await self.tree.sync()
        try:
            await self.store.set_meta_value(COMMAND_HASH_KEY, digest)
        except StoreReadOnlyError:
            log.warning("The database is read-only, so this sync is not remembered; the next start syncs again")
        log.info("Synced %d global commands", len(synced))

    async def on_ready(self) -> None:
        """Log that the bot is connected."""
        assert self.user is not None  # set before READY is dispatched
        log.info("Ready as %s (ID %s) in %d servers", self.user, self.user.id, len(self.guilds))
