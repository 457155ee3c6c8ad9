"""What Pit Board posts by itself, as a decision that can wait: which post, in which server, about which race.

The announcer and race-day posts decide; a sender posts (bot.sender). In one process the two meet at once. In a
cluster the leader decides and writes the decision to the outbox in PostgreSQL, and the process running the
server's shard sends it (bot.cluster.outbox). A decision names its race by natural keys, never by a process's own
row ids, which differ from one process's race store to the next.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.store.race_keys import RaceKey

# The kinds of decision (the store's own post kinds, 'results' and 'pre-race', where they are the same post).
RESULTS_CARD = "results"  # the "results are in" card, then the draft recap and the moderators' notice
CARD_EDIT = "results-edit"  # a posted results card brought up to date (a penalty, the official results)
OFFICIAL_DRAFT = "official-draft"  # the recap written from the official results, saved as a draft, and its notice
PRE_RACE_CARD = "pre-race"  # the card some hours before the start, with the configured ping and thread
PRE_RACE_MOVE = "pre-race-move"  # a posted pre-race card moved to the race's new start
KINDS = (RESULTS_CARD, CARD_EDIT, OFFICIAL_DRAFT, PRE_RACE_CARD, PRE_RACE_MOVE)


@dataclass(frozen=True, slots=True)
class Post:
    """One post decided for one server.

    subject: a stored shared race as 'truck/2025/4' (race_subject), or a race of NASCAR's schedule as
    'nascar/5515' (schedule_subject). revision tells two edits of one post apart: the version a card is brought to,
    the new start of a moved race.
    """

    guild_id: int
    kind: str
    subject: str
    revision: str = ""
    channel_id: int | None = None
    mod_channel_id: int | None = None


def race_subject(series: str, season: int, round_: int) -> str:
    """Return the subject naming a shared stored race: 'truck/2025/4'."""
    return f"{series}/{season}/{round_}"


def schedule_subject(nascar_race_id: int) -> str:
    """Return the subject naming a race of NASCAR's schedule by NASCAR's own race id: 'nascar/5515'."""
    return f"nascar/{nascar_race_id}"


def race_of(subject: str) -> RaceKey | None:
    """Return the shared race a race subject names, or None when it names none (a schedule subject, garbage)."""
    series, _, rest = subject.partition("/")
    season, _, round_ = rest.partition("/")
    if series == "nascar" or not season.isdigit() or not round_.isdigit():
        return None
    return RaceKey(series, int(season), int(round_))


def scheduled_race_of(subject: str) -> int | None:
    """Return NASCAR's race id a schedule subject names, or None."""
    prefix, _, race_id = subject.partition("/")
    return int(race_id) if prefix == "nascar" and race_id.isdigit() else None


# Hands a decision over: True when it was posted (one process) or queued for the process that posts it (a cluster).
Deliver = Callable[[Post], Awaitable[bool]]


class NotHereYetError(Exception):
    """This process's race store does not hold the race a post is about yet (its refresh is behind): try later."""
