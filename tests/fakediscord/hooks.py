"""Point discord.py at a FakeDiscord and run a bot against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar

import discord
import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Set Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY to the fake; restore them on exit.

    Both are process-global class attributes read lazily by discord.py, so only one fake per process at a time.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_bot(
    client: ClientT,
    token: str = "fake-bot-token",
    *,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> AsyncIterator[ClientT]:
    """Start `client` (hooks must already point at the fake), wait for on_ready, close it on exit."""
    task = asyncio.create_task(client.start(token), name="fakediscord-bot")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # re-raise why the bot stopped (LoginFailure, ...)
            raise AssertionError("the bot stopped before it became ready")
        if ready not in done:
            raise AssertionError(f"the bot did not become ready within {timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout)


class FastRetries:
    """Stand-in for the `asyncio` module inside discord.py's HTTP code whose sleep() is capped.

    discord.py sleeps 1, 3, 5, 7 s between 5xx retries; tests of exhausted retries would take 16 s otherwise.
    """

    def __init__(self, cap: float = 0.01) -> None:
        self.cap = cap

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: object = None) -> object:
        """asyncio.sleep, at most `cap` seconds."""
        return await asyncio.sleep(min(delay, self.cap), result)


@contextlib.contextmanager
def fast_http_retries(cap: float = 0.01) -> Iterator[None]:
    """Cap the retry sleeps of discord.http and discord.webhook.async_ (429 waits included)."""
    import discord.webhook.async_ as webhook_async

    namespaces = (discord.http.__dict__, webhook_async.__dict__)
    for namespace in namespaces:
        namespace["asyncio"] = FastRetries(cap)
    try:
        yield
    finally:
        for namespace in namespaces:
            namespace["asyncio"] = asyncio
