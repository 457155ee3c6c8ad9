"""Each server's uploads are its own, end to end: three servers, two uploads of one round, then Pit Board's results."""

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, ephemeral, text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord
from tests.test_server_uploads import MARKDOWN_DRIVER, shared_race

SECOND, SECOND_CHAT = 112, 333
THIRD, THIRD_CHAT = 113, 334
SERVERS = [
    FakeGuild(id=GUILD, channels=[FakeChannel(CHAT, "race-chat")], members=[FakeMember(OWNER), FakeMember(FAN)]),
    FakeGuild(id=SECOND, name="Other Lane", channels=[FakeChannel(SECOND_CHAT, "general")]),
    FakeGuild(id=THIRD, name="Third Turn", channels=[FakeChannel(THIRD_CHAT, "general")]),
]
pytestmark = pytest.mark.fake_discord(guilds=SERVERS)
WHERE = {GUILD: CHAT, SECOND: SECOND_CHAT, THIRD: THIRD_CHAT}

UPLOAD_CSV = f"""finish,start,car,driver,team,make,laps,status
1,2,77,{MARKDOWN_DRIVER},Spire Motorsports,Chevrolet,200,running
2,1,07,Kyle Larson,Spire Motorsports,Chevrolet,200,running
3,3,42,Zed Private,Club Team,Ford,199,running
""".encode()
NOTICE = "Pit Board's shared results of 2025 NASCAR Craftsman Truck Series round 5"


def upload_options() -> dict:
    """The options of /manage results import for this server's own results of 2025 Truck round 5."""
    return {
        "file": FakeAttachment("results.csv", UPLOAD_CSV, "text/csv"),
        "series": "truck",
        "season": 2025,
        "round": 5,
        "name": "Club 200",
        "track": "Nowhere",
        "date": "2025-03-28",
    }


async def ask(fake: FakeDiscord, guild: int, name: str, options: dict | None = None, *, user=FAN) -> str:
    """Run a command in a server and return the text of its answer."""
    asked = await fake.send_slash(name, options or {}, guild_id=guild, channel_id=WHERE[guild], user=user)
    return text_of(await asked.wait_response())


async def imported(fake: FakeDiscord, guild: int) -> str:
    asked = await fake.send_slash(
        "manage results import", upload_options(), guild_id=guild, channel_id=WHERE[guild], user=OWNER
    )
    answer = await asked.wait_followup()
    assert ephemeral(answer)
    return text_of(answer)


async def offered(fake: FakeDiscord, guild: int, typed: str) -> list[str]:
    """Return the drivers /driver's autocomplete offers in a server for what was typed."""
    asked = await fake.send_autocomplete("driver", {"name": typed}, "name", guild_id=guild, channel_id=WHERE[guild])
    return [choice["name"] for choice in (await asked.wait_response()).body["data"]["choices"]]


async def test_uploads_stay_their_servers_own_when_pit_boards_results_arrive(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    assert "Imported 2025 Club 200 (3 entries)" in await imported(fake_discord, GUILD)
    # Another server uploads the same round: accepted, as its own race.
    assert "Imported 2025 Club 200 (3 entries)" in await imported(fake_discord, SECOND)

    # A third server sees none of the names the uploads brought.
    assert not [name for name in await offered(fake_discord, THIRD, "zed") if "Zed Private" in name]
    races = await ask(fake_discord, THIRD, "races")
    assert "Club 200" not in races and "Nowhere" not in races
    assert "No track" in await ask(fake_discord, THIRD, "track", {"name": "Nowhere"})
    assert any("Zed Private" in name for name in await offered(fake_discord, GUILD, "zed"))

    assert await store.add_race_bundle(shared_race()) is not None  # Pit Board's own results of round 5 arrive

    # Every other server sees the shared race with its real track and drivers, nothing of the uploads.
    races = await ask(fake_discord, THIRD, "races")
    assert "Long John Silver's 200" in races and "Martinsville Speedway" in races
    assert "Nowhere" not in races and "Club 200" not in races
    track = await ask(fake_discord, THIRD, "track", {"name": "Martinsville"})
    assert "Martinsville Speedway" in track and "No track" not in track
    leaderboard = await ask(fake_discord, THIRD, "wins")
    assert "Carson Hocevar" in leaderboard and "HOCEVAR" not in leaderboard

    # The uploaders' fans see Pit Board's results of the round, by default and by track; the upload is not offered.
    for guild in (GUILD, SECOND):
        results = await ask(fake_discord, guild, "results")
        assert "Long John Silver's 200" in results and "Martinsville Speedway" in results
        assert "Carson Hocevar" in results and "Sam Shared" in results
        assert "Nowhere" not in results and "Zed Private" not in results and "HOCEVAR" not in results
        by_track = await ask(fake_discord, guild, "results", {"race": "Martinsville 2025"})
        assert "Long John Silver's 200" in by_track and "Zed Private" not in by_track
        assert "No race 'Club 200'" in await ask(fake_discord, guild, "results", {"race": "Club 200"})
    assert not [name for name in await offered(fake_discord, GUILD, "zed") if "Zed Private" in name]

    # Each uploading server's moderators are told once, privately; the third server's are told nothing.
    for guild in (GUILD, SECOND):
        asked = await fake_discord.send_slash("manage audit", guild_id=guild, channel_id=WHERE[guild], user=OWNER)
        audit = await asked.wait_response()
        assert ephemeral(audit)
        assert text_of(audit).count(NOTICE) == 1
        assert "which stays stored" in text_of(audit)
    assert "No moderator actions" in await ask(fake_discord, THIRD, "manage audit", user=OWNER)


async def test_a_round_pit_board_holds_is_refused_privately(bot: PitBoard, fake_discord: FakeDiscord, store: Store):
    await store.add_race_bundle(shared_race())
    answer = await imported(fake_discord, GUILD)
    assert "Pit Board already has the shared results of 2025 round 5" in answer
    assert "Nothing was imported" in answer
    assert await store.audit_entries(GUILD) == []
