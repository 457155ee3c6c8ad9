"""End to end, a race night on a fake clock: the real bot with RACE_FEED on, the local feed host and the fake Discord.

The schedule, the pre-race card (pinging the ping role, opening a thread), the race under way, the checkered flag,
the provisional results card, a penalty (the card edited), official (edited again), the draft recap and the
moderators' notice: each post exactly once, including across a restart in the middle of the night. The poller and
the race-day scheduler are driven round by round (poll_due) on the clock the test sets.
"""

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot import raceday
from bot.client import PitBoard
from bot.feeds.poller import FeedPoller, race_list_path, standings_path, weekend_path
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, RECAPS, button, embed_of, ephemeral, text_of
from tests.fakediscord.models import BOT_USER, OWNER, FakeChannel, FakeGuild, FakeMember, FakeRole, Overwrite, Perm
from tests.fakediscord.server import FakeDiscord
from tests.feed_host import FeedHost, feed_host
from tests.feeds import weekend_feeds as feeds
from tests.feeds.schedule_feeds import listed_race, race_list, truck_points, weekend

MODS, RACE_DAY, PING_ROLE = 225, 226, 502
SEASON = 2025
RACE = feeds.MARTINSVILLE_ID
START = dt.datetime(2025, 6, 20, 23, 0, tzinfo=dt.UTC)  # 19:00 EDT at Martinsville
TITLE = "2025 Clean Harbors 200"
WEEKEND = weekend_path(SEASON, "truck", RACE)

pytestmark = [
    pytest.mark.fake_discord(
        guilds=[
            FakeGuild(
                id=GUILD,
                channels=[
                    FakeChannel(CHAT, "race-chat", position=0),
                    FakeChannel(RECAPS, "recaps", position=1),
                    FakeChannel(
                        MODS,
                        "mods",
                        position=2,
                        overwrites=[
                            Overwrite(GUILD, 0, 0, Perm.VIEW_CHANNEL),
                            Overwrite(BOT_USER.id, 1, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS, 0),
                        ],
                    ),
                    FakeChannel(RACE_DAY, "race-day", position=3),
                ],
                roles=[FakeRole(PING_ROLE, "Race Alerts", position=1, mentionable=True)],
                members=[FakeMember(OWNER)],
            )
        ]
    ),
    pytest.mark.discord_contract(allowed_roles=[PING_ROLE]),
]


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, moment: dt.datetime) -> None:
        self.now = moment


@pytest.fixture(autouse=True)
def driven_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background tasks stay parked: the test runs each round itself, on the clock it sets."""
    monkeypatch.setattr(FeedPoller, "start", lambda self: None)
    monkeypatch.setattr(raceday, "START_DELAY", 3600.0)


@pytest.fixture
def host() -> Iterator[FeedHost]:
    with feed_host() as running:
        martinsville = listed_race(RACE, "Clean Harbors 200", "Martinsville Speedway", "2025-06-20T19:00:00")
        running.publish(race_list_path(SEASON), race_list([martinsville]))
        running.publish(standings_path(SEASON, "truck"), truck_points())
        running.publish(WEEKEND, weekend(RACE))  # the weekend before the race: no results
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 6, 20, 12, 0, tzinfo=dt.UTC))


async def start(launch: Callable[..., Awaitable[PitBoard]], host: FeedHost, clock: Clock) -> PitBoard:
    bot = await launch(follow_series=("truck",), race_feed=True, nascar_feed_url=host.url)
    assert bot.feed_poller is not None and bot.raceday is not None
    bot.feed_poller.clock = bot.feed_poller.client.clock = clock
    bot.raceday.clock = clock
    bot.spoilers.clock = clock
    return bot


async def a_round(bot: PitBoard) -> dt.datetime:
    """One round of the feed poller, then one of race-day posts; return when race-day posts wake next."""
    assert bot.feed_poller is not None and bot.raceday is not None
    await bot.feed_poller.poll_due()
    return await bot.raceday.poll_due()


async def reply(fake: FakeDiscord, name: str, options: dict | None = None) -> Any:
    return await (await fake.send_slash(name, options or {}, user=OWNER)).wait_response()


def sent(fake: FakeDiscord, method: str, channel_id: int) -> list[Any]:
    """The successful requests of this method on a channel's messages (POST: posted; PATCH: edited)."""
    return [
        r
        for r in fake.requests
        if r.method == method and r.ok and f"/channels/{channel_id}/messages" in r.path and "/threads" not in r.path
    ]


async def test_a_race_night_posts_each_thing_once_and_edits_the_results_card(
    launch: Callable[..., Awaitable[PitBoard]], host: FeedHost, fake_discord: FakeDiscord, store: Store, clock: Clock
):
    bot = await start(launch, host, clock)
    for name, options in (
        ("manage settings recap-channel", {"channel": RECAPS}),
        ("manage settings mod-channel", {"channel": MODS}),
        ("manage settings ping-role", {"role": PING_ROLE}),
        ("manage settings race-day", {"channel": RACE_DAY, "hours_before": 3, "ping": "yes", "thread": "yes"}),
    ):
        assert text_of(await reply(fake_discord, name, options)).startswith("Done:")
    shown = text_of(await reply(fake_discord, "manage settings show"))
    assert "Race-day posts: on: in <#226>, pre-race card 3 hours before the start" in shown

    # Noon: the schedule arrives; the pre-race card is due three hours before the 23:00 UTC start, and race-day
    # posts read the schedule again at least hourly meanwhile (a race may move).
    assert await a_round(bot) == clock.now + dt.timedelta(hours=1)
    clock.at(START - dt.timedelta(hours=3, minutes=20))
    assert await a_round(bot) == START - dt.timedelta(hours=3)
    assert sent(fake_discord, "POST", RACE_DAY) == []

    # 20:00: the pre-race card, pinging the ping role and nobody else, with a thread for the race.
    clock.at(START - dt.timedelta(hours=3))
    await a_round(bot)
    await a_round(bot)  # a second round posts nothing again
    (card,) = sent(fake_discord, "POST", RACE_DAY)
    assert embed_of(card)["title"] == f"Race day: {TITLE}"
    assert f"<t:{int(START.timestamp())}:F>" in text_of(card) and f"<t:{int(START.timestamp())}:R>" in text_of(card)
    assert "Martinsville Speedway" in text_of(card) and "FS1" in text_of(card)
    assert card.body["content"] == f"<@&{PING_ROLE}>"
    mentions = card.body["allowed_mentions"]
    assert [int(r) for r in mentions["roles"]] == [PING_ROLE]
    assert not mentions.get("parse") and not mentions.get("users") and not mentions.get("replied_user")
    (thread,) = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/threads")]
    assert thread.body["name"] == f"{TITLE} · race day"

    # The green flag: the weekend feed, asked for once a minute, has no results yet.
    clock.at(START)
    await a_round(bot)
    assert host.asked(WEEKEND) and sent(fake_discord, "POST", RACE_DAY) == [card]

    # The checkered flag: the results appear, and the card follows at the next round (once a minute).
    host.publish(WEEKEND, feeds.martinsville_truck())
    clock.at(START + dt.timedelta(minutes=95))
    await a_round(bot)
    posts = sent(fake_discord, "POST", RACE_DAY)
    assert len(posts) == 2
    results = posts[1]
    assert embed_of(results)["title"] == f"Results are in: {TITLE}"
    assert "Corey Heim" in text_of(results) and "Provisional results" in text_of(results)
    assert results.body["allowed_mentions"]["parse"] == [] and not results.body.get("content")
    assert sent(fake_discord, "POST", RECAPS) == []  # race-day's channel, not the recap channel
    (notice,) = sent(fake_discord, "POST", MODS)
    assert embed_of(notice)["title"] == f"Draft recap: {TITLE}"
    # A moderator reviewing the draft before the race is official is warned.
    notice_message = fake_discord.message(notice.response["id"])
    review = await fake_discord.click_button(notice_message, button(notice_message, "Review"), user=OWNER)
    reviewed = await review.wait_response()
    assert ephemeral(reviewed) and "These results are provisional" in text_of(reviewed)

    # A restart in the middle of the night posts nothing again.
    await bot.close()
    bot = await start(launch, host, clock)
    clock.at(START + dt.timedelta(minutes=97))
    await a_round(bot)
    assert len(sent(fake_discord, "POST", RACE_DAY)) == 2 and len(sent(fake_discord, "POST", MODS)) == 1

    # A penalty: a new version of the results, and the same card edited to show it.
    host.publish(WEEKEND, feeds.disqualify(feeds.martinsville_truck(), "11"))
    clock.at(START + dt.timedelta(minutes=130))
    await a_round(bot)
    (edit,) = sent(fake_discord, "PATCH", RACE_DAY)
    assert edit.path.endswith(f"/messages/{results.response['id']}")
    assert "#11 Corey Heim disqualified" in text_of(edit) and "Provisional results" in text_of(edit)
    assert "**Winner:** #1 Ross Chastain" in text_of(edit)

    # Official: the card edited again, and the draft from the official results with its notice.
    host.publish(WEEKEND, feeds.official(feeds.disqualify(feeds.martinsville_truck(), "11")))
    clock.at(START + dt.timedelta(minutes=180))
    await a_round(bot)
    edits = sent(fake_discord, "PATCH", RACE_DAY)
    assert len(edits) == 2 and "Official results" in text_of(edits[1])
    notices = sent(fake_discord, "POST", MODS)
    assert len(notices) == 2
    assert embed_of(notices[1])["title"] == f"Draft recap (official results): {TITLE}"
    history = text_of(await reply(fake_discord, "manage recap history", {"race": "Clean Harbors 200 2025"}))
    assert "**v1**" in history and "**v2**" in history and history.count("· Pit Board ·") == 2

    # Later rounds, and another restart: nothing is posted or edited again.
    for later in (200, 260, 24 * 60):
        clock.at(START + dt.timedelta(minutes=later))
        await a_round(bot)
    await bot.close()
    bot = await start(launch, host, clock)
    await a_round(bot)
    assert len(sent(fake_discord, "POST", RACE_DAY)) == 2
    assert len(sent(fake_discord, "PATCH", RACE_DAY)) == 2
    assert len(sent(fake_discord, "POST", MODS)) == 2
    assert sent(fake_discord, "POST", RECAPS) == []
    assert len([r for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/threads")]) == 1
    kinds = {(a.kind, a.status) for a in await store.announcements(GUILD)}
    assert kinds == {("results", "sent"), ("official-draft", "sent")}


async def test_without_ping_or_thread_the_pre_race_card_mentions_nobody(
    launch: Callable[..., Awaitable[PitBoard]], host: FeedHost, fake_discord: FakeDiscord, clock: Clock
):
    bot = await start(launch, host, clock)
    await reply(fake_discord, "manage settings recap-channel", {"channel": RECAPS})
    await reply(fake_discord, "manage settings ping-role", {"role": PING_ROLE})
    assert text_of(await reply(fake_discord, "manage settings race-day")).startswith("Done:")
    await a_round(bot)
    clock.at(START - dt.timedelta(hours=2))  # the default: two hours before; the recap channel by default
    await a_round(bot)
    (card,) = sent(fake_discord, "POST", RECAPS)
    assert embed_of(card)["title"] == f"Race day: {TITLE}"
    assert not card.body.get("content") and card.body["allowed_mentions"]["parse"] == []
    assert not card.body["allowed_mentions"].get("roles")
    assert not [r for r in fake_discord.requests if r.path.endswith("/threads")]

    off = await reply(fake_discord, "manage settings race-day", {"state": "off"})
    assert text_of(off).startswith("Done: race-day posts turned off")
    host.publish(WEEKEND, feeds.martinsville_truck())
    clock.at(START + dt.timedelta(minutes=95))
    await a_round(bot)
    assert len(sent(fake_discord, "POST", RECAPS)) == 1  # off: no results card
