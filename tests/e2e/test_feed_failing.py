"""End to end: NASCAR's feed host failing (403, 429, 500, a slow answer, malformed JSON) while the real bot runs with
RACE_FEED on. Each failure is logged once, the host is asked again later, and fans keep their answers.
"""

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.client import PitBoard
from bot.feeds.poller import FeedPoller, race_list_path
from tests.e2e.conftest import CHAT, GUILD, embed_of, ephemeral
from tests.fakediscord.models import FAN, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord
from tests.feed_host import FeedHost, feed_host
from tests.feeds.schedule_feeds import listed_race, race_list

SERVER = FakeGuild(id=GUILD, channels=[FakeChannel(CHAT, "race-chat")], members=[FakeMember(FAN)])
pytestmark = pytest.mark.fake_discord(guilds=[SERVER])
LIST = race_list_path(2025)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 6, 18, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(autouse=True)
def driven_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FeedPoller, "start", lambda self: None)


@pytest.fixture
def host() -> Iterator[FeedHost]:
    with feed_host() as running:
        running.publish(LIST, race_list([listed_race(5001, "Clean Harbors 200", "Martinsville Speedway",
                                                     "2025-06-20T19:00:00")]))  # fmt: skip
        yield running


async def fan_results(fake: FakeDiscord) -> Any:
    reply = await (await fake.send_slash("results", {}, user=FAN)).wait_response()
    assert not ephemeral(reply)
    assert embed_of(reply)["title"].startswith("Results · 2025 Baptist Health 200")
    return reply


async def test_a_failing_feed_host_is_logged_once_retried_later_and_fans_keep_their_answers(
    launch: Callable[..., Awaitable[PitBoard]],
    host: FeedHost,
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.INFO)
    bot = await launch(follow_series=("truck",), race_feed=True, nascar_feed_url=host.url)
    poller = bot.feed_poller
    assert poller is not None
    clock = Clock()
    poller.clock = poller.client.clock = clock

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot")]

    for status in (403, 429, 500):
        host.fail(status, times=3)
        asked = len(host.requests)
        await poller.poll_due()
        await poller.poll_due()  # a second round at once asks nothing more
        assert len(host.requests) == asked + 1
        await fan_results(fake_discord)
        clock.now += dt.timedelta(hours=7)  # past any pause, and the race list due again
    # Three failures in a row, one warning: the host is down until a request works.
    assert len(warnings()) == 1 and "answered HTTP 403" in warnings()[0]

    host.failures.clear()
    await poller.poll_due()
    assert any("answers again" in r.getMessage() for r in caplog.records)

    # A slow answer: given up on after the client's timeout, logged once, asked again later.
    poller.client.timeout = 0.3
    host.delays.append(1.0)
    clock.now += dt.timedelta(hours=7)
    await poller.poll_due()
    await fan_results(fake_discord)
    assert len([w for w in warnings() if "gave no answer within 0.3 s" in w]) == 1
    clock.now += dt.timedelta(hours=7)
    await poller.poll_due()

    # Malformed JSON: logged once, the last good copy kept.
    host.publish_raw(LIST, b"{not json")
    for _ in range(3):
        clock.now += dt.timedelta(hours=7)
        await poller.poll_due()
        await fan_results(fake_discord)
    malformed = [w for w in warnings() if "not valid JSON" in w]
    assert len(malformed) == 1
    assert len(await bot.store.scheduled_races("truck", 2025)) == 1  # what the feed gave before is kept


async def test_an_exhibition_race_in_the_feed_is_not_stored_as_a_points_round(
    launch: Callable[..., Awaitable[PitBoard]], host: FeedHost
):
    from bot.feeds.poller import weekend_path
    from tests.feeds import weekend_feeds as feeds

    exhibition = feeds.martinsville_truck()
    race_id = exhibition["weekend_race"][0]["race_id"]
    host.publish(LIST, race_list([listed_race(race_id, "All-Star Open", "Martinsville Speedway",
                                              "2025-06-20T19:00:00", race_type_id=2)]))  # fmt: skip
    host.publish(weekend_path(2025, "truck", race_id), exhibition)
    bot = await launch(follow_series=("truck",), race_feed=True, nascar_feed_url=host.url)
    assert bot.feed_poller is not None
    clock = Clock()
    bot.feed_poller.clock = bot.feed_poller.client.clock = clock
    await bot.feed_poller.poll_due()
    before = len(await bot.store.race_summaries())
    clock.now = dt.datetime(2025, 6, 21, 1, 0, tzinfo=dt.UTC)  # after the flag: the weekend feed is asked for
    await bot.feed_poller.poll_due()
    assert host.asked(weekend_path(2025, "truck", race_id))
    assert len(await bot.store.race_summaries()) == before
