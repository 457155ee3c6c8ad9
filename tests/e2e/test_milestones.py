"""Recap milestones end to end: a server's one old upload must not pass for the series' whole history."""

from bot.client import PitBoard
from tests.e2e.conftest import text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER
from tests.fakediscord.server import FakeDiscord

# One 1995 Truck race, as a server might upload it; Kyle Larson did not race trucks then.
RACE_1995 = b"""finish,start,car,driver,team,make,laps,status
1,2,3,Mike Skinner,Richard Childress Racing,Chevrolet,200,running
2,1,98,Butch Miller,Liberty Racing,Ford,200,running
"""


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, **who):
    return await (await fake.send_slash(name, options or {}, **who)).wait_response()


async def test_one_uploaded_1995_race_does_not_make_larsons_win_his_first(bot: PitBoard, fake_discord: FakeDiscord):
    options = {
        "file": FakeAttachment("results.csv", RACE_1995, "text/csv"),
        "series": "truck",
        "season": 1995,
        "round": 1,
        "name": "Skoal Bandit Copper World Classic",
        "track": "Phoenix International Raceway",
        "date": "1995-02-05",
    }
    imported = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert "Imported 1995" in text_of(imported)

    recap = text_of(await reply(fake_discord, "recap", {"race": "Baptist Health 200"}, user=FAN))
    assert "Kyle Larson" in recap
    assert "First Craftsman Truck Series win for Kyle Larson" not in recap
    assert "The first Craftsman Truck Series win for the #07" not in recap
    assert "in 1 starts" not in recap
    # What is still said about the two races this server holds is said as exactly that.
    assert "Kyle Larson has 1 Craftsman Truck Series win in 1 start in the races Pit Board holds." in recap
