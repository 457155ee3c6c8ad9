"""The feed client against a local stand-in for cf.nascar.com: polite, conditional, cached, backing off."""

import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from bot.feeds.client import USER_AGENT, FeedClient, FeedMalformedError, FeedMissingError, FeedUnavailableError
from bot.store import Store
from tests.feed_host import FeedHost, feed_host

PATH = "/cacher/2025/race_list_basic.json"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 9, 26, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def host() -> Iterator[FeedHost]:
    with feed_host() as running:
        running.publish(PATH, {"series_3": [{"race_id": 1}]})
        yield running


@pytest.fixture
async def client(empty_store: Store, host: FeedHost) -> FeedClient:
    made = FeedClient(empty_store, host.url, timeout=2.0, clock=Clock())
    yield made
    await made.close()


def clock_of(client: FeedClient) -> Clock:
    assert isinstance(client.clock, Clock)
    return client.clock


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "bot.feeds.client"]


async def test_it_names_pit_board_and_a_304_answers_from_the_cache(client: FeedClient, host: FeedHost):
    first = await client.fetch(PATH)
    assert first.changed and first.data == {"series_3": [{"race_id": 1}]}
    again = await client.fetch(PATH)
    assert not again.changed and again.data == first.data
    asked = host.asked(PATH)
    assert [r.status for r in asked] == [200, 304]
    assert all(r.headers["User-Agent"] == USER_AGENT for r in asked)
    assert "PitBoard" in USER_AGENT
    assert "If-None-Match" not in asked[0].headers and asked[1].headers["If-None-Match"].startswith('"')
    host.publish(PATH, {"series_3": [{"race_id": 2}]})
    changed = await client.fetch(PATH)
    assert changed.changed and changed.data == {"series_3": [{"race_id": 2}]}


@pytest.mark.parametrize("status", [403, 429, 500, 503])
async def test_a_refusal_pauses_every_request_then_it_asks_again_later(
    client: FeedClient, host: FeedHost, status: int, caplog: pytest.LogCaptureFixture
):
    host.fail(status)
    with pytest.raises(FeedUnavailableError) as refused:
        await client.fetch(PATH)
    assert refused.value.retry_at == clock_of(client).now + dt.timedelta(minutes=1)
    with pytest.raises(FeedUnavailableError):
        await client.fetch(PATH)  # paused: the host is not asked at all
    assert len(host.requests) == 1
    clock_of(client).advance(minutes=1)
    assert (await client.fetch(PATH)).data == {"series_3": [{"race_id": 1}]}
    assert client.paused_until is None
    assert len(warnings(caplog)) == 1


async def test_retry_after_is_respected_and_pauses_grow(client: FeedClient, host: FeedHost):
    host.fail(429, retry_after="600")
    with pytest.raises(FeedUnavailableError) as refused:
        await client.fetch(PATH)
    assert refused.value.retry_at == clock_of(client).now + dt.timedelta(seconds=600)
    clock_of(client).advance(seconds=600)
    host.fail(500)
    with pytest.raises(FeedUnavailableError) as again:
        await client.fetch(PATH)
    assert again.value.retry_at == clock_of(client).now + dt.timedelta(minutes=2)  # the second failure in a row


async def test_each_failure_is_logged_once_until_the_host_answers_again(
    client: FeedClient, host: FeedHost, caplog: pytest.LogCaptureFixture
):
    for _ in range(3):
        host.fail(500)
        with pytest.raises(FeedUnavailableError):
            await client.fetch(PATH)
        clock_of(client).advance(hours=1)
    assert len(warnings(caplog)) == 1
    await client.fetch(PATH)
    host.fail(500)
    with pytest.raises(FeedUnavailableError):
        await client.fetch(PATH)
    assert len(warnings(caplog)) == 2  # a new outage is news again


async def test_a_slow_answer_times_out_and_pauses(empty_store: Store, host: FeedHost):
    client = FeedClient(empty_store, host.url, timeout=0.2, clock=Clock())
    try:
        host.delays.append(1.0)
        with pytest.raises(FeedUnavailableError, match=r"no answer within 0\.2 s"):
            await client.fetch(PATH)
        assert client.paused_until is not None
    finally:
        await client.close()


async def test_an_unreachable_host_is_unavailable(empty_store: Store):
    with feed_host() as gone:
        url = gone.url
    client = FeedClient(empty_store, url, timeout=1.0, clock=Clock())
    try:
        with pytest.raises(FeedUnavailableError, match="cannot reach"):
            await client.fetch(PATH)
    finally:
        await client.close()


async def test_malformed_json_is_logged_once_and_the_good_copy_is_kept(
    client: FeedClient, host: FeedHost, empty_store: Store, caplog: pytest.LogCaptureFixture
):
    await client.fetch(PATH)
    host.publish_raw(PATH, b'{"series_3": [')
    for _ in range(2):
        with pytest.raises(FeedMalformedError):
            await client.fetch(PATH)
    assert len(warnings(caplog)) == 1
    assert "not valid JSON" in warnings(caplog)[0]
    cached = await empty_store.feed_cached(client.url(PATH))
    assert cached is not None and cached.body == '{"series_3": [{"race_id": 1}]}'
    assert client.paused_until is None  # the host answered; only the file is broken


async def test_a_missing_file_is_missing_not_a_failure(client: FeedClient, host: FeedHost):
    with pytest.raises(FeedMissingError):
        await client.fetch("/cacher/2031/race_list_basic.json")
    assert client.paused_until is None
