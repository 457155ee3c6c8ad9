"""The catalog: when it reads the store again, what it keeps in memory and for how long, and a race's facts."""

from collections.abc import Awaitable

import pytest

from bot.catalog import Card, Catalog, RaceData
from bot.errors import NotFoundError
from bot.store import Store


class CountingStore:
    """Wraps the real store, counting the reads the catalog makes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.loads = 0
        self.checks = 0
        self.version = (1,)

    async def catalog_version(self) -> tuple[int, ...]:
        self.checks += 1
        return self.version

    async def race_summaries(self):
        self.loads += 1
        return await self.store.race_summaries()

    def __getattr__(self, name: str):
        return getattr(self.store, name)


async def test_catalog_reads_the_store_only_when_it_changed(store: Store):
    counting = CountingStore(store)
    now = [0.0]
    catalog = Catalog(counting, clock=lambda: now[0])  # type: ignore[arg-type]
    first = await catalog.index()
    for _ in range(50):  # keystrokes within a few seconds
        assert await catalog.index() is first
    assert (counting.loads, counting.checks) == (1, 1)

    now[0] += Catalog.RECHECK_SECONDS
    assert await catalog.index() is first
    assert (counting.loads, counting.checks) == (1, 2)  # checked, unchanged

    counting.version = (2,)
    now[0] += Catalog.RECHECK_SECONDS
    assert await catalog.index() is not first
    assert counting.loads == 2

    catalog.invalidate()
    await catalog.index()
    assert counting.loads == 3


async def test_race_data_is_cached_per_data_version(store: Store):
    catalog = Catalog(store)
    first = await catalog.race_data(1)
    assert await catalog.race_data(1) is first
    assert [e.driver for e in first.entries[:3]] == ["Kyle Larson", "Layne Riggs", "Corey Heim"]
    with pytest.raises(NotFoundError):
        await catalog.race_data(999)


async def test_derived_answers_last_only_as_long_as_the_race_data(store: Store):
    catalog = Catalog(store)
    calls: list[int] = []

    def count(data: RaceData) -> int:
        calls.append(data.race.id)
        return len(calls)

    def counted(data: RaceData) -> int:
        return catalog.card(Card.RECAP_TEXT, data, (), lambda: count(data))

    data = await catalog.race_data(1)
    assert counted(data) == counted(data) == 1
    catalog.invalidate()
    again = await catalog.race_data(1)
    assert again is not data
    assert counted(again) == 2  # the race was read again: worked out again
    assert counted(data) == 3  # never an answer from other facts


async def test_cached_reads_are_bounded_by_the_rows_they_hold(store: Store):
    catalog = Catalog(store)
    asked: list[int] = []

    async def rows(count: int) -> list[int]:
        asked.append(count)
        return list(range(count))

    def read(count: int) -> Awaitable[list[int]]:
        return catalog.remember(("rows", count), lambda: rows(count))

    small = await read(10)
    assert await read(10) == list(range(10))
    assert asked == [10]  # the second answer came from memory
    made: list[int] = []

    def page(answer: list[int]) -> int:
        made.append(len(answer))
        return len(answer)

    def card() -> int:
        return catalog.card(Card.LEADERBOARD, small, (), lambda: page(small))

    assert card() == card() == 10
    assert made == [10]  # made once while the answer is kept
    await read(Catalog.READ_ROWS_KEPT)  # a whole career's worth: the small one makes room
    await read(10)
    assert asked == [10, Catalog.READ_ROWS_KEPT, 10]
    card()
    assert made == [10, 10]  # what was made of it went with it, rather than keeping it alive


async def test_a_races_stage_results_point_at_its_own_entries(store: Store):
    data = await Catalog(store).race_data(1)
    entries = {id(entry) for entry in data.entries}
    assert data.stages and all(id(result.entry) in entries for result in data.stages if result.entry)
    assert any(result.candidates for result in data.stages)  # the unresolved positions name their candidates
    assert all(id(candidate) in entries for result in data.stages for candidate in result.candidates)
