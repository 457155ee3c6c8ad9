"""Milestones claim a 'first' or an 'Nth' only when the store holds every round of the series up to the race."""

import csv
import dataclasses
import datetime as dt
import io

import pytest

from bot.facts.milestones import milestones
from bot.importers.nascar_data import parse_history
from bot.racefiles import parse_results
from bot.store import Store
from bot.store.career import StoredSeason, WinnerHistory, has_gap
from tests.history_data import COLUMNS

TRUCK = ("NASCAR Craftsman Truck Series", "truck")
GUILD = 111


def winner(**changes: object) -> WinnerHistory:
    history = WinnerHistory(
        race_id=1,
        driver="Corey Heim",
        car="11",
        series="NASCAR Craftsman Truck Series",
        series_short="truck",
        season=2025,
        finishes=(1,),
        car_wins_before=0,
        earlier_races=700,
        first_season_stored=1995,
        has_gap=False,
    )
    return dataclasses.replace(history, **changes)


# --- The lines, from histories built by hand ---------------------------------------------------------


def test_a_complete_history_claims_a_first_win_in_1_start():
    assert milestones(winner()) == [
        "First Craftsman Truck Series win for Corey Heim, in 1 start.",
        "The first Craftsman Truck Series win for the #11.",
    ]


def test_a_complete_history_counts_wins_and_starts():
    assert milestones(winner(finishes=(1, 4, 1, 9), car_wins_before=2)) == [
        "Corey Heim's 2nd Craftsman Truck Series win, in 4 starts."
    ]


def test_a_complete_run_of_recent_seasons_names_its_first_season():
    assert milestones(winner(first_season_stored=2023)) == [
        "First Craftsman Truck Series win for Corey Heim, in 1 start (stored races since 2023).",
        "The first Craftsman Truck Series win for the #11 (stored races since 2023).",
    ]


@pytest.mark.parametrize("first_season", [1995, 2023])
def test_a_missing_round_leaves_only_a_count_of_the_races_held(first_season: int):
    lines = milestones(winner(finishes=(1, 1, 1, 5), first_season_stored=first_season, has_gap=True), limit=4)
    assert lines == ["Corey Heim has 3 Craftsman Truck Series wins in 4 starts in the races Pit Board holds."]
    one = milestones(winner(has_gap=True))
    assert one == ["Corey Heim has 1 Craftsman Truck Series win in 1 start in the races Pit Board holds."]


# --- Whether a round is missing ----------------------------------------------------------------------


WHOLE_2023, WHOLE_2024, ROUNDS_1_TO_3_2025 = (
    StoredSeason(2023, None, 8, 1, 8),
    StoredSeason(2024, None, 6, 1, 6),
    StoredSeason(2025, 25, 3, 1, 3),
)


@pytest.mark.parametrize(
    ("seasons", "expected"),
    [
        ([], False),
        ([WHOLE_2023, WHOLE_2024, ROUNDS_1_TO_3_2025], False),
        ([WHOLE_2023, ROUNDS_1_TO_3_2025], True),  # 2024 missing
        ([StoredSeason(2023, None, 7, 1, 8), WHOLE_2024, ROUNDS_1_TO_3_2025], True),  # a round inside 2023
        ([StoredSeason(2023, None, 7, 2, 8), WHOLE_2024, ROUNDS_1_TO_3_2025], True),  # 2023's round 1
        ([StoredSeason(2023, 9, 8, 1, 8), WHOLE_2024, ROUNDS_1_TO_3_2025], True),  # 2023's last round, by its count
        ([WHOLE_2023, WHOLE_2024, StoredSeason(2025, 25, 2, 1, 2)], True),  # 2025's round 3
        ([StoredSeason(1995, None, 1, 1, 1)], True),  # a lone 1995 race: every season since is missing
    ],
)
def test_has_gap(seasons: list[StoredSeason], expected: bool):
    assert has_gap(seasons, season=2025, round_=4) is expected


def test_round_1_needs_nothing_of_its_own_season():
    assert has_gap([StoredSeason(2024, None, 6, 1, 6)], season=2025, round_=1) is False


# --- From the store: the seeded Homestead race (2025 round 4) and histories imported before it --------


def history_text(rounds: list[tuple[int, int]]) -> str:
    """Return a nascaR.data export with a two-truck race (Larson in none) for each (season, round)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for season, round_ in rounds:
        for finish, (car, driver) in enumerate((("3", "Mike Skinner"), ("98", "Butch Miller")), start=1):
            writer.writerow([
                season, round_, "Phoenix International Raceway", f"Race {round_}", "1.0", "Paved", finish, finish,
                car, driver, "Chevrolet", 40 - finish, 200, 0, "running", "Team", "NA", "NA", "NA", "NA", "88.5",
                int(finish == 1),
            ])  # fmt: skip
    return out.getvalue()


EVERY_ROUND = [(season, 1) for season in range(1995, 2025)] + [(2025, 1), (2025, 2), (2025, 3)]


async def import_rounds(store: Store, rounds: list[tuple[int, int]]) -> None:
    history = parse_history(io.StringIO(history_text(rounds)), series="truck", source="history.csv")
    report = await store.import_history(history, series=TRUCK)
    assert report.races_added == len(rounds)


async def homestead_lines(store: Store, guild_id: int | None = None) -> list[str]:
    found = await store.race_exists(TRUCK[0], 2025, 4)
    assert found is not None
    return milestones(await store.winner_history(found, guild_id=guild_id))


async def test_every_round_since_1995_stored_claims_larsons_first_win(store: Store):
    await import_rounds(store, EVERY_ROUND)
    assert await homestead_lines(store) == [
        "First Craftsman Truck Series win for Kyle Larson, in 1 start.",
        "The first Craftsman Truck Series win for the #07.",
    ]


@pytest.mark.parametrize("missing", [(2010, 1), (1996, 1), (2025, 2)])
async def test_one_missing_round_drops_the_first_win_claims(store: Store, missing: tuple[int, int]):
    await import_rounds(store, [r for r in EVERY_ROUND if r != missing])
    assert await homestead_lines(store) == [
        "Kyle Larson has 1 Craftsman Truck Series win in 1 start in the races Pit Board holds."
    ]


async def test_without_the_first_season_the_claims_name_where_the_stored_races_start(store: Store):
    await import_rounds(store, [r for r in EVERY_ROUND if r[0] != 1995])
    assert await homestead_lines(store) == [
        "First Craftsman Truck Series win for Kyle Larson, in 1 start (stored races since 1996).",
        "The first Craftsman Truck Series win for the #07 (stored races since 1996).",
    ]


async def test_a_servers_1995_upload_is_no_complete_history(store: Store):
    entries, errors = parse_results("finish,car,driver\n1,3,Mike Skinner\n2,98,Butch Miller\n")
    assert not errors
    await store.import_guild_results(
        guild_id=GUILD,
        user_id=1,
        series=TRUCK,
        season=1995,
        round_=1,
        name="Skoal Bandit Copper World Classic",
        track="Phoenix International Raceway",
        date=dt.date(1995, 2, 5),
        entries=entries,
    )
    assert await homestead_lines(store, GUILD) == [
        "Kyle Larson has 1 Craftsman Truck Series win in 1 start in the races Pit Board holds."
    ]
    assert await homestead_lines(store) == []  # elsewhere the upload is not seen: no earlier race at all


async def test_a_server_filling_the_last_gap_completes_its_own_history(store: Store):
    await import_rounds(store, [r for r in EVERY_ROUND if r != (2010, 1)])
    entries, errors = parse_results("finish,car,driver\n1,3,Mike Skinner\n")
    assert not errors
    await store.import_guild_results(
        guild_id=GUILD,
        user_id=1,
        series=TRUCK,
        season=2010,
        round_=1,
        name="Race 1",
        track="Phoenix International Raceway",
        date=dt.date(2010, 2, 12),
        entries=entries,
    )
    assert (await homestead_lines(store, GUILD))[0] == "First Craftsman Truck Series win for Kyle Larson, in 1 start."
    assert "in the races Pit Board holds" in (await homestead_lines(store))[0]
