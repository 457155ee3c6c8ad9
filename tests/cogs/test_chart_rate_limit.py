"""How often one member may ask for a chart: /chart and the Chart button share a per-member limit.

Run as Discord would run them: a command's error goes down the tree's error path, a button's down its own; both
answer privately. The limit's clock is the test's, so nothing sleeps.
"""

from unittest.mock import MagicMock

import pytest
from discord import app_commands

from bot.charts.service import ChartService
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.tree import report_error
from bot.ui.charts import ChartReplies
from bot.ui.cooldowns import CHART_RATE, CHART_WINDOW, chart_limit
from cogs.charts import Charts
from tests.chart_fakes import CountingDraw, race_id_of
from tests.fan_fakes import OTHER_USER_ID, USER_ID, invoke, make_interaction


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cog(store: Store, service: ChartService, clock: Clock) -> Charts:
    replies = ChartReplies(service, service.catalog, SpoilerPolicy(store.guild_settings))
    replies.limit = chart_limit(clock)
    return Charts(replies, service.catalog)


async def ask_chart(cog: Charts, user_id: int, kind: str = "laps-led") -> MagicMock:
    """Run /chart as the tree does, errors answered privately; return the interaction."""
    interaction = make_interaction(user_id=user_id)
    try:
        await invoke(cog.chart, interaction, race=None, kind=kind)
    except Exception as error:
        await report_error(interaction, app_commands.CommandInvokeError(cog.chart, error), where="/chart")
    return interaction


async def press_chart(store: Store, cog: Charts, user_id: int) -> MagicMock:
    """Press the Chart button under a reply about the shipped race; return the interaction."""
    interaction = make_interaction(user_id=user_id)
    await cog.charts.button(await race_id_of(store)).callback(interaction)
    return interaction


def got_chart(interaction: MagicMock) -> bool:
    """Whether the public answer with the picture came (at once, or after 'thinking…')."""
    sent = interaction.followup.send.await_args or interaction.response.send_message.await_args
    return sent is not None and "file" in sent.kwargs and not sent.kwargs.get("ephemeral", False)


def private_text(interaction: MagicMock) -> str:
    """The one private answer's text, checking nothing public went out before it."""
    interaction.response.defer.assert_not_awaited()
    interaction.followup.send.assert_not_awaited()
    sent = interaction.response.send_message.await_args
    assert sent is not None and sent.kwargs["ephemeral"] is True
    return sent.args[0]


async def test_a_member_asking_too_often_is_told_privately_when_to_try_again(
    store: Store, cog: Charts, clock: Clock, counting: CountingDraw
):
    start = clock.now
    for n in range(CHART_RATE):  # one every five seconds, by command and by button in turn
        clock.now = start + 5 * n
        asked = await ask_chart(cog, USER_ID) if n % 2 else await press_chart(store, cog, USER_ID)
        assert got_chart(asked), f"ask {n + 1} was refused"
    drawn = list(counting.calls)

    clock.now = start + 30
    refused = await ask_chart(cog, USER_ID, kind="start-finish")
    assert "try again in 30 s" in private_text(refused)
    assert counting.calls == drawn  # refused before anything was prepared or drawn
    pressed = await press_chart(store, cog, USER_ID)
    assert "try again in 30 s" in private_text(pressed)

    # Another member asking at the same moment is not held up by the first one's presses.
    assert got_chart(await ask_chart(cog, OTHER_USER_ID, kind="start-finish"))

    # Refused asks do not count: a minute after the first ask, the member may ask again.
    clock.now = start + CHART_WINDOW - 1
    assert "try again in 1 s" in private_text(await ask_chart(cog, USER_ID))
    clock.now = start + CHART_WINDOW
    assert got_chart(await ask_chart(cog, USER_ID))


async def test_the_wait_is_rounded_up_and_counted_from_the_oldest_ask(store: Store, cog: Charts, clock: Clock):
    start = clock.now
    for n in range(CHART_RATE):
        clock.now = start + 0.25 * n
        assert got_chart(await ask_chart(cog, USER_ID))
    clock.now = start + 2.5
    text = private_text(await ask_chart(cog, USER_ID))
    assert text == f"You asked for {CHART_RATE} charts in the last 60 s; try again in 58 s."  # 57.5 s, rounded up
    clock.now = start + CHART_WINDOW + 0.25  # the two oldest asks have left the window
    assert got_chart(await ask_chart(cog, USER_ID))
    assert got_chart(await ask_chart(cog, USER_ID))
    assert "try again in 1 s" in private_text(await ask_chart(cog, USER_ID))
