"""End to end with a whole history: bare commands answer with a race that has what they show, footers say how
current the data is, and /manage data tells moderators the rest.
"""

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.client import PitBoard
from bot.importers.nascar_data import parse_history
from bot.store import Store
from bot.store.coverage import REFRESHED_AT_KEY
from tests.e2e.conftest import CHAT, GUILD, embed_of, ephemeral, text_of
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember, FakeUser
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv

SERVER = FakeGuild(id=GUILD, channels=[FakeChannel(CHAT, "race-chat")], members=[FakeMember(OWNER), FakeMember(FAN)])
pytestmark = pytest.mark.fake_discord(guilds=[SERVER])

LATEST = "2025 Long John Silver's 200"
CURRENT = (
    f"NASCAR Craftsman Truck Series current up to the {LATEST} (round 5) · refreshed 2 Jun 2025, 10:14 UTC · "
    "data: DriverAverages.com via nascaR.data"
)


@pytest.fixture
async def history_bot(store: Store, launch: Callable[..., Awaitable[PitBoard]]) -> PitBoard:
    """The real bot over the seeded store with the generated Truck history imported and refreshed once."""
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    await store.set_meta_value(REFRESHED_AT_KEY.format(series="truck"), "2025-06-02T10:14:03+00:00")
    return await launch()


async def answer(fake: FakeDiscord, name: str, options: dict | None = None, *, user: FakeUser = FAN) -> Any:
    """Run a command and return the recorded answer."""
    return await (await fake.send_slash(name, options or {}, user=user)).wait_response()


async def test_bare_stages_and_quote_answer_with_the_homestead_race_and_say_why(
    history_bot: PitBoard, fake_discord: FakeDiscord
):
    stages = await answer(fake_discord, "stages")
    assert not ephemeral(stages)
    embed = embed_of(stages)
    assert embed["title"] == "Stages · 2025 Baptist Health 200"
    assert embed["description"].splitlines()[0] == (
        f"Latest race with stage results: 2025 Baptist Health 200 (the {LATEST} has none stored)"
    )
    quote = await answer(fake_discord, "quote")
    assert not ephemeral(quote)
    footer = embed_of(quote)["footer"]["text"]
    assert footer.startswith("Quote 1 of 19")
    assert f"Latest race with quotes: 2025 Baptist Health 200 (the {LATEST} has none stored)" in footer


async def test_fan_footers_say_how_current_the_truck_history_is(history_bot: PitBoard, fake_discord: FakeDiscord):
    for name, options in (("races", {}), ("wins", {"driver": "larson"}), ("driver", {"name": "larson"})):
        reply = await answer(fake_discord, name, options)
        assert CURRENT in embed_of(reply)["footer"]["text"], name
    track = await answer(fake_discord, "track", {"name": "Homestead"})
    assert embed_of(track)["footer"]["text"].splitlines()[1] == CURRENT


async def test_manage_data_is_for_moderators_and_shows_the_truck_history(
    history_bot: PitBoard, fake_discord: FakeDiscord
):
    refused = await (await fake_discord.send_slash("manage data", user=FAN, force=True)).wait_response()
    assert ephemeral(refused) and "Only moderators can use /manage" in text_of(refused)
    shown = await answer(fake_discord, "manage data", user=OWNER)
    assert ephemeral(shown)
    text = text_of(shown)
    assert "Automatic refresh: off" in text
    assert "**Races** 19 · **entries** 142" in text
    assert "DriverAverages.com via nascaR.data 18" in text
    assert "**Last refresh** <t:1748859243:f>" in text
    assert "**Next refresh** not followed" in text and "**Last error** none" in text
