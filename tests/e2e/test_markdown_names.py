"""Names a server uploads with markdown in them show literally to fans; moderators' hidden characters are refused.

The store keeps every name as given. What the bot sends to Discord escapes the markdown once, so Discord shows
"**carson HOCEVAR** 🤡" with its asterisks, not in bold, and a masked link as text, not as a link.
"""

import re

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, embed_of, ephemeral, text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember
from tests.fakediscord.server import FakeDiscord

SERVER = FakeGuild(id=GUILD, channels=[FakeChannel(CHAT, "race-chat")], members=[FakeMember(OWNER), FakeMember(FAN)])
pytestmark = pytest.mark.fake_discord(guilds=[SERVER])

DRIVER, TEAM, TRACK = "**carson HOCEVAR** 🤡", "_Team_ `X`", "[click](https://example.com)"
# The same names as the bot must send them: each markdown character escaped once.
SENT_DRIVER = "\\*\\*carson HOCEVAR\\*\\* 🤡"
SENT_TEAM = "\\_Team\\_ \\`X\\`"
SENT_TRACK = "\\[click](https\\://example.com)"
RESULTS_CSV = f"""finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,{DRIVER},{TEAM},Chevrolet,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
""".encode()


def upload(**changes: str) -> dict:
    """The options of /manage results import for a 2026 club race at the markdown-named track."""
    options = {
        "file": FakeAttachment("results.csv", RESULTS_CSV, "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Club 150",
        "track": TRACK,
        "date": "2026-02-13",
    }
    return options | changes


def as_discord_shows(text: str) -> str:
    """Return text as Discord displays it: a backslash before punctuation is dropped, what follows is shown."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text)


async def dump(store: Store) -> list[str]:
    return [line async for line in store.connection.iterdump()]


async def ask(fake: FakeDiscord, name: str, options: dict | None = None) -> str:
    """Run a fan command and return the text of its public answer."""
    answer = await (await fake.send_slash(name, options or {}, user=FAN)).wait_response()
    assert not ephemeral(answer), text_of(answer)
    return text_of(answer)


async def imported(fake: FakeDiscord) -> None:
    answer = await (await fake.send_slash("manage results import", upload(), user=OWNER)).wait_followup()
    assert "Imported 2026 Club 150 (2 entries)" in text_of(answer)


async def test_uploaded_markdown_names_show_literally_in_every_fan_reply(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    await imported(fake_discord)
    # Stored as given: only what is sent to Discord is escaped.
    assert DRIVER in {driver.name for driver in await store.drivers()}
    assert TRACK in {name for _, name in await store.tracks()}

    results = await ask(fake_discord, "results", {"race": "Club 150"})
    assert f"**1st** #07 {SENT_DRIVER} · Chevrolet · {SENT_TEAM}\n" in results
    assert f"{SENT_TRACK} · " in results

    profile = await (await fake_discord.send_slash("driver", {"name": "hocevar"}, user=FAN)).wait_response()
    card = embed_of(profile)
    assert card["title"] == SENT_DRIVER
    assert {"name": "Team", "value": SENT_TEAM, "inline": True} in card["fields"]
    assert f"Latest race: **2026 Club 150** · {SENT_TRACK} · " in card["description"]

    recap = await ask(fake_discord, "recap", {"race": "Club 150"})
    assert f"2026 Club 150 · {SENT_TRACK}" in recap
    assert f"**{SENT_DRIVER}** won the 2026 Club 150 at {SENT_TRACK} on February 13" in recap
    assert f"Winner: #07 {SENT_DRIVER}\n{SENT_TEAM} Chevrolet" in recap

    wins = await ask(fake_discord, "wins", {"driver": "hocevar"})
    assert f"{SENT_DRIVER} · wins" in wins
    assert f"**2026 Club 150** · {SENT_TRACK} · " in wins
    leaderboard = await ask(fake_discord, "wins")
    assert f"{SENT_DRIVER} · 1 win in 1 start" in leaderboard

    races = await ask(fake_discord, "races")
    assert f"**2026 Club 150** · {SENT_TRACK} · " in races and f"winner #07 {SENT_DRIVER}" in races

    for text in (results, card["title"], recap, wins, leaderboard, races):
        assert "**carson" not in text and "_Team_" not in text and "[click](https://" not in text
    # Discord reads each escape once, and shows the names exactly as they were uploaded.
    assert f"#07 {DRIVER} · Chevrolet · {TEAM}" in as_discord_shows(results)
    assert f"{TRACK} · " in as_discord_shows(results)


@pytest.mark.parametrize(
    ("command", "options", "said"),
    [
        (
            "manage results import",
            upload(name="Club\u202e051"),
            "The name option holds U+202E (RIGHT-TO-LEFT OVERRIDE), which is invisible; remove it. "
            "Nothing was imported.",
        ),
        (
            "manage results import",
            upload(track="Club\x00Oval"),
            "The track option holds U+0000, a control character; remove it. Nothing was imported.",
        ),
        (
            "manage results correct",
            {"race": "Club 150", "car": "07", "reason": "Disqualified\x00", "finish": 2},
            "The reason option holds U+0000, a control character; remove it. Nothing was changed.",
        ),
        (
            "manage results correct",
            {"race": "Club 150", "car": "07", "reason": "Disqualified", "status": "\u202edeifilauqsid"},
            "The status option holds U+202E (RIGHT-TO-LEFT OVERRIDE), which is invisible; remove it. "
            "Nothing was changed.",
        ),
    ],
    ids=["import-name-rtl", "import-track-nul", "correct-reason-nul", "correct-status-rtl"],
)
async def test_a_moderator_option_with_hidden_characters_is_refused_privately(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store, command: str, options: dict, said: str
):
    await imported(fake_discord)
    before = await dump(store)
    answer = await (await fake_discord.send_slash(command, options, user=OWNER)).wait_response()
    assert ephemeral(answer)
    assert text_of(answer).strip() == said
    assert await dump(store) == before
    results = await ask(fake_discord, "results", {"race": "Club 150"})
    assert results.index("Bea Bright") > results.index("HOCEVAR")  # the winner still won
