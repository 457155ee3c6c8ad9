"""End to end, the season followed by itself: the running bot refreshes from the data host, and a race that
arrives is announced once to a server with announcements on (spoiler-safe, with a draft recap for the moderators),
not again after a restart; the first refresh of the whole history announces nothing.
"""

import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.client import PitBoard
from bot.follow import follower
from bot.store import Store
from tests.data_host import DataHost, data_host
from tests.e2e.conftest import CHAT, GUILD, RECAPS, embed_of, text_of
from tests.fakediscord.models import BOT_USER, FAN, OWNER, FakeChannel, FakeGuild, FakeMember, Overwrite, Perm
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv

MODS = 225
pytestmark = pytest.mark.fake_discord(
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
            ],
            members=[FakeMember(OWNER), FakeMember(FAN)],
        )
    ]
)
KANSAS = "2025 Heart of America 200"


@pytest.fixture(autouse=True)
def refresh_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background task waits; the test runs each round of refreshes itself, on a clock it sets."""
    monkeypatch.setattr(follower, "START_DELAY", 3600.0)


@pytest.fixture
def host() -> Iterator[DataHost]:
    with data_host() as running:
        running.publish("truck_series.csv", history_csv().text)
        yield running


def with_kansas(text: str) -> str:
    """Monday's file: the history plus 2025 round 6 at Kansas (the Martinsville field, in the same order)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    season, race, track, name = (header.index(c) for c in ("Season", "Race", "Track", "Name"))
    added = []
    for row in rows[1:]:
        if row[season] == "2025" and row[race] == "5":
            copy = list(row)
            copy[race], copy[track], copy[name] = "6", "Kansas Speedway", "Heart of America 200"
            added.append(copy)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows([header, *rows[1:], *added])
    return out.getvalue()


async def reply(fake: FakeDiscord, name: str, options: dict | None = None) -> Any:
    return await (await fake.send_slash(name, options or {}, user=OWNER)).wait_response()


def cards(fake: FakeDiscord) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith(f"/channels/{RECAPS}/messages")]


def a_week_on() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=8)


async def test_the_season_followed_by_itself_announces_each_new_race_once(
    launch: Callable[..., Awaitable[PitBoard]], host: DataHost, fake_discord: FakeDiscord, store: Store
):
    bot = await launch(follow_series=("truck",), nascar_data_url=host.url)
    for name, options in (
        ("manage settings recap-channel", {"channel": RECAPS}),
        ("manage settings mod-channel", {"channel": MODS}),
        ("manage settings spoiler-hours", {"hours": 6}),
        ("manage settings announce", {"state": "on"}),
    ):
        assert text_of(await reply(fake_discord, name, options)).startswith("Done:")

    # The first refresh brings the whole history, 18 races newer than the shipped one: none is announced.
    await bot.follower.refresh_due()
    assert len(await store.race_summaries()) == 19
    assert cards(fake_discord) == []

    # Monday: one race more.
    host.publish("truck_series.csv", with_kansas(history_csv().text))
    bot.follower.clock = a_week_on
    await bot.follower.refresh_due()
    (card,) = cards(fake_discord)
    embed = embed_of(card)
    assert embed["title"] == f"Results are in: {KANSAS}"
    # Spoiler-safe: the race arrived just now and its source gives no start, so its window runs from its arrival.
    assert "Corey Heim" not in text_of(card) and "hidden" in text_of(card).lower()
    assert card.body["allowed_mentions"]["parse"] == []
    notices = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith(f"/channels/{MODS}/messages")]
    assert len(notices) == 1 and embed_of(notices[0])["title"] == f"Draft recap: {KANSAS}"
    history = await reply(fake_discord, "manage recap history", {"race": "Heart of America 200 2025"})
    assert "v1" in text_of(history) and "· Pit Board ·" in text_of(history)

    # A restart, and the next round of refreshes (the file unchanged): nothing is posted again.
    await bot.close()
    again = await launch(follow_series=("truck",), nascar_data_url=host.url)
    again.follower.clock = a_week_on
    await again.follower.refresh_due()
    assert await again.announcer.announce_new_races() == 0
    assert len(cards(fake_discord)) == 1
    assert host.requests[-1].status == 304
