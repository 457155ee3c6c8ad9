"""Finding drivers, races, series and tracks the way fans type them."""

import dataclasses

import pytest

from bot.catalog import load_index
from bot.errors import BadInputError, NotFoundError
from bot.search import (
    MAX_CHOICES,
    SearchIndex,
    driver_suggestions,
    race_in_context,
    race_suggestions,
    rank_drivers,
    rank_races,
    rank_tracks,
    resolve_driver,
    resolve_race,
    resolve_series,
    resolve_track,
    season_suggestions,
    series_suggestions,
    track_suggestions,
)
from bot.search.index import IndexMemo
from bot.store import Store


@pytest.fixture
async def index(store: Store) -> SearchIndex:
    return await load_index(store)


def names(matches) -> list[str]:
    return [m.driver.name for m in matches]


# --- autocomplete ranking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("heim", "Corey Heim"),
        ("LARSON", "Kyle Larson"),
        ("ty maj", "Ty Majeski"),
        ("07", "Kyle Larson"),
        ("#07", "Kyle Larson"),
        ("#7", "Corey Day"),
        ("7", "Corey Day"),
        ("majeski", "Ty Majeski"),
        ("Larsen", "Kyle Larson"),
        ("kyle larson jr.", "Kyle Larson"),
        ("Pérez de Lara", "Andres Perez de Lara"),
        ("gio", "Giovanni Ruggiero"),
        ("Gio Ruggiero", "Giovanni Ruggiero"),
        ("chastian", "Ross Chastain"),
    ],
)
def test_driver_ranking_puts_the_meant_driver_first(index: SearchIndex, typed: str, first: str):
    assert names(rank_drivers(index, typed))[0] == first


def test_ty_maj_is_not_tyler_ankrum(index: SearchIndex):
    assert "Tyler Ankrum" not in names(rank_drivers(index, "ty maj"))


def test_car_07_and_7_are_different_cars(index: SearchIndex):
    assert names(rank_drivers(index, "07"))[:1] == ["Kyle Larson"]
    seven = names(rank_drivers(index, "7"))
    assert seven[0] == "Corey Day"
    assert "Kyle Larson" not in seven  # '07' does not start with '7'
    assert set(seven[1:]) == {"Rajah Caruth", "Spencer Boyd", "Andres Perez de Lara"}  # 71, 76, 77


def test_corey_lists_both_coreys_best_finisher_first(index: SearchIndex):
    assert names(rank_drivers(index, "corey"))[:2] == ["Corey Heim", "Corey Day"]


def test_empty_driver_text_lists_the_latest_field_in_finishing_order(index: SearchIndex):
    ranked = names(rank_drivers(index, ""))
    assert ranked[:3] == ["Kyle Larson", "Layne Riggs", "Corey Heim"]
    assert ranked[-1] == "Stephen Mallozzi"


def test_driver_choices_are_at_most_25_with_car_numbers(index: SearchIndex):
    pairs = driver_suggestions(index, "")
    assert len(pairs) == MAX_CHOICES
    assert pairs[0] == ("#07 Kyle Larson", "driver:2")
    assert all(len(label) <= 100 for label, _ in pairs)


def test_nonsense_suggests_nothing(index: SearchIndex):
    assert rank_drivers(index, "zzzzqqq") == []
    assert rank_drivers(index, "#999") == []


@pytest.mark.parametrize("typed", ["", "latest", "baptist", "homestead", "Homestead 2025", "2025", "truck", "miami"])
def test_race_suggestions_find_homestead(index: SearchIndex, typed: str):
    assert race_suggestions(index, typed) == [("2025 Baptist Health 200 (Homestead-Miami Speedway) · truck", "race:1")]


def test_races_that_do_not_match_are_not_suggested(index: SearchIndex):
    assert rank_races(index, "daytona 500") == []
    assert rank_races(index, "2024") == []


def test_other_suggestions(index: SearchIndex):
    assert series_suggestions(index, "tru") == [("NASCAR Craftsman Truck Series (truck)", "truck")]
    assert series_suggestions(index, "cup") == []
    assert track_suggestions(index, "home") == [("Homestead-Miami Speedway", "track:1")]
    assert season_suggestions(index, "20") == [2025]
    assert season_suggestions(index, "19") == []


def test_new_series_families_are_offered_only_when_asked(index: SearchIndex):
    labels = [label for label, _ in series_suggestions(index, "", include_new=True)]
    assert labels == [
        "NASCAR Craftsman Truck Series (truck)",
        "NASCAR Xfinity Series (nxs)",
        "NASCAR Cup Series (cup)",
    ]


# --- resolution ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("larson", "Kyle Larson"),
        ("LARSON", "Kyle Larson"),
        ("kyle larson jr", "Kyle Larson"),
        ("#07", "Kyle Larson"),
        ("07", "Kyle Larson"),
        ("#7", "Corey Day"),
        ("7", "Corey Day"),
        ("heim", "Corey Heim"),
        ("ty maj", "Ty Majeski"),
        ("driver:2", "Kyle Larson"),
        ("Gio Ruggiero", "Giovanni Ruggiero"),
        ("perez", "Andres Perez de Lara"),
    ],
)
def test_typed_drivers_resolve_like_picked_ones(index: SearchIndex, typed: str, expected: str):
    assert resolve_driver(index, typed).name == expected


def test_larsen_is_not_guessed(index: SearchIndex):
    with pytest.raises(NotFoundError, match=r"^No driver 'Larsen'\. Did you mean Kyle Larson\?$"):
        resolve_driver(index, "Larsen")


def test_driver_with_no_likeness_says_so(index: SearchIndex):
    with pytest.raises(NotFoundError, match=r"^No driver 'Zanardi'\.$"):
        resolve_driver(index, "Zanardi")


def test_ambiguous_driver_names_both(index: SearchIndex):
    with pytest.raises(BadInputError, match="Corey Heim or Corey Day"):
        resolve_driver(index, "corey")


def test_missing_car_names_the_race(index: SearchIndex):
    with pytest.raises(NotFoundError, match=r"No car #8 in the 2025 Baptist Health 200"):
        resolve_driver(index, "#8")


def test_a_stale_driver_choice_is_reported(index: SearchIndex):
    with pytest.raises(NotFoundError, match="no longer stored"):
        resolve_driver(index, "driver:9999")


@pytest.mark.parametrize("typed", [None, "", "latest", "Latest", "race:1", "Homestead 2025", "baptist", "homstead"])
def test_races_resolve(index: SearchIndex, typed: str | None):
    assert resolve_race(index, typed).id == 1


def test_unknown_race_offers_the_closest(index: SearchIndex):
    with pytest.raises(NotFoundError, match=r"^No race 'Homestaed 2024'\. Did you mean 2025 Baptist Health 200"):
        resolve_race(index, "Homestaed 2024")
    with pytest.raises(NotFoundError, match="no longer stored"):
        resolve_race(index, "race:42")


def test_race_in_context_never_raises(index: SearchIndex):
    assert race_in_context(index, "baptist") == 1
    assert race_in_context(index, "race:1") == 1
    assert race_in_context(index, "race:42") is None
    assert race_in_context(index, "daytona") is None
    assert race_in_context(index, None) is None


@pytest.mark.parametrize(
    "typed", ["truck", "Truck", "trucks", "NASCAR Craftsman Truck Series", "craftsman truck series", "TRUCK SERIES"]
)
def test_series_by_short_or_full_name(index: SearchIndex, typed: str):
    assert resolve_series(index, typed).short_name == "truck"


def test_known_series_without_races_lists_what_is_stored(index: SearchIndex):
    with pytest.raises(
        NotFoundError, match=r"No races of the 'cup' series are stored\. Stored series: NASCAR Craftsman"
    ):
        resolve_series(index, "cup")
    with pytest.raises(NotFoundError, match="No series 'indycar'"):
        resolve_series(index, "indycar")


def test_series_for_a_new_race(index: SearchIndex):
    assert resolve_series(index, "truck", allow_new=True) == ("NASCAR Craftsman Truck Series", "truck")
    assert resolve_series(index, "cup", allow_new=True) == ("NASCAR Cup Series", "cup")
    assert resolve_series(index, "xfinity", allow_new=True) == ("NASCAR Xfinity Series", "nxs")
    with pytest.raises(BadInputError):
        resolve_series(index, "formula e", allow_new=True)


def test_tracks(index: SearchIndex):
    assert resolve_track(index, "homestead").name == "Homestead-Miami Speedway"
    assert resolve_track(index, "track:1").name == "Homestead-Miami Speedway"
    with pytest.raises(NotFoundError, match="No track 'daytona'"):
        resolve_track(index, "daytona")


async def test_empty_store_has_no_race(empty_store: Store):
    index = await load_index(empty_store)
    with pytest.raises(NotFoundError, match="No races are stored yet"):
        resolve_race(index, None)
    assert rank_drivers(index, "larson") == []


# --- visibility and caching ----------------------------------------------------------------------------------


def test_a_servers_own_race_is_hidden_from_others(index: SearchIndex):
    private = dataclasses.replace(index.races[0], id=77, name="Club Night 50", track="Local Oval")
    combined = dataclasses.replace(index, races=(private, *index.races), owners={77: 5})
    assert [r.id for r in combined.visible_to(5).races] == [77, 1]
    assert [r.id for r in combined.visible_to(6).races] == [1]
    assert [r.id for r in combined.visible_to(None).races] == [1]
    assert combined.visible_to(6).latest == index.races[0]


async def test_a_ranking_asked_again_is_the_same_and_cannot_be_spoiled_by_its_caller(store: Store):
    warm, fresh = await load_index(store), await load_index(store)
    typed = ["hom", "larson", "ty maj", "heim", "homestead 2025", "corey", "miami", "xyzzy"]
    for text in typed * 2:  # the second round comes from memory on `warm`
        assert rank_drivers(warm, text) == rank_drivers(fresh, text)
        assert rank_races(warm, text) == rank_races(fresh, text)
        assert rank_tracks(warm, text) == rank_tracks(fresh, text)
        fresh = await load_index(store)
    first = rank_drivers(warm, "corey")
    first.clear()  # a caller changing its list
    assert [m.driver.name for m in rank_drivers(warm, "corey")][:2] == ["Corey Heim", "Corey Day"]


def test_rankings_kept_are_bounded_by_the_items_they_hold():
    lookup = IndexMemo()
    ranked: list[int] = []

    def rank(count: int) -> list[int]:
        ranked.append(count)
        return list(range(count))

    assert lookup.remembered(("drivers", "k", None), lambda: rank(10)) == tuple(range(10))
    assert lookup.remembered(("drivers", "k", None), lambda: rank(10)) == tuple(range(10))
    assert ranked == [10]  # the second came from memory
    lookup.remembered(("drivers", "", None), lambda: rank(IndexMemo.RANKED_ITEMS_KEPT))  # "k" makes room
    lookup.remembered(("drivers", "k", None), lambda: rank(10))
    assert ranked == [10, IndexMemo.RANKED_ITEMS_KEPT, 10]
    assert lookup.ranked_items <= IndexMemo.RANKED_ITEMS_KEPT
