"""Points eligibility as fans see it: a dispute only where a source disputes it, nothing where none was recorded."""

import io
from collections.abc import Awaitable, Callable

from bot.client import PitBoard
from bot.importers.nascar_data import parse_history
from bot.store import Store
from tests.e2e.conftest import embed_of, text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv

DISPUTED = "(eligibility disputed)"


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, **who: object) -> str:
    """Send a slash command and return the text of its answer."""
    return text_of(await (await fake.send_slash(name, options or {}, **who)).wait_response())


async def test_an_imported_history_shows_points_without_a_dispute(
    launch: Callable[..., Awaitable[PitBoard]], fake_discord: FakeDiscord, store: Store
):
    history = parse_history(io.StringIO(history_csv().only(2023)), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    await launch()

    text = await reply(fake_discord, "results", {"race": "2023 Homestead"})
    assert "2023 season, round 4" in text
    assert "#42 Carson Hocevar" in text and "39 pts" in text  # the winner's points, as the file gives them
    assert DISPUTED not in text and "eligib" not in text

    profile = await (await fake_discord.send_slash("driver", {"name": "Corey Day"})).wait_response()
    assert {f["name"]: f["value"] for f in embed_of(profile)["fields"]}["Points"] == f"0 pts {DISPUTED}"


async def test_an_upload_without_eligibility_shows_none_and_one_with_it_keeps_it(
    bot: PitBoard, fake_discord: FakeDiscord
):
    csv = (
        b"finish,car,driver,points,points_eligible\n"
        b"1,07,Alex Able,55,\n"
        b"2,7,Bea Bright,45,disputed\n"
        b"3,70,Cy Cole,0,no\n"
        b"4,17,Dee Dunn,30,unknown\n"
    )
    options = {
        "file": FakeAttachment("results.csv", csv, "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Club 150",
        "track": "Club Oval",
        "date": "2026-02-13",
    }
    imported = await (await fake_discord.send_slash("manage results import", options, user=OWNER)).wait_followup()
    assert "provisional" in text_of(imported)

    lines = (await reply(fake_discord, "results", {"race": "Club 150"}, user=FAN)).splitlines()
    # Each finisher's second line ends with its points: Able, Bright, Cole, Dunn in finishing order.
    points = [line.rsplit(" · ", 1)[1] for line in lines if line.startswith("start not recorded")]
    assert points == ["55 pts", f"45 pts {DISPUTED}", "no pts (not eligible)", "30 pts"]
