"""The bot: a discord.py AutoShardedBot that loads Pit Board's cogs and keeps Discord's command list in sync."""

import asyncio
import datetime as dt
import gc
import hashlib
import json
import logging
import math
from typing import Any

import discord
from discord.ext import commands

from bot.announce import Announcer
from bot.background import BackgroundJob
from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.cluster import Cluster
from bot.cluster.feeds import SharedFeeds
from bot.cluster.identify import QUEUE_TIMEOUT
from bot.cluster.outbox import OutboxSender
from bot.cluster.registry import BEAT_EVERY
from bot.config import Settings
from bot.facts.spoilers import SpoilerPolicy
from bot.feeds.client import FeedClient
from bot.feeds.poller import FeedPoller
from bot.follow.follower import ChildRefresh, Follower
from bot.importers.nascar_feed import read_weekend_feed
from bot.posts import Post
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
SHARD_CONNECT_TIMEOUT = 180.0  # seconds, discord.py's own default for a shard's connection, once its turn came


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
        cluster: Cluster | None = None,
    ) -> None:
        # SHARD_IDS: this process runs that slice of the shards (unset: discord.py runs them all).
        shard_slice: dict[str, Any] = {} if settings.shard_ids is None else {"shard_ids": list(settings.shard_ids)}
        if cluster is not None:
            # discord.py gives a shard 180 s to connect, its wait for a turn to identify (before_identify_hook)
            # included: behind other processes' shards it may wait longer, which is no failed connection.
            shard_slice["shard_connect_timeout"] = QUEUE_TIMEOUT + SHARD_CONNECT_TIMEOUT
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=BotTree,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=settings.shard_count,
            guild_ready_timeout=guild_ready_timeout,
            activity=discord.Activity(type=discord.ActivityType.watching, name="the race replays | /help"),
            **shard_slice,
        )
        self.settings = settings
        self.store = store
        # With DATABASE_URL, this process is one of a cluster: what must happen once for the bot happens on the
        # leader, and the posts it decides reach each server through the process running that server's shard.
        self.cluster = cluster
        # The services the cogs are handed: one catalog for every cog, so a change is seen by all of them at once.
        self.catalog = Catalog(store)
        self.spoilers = SpoilerPolicy(self.catalog.guild_settings)
        self.charts = ChartReplies(ChartService(store, self.catalog), self.catalog, self.spoilers)
        # New races reach the servers that want them: the card, the draft recap and the moderators' notice.
        self.announcer = Announcer(
            self,
            store,
            self.catalog,
            self.spoilers,
            settings.follow_series,
            deliver=self._put_in_outbox if cluster is not None else None,
        )
        # Keeping the followed series current (FOLLOW_SERIES); off when it names none.
        self.follower = Follower(
            store,
            self.catalog,
            series=settings.follow_series,
            refresh=ChildRefresh(database_path=settings.database_path, data_url=settings.nascar_data_url),
            after=self._after_refresh,
        )
        # NASCAR's own feeds, when the owner turned them on (RACE_FEED=on): the schedule, race nights, standings.
        feeds = FeedClient(store, settings.nascar_feed_url)
        shared = SharedFeeds(feeds, store, cluster.pool, leading=self.decides) if cluster is not None else None
        self.feed_poller = (
            FeedPoller(
                store,
                shared or feeds,
                copies=shared,
                decides=self.decides,
                series=settings.follow_series,
                import_weekend=self._import_weekend,
            )
            if settings.race_feed
            else None
        )
        # Race-day posts (pre-race card, results card, official draft) for the servers that want them: feed only.
        self.raceday = (
            RaceDay(
                self,
                store,
                self.catalog,
                self.spoilers,
                self.announcer,
                follow_series=settings.follow_series,
                decides=self.decides,
            )
            if settings.race_feed
            else None
        )
        # Replies keep nothing per message; this turns their buttons off when they expire.
        self.button_timers = ButtonTimers(self)
        # EXTRA_EXTENSIONS (benchmarks only) come after the bot's own, so they cannot change how those load.
        self.initial_extensions = (*extensions, *settings.extra_extensions)
        self._warming: asyncio.Task[None] | None = None
        self._freeze_startup_objects = freeze_startup_objects
        self._max_concurrency: int | None = None  # Discord's identify buckets, asked once (a cluster only)
        self._elected: set[asyncio.Task[None]] = set()
        self.outbox_sender: OutboxSender | None = None
        self._heartbeat: BackgroundJob | None = None
        if cluster is not None:
            cluster.on_leadership(self._leadership_changed)
            self.outbox_sender = OutboxSender(
                cluster.outbox,
                cluster.url,
                shards=self._my_shards,
                send=self.announcer.send,
                ready=self.wait_until_ready,
            )
            self._heartbeat = BackgroundJob(
                "reporting to the cluster",
                self._report_to_cluster,
                clock=lambda: dt.datetime.now(dt.UTC),
                start_delay=lambda: 0.0,
                after_crash=BEAT_EVERY,
            )

    def decides(self) -> bool:
        """Return whether this process decides what is posted and asks NASCAR's feeds (in a cluster: the leader)."""
        return self.cluster is None or self.cluster.leading

    async def setup_hook(self) -> None:
        """Load every extension (failing fast), sync commands as the settings ask, and start building the index."""
        self.add_dynamic_items(self.charts.button)  # under every race reply, whichever cog sent it
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        if self.cluster is None:
            await self.sync_commands()
        else:
            # The leader syncs, once elected (bot.cluster.lease); the outbox and the status line start with the bot.
            self.cluster.lease.start()
            assert self.outbox_sender is not None and self._heartbeat is not None  # made with the cluster
            self.outbox_sender.start()
            self._heartbeat.start()
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
        if self.decides():
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
        if self.is_ready() and self.decides():
            # Race-day first: its channel, and the card edited as the results change; then plain announcements.
            if self.raceday is not None:
                await self.raceday.after_import()
            await self.announcer.announce_new_races()

    # --- the cluster (DATABASE_URL) ----------------------------------------------------------------------------

    async def _put_in_outbox(self, post: Post) -> bool:
        """Hand a decided post to the process running its server's shard (perhaps this one), through the outbox."""
        assert self.cluster is not None  # the announcer delivers here only in a cluster
        return await self.cluster.outbox.put(post)

    def _my_shards(self) -> tuple[int, list[int]]:
        """Return the shard count and this process's shards, as the gateway connection set them."""
        count = self.shard_count or 1
        return count, list(self.shard_ids) if self.shard_ids is not None else list(range(count))

    def _leadership_changed(self, leading: bool) -> None:
        if self._heartbeat is not None:
            self._heartbeat.poke()  # `python -m bot status` shows the new leader at once, not at the next beat
        if not leading:
            return  # what only the leader does checks decides() each time; nothing to stop
        task = asyncio.create_task(self._lead(), name="pitboard-elected")
        self._elected.add(task)
        task.add_done_callback(self._elected.discard)

    async def _lead(self) -> None:
        """On being elected: sync the commands, then catch up on what is to be posted."""
        try:
            await self.sync_commands()
            await self.wait_until_ready()
            await self.announcer.announce_new_races()
            if self.raceday is not None:
                await self.raceday.poll_due()
        except Exception:
            log.exception("Taking over as the cluster's leader failed; the next passes catch up")

    async def _report_to_cluster(self) -> dt.datetime:
        """Write this process's status line (shards, servers, latency, leader, last refresh); return the next beat."""
        assert self.cluster is not None  # the heartbeat runs only in a cluster
        count, shards = self._my_shards()
        latency = self.latency
        await self.cluster.registry.beat(
            shard_ids=shards,
            shard_count=count,
            guilds=len(self.guilds),
            latency_ms=latency * 1000 if math.isfinite(latency) else None,
            leader=self.cluster.leading,
            last_refresh=await self._last_refresh(),
        )
        return dt.datetime.now(dt.UTC) + BEAT_EVERY

    async def _last_refresh(self) -> str | None:
        """Return the followed series' last refresh from nascaR.data, as the status line shows it."""
        status = await self.store.refresh_status(self.settings.follow_series)
        done = sorted(
            ((known.refreshed_at, code) for code, known in status.items() if known.refreshed_at is not None),
            reverse=True,
        )
        return "; ".join(f"{code} at {moment:%Y-%m-%d %H:%M} UTC" for moment, code in done) or None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's turn to identify: across every process of a cluster, as Discord's buckets allow."""
        if self.cluster is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            self._max_concurrency = (await self.fetch_session_start_limits()).max_concurrency
        await self.cluster.identify.wait_turn(shard_id or 0, self._max_concurrency)

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
        if self.cluster is not None:
            await self._close_cluster()
        await super().close()

    async def _close_cluster(self) -> None:
        """Give up the lease at once, stop sending, and note in the status that this process stopped."""
        assert self.cluster is not None and self.outbox_sender is not None and self._heartbeat is not None
        for task in self._elected:
            task.cancel()
        await self._heartbeat.close()
        await self.outbox_sender.close()
        await self.cluster.lease.close()
        try:
            await self.cluster.registry.stopped()
        except Exception:  # the process stops all the same; status shows it as not answering instead
            log.warning("Could not note in PostgreSQL that this process stopped", exc_info=True)

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
