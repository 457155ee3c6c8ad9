"""Turning off the buttons of public replies when they expire, remembering only where each reply is.

Buttons are turned off by editing the reply through its interaction's webhook, which needs the interaction
token: tokens live 15 minutes, so buttons expire (VIEW_TIMEOUT) well before that.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

import discord

from bot.tree import NO_MENTIONS

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0


def turned_off(view: discord.ui.View | discord.ui.LayoutView | None) -> discord.ui.View | discord.ui.LayoutView:
    """Return the view with every button and menu turned off, stopped so that discord.py does not keep it."""
    view = view or discord.ui.View(timeout=None)
    for item in view.walk_children():
        target = item.item if isinstance(item, discord.ui.DynamicItem) else item
        if isinstance(target, discord.ui.Button | discord.ui.Select):
            target.disabled = True
    view.stop()
    return view


class ButtonTimers:
    """Turns off the buttons of replies when they expire, remembering only where each reply is.

    Every reply's buttons last the same time, so they expire in the order they were sent: one queue, one task.
    """

    def __init__(
        self, client: discord.Client, *, lasts: float = VIEW_TIMEOUT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._lasts = lasts
        self._clock = clock
        self._pending: deque[tuple[float, int, str, int]] = deque()  # when, application id, token, message id
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def schedule(self, interaction: discord.Interaction, message_id: int) -> None:
        """Turn off the buttons of the message this interaction was answered with, once they expire."""
        self._pending.append((self._clock() + self._lasts, interaction.application_id, interaction.token, message_id))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="pitboard-button-timers")

    def close(self) -> None:
        """Stop; buttons still pending turn themselves off when pressed."""
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        while self._pending:
            wait = self._pending[0][0] - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            _, application_id, token, message_id = self._pending.popleft()
            await self._turn_off(application_id, token, message_id)

    async def _turn_off(self, application_id: int, token: str, message_id: int) -> None:
        webhook = discord.Webhook.partial(application_id, token, client=self._client)
        try:
            message = await webhook.fetch_message(message_id)
            view = turned_off(discord.ui.View.from_message(message, timeout=None))
            await webhook.edit_message(message_id, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("Could not turn off the buttons of message %s (deleted, or its token expired)", message_id)
        except Exception:
            log.exception("Turning off the buttons of message %s failed", message_id)


def turn_off_later(interaction: discord.Interaction, message_id: int | None) -> None:
    """Have the buttons of the message this interaction was answered with turned off when they expire.

    Nothing happens without the bot's ButtonTimers (the offline preview, tests calling commands directly).
    """
    timers = getattr(interaction.client, "button_timers", None)
    if isinstance(timers, ButtonTimers) and message_id is not None:
        timers.schedule(interaction, message_id)
