"""Announcing a new race end to end: the card in the recap channel, the draft notice, and their buttons."""

import io
from typing import Any

import pytest

from bot.announce import Announcer
from bot.client import PitBoard
from bot.importers.nascar_data import parse_history
from bot.store import Store
from tests.e2e.conftest import CHAT, GUILD, RECAPS, button, embed_of, ephemeral, text_of
from tests.fakediscord.models import BOT_USER, FAN, OWNER, FakeChannel, FakeGuild, FakeMember, Overwrite, Perm
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv

MODS = 225

pytestmark = pytest.mark.fake_discord(
    guilds=[
        FakeGuild(
            id=GUILD,
            channels=[
                FakeChannel(CHAT, "race-chat", position=0),
                FakeChannel(RECAPS, "recaps", position=1),
                # Private to moderators: @everyone (the role with the server's id) may not see it; the bot may.
                FakeChannel(
                    MODS,
                    "mods",
                    position=2,
                    overwrites=[
                        Overwrite(GUILD, 0, 0, Perm.VIEW_CHANNEL),
                        Overwrite(BOT_USER.id, 1, Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS, 0),
                    ],
                ),
            ],
            members=[FakeMember(OWNER), FakeMember(FAN)],
        )
    ]
)


async def reply(fake: FakeDiscord, name: str, options: dict | None = None, **who: Any) -> Any:
    return await (await fake.send_slash(name, options or {}, **who)).wait_response()


async def import_truck(store: Store, text: str) -> None:
    history = parse_history(io.StringIO(text), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))


def posts(fake: FakeDiscord, channel_id: int) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith(f"/channels/{channel_id}/messages")]


async def test_a_new_race_gets_a_card_a_draft_and_a_notice_whose_buttons_work(
    bot: PitBoard, fake_discord: FakeDiscord, store: Store
):
    refused = await reply(fake_discord, "manage settings mod-channel", {"channel": CHAT}, user=OWNER)
    assert ephemeral(refused) and "Everyone in this server can read" in text_of(refused)
    for name, options in (
        ("manage settings recap-channel", {"channel": RECAPS}),
        ("manage settings mod-channel", {"channel": MODS}),
        ("manage settings announce", {"state": "on"}),
    ):
        answer = await reply(fake_discord, name, options, user=OWNER)
        assert text_of(answer).startswith("Done:"), text_of(answer)

    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    announcer = Announcer(bot, bot.store, bot.catalog, bot.spoilers, ("truck",))
    assert await announcer.announce_new_races() == 1
    assert await Announcer(bot, bot.store, bot.catalog, bot.spoilers, ("truck",)).announce_new_races() == 0

    (card,) = posts(fake_discord, RECAPS)
    assert embed_of(card)["title"] == "Results are in: 2025 Long John Silver's 200"
    assert card.body["allowed_mentions"]["parse"] == []
    (notice,) = posts(fake_discord, MODS)
    assert embed_of(notice)["title"] == "Draft recap: 2025 Long John Silver's 200"

    card_message = fake_discord.message(card.response["id"])
    results = await fake_discord.click_button(card_message, button(card_message, "Results"), user=FAN)
    shown = await results.wait_response()
    assert ephemeral(shown) and "Corey Heim" in text_of(shown)

    notice_message = fake_discord.message(notice.response["id"])
    fan_press = await fake_discord.click_button(notice_message, button(notice_message, "Publish"), user=FAN)
    assert "Only moderators" in text_of(await fan_press.wait_response())
    review = await fake_discord.click_button(notice_message, button(notice_message, "Review"), user=OWNER)
    reviewed = await review.wait_response()
    assert ephemeral(reviewed) and "drafted by Pit Board" in text_of(reviewed)
    publish = await fake_discord.click_button(notice_message, button(notice_message, "Publish"), user=OWNER)
    assert "Published the recap" in text_of(await publish.wait_followup())
    assert len(posts(fake_discord, RECAPS)) == 2  # the card, then the published recap

    history = await reply(fake_discord, "manage recap history", {"race": "Long John Silver's 200 2025"}, user=OWNER)
    assert "· Pit Board ·" in text_of(history)
