"""What fans see, end to end: slash commands, buttons and autocomplete through the real client."""

from bot.client import PitBoard
from bot.ui.expiry import ButtonTimers
from tests.e2e.conftest import button, components, embed_of, ephemeral, text_of
from tests.fakediscord.models import OWNER
from tests.fakediscord.server import FakeDiscord


async def test_results_top_three_in_order_and_public(bot: PitBoard, fake_discord: FakeDiscord):
    answer = await (await fake_discord.send_slash("results", {"top": 3})).wait_response()
    text = text_of(answer)
    positions = [text.index(name) for name in ("#07 Kyle Larson", "#34 Layne Riggs", "#11 Corey Heim")]
    assert positions == sorted(positions)
    assert "Corey Day" not in text
    assert not ephemeral(answer)
    assert answer.body["data"]["allowed_mentions"] == {"parse": []}


async def test_results_pages_turn_only_for_the_asker(bot: PitBoard, fake_discord: FakeDiscord):
    asked = await fake_discord.send_slash("results")
    first = await asked.wait_response()
    assert "Kyle Larson" in text_of(first)
    message = asked.original
    stranger = await fake_discord.click_button(message, button(message, "▶"), user=OWNER)
    hint = await stranger.wait_response()
    assert ephemeral(hint)
    turned = await fake_discord.click_button(message, button(message, "▶"))
    page_two = await turned.wait_response()
    assert page_two.body["type"] == 7  # the same message, edited in place
    assert "11th" in text_of(page_two) and "Kyle Larson" not in text_of(page_two)


async def test_results_pages_there_and_back_with_the_chart_button(bot: PitBoard, fake_discord: FakeDiscord):
    asked = await fake_discord.send_slash("results")
    await asked.wait_response()
    for first_on_page in ("11th", "21st", "31st"):
        turned = await fake_discord.click_button(asked.original, button(asked.original, "▶"))
        page = await turned.wait_response()
        assert f"**{first_on_page}**" in text_of(page)
    assert "Stephen Mallozzi" in text_of(page)
    last = asked.original
    assert [(c["label"], c.get("disabled", False)) for c in components(last)] == [
        ("◀", False),
        ("▶", True),
        ("Chart", False),
    ]
    back = await fake_discord.click_button(last, button(last, "◀"))
    page_three = await back.wait_response()
    assert "**21st**" in text_of(page_three) and "**31st**" not in text_of(page_three)


async def test_page_buttons_turn_off_when_they_expire(bot: PitBoard, fake_discord: FakeDiscord):
    bot.button_timers = ButtonTimers(bot, lasts=0.2)
    asked = await fake_discord.send_slash("results")
    await asked.wait_response()
    turned_off = await asked.wait_edit(message=str(asked.original["id"]))
    assert [(c["label"], c.get("disabled", False)) for c in components(turned_off.body)] == [
        ("◀", True),
        ("▶", True),
        ("Chart", True),
    ]
    assert all(c.get("disabled") for c in components(asked.original))  # what fans now see
    assert len(bot.button_timers) == 0  # nothing left to remember


async def test_another_quote_turns_off_when_it_expires(bot: PitBoard, fake_discord: FakeDiscord):
    bot.button_timers = ButtonTimers(bot, lasts=0.2)
    asked = await fake_discord.send_slash("quote", {"driver": "heim"})
    await asked.wait_response()
    turned_off = await asked.wait_edit(message=str(asked.original["id"]))
    assert [(c["label"], c.get("disabled", False)) for c in components(turned_off.body)] == [("Another", True)]


async def test_a_reply_deleted_before_its_buttons_expire_is_no_error(bot: PitBoard, fake_discord: FakeDiscord):
    bot.button_timers = ButtonTimers(bot, lasts=0.2)
    fake_discord.inject("GET", "/webhooks/*/messages/*", status=404, body={"message": "Unknown Message", "code": 10008})
    asked = await fake_discord.send_slash("results")
    await asked.wait_response()
    await fake_discord.wait_for(lambda r: r.method == "GET" and r.status == 404, what="the turn-off's look-up")
    assert not [r for r in fake_discord.requests if r.method == "PATCH" and "/messages/" in r.path]
    again = await (await fake_discord.send_slash("results", {"top": 1})).wait_response()
    assert "Kyle Larson" in text_of(again)  # no error logged (the suite checks) and the bot still answers
    assert len(bot.button_timers) == 0


async def test_recap_then_its_results_button(bot: PitBoard, fake_discord: FakeDiscord):
    asked = await fake_discord.send_slash("recap")
    answer = await asked.wait_response()
    embed = embed_of(answer)
    assert "Baptist Health 200" in embed["title"]
    assert "<t:" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Kyle Larson" in fields["Winner"] and "#07" in fields["Winner"]
    assert "Official" in embed["footer"]["text"]
    pressed = await fake_discord.click_button(asked.original, button(asked.original, "Results"), user=OWNER)
    results = await pressed.wait_response()
    assert not ephemeral(results)
    assert "Stephen Mallozzi" not in text_of(results) and "Kyle Larson" in text_of(results)


async def test_stages_show_unresolved_positions(bot: PitBoard, fake_discord: FakeDiscord):
    answer = await (await fake_discord.send_slash("stages")).wait_response()
    assert "Ross Chastain or Stewart Friesen (unresolved)" in text_of(answer)


async def test_driver_by_car_number_and_wins(bot: PitBoard, fake_discord: FakeDiscord):
    profile = await (await fake_discord.send_slash("driver", {"name": "#7"})).wait_response()
    assert "Corey Day" in text_of(profile) and "Kyle Larson" not in embed_of(profile)["title"]
    wins = await (await fake_discord.send_slash("wins", {"driver": "larson"})).wait_response()
    assert "Kyle Larson" in text_of(wins)


async def test_quote_with_another_button(bot: PitBoard, fake_discord: FakeDiscord):
    asked = await fake_discord.send_slash("quote", {"driver": "heim"})
    first = await asked.wait_response()
    assert embed_of(first)["title"] == "Corey Heim"
    again = await fake_discord.click_button(asked.original, button(asked.original, "Another"))
    second = await again.wait_response()
    assert embed_of(second)["description"] != embed_of(first)["description"]


async def test_autocomplete_ranks_and_stays_within_25(bot: PitBoard, fake_discord: FakeDiscord):
    typed = await fake_discord.send_autocomplete("driver", {"name": "LARSON"}, "name")
    answer = await typed.wait_response()
    choices = answer.body["data"]["choices"]
    assert choices[0]["name"].endswith("Kyle Larson")
    everyone = await (await fake_discord.send_autocomplete("driver", {"name": ""}, "name")).wait_response()
    assert len(everyone.body["data"]["choices"]) == 25


async def test_unknown_driver_is_a_private_suggestion(bot: PitBoard, fake_discord: FakeDiscord):
    answer = await (await fake_discord.send_slash("driver", {"name": "Larsen"})).wait_response()
    assert ephemeral(answer)
    assert "Did you mean Kyle Larson?" in text_of(answer)
    race = await (await fake_discord.send_slash("results", {"race": "Daytona 1987"})).wait_response()
    assert ephemeral(race) and "No race" in text_of(race)


async def test_help_lists_commands_as_mentions(bot: PitBoard, fake_discord: FakeDiscord):
    answer = await (await fake_discord.send_slash("help")).wait_response()
    assert "</results:" in text_of(answer)


async def test_the_chart_button_under_results_draws_the_race(bot: PitBoard, fake_discord: FakeDiscord):
    asked = await fake_discord.send_slash("results", {"top": 3})
    await asked.wait_response()
    pressed = await fake_discord.click_button(asked.original, button(asked.original, "Chart"), user=OWNER)
    answer = await pressed.wait_response()
    assert not ephemeral(answer), answer.body  # the button once answered "Charts are not available" on the sharded bot
    if answer.body["type"] == 5:  # drawing: 'thinking…', then the chart as a follow-up
        answer = await pressed.wait_followup(timeout=30.0)
    assert answer.files and (answer.files[0].filename or "").endswith(".png")
    picture = answer.files[0]
    assert picture.data.startswith(b"\x89PNG\r\n\x1a\n") and picture.data.endswith(b"IEND\xaeB`\x82")  # whole
