"""Spoiler-safe mode end to end: with the window open over race night, no public reply or suggestion gives the result.

The shipped race is the 2025 Baptist Health 200 at Homestead-Miami Speedway, started at 8:00 PM ET on Friday
21 March 2025 (00:00 UTC on the 22nd) and won by Kyle Larson in the #07.
"""

import datetime as dt
import re
from typing import Any

from bot.client import PitBoard
from tests.e2e.conftest import button, components, ephemeral, text_of
from tests.fakediscord.models import OWNER
from tests.fakediscord.server import FakeDiscord

RACE_NIGHT = dt.datetime(2025, 3, 22, 2, 0, tzinfo=dt.UTC)  # 10 PM in Homestead, the race two hours old
WEEK_LATER = dt.datetime(2025, 3, 29, 12, 0, tzinfo=dt.UTC)

# What would tell a fan who won or where the winner finished, outside spoiler bars.
GIVEAWAYS = (
    re.compile(r"\b1st\b"),  # "Finish: 1st", "**1st** #07 Kyle Larson"
    re.compile(r"Race winner"),  # the role of Larson's quotes
    re.compile(r"\b1 win\b"),  # "Kyle Larson · 1 win in 1 start"
    re.compile(r"winner #07"),  # the race list's winner
    re.compile(r"Wins: 1\b"),  # a win counted on /wins
    re.compile(r"Kyle Larson 1\b"),  # a win counted on /compare ("Wins: Kyle Larson 1 · Layne Riggs 0")
    re.compile(r"1 down 2 to go"),  # one of Larson's quotes
)
SPOILER = re.compile(r"\|\|(?:\\\||[^|])*\|\|")

# The fan commands, each with the options a fan would give to ask about the race or its winner.
COMMANDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("recap", {}),
    ("results", {}),
    ("results", {"top": 3}),
    ("stages", {}),
    ("chart", {}),
    ("chart", {"kind": "start-finish"}),
    ("chart", {"kind": "laps-led"}),
    ("quote", {}),
    ("quote", {"driver": "Larson"}),
    ("wins", {}),
    ("wins", {"driver": "Larson"}),
    ("wins", {"driver": "Larson", "track": "Homestead"}),
    ("driver", {"name": "Larson"}),
    ("races", {}),
    ("track", {"name": "Homestead"}),
    ("compare", {"driver_a": "Larson", "driver_b": "Riggs"}),
    ("help", {}),
)
# Every option that autocompletes, with what a fan may have typed so far.
SUGGESTIONS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("driver", {"name": ""}, "name"),
    ("driver", {"name": "k"}, "name"),
    ("driver", {"name": "0"}, "name"),
    ("driver", {"name": "Larson", "as_of": ""}, "as_of"),
    ("wins", {"driver": ""}, "driver"),
    ("wins", {"as_of": "homestead"}, "as_of"),
    ("wins", {"series": ""}, "series"),
    ("wins", {"track": ""}, "track"),
    ("wins", {"season": 20}, "season"),
    ("quote", {"driver": ""}, "driver"),
    ("quote", {"race": "latest", "driver": ""}, "driver"),
    ("compare", {"driver_a": ""}, "driver_a"),
    ("compare", {"driver_a": "Larson", "driver_b": ""}, "driver_b"),
    ("recap", {"race": ""}, "race"),
    ("results", {"race": "2025"}, "race"),
    ("chart", {"race": "homestead"}, "race"),
    ("track", {"name": ""}, "name"),
)
FINISHING_ORDER = ["#07 Kyle Larson", "#34 Layne Riggs", "#11 Corey Heim"]


def seen(request: Any) -> str:
    """Everything a reader sees in a recorded reply: text, embeds, and the attachments' descriptions."""
    body = request.body.get("data", request.body) or {}
    described = [a.get("description") or "" for a in body.get("attachments") or []]
    return "\n".join([text_of(request), *described])


def giveaways(text: str) -> list[str]:
    """Return the giveaways in text once what is hidden behind spoiler bars is taken out."""
    visible = SPOILER.sub("", text)
    return [pattern.pattern for pattern in GIVEAWAYS if pattern.search(visible)]


async def set_spoiler_hours(fake_discord: FakeDiscord, hours: int) -> None:
    """Have the server's owner turn spoiler-safe mode on for this many hours."""
    answer = await (
        await fake_discord.send_slash("manage settings spoiler-hours", {"hours": hours}, user=OWNER)
    ).wait_response()
    assert ephemeral(answer) and "Done" in text_of(answer)


async def answered(interaction: Any) -> Any:
    """Return the reply to an interaction: its callback, or the follow-up after 'thinking…'."""
    answer = await interaction.wait_response()
    if answer.body["type"] == 5:
        answer = await interaction.wait_followup(timeout=30.0)
    return answer


async def public_replies(fake_discord: FakeDiscord) -> dict[str, str]:
    """Run every fan command and press every button under the replies; return what each showed publicly."""
    shown: dict[str, str] = {}
    for name, options in COMMANDS:
        asked = await fake_discord.send_slash(name, options)
        answer = await answered(asked)
        what = f"/{name} {options}"
        if ephemeral(answer):
            shown[what] = ""  # an error, or a reply for the asker alone
            continue
        shown[what] = seen(answer)
        message = asked.original
        for label in [c.get("label") for c in components(message or {})]:
            if label in (None, "Reveal") or any(
                c.get("disabled") for c in components(message or {}) if c.get("label") == label
            ):
                continue  # Reveal answers privately: tested on its own
            pressed = await fake_discord.click_button(message, button(message, label))
            reply = await answered(pressed)
            if not ephemeral(reply):
                shown[f"{what} → {label}"] = seen(reply)
    return shown


async def suggestions(fake_discord: FakeDiscord) -> dict[str, list[str]]:
    """Ask every option that autocompletes; return the choices each offered."""
    offered: dict[str, list[str]] = {}
    for name, options, focused in SUGGESTIONS:
        answer = await (await fake_discord.send_autocomplete(name, options, focused)).wait_response()
        offered[f"/{name} {focused} {options}"] = [c["name"] for c in answer.body["data"]["choices"]]
    return offered


async def test_no_public_reply_gives_the_result_away_while_the_window_is_open(bot: PitBoard, fake_discord: FakeDiscord):
    bot.spoilers.clock = lambda: RACE_NIGHT
    await set_spoiler_hours(fake_discord, 24)
    shown = await public_replies(fake_discord)
    assert {what: found for what, text in shown.items() if (found := giveaways(text))} == {}
    # The walk did see the race: the replies are there, with what they show hidden behind spoiler bars.
    assert "||**1st** #07 Kyle Larson" in shown["/results {}"]
    assert "held back" in shown["/track {'name': 'Homestead'}"]
    assert "held back" in shown["/compare {'driver_a': 'Larson', 'driver_b': 'Riggs'}"]


async def test_the_same_walk_shows_the_result_once_the_window_has_closed(bot: PitBoard, fake_discord: FakeDiscord):
    bot.spoilers.clock = lambda: WEEK_LATER
    await set_spoiler_hours(fake_discord, 24)
    shown = await public_replies(fake_discord)
    assert "Finish: 1st" in shown["/driver {'name': 'Larson'}"]
    assert "Role: Race winner" in shown["/quote {'driver': 'Larson'}"]
    assert "Kyle Larson · 1 win in 1 start" in shown["/wins {}"]
    assert "Wins: Kyle Larson 1 · Layne Riggs 0" in shown["/compare {'driver_a': 'Larson', 'driver_b': 'Riggs'}"]
    offered = await suggestions(fake_discord)
    assert offered["/driver name {'name': ''}"][:3] == FINISHING_ORDER


async def test_no_suggestion_lists_the_field_in_finishing_order_while_the_window_is_open(
    bot: PitBoard, fake_discord: FakeDiscord
):
    bot.spoilers.clock = lambda: RACE_NIGHT
    await set_spoiler_hours(fake_discord, 24)
    offered = await suggestions(fake_discord)
    for (_, options, focused), (what, names) in zip(SUGGESTIONS, offered.items(), strict=True):
        assert not giveaways("\n".join(names)), what
        if options[focused] == "":  # nothing typed: the race's field first, every driver as good a match
            field = [name for name in names if name.startswith("#")]
            by_name = sorted(field, key=lambda choice: choice.split(" ", 1)[1])
            assert field == by_name, f"{what} lists the field in another order than by name: {field}"
    assert offered["/driver name {'name': ''}"][:3] != FINISHING_ORDER


async def test_track_and_compare_say_the_race_is_held_back_and_reveal_it_privately(
    bot: PitBoard, fake_discord: FakeDiscord
):
    bot.spoilers.clock = lambda: RACE_NIGHT
    await set_spoiler_hours(fake_discord, 24)
    for name, options in (("track", {"name": "Homestead"}), ("compare", {"driver_a": "Larson", "driver_b": "Riggs"})):
        asked = await fake_discord.send_slash(name, options)
        card = await asked.wait_response()
        assert not ephemeral(card)
        text = text_of(card)
        assert "No races at" not in text and "never started" not in text
        assert "2025 Baptist Health 200, held back" in text and "Press **Reveal**" in text
        assert "Kyle Larson" not in text.replace("Kyle Larson vs", "").replace("Kyle Larson and", "")
        revealed = await (
            await fake_discord.click_button(asked.original, button(asked.original, "Reveal"))
        ).wait_response()
        assert ephemeral(revealed)
        assert "#07 Kyle Larson" in text_of(revealed) or "Wins: Kyle Larson 1" in text_of(revealed)


async def test_a_one_hour_window_lasts_past_the_checkered_flag_of_a_night_race(
    bot: PitBoard, fake_discord: FakeDiscord
):
    # 11:30 PM in Homestead: the race started at 8 PM, so with no recorded duration it ends at midnight and the
    # hour after it runs to 1 AM. The window used to end an hour after midnight UTC, before the green flag.
    bot.spoilers.clock = lambda: dt.datetime(2025, 3, 22, 3, 30, tzinfo=dt.UTC)
    await set_spoiler_hours(fake_discord, 1)
    card = await (await fake_discord.send_slash("recap")).wait_response()
    assert "Kyle Larson" not in text_of(card) and "Press **Reveal**" in text_of(card)
    bot.spoilers.clock = lambda: dt.datetime(2025, 3, 22, 5, 30, tzinfo=dt.UTC)  # 1:30 AM: the hour is over
    recap = await (await fake_discord.send_slash("recap")).wait_response()
    assert "#07 Kyle Larson" in text_of(recap)
