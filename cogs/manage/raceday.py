"""/manage settings race-day: what the settings mean, the checks before they are stored, and how they read."""

import dataclasses
from typing import Literal

import discord

from bot.errors import BadInputError
from bot.store import Store
from bot.store.models import GuildSettings
from bot.store.raceday import RaceDaySettings
from cogs.manage.publishing import check_channel_choice

YesNo = Literal["yes", "no"]


def race_day_text(settings: RaceDaySettings, guild: GuildSettings, *, names: discord.Guild | None = None) -> str:
    """Return how a server's race-day posts stand: 'off', or where they go, how early, the ping and the thread.

    With names, channels and roles are written by name (for the audit log, which shows text as typed), else as
    mentions (for replies, where they show as links and ping nobody).
    """
    if not settings.enabled:
        return "off"

    def channel(channel_id: int | None) -> str:
        found = names.get_channel(channel_id) if names is not None and channel_id is not None else None
        return f"#{found.name}" if found is not None else f"<#{channel_id}>"

    where = channel(settings.channel_id) if settings.channel_id else "the recap channel"
    if settings.channel_id is None and guild.recap_channel_id is not None:
        where += f" ({channel(guild.recap_channel_id)})"
    parts = [f"in {where}", f"pre-race card {settings.hours_before} hours before the start"]
    if settings.ping and guild.ping_role_id is not None:
        role = names.get_role(guild.ping_role_id) if names is not None else None
        parts.append(f"pinging @{role.name}" if role is not None else f"pinging <@&{guild.ping_role_id}>")
    elif settings.ping:
        parts.append("pinging the ping role, which is not set, so nobody")
    else:
        parts.append("no ping")
    parts.append("with a thread for each race" if settings.thread else "no thread")
    return "on: " + ", ".join(parts)


async def change_race_day(
    store: Store,
    guild_settings: GuildSettings,
    interaction: discord.Interaction,
    *,
    state: Literal["on", "off"],
    channel: discord.TextChannel | None,
    hours_before: int | None,
    ping: YesNo | None,
    thread: YesNo | None,
    series_text: str,
    race_feed: bool,
) -> str:
    """Check and store a moderator's race-day settings; return the reply (raise a user-facing error to refuse).

    Setting anything turns race-day posts on; an option left out keeps what was set before (or its default).
    """
    guild = interaction.guild
    moderator = interaction.user
    assert guild is not None and isinstance(moderator, discord.Member)  # /manage is guild_only and checked
    current = await store.race_day_settings(guild.id)
    if state == "off":
        if not current.enabled:
            return "Race-day posts were off already. Nothing was changed."
        await store.set_race_day(dataclasses.replace(current, enabled=False), moderator.id, detail="race-day posts off")
        return "Done: race-day posts turned off. Cards already posted stay; nothing more is posted until they are on."
    wanted = dataclasses.replace(
        current,
        enabled=True,
        channel_id=channel.id if channel is not None else current.channel_id,
        hours_before=hours_before if hours_before is not None else current.hours_before,
        ping=current.ping if ping is None else ping == "yes",
        thread=current.thread if thread is None else thread == "yes",
    )
    target_id = wanted.channel_id or guild_settings.recap_channel_id
    if target_id is None:
        raise BadInputError(
            "Race-day posts need a channel: give `channel`, or choose the recap channel with "
            "`/manage settings recap-channel` first. Nothing was changed."
        )
    target = guild.get_channel(target_id)
    if not isinstance(target, discord.TextChannel):
        raise BadInputError(f"<#{target_id}> is not a text channel Pit Board can post in. Nothing was changed.")
    # The moderator's own access matters only for a channel they chose now, not for the recap channel it falls back to.
    check_channel_choice(target, guild.me, moderator if channel is not None else None, thread=wanted.thread)
    if wanted.ping and guild_settings.ping_role_id is None:
        raise BadInputError(
            "`ping:yes` pings this server's ping role, and none is set: choose one with "
            "`/manage settings ping-role` first, or use `ping:no`. Nothing was changed."
        )
    role = guild.get_role(guild_settings.ping_role_id) if wanted.ping and guild_settings.ping_role_id else None
    if role is not None and not role.mentionable and not target.permissions_for(guild.me).mention_everyone:
        # Discord would drop the ping without a word: the card would go out pinging nobody.
        raise BadInputError(
            f"Pit Board can't ping @{role.name} in {target.mention}: turn on **Allow anyone to @mention this role** "
            "in the role's settings, or give Pit Board **Mention @everyone, @here and All Roles** there. "
            "Nothing was changed."
        )
    detail = race_day_text(wanted, guild_settings, names=guild)
    stored = await store.set_race_day(wanted, moderator.id, detail=f"race-day posts {detail}")
    text = (
        f"Done: race-day posts {race_day_text(stored, guild_settings)}. For each race of {series_text}: the "
        f"pre-race card {stored.hours_before} hours before the start, the results card as soon as NASCAR's results "
        "are in (edited, not posted again, as they change and when they are official), and once official a draft "
        "recap for the moderators. `/manage settings race-day state:off` turns them off."
    )
    if not race_feed:
        text += " Pit Board's owner has not turned NASCAR's feed on (RACE_FEED), so nothing is posted until they do."
    return text
