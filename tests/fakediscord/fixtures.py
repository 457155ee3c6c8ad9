"""Pytest fixtures for end-to-end tests against FakeDiscord.

Register them from tests/conftest.py with ``pytest_plugins = ["tests.fakediscord.fixtures"]``. To run the two
checks on every end-to-end test, add ``pytestmark = pytest.mark.usefixtures("discord_contract", "discord_errors")``
to those test modules (both cost nothing when no fake was started, but discord_errors fails any test whose code
logs at ERROR on the `discord`/`bot` loggers, so it is not meant for unit tests that log errors on purpose).
Markers read here:

- ``@pytest.mark.fake_discord(**kwargs)``: keyword arguments for FakeDiscord (guilds=..., token=...;
  enforce_limits=False lets bodies over Discord's size limits through instead of answering 400, code 50035).
- ``@pytest.mark.discord_contract(allowed_roles=[...], enabled=True)``: ping roles the contract check accepts in
  allowed_mentions.roles, or enabled=False for tests that send invalid payloads on purpose.
- ``@pytest.mark.discord_errors(enabled=False)``: let ERROR logs from discord/bot pass (prefer .expect()).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import discord
import pytest
import pytest_asyncio

from ..contract.validator import validate_requests
from .hooks import discord_pointed_at, fast_http_retries, running_bot
from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)
FAKES_KEY = pytest.StashKey[list[FakeDiscord]]()
WATCHED_LOGGERS = ("discord", "bot", "cogs")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers above."""
    config.addinivalue_line("markers", "fake_discord(**kwargs): keyword arguments for FakeDiscord")
    config.addinivalue_line("markers", "discord_contract(allowed_roles=(), enabled=True): contract check settings")
    config.addinivalue_line("markers", "discord_errors(enabled=True): fail on ERROR logs from discord/bot")


def _marker_kwargs(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    marker = request.node.get_closest_marker(name)
    return dict(marker.kwargs) if marker else {}


@pytest_asyncio.fixture
async def fake_discord(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py's Route.BASE and DEFAULT_GATEWAY pointed at it."""
    fake = FakeDiscord(**_marker_kwargs(request, "fake_discord"))
    await fake.start()
    request.node.stash.setdefault(FAKES_KEY, []).append(fake)
    try:
        with discord_pointed_at(fake):
            yield fake
    finally:
        await fake.stop()
    if fake.errors:
        pytest.fail("fakediscord itself crashed:\n" + "\n".join(fake.errors), pytrace=False)


@pytest_asyncio.fixture
async def start_bot(fake_discord: FakeDiscord) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """`bot = await start_bot(bot)`: start a client against the fake, wait for on_ready, close it at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(client: ClientT, token: str = "fake-bot-token") -> ClientT:
            return await stack.enter_async_context(running_bot(client, token))

        yield start


@pytest.fixture
def fast_retries() -> Iterator[None]:
    """Cap discord.py's HTTP retry sleeps (5xx back-off, 429 waits) at 10 ms for this test."""
    with fast_http_retries():
        yield


class ContractCheck:
    """The contract check of one test; expect() consumes violations the test provokes on purpose."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self.allowed_roles: set[int] = set(_marker_kwargs(request, "discord_contract").get("allowed_roles", ()))
        self.enabled: bool = _marker_kwargs(request, "discord_contract").get("enabled", True)
        self.expected: list[str] = []

    def violations(self) -> list[str]:
        """Current violations across the test's fakes, including expected ones."""
        found = []
        for fake in self._request.node.stash.get(FAKES_KEY, []):
            found += validate_requests(fake.requests, allowed_roles=self.allowed_roles | fake.allowed_ping_roles)
        return found

    def expect(self, text: str) -> list[str]:
        """Mark the violations mentioning text as expected and return them (AssertionError if there are none)."""
        found = [v for v in self.violations() if text in v and v not in self.expected]
        if not found:
            raise AssertionError(f"no contract violation mentioning {text!r}; got: {self.violations()}")
        self.expected += found
        return found


@pytest.fixture
def discord_contract(request: pytest.FixtureRequest) -> Iterator[ContractCheck]:
    """At teardown, check every request sent to this test's fakes against tests/contract (autouse-able)."""
    check = ContractCheck(request)
    yield check
    if not check.enabled:
        return
    found = [v for v in check.violations() if v not in check.expected]
    if found:
        pytest.fail(f"{len(found)} Discord contract violation(s):\n" + "\n".join(found), pytrace=False)


class ErrorLog(logging.Handler):
    """Collects ERROR records; a test consumes the ones it expects with expect()."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def expect(self, text: str) -> logging.LogRecord:
        """Remove and return the first record whose message or exception mentions text."""
        for record in self.records:
            if text in describe_record(record):
                self.records.remove(record)
                return record
        raise AssertionError(
            f"no ERROR log mentioning {text!r}; got:\n" + "\n".join(map(describe_record, self.records))
        )

    async def wait(self, text: str, timeout: float = 5.0) -> logging.LogRecord:  # noqa: ASYNC109
        """Like expect(), but give the bot up to timeout seconds to log it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(text in describe_record(r) for r in self.records):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.005)
        return self.expect(text)


def describe_record(record: logging.LogRecord) -> str:
    """Logger, message and the exception's last traceback lines."""
    text = f"{record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(record.exc_info[1])[-4:]).rstrip()
    return text


@pytest.fixture
def discord_errors(request: pytest.FixtureRequest) -> Iterator[ErrorLog]:
    """Fail the test on ERROR records from the `discord` and `bot` loggers that it did not expect()."""
    handler = ErrorLog()
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    try:
        yield handler
    finally:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(handler)
    if handler.records and _marker_kwargs(request, "discord_errors").get("enabled", True):
        lines = "\n".join(describe_record(r) for r in handler.records)
        pytest.fail(f"{len(handler.records)} unexpected ERROR log record(s):\n{lines}", pytrace=False)
