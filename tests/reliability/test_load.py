"""Sustained load through the fake Discord: 2,000 interactions, 64 in flight, while 5% of callbacks are rate
limited, 1% fail with a server error, and the gateway drops ten times.

Every interaction Discord accepted is answered exactly once, no error reaches a user, every moderator change
that was acknowledged is stored, and the bot's memory levels off.
"""

import asyncio
import gc
import json
import random
import resource
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.client import PitBoard
from bot.tree import GENERIC_FAILURE
from tests.contract.validator import validate_requests
from tests.e2e.conftest import text_of
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FAN, OWNER, RecordedRequest
from tests.fakediscord.server import FakeDiscord, Injection
from tests.reliability.tally import injected, lost, measured, tried

INTERACTIONS = 2000
IN_FLIGHT = 64
GATEWAY_DROPS = 10
RATE_LIMITED, SERVER_ERRORS = 0.05, 0.01
MEMORY_SAMPLES = 10
LEAK_BLOCKS = 20_000  # allocated blocks the second 1,000 interactions may add (a leak of 20 per interaction)

# A server's evening: mostly fans reading, some typing into autocomplete, a few moderators changing settings.
WORKLOAD: list[tuple[int, str, dict[str, Any]]] = [
    (30, "results", {}),
    (12, "results", {"top": 5}),
    (14, "recap", {}),
    (10, "stages", {}),
    (8, "races", {}),
    (8, "wins", {}),
    (6, "wins", {"driver": "larson"}),
    (8, "driver", {"name": "Corey Heim"}),
    (8, "quote", {"driver": "heim"}),
    (2, "help", {}),
    (8, "autocomplete driver name", {"name": "lar"}),
    (6, "autocomplete results race", {"race": "home"}),
    (2, "manage settings spoiler-hours", {"hours": 0}),
]


class RandomFault(Injection):
    """A failure answered to a share of matching requests, at random (discord.py must retry them)."""

    def __init__(self, pattern: str, status: int, share: float, rng: random.Random) -> None:
        super().__init__("POST", pattern, status, retry_after=0.02, times=None, body=None, is_global=False)
        self.share = share
        self.rng = rng

    def matches(self, method: str, path: str) -> bool:
        """Match a random share of what the plain injection would."""
        return super().matches(method, path) and self.rng.random() < self.share


@dataclass
class Run:
    """What the load run saw."""

    done: int = 0
    acknowledged_changes: int = 0
    memory: list["Held"] = field(default_factory=list)
    views: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    weights = [w for w, _, _ in WORKLOAD]
    return [(name, options) for _, name, options in rng.choices(WORKLOAD, weights, k=INTERACTIONS)]


async def send(fake: FakeDiscord, name: str, options: dict[str, Any]) -> Interaction:
    if name.startswith("autocomplete "):
        command, focused = name.removeprefix("autocomplete ").rsplit(" ", 1)
        return await fake.send_autocomplete(command, options, focused, user=FAN)
    return await fake.send_slash(name, options, user=OWNER if name.startswith("manage") else FAN)


def token_of(request: RecordedRequest) -> str | None:
    """The interaction token in a callback or webhook path."""
    parts = request.path.split("/")
    return parts[3] if len(parts) > 3 and parts[1] in ("interactions", "webhooks") else None


def forget(fake: FakeDiscord, finished: list[Interaction]) -> list[RecordedRequest]:
    """Drop finished interactions from the fake's records, so its memory stays flat; return their requests.

    Requests that belong to no interaction (the /help command list, say) are finished too once answered.
    """
    tokens = {interaction.token for interaction in finished}
    for token in tokens:
        for message_id in fake.interactions.pop(token).message_ids:
            fake.messages.pop(message_id, None)
    done = [r for r in fake.requests if r.status and (token_of(r) in tokens or token_of(r) is None)]
    kept = [r for r in fake.requests if not (r.status and (token_of(r) in tokens or token_of(r) is None))]
    fake.requests[:] = kept
    fake.gateway_log.clear()
    return done


async def test_sustained_load_with_rate_limits_server_errors_and_gateway_drops(
    bot: PitBoard, fake_discord: FakeDiscord, fast_retries: None, discord_errors: ErrorLog, tmp_path: Path
):
    fake = fake_discord
    rng = random.Random(64)
    faults = [
        RandomFault("/interactions/*/callback", 429, RATE_LIMITED, rng),
        RandomFault("/interactions/*/callback", 500, SERVER_ERRORS, rng),
    ]
    fake.injections += faults
    run = Run()
    slots = asyncio.Semaphore(IN_FLIGHT)
    callbacks: Counter[str] = Counter()  # successful callbacks by interaction id
    finished: list[Interaction] = []
    audit_before = _audit_rows(tmp_path / "pitboard.db")

    progress = asyncio.Condition()

    async def one(name: str, options: dict[str, Any]) -> None:
        async with slots:
            interaction = await send(fake, name, options)
            answer = await interaction.wait_response(timeout=30)
            text = text_of(answer)
            if GENERIC_FAILURE in text or "Traceback" in text:
                run.problems.append(f"/{name} answered {text[:200]!r}")
            run.acknowledged_changes += name.startswith("manage") and "Done" in text
            finished.append(interaction)
            async with progress:
                run.done += 1
                progress.notify_all()

    async def reached(done: int) -> None:
        async with progress:
            await progress.wait_for(lambda: run.done >= done)

    async def drops() -> None:
        for n in range(1, GATEWAY_DROPS + 1):
            await reached(n * INTERACTIONS // (GATEWAY_DROPS + 1))
            await fake.drop_gateway(resume=True, timeout=10)
            injected()

    async def sample_memory() -> None:
        """Record what is allocated after each tenth of the run, with the fake's own records of it dropped."""
        for n in range(1, MEMORY_SAMPLES + 1):
            await reached(n * INTERACTIONS // MEMORY_SAMPLES)
            requests = forget(fake, finished)
            finished.clear()
            answers = [r for r in requests if r.path.endswith("/callback")]
            callbacks.update(r.path.split("/")[2] for r in answers if r.ok)
            # Anything but success or an injected fault (a second answer, say) is a bug.
            run.problems += [r.describe() for r in answers if not r.ok and r.status not in (429, 500)]
            run.problems += validate_requests(requests)
            run.views.append(expire_views())
            run.memory.append(held())

    started = time.monotonic()
    try:
        await asyncio.gather(*(one(name, options) for name, options in plan(rng)), drops(), sample_memory())
    finally:
        fake.injections.clear()
    elapsed = time.monotonic() - started
    tried(INTERACTIONS)
    injected(sum(f.hits for f in faults))

    assert not run.problems, "\n".join(run.problems[:20])
    assert len(callbacks) == INTERACTIONS
    assert set(callbacks.values()) == {1}, Counter(callbacks.values())  # exactly one accepted answer each
    assert sum(f.hits for f in faults) > INTERACTIONS * (RATE_LIMITED + SERVER_ERRORS) / 2

    stored = _audit_rows(tmp_path / "pitboard.db") - audit_before
    lost(max(0, run.acknowledged_changes - stored))
    assert stored == run.acknowledged_changes > 0  # every change a moderator was told about is there

    half = MEMORY_SAMPLES // 2 - 1  # by then every bounded cache (discord.py's, the fake's backlog) is full
    growth = run.memory[-1].blocks - run.memory[half].blocks
    report = (
        f"allocated blocks after each tenth {[m.blocks for m in run.memory]} (second half {growth:+}), "
        f"RSS {[round(m.rss_mb) for m in run.memory]} MB, reply views expired per tenth {run.views}"
    )
    assert growth < LEAK_BLOCKS, report
    rss_growth = run.memory[-1].rss_mb - run.memory[half].rss_mb
    measured(
        f"load {INTERACTIONS} interactions at {IN_FLIGHT} in flight: {INTERACTIONS / elapsed:.0f}/s; "
        f"memory second half {growth:+} blocks, RSS {run.memory[half].rss_mb:.0f} -> {run.memory[-1].rss_mb:.0f} MB "
        f"({rss_growth:+.1f})"
    )


async def test_an_interaction_discord_never_accepts_is_logged_and_shows_nobody_a_traceback(
    bot: PitBoard, fake_discord: FakeDiscord, fast_retries: None, discord_errors: ErrorLog
):
    refusing = fake_discord.inject("POST", "/interactions/*/callback", status=500, times=None)
    asked = await fake_discord.send_slash("results", user=FAN)
    injected()
    record = await discord_errors.wait("Unhandled error in /results", timeout=10)
    assert record.exc_info is not None  # the traceback went to the log, where it belongs
    fake_discord.injections.remove(refusing)
    attempts = asked.callbacks
    assert len(attempts) > 1 and all(a.status == 500 for a in attempts)  # retried, then the private error too
    bodies = [json.dumps(r.body) for r in fake_discord.requests if r.body is not None]
    assert not [b for b in bodies if "Traceback" in b or "HTTPException" in b]
    after = await (await fake_discord.send_slash("results", {"top": 1}, user=FAN)).wait_response()
    assert "Kyle Larson" in text_of(after)  # and the bot goes on answering


@dataclass(frozen=True)
class Held:
    """Memory in use: allocated object blocks (the interpreter's own leak gauge) and resident size."""

    blocks: int
    rss_mb: float


def expire_views() -> int:
    """Stop every live reply view, as its timeout would; return how many there were.

    Buttons stay live for VIEW_TIMEOUT (ten minutes) after a reply, so what the bot holds rightly grows with the
    replies of the last ten minutes. A run this short expires them by hand: what is held beyond them is a leak.
    """
    views = [o for o in gc.get_objects() if isinstance(o, discord.ui.View) and not o.is_finished()]
    for view in views:
        view.stop()
    return len(views)


def held() -> Held:
    gc.collect()
    pages = int(Path("/proc/self/statm").read_text().split()[1]) if Path("/proc/self/statm").exists() else 0
    return Held(sys.getallocatedblocks(), pages * resource.getpagesize() / 2**20)


def _audit_rows(database: Path) -> int:
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()
