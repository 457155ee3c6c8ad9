"""The written recap end to end: an upload's finishers are not called out, and a disqualification is named."""

from bot.client import PitBoard
from tests.e2e.conftest import text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER
from tests.fakediscord.server import FakeDiscord

RESULTS = b"""finish,start,car,driver,laps,status,laps_led
1,2,07,Alex Able,200,finished,60
2,3,7,Bea Bright,200,lead lap,40
3,1,21,Cy Cole,199,+1 lap,0
4,4,9,Dee Dunn,199,finished,0
5,5,5,Eve Ford,150,Accident,0
"""


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, **who):
    return await (await fake.send_slash(name, options or {}, **who)).wait_response()


async def test_a_disqualified_winner_is_named_and_finishers_are_not_called_out(
    bot: PitBoard, fake_discord: FakeDiscord
):
    options = {
        "file": FakeAttachment("results.csv", RESULTS, "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Club 150",
        "track": "Club Oval",
        "date": "2026-02-13",
    }
    imported = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert "Imported 2026 Club 150" in text_of(imported)
    before = text_of(await reply(fake_discord, "recap", {"race": "Club 150"}, user=FAN))
    assert "**Alex Able** won" in before  # the recap is written, and read again after the correction below

    correction = {"race": "Club 150", "car": "07", "reason": "Disqualified: rear spoiler", "finish": 5}
    corrected = await reply(fake_discord, "manage results correct", correction | {"status": "disqualified"}, user=OWNER)
    assert "status finished → disqualified" in text_of(corrected)

    recap = text_of(await reply(fake_discord, "recap", {"race": "Club 150"}, user=FAN))
    assert "**Bea Bright** won" in recap
    assert "Alex Able (classified 5th) was disqualified." in recap
    assert "Pole sitter **Cy Cole** finished 2nd." in recap  # '+1 lap' is a finish, not a retirement
    assert "did not finish" not in recap
    assert "Eve Ford (accident, 150 laps) failed to finish." in recap  # the one real retirement
    assert recap.count("failed to finish") == 1
