"""A 6,000-character race or driver option is read as its first 100 characters, as Discord would send it.

Discord's own client sends at most 100 characters for an option it autocompletes, but anyone can send 6,000;
ranking all of them cost about 130 ms of the event loop per keystroke. The tails below would change the answer
if they were read: they name another driver, or words no race has.
"""

import pytest

from bot.catalog import Catalog
from bot.store import Store
from cogs.drivers import Drivers
from cogs.races import Races
from tests.fan_fakes import embed_of, invoke, make_interaction, races_cog, suggest

TYPED = 100  # what Discord sends at most


def padded(head: str, tail: str) -> str:
    """Head, padded with spaces to 100 characters, then the tail repeated up to 6,000 characters."""
    return (head.ljust(TYPED) + tail * 6000)[:6000]


@pytest.fixture
def races(store: Store) -> Races:
    return races_cog(store)


@pytest.fixture
def drivers(store: Store) -> Drivers:
    return Drivers(Catalog(store))


async def test_a_6000_character_race_is_suggested_like_its_first_100(races: Races):
    typed = padded("homestead", "daytona 1999 ")
    suggested = await suggest(races.results, "race", make_interaction(), typed)
    assert [c.name for c in suggested] == ["2025 Baptist Health 200 (Homestead-Miami Speedway) · truck"]
    assert suggested == await suggest(races.results, "race", make_interaction(), typed[:TYPED])


async def test_a_6000_character_driver_is_suggested_like_its_first_100(drivers: Drivers):
    typed = padded("Kyle Larson", "Corey Heim ")
    suggested = await suggest(drivers.wins, "driver", make_interaction(), typed)
    assert [c.name for c in suggested] == ["#07 Kyle Larson"]
    assert suggested == await suggest(drivers.wins, "driver", make_interaction(), typed[:TYPED])


async def test_a_6000_character_race_typed_without_picking_answers_like_its_first_100(races: Races):
    asked = make_interaction()
    await invoke(races.results, asked, race=padded("homestead 2025", "zzz "), top=3)
    short = make_interaction()
    await invoke(races.results, short, race="homestead 2025", top=3)
    assert embed_of(asked).title == embed_of(short).title == "Results · 2025 Baptist Health 200"
    assert embed_of(asked).description == embed_of(short).description
