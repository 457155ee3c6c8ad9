"""Race-day posts: the pre-race card a few hours before a race's start."""

import datetime as dt

import discord

from bot.store.models import RaceSummary
from bot.store.schedule import ScheduledRace
from bot.ui.embeds.schedule import NAME_SHOWN, Winner, feed_footer, next_embed
from bot.ui.limits import clip, fit
from bot.ui.text import plain, timestamp


def pre_race_card(
    race: ScheduledRace,
    last_year: RaceSummary | None,
    last_winner: Winner | None,
    *,
    moved_from: dt.datetime | None = None,
) -> discord.Embed:
    """Return the pre-race card: the start in each reader's time and its countdown, track, TV, last year's winner.

    It is /next's answer under a race-day title, so the two never disagree. moved_from is the start the card
    showed before the race was moved, when it is edited for that.
    """
    embed = next_embed(race, last_year, last_winner, footer=feed_footer(race.fetched_at))
    embed.title = f"Race day: {race.season} {plain(clip(race.name, NAME_SHOWN))}"
    if moved_from is not None:
        moved = f"**Moved:** it was to start {timestamp(moved_from, 'F')}; the time above is the new one."
        embed.description = f"{embed.description}\n\n{moved}"
    return fit(embed)
