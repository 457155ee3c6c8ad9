"""The offline preview: a command line as typed in Discord, answered from the store, printed as text."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import preview
from bot.client import EXTENSIONS, PitBoard
from bot.config import PROJECT_ROOT, Settings
from bot.errors import BadInputError
from bot.store import Store


@pytest.fixture
async def bot(store: Store, tmp_path: Path) -> AsyncIterator[PitBoard]:
    settings = Settings(token=None, database_path=tmp_path / "unused.db")
    async with PitBoard(settings=settings, store=store) as bot:
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        yield bot


def commands(bot: PitBoard) -> dict:
    return {c.name: c for c in bot.tree.get_commands()}


# --- parsing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/results top:5", ("results", {"top": 5})),
        ("/results", ("results", {})),
        ("results top:5", ("results", {"top": 5})),
        ("/recap race:Homestead 2025", ("recap", {"race": "Homestead 2025"})),
        ("/results race:'Homestead 2025' top:3", ("results", {"race": "Homestead 2025", "top": 3})),
        ('/quote driver:"kyle larson" words:spin', ("quote", {"driver": "kyle larson", "words": "spin"})),
        ("/wins season:2025 driver:#07", ("wins", {"season": 2025, "driver": "#07"})),
        ("/driver larson", ("driver", {"name": "larson"})),
        ("/driver name:#7", ("driver", {"name": "#7"})),
    ],
)
async def test_parse(bot: PitBoard, line: str, expected: tuple):
    assert preview.parse(line, commands(bot)) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/podium", "No fan command /podium"),
        ("/results colour:red", "/results has no option 'colour'"),
        ("/results top:five", "top: 'five' is not a whole number"),
        ("/results top:0", "top: must be between 1 and 100"),
        ("/driver", "/driver needs name:"),
        ("/results homestead", "Write options as name:value"),
    ],
)
async def test_parse_errors(bot: PitBoard, line: str, message: str):
    with pytest.raises(BadInputError, match=message):
        preview.parse(line, commands(bot))


def test_readable_turns_markup_into_text():
    text = (
        "**Winner** <t:1742558400:D> </recap:12> <@42> [site](https://x.example) [https://y.example](https://y.example)"
    )
    assert preview.readable(text) == "Winner March 21, 2025 /recap @someone site (https://x.example) https://y.example"


# --- answering -----------------------------------------------------------------------------------------------


async def test_results_top_5(bot: PitBoard):
    text, public = await preview.answer(bot, "/results top:5")
    assert public
    assert text.splitlines()[:3] == [
        "Results · 2025 Baptist Health 200",
        "=================================",
        "Homestead-Miami Speedway · March 21, 2025 · top 5 of 34",
    ]
    finishers = [line for line in text.splitlines() if line[:1].isdigit() and " #" in line]
    assert [line.split(" · ")[0] for line in finishers] == [
        "1st #07 Kyle Larson",
        "2nd #34 Layne Riggs",
        "3rd #11 Corey Heim",
        "4th #18 Tyler Ankrum",
        "5th #19 Daniel Hemric",
    ]
    assert text.splitlines()[-2:] == ["-- Official results · 13 sources", "buttons: [Chart]"]


async def test_page_4_of_results(bot: PitBoard):
    text, _ = await preview.answer(bot, "/results", page=4)
    assert "34th #2 Stephen Mallozzi" in text
    assert "15 laps · vibration" in text
    assert "-- Official results · 13 sources · page 4/4" in text
    assert text.splitlines()[-1] == "buttons: [◀]  [▶] (off)  [Chart]"


async def test_a_page_that_does_not_exist(bot: PitBoard):
    text, public = await preview.answer(bot, "/results", page=5)
    assert (text, public) == ("(only you would see this) This reply has 4 pages; --page 5 is not one of them.", False)
    text, public = await preview.answer(bot, "/recap", page=2)
    assert not public and "one page" in text


async def test_recap_preview(bot: PitBoard):
    text, public = await preview.answer(bot, "/recap race:Homestead 2025")
    assert public
    assert text.startswith("2025 Baptist Health 200 · Homestead-Miami Speedway\n")
    assert "March 21, 2025 · NASCAR Craftsman Truck Series" in text
    assert "Winner:\n  #07 Kyle Larson" in text
    assert text.splitlines()[-1] == "buttons: [Results]  [Stages]  [Quotes]  [Chart]"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/stages", "5. Ross Chastain or Stewart Friesen (unresolved)"),
        ("/quote driver:larson", "Race winner"),
        ("/wins driver:larson", "Wins:\n  1\nStarts:\n  1"),
        ("/driver name:#7", "Corey Day\n========="),
        ("/races", "winner #07 Kyle Larson"),
        ("/help", "/results · See a race's finishing order"),
    ],
)
async def test_every_fan_command_previews(bot: PitBoard, line: str, expected: str):
    text, public = await preview.answer(bot, line)
    assert public
    assert expected in text


async def test_errors_are_shown_as_private(bot: PitBoard):
    text, public = await preview.answer(bot, "/driver name:Larsen")
    assert (text, public) == ("(only you would see this) No driver 'Larsen'. Did you mean Kyle Larson?", False)


def run_cli(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot preview …` as a newcomer would: a fresh process, no token."""
    env = {**os.environ, "DATABASE_PATH": str(database), "DISCORD_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", "preview", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line(tmp_path: Path):
    database = tmp_path / "pitboard.db"
    first = run_cli("/results top:3", database=database)
    assert first.returncode == 0, first.stderr
    assert "1st #07 Kyle Larson" in first.stdout and "3rd #11 Corey Heim" in first.stdout
    assert "4th #18" not in first.stdout
    assert "PyNaCl" not in first.stderr  # discord.py's voice notices are silenced in the preview

    page = run_cli("/results", "--page", "4", database=database)
    assert page.returncode == 0
    assert "34th #2 Stephen Mallozzi" in page.stdout

    error = run_cli("/driver name:Larsen", database=database)
    assert error.returncode == 1
    assert error.stdout == "(only you would see this) No driver 'Larsen'. Did you mean Kyle Larson?\n"
