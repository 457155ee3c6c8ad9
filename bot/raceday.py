"""Race-day posts, per server that turned them on: the pre-race card, the results card kept current, the draft.

Everything is worked out from the store on each pass, as bot.announce does, so a pass can run at any time and any
number of times, and each post is made once per race per server whatever restarts:

- the pre-race card goes out `hours_before` the start NASCAR's schedule gives now (a race moved before its card went
  out waits for its new time; a card already out is edited to it). It may ping the server's ping role, the one
  ping Pit Board makes, and open a thread for the race, whose title never tells a result (bot.ui.text);
- the "results are in" card goes out as soon as the feed's results are stored (the poller hands each changed
  weekend feed over within a minute, and after_import runs at once); it is the same card announcements post (one
  record per server, race and kind), and it is edited, never posted again, when a penalty makes a new version or
  the results become official;
- once official, the recap written from the official results is saved as a draft version for the moderators,
  with Review, Publish and Discard in their channel (bot.announce).
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.announce import (
    Announcer,
    ChannelUnavailableError,
    PostFailedError,
    card_edit_post,
    official_draft_post,
    results_post,
)
from bot.background import BackgroundJob
from bot.catalog import Catalog
from bot.facts.schedule import last_year_race
from bot.facts.spoilers import SpoilerPolicy
from bot.posts import PRE_RACE_CARD, PRE_RACE_MOVE, NotHereYetError, Post, schedule_subject, scheduled_race_of
from bot.store import Store, StoreChange
from bot.store.announcements import RESULTS
from bot.store.models import DueAnnouncement
from bot.store.race_keys import RaceKey
from bot.store.raceday import OFFICIAL_DRAFT, PRE_RACE, RaceDayServer
from bot.store.schedule import ScheduledRace
from bot.tree import NO_MENTIONS
from bot.ui.embeds.raceday import pre_race_card
from bot.ui.embeds.schedule import Winner
from bot.ui.text import race_thread_name

log = logging.getLogger(__name__)

START_DELAY = 15.0  # seconds after start before the first pass: the gateway connects first
LONGEST_SLEEP = dt.timedelta(hours=1)  # the schedule is read again at least hourly, so a moved race is seen
AFTER_CRASH = dt.timedelta(minutes=15)
NOT_LEADING_CHECK = dt.timedelta(minutes=1)  # a process that does not lead looks again this often
# A race's results are followed (the card, its edits, the official draft) for a week after its start, as the poller
# follows its feed.
FOLLOWED_FOR = dt.timedelta(days=7)


def utc_now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def pre_race_due(start: dt.datetime, hours_before: int) -> dt.datetime:
    """Return when a race's pre-race card is due: hours_before its (current) start."""
    return start - dt.timedelta(hours=hours_before)


def pre_race_action(
    race: ScheduledRace, hours_before: int, shown_start: dt.datetime | None, posted: bool, now: dt.datetime
) -> tuple[str, dt.datetime | None]:
    """Return what a server's pre-race card of a race needs now: ('post' | 'edit' | 'wait' | 'none', wake-up).

    posted: a card was claimed (whatever became of it). A card not posted is due hours_before the start as the
    schedule gives it now, and never once the race has started. A posted card showing another start than the
    schedule's (the race was moved) is edited, until the race starts.
    """
    if race.start is None or race.results_complete or race.inspection_complete:
        return "none", None
    if posted:
        if shown_start is not None and shown_start != race.start and now < max(race.start, shown_start):
            return "edit", None
        return "none", None
    if now >= race.start:
        return "none", None  # too late: a pre-race card after the green flag is no pre-race card
    due = pre_race_due(race.start, hours_before)
    return ("post", None) if due <= now else ("wait", due)


class RaceDay:
    """Posts each server's race-day posts from the schedule and the feed's results, in the background."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        catalog: Catalog,
        spoilers: SpoilerPolicy,
        announcer: Announcer,
        *,
        follow_series: Sequence[str],
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        decides: Callable[[], bool] = lambda: True,
    ) -> None:
        self.client = client  # for its channels and its own user id
        self.decides = decides  # whether this process decides what is posted (in a cluster: while it leads)
        self.store = store
        self.catalog = catalog
        self.spoilers = spoilers
        self.announcer = announcer  # posts and edits the results card, saves drafts, reports failures
        announcer.senders |= {PRE_RACE_CARD: self.send, PRE_RACE_MOVE: self.send}
        self.follow_series = tuple(follow_series)
        self.clock = clock
        self.sleep = sleep
        self._running = asyncio.Lock()  # one pass at a time: the background task and an import may both ask
        self._job = BackgroundJob(
            "race-day posts",
            self.poll_due,
            clock=lambda: self.clock(),
            start_delay=lambda: START_DELAY,
            after_crash=AFTER_CRASH,
            before_first=self.client.wait_until_ready,
            sleep=lambda seconds: self.sleep(seconds),
        )

    def start(self) -> None:
        """Start the background task (nothing to do when the bot follows no series)."""
        if self.follow_series:
            self._job.start()
            # A server turning race-day posts on (here or through another process) may have a card due now.
            self.store.subscribe(self._heard)

    def _heard(self, change: StoreChange) -> None:
        if change.kind == "guild" and self.decides():
            self._job.poke()

    async def close(self) -> None:
        """Stop the background task."""
        await self._job.close()

    # --- one pass -----------------------------------------------------------------------------------------------

    async def poll_due(self) -> dt.datetime:
        """Make every race-day post due now (and catch up on results); return when the next one is due."""
        if not self.decides():
            return self.clock() + NOT_LEADING_CHECK  # another process leads; this one may be elected meanwhile
        async with self._running:
            now = self.clock()
            servers = await self.store.race_day_servers()
            wake = await self._pre_race(servers, now)
            await self._results(servers, now)
            return min(wake, now + LONGEST_SLEEP)

    async def after_import(self) -> None:
        """Post, edit and draft what the feed's newly stored results call for, at once (not at the next pass)."""
        if not self.decides():
            return
        async with self._running:
            await self._results(await self.store.race_day_servers(), self.clock())

    async def _series(self, server: RaceDayServer) -> tuple[str, ...]:
        """Return the series a server's race-day posts cover: those it follows among those Pit Board follows."""
        chosen = await self.store.followed_series(server.guild_id)
        return tuple(code for code in self.follow_series if not chosen or code in chosen)

    async def _stopped(self, guild_id: int, kind: str) -> bool:
        return any(stop.kind == kind for stop in await self.store.post_stops(guild_id))

    # --- the pre-race card ----------------------------------------------------------------------------------------

    async def _pre_race(self, servers: Sequence[RaceDayServer], now: dt.datetime) -> dt.datetime:
        """Post or move every pre-race card due; return when the next one is due."""
        wakes = [now + LONGEST_SLEEP]
        if not servers:
            return wakes[0]
        seasons = sorted({now.year, (now + dt.timedelta(days=4)).year})  # a card can be due in the next season
        races = [
            race
            for season in seasons
            for race in await self.store.scheduled_races(None, season)
            if race.series in self.follow_series
        ]
        for server in servers:
            if server.channel_id is None or await self._stopped(server.guild_id, PRE_RACE):
                continue
            series = await self._series(server)
            for race in races:
                if race.series not in series:
                    continue
                post = await self.store.race_day_post(server.guild_id, race.nascar_race_id)
                shown = post.shown_start if post is not None and post.status == "sent" else None
                action, due = pre_race_action(race, server.settings.hours_before, shown, post is not None, now)
                if action == "post":
                    subject = schedule_subject(race.nascar_race_id)
                    await self.announcer.deliver(
                        Post(server.guild_id, PRE_RACE_CARD, subject, channel_id=server.channel_id)
                    )
                    if await self._stopped(server.guild_id, PRE_RACE):
                        break
                elif action == "edit" and post is not None and shown is not None and race.start is not None:
                    subject = schedule_subject(race.nascar_race_id)
                    revision = race.start.isoformat()
                    await self.announcer.deliver(Post(server.guild_id, PRE_RACE_MOVE, subject, revision=revision))
                elif due is not None:
                    wakes.append(due)
        return min(wakes)

    async def send(self, post: Post) -> str:
        """Make one decided pre-race card or move; return 'sent' or why it was not needed (any more).

        What was decided is checked again here, where it is posted: a race that started meanwhile gets no pre-race
        card. Raises NotHereYetError when this process has not stored the race's schedule yet.
        """
        nascar_race_id = scheduled_race_of(post.subject)
        if nascar_race_id is None:
            return f"not needed: {post.subject!r} names no race of NASCAR's schedule"
        server = next(iter(await self.store.race_day_servers(post.guild_id)), None)
        if server is None:
            return "not needed: race-day posts are off in this server"
        race = await self.store.scheduled_race(nascar_race_id)
        if race is None:
            raise NotHereYetError(f"NASCAR's race {nascar_race_id} is not in this process's schedule yet")
        if await self._stopped(post.guild_id, PRE_RACE):
            return "not needed: pre-race cards are stopped in this server"
        existing = await self.store.race_day_post(post.guild_id, nascar_race_id)
        shown = existing.shown_start if existing is not None and existing.status == "sent" else None
        action, _ = pre_race_action(race, server.settings.hours_before, shown, existing is not None, self.clock())
        if post.kind == PRE_RACE_CARD and action == "post" and post.channel_id is not None:
            await self._post_pre_race(server, post.channel_id, race)
            return "sent"
        if post.kind == PRE_RACE_MOVE and action == "edit" and existing is not None and shown is not None:
            await self._move_pre_race(server, race, existing.channel_id, existing.message_id, shown)
            return "sent"
        return "not needed: the card is posted and up to date, or the race has started"

    async def _card(self, guild_id: int, race: ScheduledRace, moved_from: dt.datetime | None = None) -> discord.Embed:
        """Return the pre-race card as this server may see it: last year's winner held back in spoiler-safe mode."""
        index = await self.catalog.index(guild_id)
        last_year = last_year_race(index.races, race)
        winner = None
        if last_year is not None:
            until = await self.spoilers.until(guild_id, last_year)
            winner = Winner(None if until else last_year.winner, until)
        return pre_race_card(race, last_year, winner, moved_from=moved_from)

    async def _post_pre_race(self, server: RaceDayServer, channel_id: int, race: ScheduledRace) -> None:
        """Claim, post and record one pre-race card (with its ping and its thread, as the server chose)."""
        guild_id = server.guild_id
        embed = await self._card(guild_id, race)  # read first: a read that fails leaves nothing claimed
        # Claimed before posting, as bot.announce does: a card whose post a crash interrupted is never posted again.
        if not await self.store.claim_race_day_post(guild_id, race.nascar_race_id, PRE_RACE, channel_id):
            return
        content, mentions = None, NO_MENTIONS
        role = server.ping_role_id if server.settings.ping else None
        if role is not None:
            # The one ping Pit Board makes by itself: the role the moderators configured, and only that role.
            content = f"<@&{role}>"
            mentions = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role)], replied_user=False
            )
        try:
            channel = await self.announcer.channel(channel_id)
            message = await channel.send(content=content, embed=embed, allowed_mentions=mentions)
        except PostFailedError as error:
            await self.store.race_day_post_failed(guild_id, race.nascar_race_id, PRE_RACE, retry=True)
            failure = f"the pre-race card of the {race.season} {race.name} could not be posted: {error}"
            await self.announcer.report_stop(guild_id, PRE_RACE, channel_id, failure)
            return
        except ChannelUnavailableError:
            # Nothing was sent (Discord could not say where the channel is): the next pass tries again.
            log.warning("Could not reach channel %s of server %s; trying later", channel_id, guild_id)
            await self.store.race_day_post_failed(guild_id, race.nascar_race_id, PRE_RACE, retry=True)
            return
        except discord.HTTPException:
            log.warning("Could not post the pre-race card of race %s in server %s", race.nascar_race_id, guild_id)
            await self.store.race_day_post_failed(guild_id, race.nascar_race_id, PRE_RACE, retry=False)
            return
        thread_id = None
        if server.settings.thread:
            try:
                thread = await message.create_thread(name=race_thread_name(race.season, race.name, "race day"))
                thread_id = thread.id
            except (discord.HTTPException, ValueError):
                # The card is out; a thread that could not be opened is no reason to post it again.
                log.info("Could not open the race-day thread of race %s in server %s", race.nascar_race_id, guild_id)
        detail = f"posted the pre-race card of the {race.season} {race.name}"
        await self.store.race_day_post_sent(
            guild_id,
            race.nascar_race_id,
            PRE_RACE,
            message_id=message.id,
            thread_id=thread_id,
            shown_start=race.start,
            detail=detail + (" and opened its thread" if thread_id else ""),
        )

    async def _move_pre_race(
        self,
        server: RaceDayServer,
        race: ScheduledRace,
        channel_id: int | None,
        message_id: int | None,
        shown: dt.datetime,
    ) -> None:
        """Edit a posted pre-race card to the race's new start (it never pings again)."""
        assert race.start is not None  # pre_race_action edits only a race with a start
        if channel_id is not None and message_id is not None:
            embed = await self._card(server.guild_id, race, moved_from=shown)
            message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
            try:
                await message.edit(embed=embed, allowed_mentions=NO_MENTIONS)
            except (discord.NotFound, discord.Forbidden):
                log.info("The pre-race card of race %s in server %s is gone", race.nascar_race_id, server.guild_id)
            except discord.HTTPException:
                log.warning("Could not move the pre-race card of race %s", race.nascar_race_id)
                return  # tried again on the next pass
        await self.store.race_day_post_moved(server.guild_id, race.nascar_race_id, PRE_RACE, race.start)

    # --- the results card and the official draft --------------------------------------------------------------

    async def _results(self, servers: Sequence[RaceDayServer], now: dt.datetime) -> None:
        """Post each results card due, edit each whose results changed, save each official draft due."""
        if not servers or self.client.user is None:
            return
        races = await self.store.feed_races_since(self.follow_series, now - FOLLOWED_FOR)
        for server in servers:
            series = await self._series(server)
            since = server.settings.since
            for race in races:
                if race.series not in series or race.version is None:
                    continue
                posted = await self.store.announcement(server.guild_id, race.race_id, RESULTS)
                if posted is None:
                    arrived = race.first_results_at
                    if since is not None and arrived is not None and arrived < since:
                        continue  # its results were in before race-day posts were turned on: old news
                    if server.channel_id is None or await self._stopped(server.guild_id, RESULTS):
                        continue
                    item = DueAnnouncement(
                        server.guild_id,
                        race.race_id,
                        race.series,
                        race.season,
                        race.round,
                        server.channel_id,
                        server.mod_channel_id,
                    )
                    await self.announcer.deliver(results_post(item))
                    posted = await self.store.announcement(server.guild_id, race.race_id, RESULTS)
                elif (shows := await self.announcer.card_change(posted)) is not None:
                    await self.announcer.deliver(
                        card_edit_post(server.guild_id, RaceKey(race.series, race.season, race.round), shows)
                    )
                if (
                    race.results_status == "official"
                    and posted is not None
                    and posted.status == "sent"
                    and await self.store.announcement(server.guild_id, race.race_id, OFFICIAL_DRAFT) is None
                ):
                    await self.announcer.deliver(
                        official_draft_post(
                            server.guild_id, RaceKey(race.series, race.season, race.round), server.mod_channel_id
                        )
                    )
