"""Announcing new races: a "results are in" card per server that wants it, a draft recap, a note to its moderators.

Everything is worked out from the store on each pass, so a pass can run at any time (after each refresh, at
start) and any number of times: a race is announced to a server once, whatever restarts.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.catalog import Catalog, RaceData
from bot.facts.recap import recap_facts, write_recap
from bot.facts.spoilers import SpoilerPolicy
from bot.posts import CARD_EDIT, OFFICIAL_DRAFT, RESULTS_CARD, Deliver, NotHereYetError, Post, race_of, race_subject
from bot.store import Store
from bot.store.announcements import MOD_NOTICE, RESULTS, first_import_key, parse_round
from bot.store.imports import SOURCE_CREDIT
from bot.store.models import Announcement, DueAnnouncement, RecapVersion
from bot.store.race_keys import RaceKey
from bot.store.raceday import PRE_RACE
from bot.tree import NO_MENTIONS
from bot.ui.announcements import DraftRef, card_view, draft_view
from bot.ui.embeds.announcements import draft_notice, failure_report, results_card
from bot.ui.limits import TITLE_MAX, clip
from bot.ui.text import plain, race_title

log = logging.getLogger(__name__)

# A weekend brings one race per series. More than this many due at once for one server and series is a history
# being loaded (an import without the first-import mark), which is passed over rather than posted card by card.
MOST_AT_ONCE = 10
DRAFT_BODY_MAX = 4000  # what the recap form holds, so a moderator can edit the draft
FIX = {
    RESULTS: (
        "set the recap channel again with `/manage settings recap-channel` (or race-day posts' channel with "
        "`/manage settings race-day`), or turn announcements on again"
    ),
    MOD_NOTICE: "set the moderators' channel again with `/manage settings mod-channel`, or turn announcements on again",
    PRE_RACE: "set race-day posts again with `/manage settings race-day`",
}
WHAT = {RESULTS: "Results cards", MOD_NOTICE: "Notices to moderators", PRE_RACE: "Pre-race cards"}


def results_post(item: DueAnnouncement) -> Post:
    """Return the decision to post a results card for a due announcement."""
    subject = race_subject(item.series, item.season, item.round)
    return Post(
        item.guild_id, RESULTS_CARD, subject, channel_id=item.recap_channel_id, mod_channel_id=item.mod_channel_id
    )


def card_edit_post(guild_id: int, key: RaceKey, shows: str) -> Post:
    """Return the decision to bring a posted results card up to what it should now show."""
    return Post(guild_id, CARD_EDIT, race_subject(key.series, key.season, key.round), revision=shows)


def official_draft_post(guild_id: int, key: RaceKey, mod_channel_id: int | None) -> Post:
    """Return the decision to save a race's official draft recap in a server and tell its moderators."""
    return Post(
        guild_id, OFFICIAL_DRAFT, race_subject(key.series, key.season, key.round), mod_channel_id=mod_channel_id
    )


class PostFailedError(Exception):
    """A post could not be made, for a reason that will not pass by itself (a deleted channel, a lost permission)."""


def card_shows(data: RaceData) -> str:
    """Return what a results card of the race shows: its results version and status ('v2 official').

    A card is edited when this changes (a penalty makes a new version; inspection makes it official).
    """
    version = data.flow.version if data.flow is not None else None
    status = version.status if version is not None else data.race.results_status
    return f"v{version.version} {status}" if version is not None else status


def draft_recap(data: RaceData) -> tuple[str, str]:
    """Return the headline and body of the recap Pit Board drafts, written from the race's stored facts."""
    facts = recap_facts(data)
    winner = next((e for e in data.entries if e.finish == 1), None)
    title = race_title(data.race)
    headline = f"{plain(winner.driver)} wins the {title}" if winner else title
    return clip(headline, TITLE_MAX), clip(write_recap(facts, shown=plain), DRAFT_BODY_MAX)


class Announcer:
    """Posts each new shared race once to every server that follows its series and turned announcements on."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        catalog: Catalog,
        spoilers: SpoilerPolicy,
        follow_series: Sequence[str],
        deliver: Deliver | None = None,
    ) -> None:
        self.client = client  # for its channels and its own user id
        self.store = store
        self.catalog = catalog
        self.spoilers = spoilers
        self.follow_series = tuple(follow_series)
        # Where decided posts go: by default straight to self.send; in a cluster, to the outbox (bot.cluster).
        self.deliver: Deliver = deliver or self._send_now
        # Who makes each kind of post: this announcer its own; race-day posts add theirs (bot.raceday).
        self.senders: dict[str, Callable[[Post], Awaitable[str]]] = dict.fromkeys(
            (RESULTS_CARD, CARD_EDIT, OFFICIAL_DRAFT), self._send_announcement
        )
        self._running = asyncio.Lock()  # one pass at a time; the store's claims keep other processes out too

    async def announce_new_races(self) -> int:
        """Post every card due, save a draft recap and tell the moderators for each; return how many cards went out."""
        if not self.follow_series or self.client.user is None:
            return 0  # nothing followed; or not logged in yet, so no channel could be reached
        async with self._running:
            follow = {}
            for series in self.follow_series:
                value = await self.store.meta_value(first_import_key(series))
                through = parse_round(value)
                if value is not None and through is None:
                    log.warning(
                        "Not announcing %s races: %s is %r, not season:round", series, first_import_key(series), value
                    )
                    continue
                follow[series] = through
            due = await self.store.due_announcements(follow)
            posted = 0
            for batch in _batches(due):
                if len(batch) > MOST_AT_ONCE:
                    newest = batch[-1]
                    await self.store.pass_over_history(
                        newest.guild_id, newest.series, (newest.season, newest.round), len(batch)
                    )
                    continue
                for item in batch:
                    if await self._stopped(item.guild_id, RESULTS):
                        break  # an earlier card in this pass failed here
                    posted += await self.deliver(results_post(item))
            return posted

    async def _send_now(self, post: Post) -> bool:
        return await self.send(post) == "sent"

    async def send(self, post: Post) -> str:
        """Make one decided post, whoever decided it; return 'sent' or why it was not needed (any more).

        Raises NotHereYetError when this process does not hold the race (or schedule) yet.
        """
        sender = self.senders.get(post.kind)
        if sender is None:
            return f"not needed: no one here makes {post.kind!r} posts"
        return await sender(post)

    async def _send_announcement(self, post: Post) -> str:
        key = race_of(post.subject)
        if key is None:
            return f"not needed: {post.subject!r} names no race"
        race_id = await self.store.race_id_by_key(key)
        if race_id is None:
            raise NotHereYetError(f"{key.label} is not in this process's race store yet")
        if post.kind == RESULTS_CARD:
            if post.channel_id is None or await self._stopped(post.guild_id, RESULTS):
                return "not needed: results cards are stopped in this server"
            item = DueAnnouncement(
                post.guild_id, race_id, key.series, key.season, key.round, post.channel_id, post.mod_channel_id
            )
            return "sent" if await self.announce(item) else "not sent"
        if post.kind == CARD_EDIT:
            posted = await self.store.announcement(post.guild_id, race_id, RESULTS)
            if posted is None:
                return "not needed: no results card was posted"
            return "sent" if await self.refresh_card(posted) else "not needed: the card is up to date"
        saved = await self.official_draft(post.guild_id, race_id, mod_channel_id=post.mod_channel_id)
        return "sent" if saved else "not needed: the official draft was saved before"

    async def card_change(self, posted: Announcement) -> str | None:
        """Return what a posted results card should now show, when that differs from what it shows; else None."""
        if posted.status != "sent" or posted.message_id is None or posted.channel_id is None:
            return None
        shows = card_shows(await self.catalog.race_data(posted.race_id))
        return shows if shows != posted.shown else None

    async def _stopped(self, guild_id: int, kind: str) -> bool:
        return any(stop.kind == kind for stop in await self.store.post_stops(guild_id))

    async def announce(self, item: DueAnnouncement) -> int:
        """Post one card in item's channel, then save the draft and tell the moderators; return 1 if it went out."""
        # What the card shows is read first: a read that fails leaves nothing claimed, and the next pass tries again.
        data = await self.catalog.race_data(item.race_id)
        hidden_until = await self.spoilers.until(item.guild_id, data.race)
        origin = await self.store.race_origin(item.race_id)
        credit = SOURCE_CREDIT if origin is not None and origin.kind == "nascar-data" else None
        # The claim is committed before posting. A crash after it leaves the row 'pending', and a pending row is
        # never posted again: whether the card went out is unknown, and a card missing is better than a card twice.
        if not await self.store.claim_announcement(item.guild_id, item.race_id, RESULTS, item.recap_channel_id):
            return 0
        try:
            channel = await self.channel(item.recap_channel_id)
            message = await channel.send(
                embed=results_card(data, hidden_until=hidden_until, credit=credit or _feed_credit(data)),
                view=card_view(item.race_id),
                allowed_mentions=NO_MENTIONS,
            )
        except PostFailedError as error:
            # Nothing was posted: the claim is dropped, so the card goes out once the moderators fix the channel.
            await self.store.announcement_failed(item.guild_id, item.race_id, RESULTS, retry=True)
            what = f"the results card of the {data.race.label}"
            await self.report_stop(
                item.guild_id, RESULTS, item.recap_channel_id, f"{what} could not be posted: {error}"
            )
            return 0
        except ChannelUnavailableError:
            # Discord could not even say where the channel is (an outage, a rate limit): nothing was sent, so the
            # claim is dropped and the next pass tries again; nothing is stopped.
            log.warning("Could not reach channel %s of server %s; trying later", item.recap_channel_id, item.guild_id)
            await self.store.announcement_failed(item.guild_id, item.race_id, RESULTS, retry=True)
            return 0
        except discord.HTTPException:
            # Discord failed in a way that may have posted the card after all: never tried again.
            log.warning("Could not post the card of race %s in server %s", item.race_id, item.guild_id, exc_info=True)
            await self.store.announcement_failed(item.guild_id, item.race_id, RESULTS, retry=False)
            return 0
        headline, body = draft_recap(data)
        assert self.client.user is not None  # checked at the start of the pass
        version = await self.store.announcement_sent(
            item.guild_id,
            item.race_id,
            RESULTS,
            message.id,
            headline=headline,
            body=body,
            author_id=self.client.user.id,
            shown=card_shows(data),
            # A feed race's official draft is saved once (bot.raceday): a card posted official already holds it.
            official=data.race.results_status == "official" and _feed_credit(data) is not None,
        )
        await self._notify(item, data, version)
        return 1

    async def refresh_card(self, posted: Announcement) -> bool:
        """Edit a posted results card when the results changed since (a new version, official); True if edited.

        The same message is edited, never posted again: a card deleted meanwhile stays deleted.
        """
        if posted.status != "sent" or posted.message_id is None or posted.channel_id is None:
            return False
        data = await self.catalog.race_data(posted.race_id)
        shows = card_shows(data)
        if shows == posted.shown:
            return False
        hidden_until = await self.spoilers.until(posted.guild_id, data.race)
        message = self.client.get_partial_messageable(posted.channel_id).get_partial_message(posted.message_id)
        try:
            await message.edit(
                embed=results_card(data, hidden_until=hidden_until, credit=_feed_credit(data)),
                view=card_view(posted.race_id),
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.NotFound, discord.Forbidden):
            # Deleted, or Pit Board may no longer post there: nothing to edit, and nothing is posted anew.
            log.info("The results card of race %s in server %s is gone; not edited", posted.race_id, posted.guild_id)
        except discord.HTTPException:
            log.warning("Could not edit the results card of race %s in server %s", posted.race_id, posted.guild_id)
            return False  # tried again on the next pass
        await self.store.set_announcement_shown(posted.guild_id, posted.race_id, RESULTS, shows)
        return True

    async def official_draft(self, guild_id: int, race_id: int, *, mod_channel_id: int | None) -> bool:
        """Save the recap written from a race's official results as a draft, once, and tell the moderators.

        Return False when it was saved before (or the results card's draft already came from official results).
        """
        assert self.client.user is not None  # called only once the bot is logged in
        data = await self.catalog.race_data(race_id)
        headline, body = draft_recap(data)
        version = await self.store.save_official_draft(
            guild_id, race_id, headline=headline, body=body, author_id=self.client.user.id
        )
        if version is None:
            return False
        race = data.race
        item = DueAnnouncement(guild_id, race_id, race.series_short, race.season, race.round, 0, mod_channel_id)
        await self._notify(item, data, version, official=True)
        return True

    async def _notify(
        self, item: DueAnnouncement, data: RaceData, version: RecapVersion, *, official: bool = False
    ) -> None:
        """Tell the moderators about the draft in their channel, if they have one and notices there did not stop."""
        settings = await self.catalog.guild_settings(item.guild_id)
        if settings.mod_channel_id is None or await self._stopped(item.guild_id, MOD_NOTICE):
            return
        draft = DraftRef(item.guild_id, item.race_id, version.version)
        try:
            channel = await self.channel(settings.mod_channel_id)
            await channel.send(
                embed=draft_notice(data.race, version.version, settings.recap_channel_id, official=official),
                view=draft_view(draft),
                allowed_mentions=NO_MENTIONS,
            )
        except PostFailedError as error:
            reason = f"the notice of the draft recap of the {data.race.label} could not be posted: {error}"
            await self.report_stop(item.guild_id, MOD_NOTICE, settings.mod_channel_id, reason)
        except (ChannelUnavailableError, discord.HTTPException):
            log.warning("Could not post the draft notice of race %s in server %s", item.race_id, item.guild_id)

    async def report_stop(self, guild_id: int, kind: str, channel_id: int, failure: str) -> None:
        """Stop this kind of post in the server and tell its moderators once: in the audit log, and their channel."""
        reason = f"{failure[:1].upper()}{failure[1:]}. {WHAT[kind]} stop here until a moderator fixes it: {FIX[kind]}."
        if not await self.store.stop_posts(guild_id, kind, channel_id, reason):
            return
        log.info("Stopped %s posts in server %s: %s", kind, guild_id, failure)
        settings = await self.catalog.guild_settings(guild_id)
        if kind == MOD_NOTICE or settings.mod_channel_id is None:
            return  # the audit log has it; the moderators' channel is what failed, or there is none
        try:
            channel = await self.channel(settings.mod_channel_id)
            await channel.send(embed=failure_report(plain(reason)), allowed_mentions=NO_MENTIONS)
        except (PostFailedError, ChannelUnavailableError, discord.HTTPException):
            log.info("Could not report the stop to the moderators' channel of server %s", guild_id)

    async def channel(self, channel_id: int) -> "_Guarded":
        """Return a channel to post in, or raise PostFailedError saying why there is none."""
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except discord.NotFound:
                raise PostFailedError(f"channel {channel_id} no longer exists") from None
            except discord.Forbidden:
                raise PostFailedError(f"Pit Board can no longer see channel {channel_id}") from None
            except discord.HTTPException as error:
                raise ChannelUnavailableError(f"Discord did not answer for channel {channel_id}: {error}") from error
        if not isinstance(channel, discord.abc.Messageable):
            raise PostFailedError(f"channel {channel_id} is not one Pit Board can post in")
        return _Guarded(channel)


class ChannelUnavailableError(Exception):
    """Discord could not be asked about a channel just now (an outage, a rate limit); nothing was posted."""


class _Guarded:
    """A channel whose send turns the failures that last (deleted, forbidden) into PostFailedError."""

    def __init__(self, channel: discord.abc.Messageable) -> None:
        self.channel = channel

    async def send(self, **kwargs: object) -> discord.Message:
        """Send, saying why in a PostFailedError when the channel is gone or Pit Board may not post there."""
        try:
            return await self.channel.send(**kwargs)  # type: ignore[call-overload]  # the arguments are send's own
        except discord.NotFound:
            raise PostFailedError("the channel no longer exists") from None
        except discord.Forbidden:
            raise PostFailedError(
                "Pit Board is not allowed to post there (it needs View Channel, Send Messages and Embed Links)"
            ) from None


def _feed_credit(data: RaceData) -> str | None:
    """Return NASCAR as the credit of a race whose results came from its feed."""
    return "NASCAR" if data.flow is not None and data.flow.from_feed else None


def _batches(due: Sequence[DueAnnouncement]) -> list[list[DueAnnouncement]]:
    """Split what is due into one list per server and series, oldest race first (the store's order)."""
    batches: dict[tuple[int, str], list[DueAnnouncement]] = {}
    for item in due:
        batches.setdefault((item.guild_id, item.series), []).append(item)
    return list(batches.values())
