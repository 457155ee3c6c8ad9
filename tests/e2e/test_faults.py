"""Discord misbehaving: rate limits, server errors and dropped connections."""

from bot.client import PitBoard
from tests.e2e.conftest import text_of
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.models import OWNER
from tests.fakediscord.server import FakeDiscord


async def test_a_rate_limited_callback_is_retried_and_answered_once(bot: PitBoard, fake_discord: FakeDiscord):
    fake_discord.inject("POST", "/interactions/*/callback", status=429, retry_after=0.05)
    asked = await fake_discord.send_slash("results", {"top": 1})
    answer = await asked.wait_response()
    assert "Kyle Larson" in text_of(answer)
    assert [r.status for r in asked.callbacks] == [429, 200]


async def test_a_failed_follow_up_is_logged_and_the_bot_keeps_answering(
    bot: PitBoard, fake_discord: FakeDiscord, fast_retries: None, discord_errors: ErrorLog
):
    await (await fake_discord.send_slash("manage settings recap-channel", {"channel": 223}, user=OWNER)).wait_response()
    await (await fake_discord.send_slash("manage recap write", user=OWNER)).wait_response()
    saved = await fake_discord.submit_modal(None, {"headline": "Spin and win", "body": "Larson came back."})
    await saved.wait_response()
    # Every follow-up attempt fails: discord.py retries 500s, then gives up, and the bug is logged.
    fake_discord.inject("POST", "/webhooks/*", status=500, times=10)
    publish = await fake_discord.send_slash("manage recap publish", user=OWNER)
    await publish.wait_response()  # the deferral went through
    await discord_errors.wait("Unhandled error in /manage recap publish", timeout=10)
    fake_discord.injections.clear()
    after = await (await fake_discord.send_slash("results", {"top": 1})).wait_response()
    assert "Kyle Larson" in text_of(after)


async def test_after_the_gateway_drops_the_bot_resumes_and_answers(bot: PitBoard, fake_discord: FakeDiscord):
    await fake_discord.drop_gateway()
    answer = await (await fake_discord.send_slash("stages")).wait_response()
    assert "Corey Heim" in text_of(answer)


async def test_after_an_invalid_session_the_bot_identifies_again_and_answers(bot: PitBoard, fake_discord: FakeDiscord):
    await fake_discord.drop_gateway(resume=False)
    answer = await (await fake_discord.send_slash("recap")).wait_response()
    assert "Baptist Health 200" in text_of(answer)
