"""A moderator uploads hostile results files: each is refused privately, line by line, and nothing is stored."""

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import GUILD, ephemeral, text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord

pytestmark = pytest.mark.fake_discord(
    guilds=[FakeGuild(id=GUILD, channels=[FakeChannel(222, "race-chat")], members=[FakeMember(OWNER), FakeMember(FAN)])]
)

HEADER = "finish,start,car,driver,team,laps,points\n"
GOOD = "1,2,07,Alex Able,Team A,100,55\n"
HUGE = "99999999999999999999999"

# Each file: its text, and the error line the reply must list.
UPLOADS = [
    (
        HEADER + GOOD + f"2,1,7,Bea Bright,Team B,100,{HUGE}\n",
        f"club.csv:3: column points is out of range: it must be 0 to 500, not {HUGE}",
    ),
    (
        HEADER + GOOD + f"{HUGE},1,7,Bea Bright,Team B,100,45\n",
        f"club.csv:3: column finish is out of range: it must be 1 to 250, not {HUGE}",
    ),
    (HEADER + GOOD + "2,1,7,Bea\x00Bright,Team B,100,45\n", "club.csv:3: driver holds U+0000, a control character"),
    (
        HEADER + GOOD + "2,1,7,\u202ethgirB aeB,Team B,100,45\n",
        "club.csv:3: driver holds U+202E (RIGHT-TO-LEFT OVERRIDE), which is invisible",
    ),
    (
        HEADER + GOOD + "\n" + f"2,1,7,Bea Bright,{'T' * 1001},100,45\n",
        "club.csv:4: team is longer than 1,000 characters",
    ),
    (HEADER.replace("points", "finish") + GOOD, "club.csv:1: column 'finish' appears twice"),
]


@pytest.mark.parametrize(("text", "said"), UPLOADS, ids=["points", "finish", "nul", "rtl", "long-cell", "header"])
async def test_a_bad_upload_is_refused_by_line_and_stores_nothing(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store, discord_errors: ErrorLog, text: str, said: str
):
    before = [line async for line in store.connection.iterdump()]
    options = {
        "file": FakeAttachment("club.csv", text.encode(), "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Club 150",
        "track": "Club Oval",
        "date": "2026-02-13",
    }
    answer = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert ephemeral(answer)
    reply = text_of(answer)
    assert "Nothing was imported; fix these lines and upload again:" in reply
    assert f"• {said}" in reply
    assert "Something went wrong" not in reply
    assert not discord_errors.records

    # The race does not exist in this server, for fans or for the moderator.
    asked = await (await fake_discord.send_slash("results", {"race": "Club 150"}, user=FAN)).wait_response()
    assert "No race 'Club 150'" in text_of(asked)
    assert [line async for line in store.connection.iterdump()] == before
