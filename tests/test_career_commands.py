"""/wins, /driver and /recap over an imported history: career figures as of a race, milestones, season dates."""

import io
import random
from collections.abc import AsyncIterator

import pytest

from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy
from bot.importers.nascar_data import parse_history
from bot.search import resolve_driver, resolve_race, resolve_series, resolve_track
from bot.store import Store
from bot.ui.paging import PagedView
from cogs.drivers import Drivers
from cogs.records import Records
from tests.fan_fakes import embed_of, invoke, make_interaction, pressing, races_cog, view_of
from tests.history_data import history_csv


@pytest.fixture
async def history_store(store: Store) -> AsyncIterator[Store]:
    history = parse_history(io.StringIO(history_csv().text), series="truck", source="truck.csv")
    await store.import_history(history, series=("NASCAR Craftsman Truck Series", "truck"))
    yield store


def everything(embed) -> str:
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(parts)


async def test_wins_as_of_homestead_counts_the_career_up_to_that_race(history_store: Store):
    cog = Drivers(Catalog(history_store))
    asked = make_interaction()
    await invoke(cog.wins, asked, driver="larson", as_of="Homestead 2025")
    text = everything(embed_of(asked))
    assert "up to the 2025 Baptist Health 200" in text
    assert "Wins: 4" in text and "Starts: 16" in text
    everything_stored = make_interaction()
    await invoke(cog.wins, everything_stored, driver="larson")
    assert "Starts: 16\n" not in everything(embed_of(everything_stored))  # later 2025 rounds count too


async def test_recap_adds_milestones_from_history(history_store: Store):
    cog = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.recap, asked, race="Homestead 2025")
    fields = {f.name: f.value for f in embed_of(asked).fields}
    assert "Kyle Larson's 4th Craftsman Truck Series win, in 16 starts" in fields["Milestones"]


async def test_imported_races_show_their_season_and_round_never_an_invented_day(history_store: Store):
    cog = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.races, asked, season=2023)
    text = everything(embed_of(asked))
    assert "2023 season, round" in text
    assert "<t:1672574400" not in text and "January 1" not in text  # noon UTC on 1 January 2023


async def test_recap_without_history_has_no_milestones(store: Store):
    cog = races_cog(store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.recap, asked)
    assert "Milestones" not in {f.name for f in embed_of(asked).fields}


async def test_every_pager_asks_the_same_question_again_from_what_its_buttons_carry(history_store: Store):
    catalog = Catalog(history_store)
    races = races_cog(history_store, catalog=catalog, rng=random.Random(1))
    drivers = Drivers(catalog)
    history = Records(catalog, SpoilerPolicy(history_store.guild_settings))
    fan = make_interaction()
    index = await catalog.index()
    truck, homestead = resolve_series(index, "truck"), resolve_track(index, "homestead")
    larson, homestead_2025 = resolve_driver(index, "larson"), resolve_race(index, "Homestead 2025")
    asked = [
        (races.races_pager, await races.listing(fan, None, None)),
        (races.races_pager, await races.listing(fan, truck, 2024)),
        (drivers.wins_pager, await drivers.tally(fan, driver=None, series=None, track=None, season=None, as_of=None)),
        (
            drivers.wins_pager,
            await drivers.tally(fan, driver=larson, series=truck, track=homestead, season=None, as_of=homestead_2025),
        ),
        (history.track_pager, await history.history_pages(fan, homestead, truck)),
    ]
    for source, (pages, args) in asked:
        again = await source.pages(pressing(), args)
        assert [page.to_dict() for page in again] == [page.to_dict() for page in pages], (source.source, args)
    assert len(asked[0][1][0]) >= 2  # /races over the whole history runs to more than one page


async def test_a_press_on_a_multi_page_listing_shows_the_next_page(history_store: Store):
    races = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(races.races, asked)
    view = view_of(asked)
    assert isinstance(view, PagedView)
    turned = pressing()
    await view.next.callback(turned)
    second = turned.response.edit_message.await_args.kwargs["embed"]
    assert (second.footer.text or "").endswith(f"page 2/{len(view.pages)}")
    assert second.description != embed_of(asked).description
