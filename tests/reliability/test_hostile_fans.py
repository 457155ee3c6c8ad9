"""Fans typing anything: every string and number option of every fan command, autocomplete included.

Discord's own checks (lengths, ranges, choices) are skipped on purpose: the bot must not rely on them.
Each example must get a reply that is valid against Discord's contract, pings nobody, shows no internals,
logs no bug, and leaves the database byte-for-byte as it was.
"""

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.client import PitBoard
from bot.importers.nascar_data import parse_history
from bot.series import BY_CODE
from bot.store import Store
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FAN
from tests.fakediscord.server import FakeDiscord
from tests.history_data import history_csv
from tests.reliability.harness import Exchange, answer_text, describe, problems, settle, snapshot
from tests.reliability.hostile import Leaf, autocomplete, classify, fuzz_settings, invocation, leaves
from tests.reliability.tally import tried


@pytest.fixture
async def store(store: Store) -> Store:
    """The seeded store plus three seasons of imported history: more races, drivers, seasons and pages to reach."""
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=(BY_CODE["truck"].name, "truck"))
    return store


def fan_commands(fake: FakeDiscord) -> list[Leaf]:
    return [leaf for leaf in leaves(fake.commands[None]) if not leaf.moderator]


def typed(options: dict[str, Any]) -> str:
    return " ".join(str(v) for v in options.values())


async def check(
    fake: FakeDiscord,
    errors: ErrorLog,
    database: Path,
    name: str,
    send: Callable[[], Awaitable[Interaction]],
    options: dict[str, Any],
) -> None:
    """Send one interaction and hold its answer and the database to the rules above."""
    tried(classes=classify(options))
    exchange = Exchange(fake, errors)
    before = snapshot(database)
    interaction = await send()
    answers = await settle(fake, interaction)
    after = snapshot(database)
    found = problems(answers, exchange.requests, exchange.take_errors(), typed(options))
    if after != before:
        found.append("a read-only command changed the database:\n" + before.diff(after))
    assert not found, f"{describe(name, options)}\nanswered: {answer_text(answers)[:400]!r}\n" + "\n".join(found)
    exchange.forget()


@fuzz_settings(150)
@given(data=st.data())
async def test_fan_commands_answer_anything_and_write_nothing(
    bot: PitBoard, fake_discord: FakeDiscord, discord_errors: ErrorLog, tmp_path: Path, data: st.DataObject
):
    leaf = data.draw(st.sampled_from(fan_commands(fake_discord)), label="command")
    options = data.draw(invocation(leaf), label="options")
    in_dm = data.draw(st.booleans(), label="in a DM") if leaf.in_dms else False

    async def send() -> Interaction:
        return await fake_discord.send_slash(leaf.name, options, force=True, user=FAN, dm=in_dm)

    await check(fake_discord, discord_errors, tmp_path / "pitboard.db", leaf.name, send, options)


@fuzz_settings(120)
@given(data=st.data())
async def test_autocomplete_survives_anything_typed(
    bot: PitBoard, fake_discord: FakeDiscord, discord_errors: ErrorLog, tmp_path: Path, data: st.DataObject
):
    leaf = data.draw(st.sampled_from([c for c in fan_commands(fake_discord) if c.autocompleted]), label="command")
    focused, options = data.draw(autocomplete(leaf), label="typed")

    async def send() -> Interaction:
        return await fake_discord.send_autocomplete(leaf.name, options, focused, user=FAN)

    await check(fake_discord, discord_errors, tmp_path / "pitboard.db", f"{leaf.name} [{focused}]", send, options)
