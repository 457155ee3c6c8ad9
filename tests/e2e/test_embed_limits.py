"""The largest recap a moderator can legally write still fits Discord's embed limits, previewed and posted.

Every text a moderator controls is at its maximum: a 256-character headline and a 4,000-character body, an
upload whose race, track, drivers, teams and sponsors have 100-character names, and five corrections with
300-character reasons. The fake Discord refuses any body over Discord's limits, as Discord does.
"""

from typing import Any

from bot.client import PitBoard
from tests.e2e.conftest import RECAPS, button, ephemeral
from tests.fakediscord import FakeAttachment
from tests.fakediscord.limits import (
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    message_errors,
)
from tests.fakediscord.models import FAN, OWNER, RecordedRequest
from tests.fakediscord.server import FakeDiscord

HEADLINE = ("Photo finish under the lights as the leaders trade paint " * 5)[:256]
BODY = ("On the final restart the field stacked up four wide into turn one, and nobody lifted. " * 50)[:4000]
RACE_NAME = ("Largest Legal Recap Grand Prix 500 " * 3)[:100]
TRACK = ("Longest Name International Motor Speedway " * 3)[:100]
DRIVERS = 10


def long_name(what: str, n: int) -> str:
    """A 100-character name, different for each n."""
    return (f"{what} {n:02d} " + "Wordsworth-Montgomery " * 5)[:100]


def upload_csv() -> bytes:
    lines = ["finish,start,car,driver,team,make,sponsor,laps,status,laps_led,points"]
    for n in range(1, DRIVERS + 1):
        cells = [str(n), str(DRIVERS + 1 - n), f"{n:02d}", long_name("Driver", n), long_name("Team", n)]
        cells += [long_name("Make", n), long_name("Sponsor", n), "200", "running", str(100 // n), str(60 - n)]
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def reason(n: int) -> str:
    return (f"Correction {n}: post-race inspection found the rear spoiler out of tolerance " * 5)[:300]


async def prepare_largest_recap(fake: FakeDiscord) -> None:
    """Set the recap channel, upload the race and record five corrections, each answered without error."""
    await (await fake.send_slash("manage settings recap-channel", {"channel": RECAPS}, user=OWNER)).wait_response()
    upload = {
        "file": FakeAttachment("results.csv", upload_csv(), "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": RACE_NAME,
        "track": TRACK,
        "date": "2026-02-13",
    }
    imported = await (await fake.send_slash("manage results import", upload, user=OWNER)).wait_followup()
    assert "provisional" in (imported.body.get("content") or ""), imported.body
    for n in range(1, 6):
        options = {
            "race": "latest",
            "car": f"{n:02d}",
            "reason": reason(n),
            "finish": DRIVERS + 1 - n,
            "status": ("disqualified after post-race inspection " * 2)[:40],
            "points": 0,
        }
        corrected = await (await fake.send_slash("manage results correct", options, user=OWNER)).wait_response()
        assert "Recorded for" in (corrected.body["data"].get("content") or ""), corrected.body


def embed_total(embeds: list[dict[str, Any]]) -> int:
    """Characters Discord counts towards a message's 6,000: titles, descriptions, fields, footers, authors."""
    total = 0
    for embed in embeds:
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields") or [])
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    return total


def assert_within_limits(request: RecordedRequest) -> dict[str, Any]:
    """Check a sent message against Discord's limits and that the fake accepted it; return its only embed."""
    body = request.body.get("data", request.body) if request.body.get("type") else request.body
    assert request.status == 200, request.response
    assert message_errors(body) == {}
    (embed,) = body["embeds"]
    assert embed_total([embed]) <= EMBED_TOTAL_MAX
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert len(embed["fields"]) <= FIELDS_MAX
    for field in embed["fields"]:
        assert 0 < len(field["name"]) <= FIELD_NAME_MAX and 0 < len(field["value"]) <= FIELD_VALUE_MAX
    assert len(embed["footer"]["text"]) <= 2048 and len(embed.get("author", {}).get("name", "")) <= 256
    return embed


async def test_the_largest_legal_recap_is_previewed_and_posted_within_discords_limits(
    bot: PitBoard, fake_discord: FakeDiscord
):
    await prepare_largest_recap(fake_discord)

    await (await fake_discord.send_slash("manage recap write", user=OWNER)).wait_response()
    submitted = await fake_discord.submit_modal(None, {"headline": HEADLINE, "body": BODY}, user=OWNER)
    preview_request = await submitted.wait_response()
    assert ephemeral(preview_request)
    preview = assert_within_limits(preview_request)

    # What the moderator wrote comes first; the key results and corrections keep their fields, the body gives way.
    assert preview["title"] == HEADLINE
    assert preview["author"]["name"] == f"2026 {RACE_NAME} · {TRACK}"
    assert BODY.startswith(preview["description"].removesuffix("…").rstrip())
    assert preview["description"].endswith("…")  # without fitting, the post would be over 6,000 characters
    fields = {f["name"]: f["value"] for f in preview["fields"]}
    assert fields["Winner"].startswith(f"#06 {long_name('Driver', 6)}")
    corrections = fields["Corrections"].splitlines()
    assert len(corrections) == 5  # every correction keeps a line, newest first
    assert corrections[0].startswith(f"#05 {long_name('Driver', 5)}")
    assert corrections[-1].startswith(f"#01 {long_name('Driver', 1)}")

    published = await fake_discord.click_button(submitted.original, button(submitted.original, "Publish"), user=OWNER)
    await published.wait_edit()
    (post_request,) = [
        r for r in fake_discord.requests if r.method == "POST" and r.path == f"/channels/{RECAPS}/messages"
    ]
    post = assert_within_limits(post_request)
    assert {k: v for k, v in post.items() if k != "timestamp"} == {
        k: v for k, v in preview.items() if k != "timestamp"
    }  # exactly as previewed

    # Fans asking for the recap get the published one with the race's facts, also within the limits.
    fan_recap = await (await fake_discord.send_slash("recap", user=FAN)).wait_response()
    recap = assert_within_limits(fan_recap)
    assert HEADLINE in recap["description"]
