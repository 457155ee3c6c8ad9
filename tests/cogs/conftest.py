"""Fixtures for the fan cogs: each cog over the seeded store, and the store with the synthetic Truck history."""

import io
import random
from collections.abc import AsyncIterator

import pytest

from bot.catalog import Catalog
from bot.importers.nascar_data import parse_history
from bot.store import Store
from cogs.drivers import Drivers
from cogs.quotes import Quotes
from cogs.races import Races
from tests.fan_fakes import races_cog
from tests.history_data import history_csv


@pytest.fixture
def races(store: Store) -> Races:
    return races_cog(store, rng=random.Random(7))


@pytest.fixture
def drivers(store: Store) -> Drivers:
    return Drivers(Catalog(store))


@pytest.fixture
def quotes(store: Store) -> Quotes:
    return Quotes(Catalog(store), rng=random.Random(7))


@pytest.fixture
async def history_store(store: Store) -> AsyncIterator[Store]:
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    yield store
