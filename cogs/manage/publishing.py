"""Publishing a recap version: into the recap channel, or over the message it was posted in before."""

import logging

import discord

from bot.catalog import Catalog, RaceData
from bot.errors import BadInputError
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.store.models import Race, RecapVersion
from bot.tree import NO_MENTIONS, NotAllowedError
from bot.ui.embeds.recap_post import recap_post_embed
from bot.ui.text import race_thread_name

log = logging.getLogger(__name__)


def provisional_warning(race: Race) -> str:
    """Return the preview's warning that a race's results are not official yet (with a space after), or ''.

    A recap published now reads as the results read now: a penalty or disqualification at inspection would make it
    wrong in public, so the moderator about to publish is told before they press Publish.
    """
    if race.results_status == "official":
        return ""
    return (
        "⚠️ These results are provisional: they may still change (a penalty, a disqualification) until they are "
        "official, and the recap would then say otherwise. "
    )


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member, *, thread: bool) -> list[str]:
    """Return the names of the permissions the bot lacks to post a recap in channel."""
    have = channel.permissions_for(me)
    needed = {"View Channel": have.view_channel, "Send Messages": have.send_messages, "Embed Links": have.embed_links}
    if thread:
        needed["Create Public Threads"] = have.create_public_threads
    return [name for name, ok in needed.items() if not ok]


def moderator_missing_permissions(channel: discord.abc.GuildChannel, moderator: discord.Member) -> list[str]:
    """Return the names of the permissions a moderator lacks to see and post in channel themselves."""
    # The bot posts, but on a moderator's behalf: a channel they cannot read or write in is not theirs to post in.
    have = channel.permissions_for(moderator)
    needed = {"View Channel": have.view_channel, "Send Messages": have.send_messages}
    return [name for name, ok in needed.items() if not ok]


def check_channel_choice(
    channel: discord.abc.GuildChannel,
    me: discord.Member,
    moderator: discord.Member | None,
    *,
    thread: bool,
) -> None:
    """Refuse a channel Pit Board cannot post in, or (when a moderator chose it) one they cannot post in themselves."""
    mention = getattr(channel, "mention", f"<#{channel.id}>")
    if missing := missing_permissions(channel, me, thread=thread):
        raise BadInputError(f"I can't use {mention}: I need {', '.join(missing)} there. Nothing was changed.")
    if moderator is not None and (lacking := moderator_missing_permissions(channel, moderator)):
        raise NotAllowedError(
            f"You can't choose {mention}: you need {' and '.join(lacking)} there yourself. Nothing was changed."
        )


class RecapPublisher:
    """Builds recap posts as the channel will show them and posts or edits them."""

    def __init__(self, store: Store, catalog: Catalog, spoilers: SpoilerPolicy) -> None:
        self.store = store
        self.catalog = catalog
        self.spoilers = spoilers

    async def post_embed(self, guild_id: int, data: RaceData, version: RecapVersion) -> discord.Embed:
        """Return the recap message exactly as the recap channel will show it (results hidden if spoiler-safe)."""
        spoiler = await self.spoilers.until(guild_id, data.race) is not None
        return recap_post_embed(data, version, spoiler=spoiler)

    async def publish(
        self,
        interaction: discord.Interaction,
        data: RaceData,
        version: RecapVersion,
        channel: discord.TextChannel | None,
        *,
        thread: bool,
        ping: bool,
    ) -> str:
        """Post a version to the recap channel, or edit the message it was posted in; return what happened."""
        guild = interaction.guild
        assert guild is not None  # /manage is guild_only and checked
        race = data.race
        settings = await self.catalog.guild_settings(guild.id)
        target = channel
        if target is None and settings.recap_channel_id is not None:
            found = guild.get_channel(settings.recap_channel_id)
            target = found if isinstance(found, discord.TextChannel) else None
        if target is None:
            raise BadInputError("Choose a channel, or set one with `/manage settings recap-channel` first.")
        missing = missing_permissions(target, guild.me, thread=thread)
        if missing:
            raise BadInputError(f"I can't post in {target.mention}: I need {', '.join(missing)} there.")
        moderator = interaction.user
        assert isinstance(moderator, discord.Member)  # Manage.interaction_check refuses anyone else
        if lacking := moderator_missing_permissions(target, moderator):
            raise NotAllowedError(
                f"You can't post in {target.mention}: you need {' and '.join(lacking)} there yourself. "
                "Nothing was posted."
            )
        if ping and settings.ping_role_id is None:
            raise BadInputError(
                "No ping role is set; choose one with `/manage settings ping-role`, or publish without ping."
            )

        embed = await self.post_embed(guild.id, data, version)
        post = await self.store.recap_post(guild.id, race.id)
        message: discord.Message | None = None
        edited = False
        if post is not None and post.channel_id == target.id:
            try:
                message = await target.get_partial_message(post.message_id).edit(
                    content=None, embed=embed, allowed_mentions=NO_MENTIONS
                )
                edited = True
            except discord.NotFound:
                log.info("Recap message %s was deleted; posting a new one", post.message_id)
        if message is None:
            content, mentions = None, NO_MENTIONS
            if ping and settings.ping_role_id is not None:
                # The one ping Pit Board ever makes: the role a moderator configured, and only that role.
                content = f"<@&{settings.ping_role_id}>"
                mentions = discord.AllowedMentions(
                    everyone=False, users=False, roles=[discord.Object(settings.ping_role_id)], replied_user=False
                )
            message = await target.send(content=content, embed=embed, allowed_mentions=mentions)
        thread_id = post.thread_id if post is not None and edited else None
        if thread and thread_id is None:
            created = await message.create_thread(name=race_thread_name(race.season, race.name, "recap"))
            thread_id = created.id
        await self.store.record_recap_post(
            guild_id=guild.id,
            race_id=race.id,
            channel_id=target.id,
            message_id=message.id,
            thread_id=thread_id,
            version=version.version,
            user_id=interaction.user.id,
            edited=edited,
        )
        verb = "Updated the recap already posted" if edited else "Published the recap"
        return f"{verb} in {target.mention} (version {version.version}): {message.jump_url}"
