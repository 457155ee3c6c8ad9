"""Shared chart fixtures: a chart service over the seeded store whose drawings are counted, and what checks a PNG.

Registered from tests/conftest.py, for the chart tests under charts/, cogs/ and ui/.
"""

import concurrent.futures
import functools
import struct
from collections.abc import Iterator

import pytest

from bot.catalog import Catalog
from bot.charts import render
from bot.charts.data import ChartKind
from bot.charts.service import ChartService
from bot.store import Store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GUILD_ID = 111  # the fake Discord's default server


@functools.cache
def drawn(spec: render.Spec) -> bytes:
    """Draw each distinct spec once per test session: drawing is the slow part, and it is deterministic."""
    return render.draw(spec)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class CountingDraw:
    """A drawing function that counts its calls (run in a thread, so the count is shared)."""

    def __init__(self) -> None:
        self.calls: list[ChartKind] = []

    def __call__(self, spec: render.Spec) -> bytes:
        self.calls.append(spec.kind)
        return drawn(spec)


@pytest.fixture
def threads() -> Iterator[concurrent.futures.Executor]:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    yield executor
    executor.shutdown(wait=True)


@pytest.fixture
def counting() -> CountingDraw:
    return CountingDraw()


@pytest.fixture
async def service(store: Store, threads: concurrent.futures.Executor, counting: CountingDraw) -> ChartService:
    return ChartService(store, Catalog(store), executor=threads, draw=counting)


async def race_id_of(store: Store) -> int:
    return next(r.id for r in await store.race_summaries() if r.name == "Baptist Health 200")
