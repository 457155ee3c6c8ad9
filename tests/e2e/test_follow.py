"""End to end: the running bot keeps the Truck history current from the data host by itself, and offline it warns
once and keeps answering.
"""

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.client import PitBoard
from bot.follow import follower
from bot.store import Store
from bot.store.coverage import refresh_key
from tests.data_host import DataHost, data_host
from tests.e2e.conftest import CHAT, GUILD, embed_of, ephemeral
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv

SERVER = FakeGuild(id=GUILD, channels=[FakeChannel(CHAT, "race-chat")], members=[FakeMember(OWNER), FakeMember(FAN)])
pytestmark = pytest.mark.fake_discord(guilds=[SERVER])


@pytest.fixture(autouse=True)
def start_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "START_DELAY", 0.0)


@pytest.fixture
def host() -> Iterator[DataHost]:
    with data_host() as running:
        running.publish("truck_series.csv", history_csv().text)
        yield running


async def answer(fake: FakeDiscord, name: str, options: dict | None = None) -> Any:
    return await (await fake.send_slash(name, options or {}, user=FAN)).wait_response()


async def test_the_bot_refreshes_the_followed_series_soon_after_it_starts(
    launch: Callable[..., Awaitable[PitBoard]], host: DataHost, fake_discord: FakeDiscord, store: Store
):
    bot = await launch(follow_series=("truck",), nascar_data_url=host.url)
    await bot.follower.wait_for_round()
    assert [r.path for r in host.requests] == ["/truck_series.csv"]
    wins = await answer(fake_discord, "wins", {"driver": "Kyle Larson"})
    embed = embed_of(wins)
    # The synthetic history's Larson wins (2023 Atlanta, 2023 North Wilkesboro, 2025 Atlanta) and the curated one.
    wins_field = next(f for f in embed["fields"] if f["name"] == "Wins")
    assert wins_field["value"] == "4", embed["fields"]
    assert "DriverAverages.com via nascaR.data" in embed["footer"]["text"]
    assert await store.meta_value(refresh_key("truck", "next_at")) is not None

    # A second start the same week finds nothing due: no request at all.
    await bot.close()
    again = await launch(follow_series=("truck",), nascar_data_url=host.url)
    await again.follower.wait_for_round()
    assert len(host.requests) == 1


async def test_offline_the_bot_warns_once_and_answers_fans(
    launch: Callable[..., Awaitable[PitBoard]], fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    bot = await launch(follow_series=("truck",), nascar_data_url="http://127.0.0.1:9")
    await bot.follower.wait_for_round()
    reply = await answer(fake_discord, "results")
    assert not ephemeral(reply)
    assert embed_of(reply)["title"].startswith("Results")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("bot.follow")]
    assert len(warnings) == 1
    assert "Could not refresh truck from nascaR.data" in warnings[0].getMessage()
    assert "cannot reach 127.0.0.1" in warnings[0].getMessage()
