"""Each server's uploads are its own (issue 15): slots, names, and shared results arriving for an uploaded round."""

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import maintenance
from bot.catalog import Catalog
from bot.errors import NotFoundError
from bot.racefiles import parse_results
from bot.search import SearchIndex, resolve_track
from bot.store import ResultsRefusedError, Store, open_store
from bot.store.database import MIGRATIONS_DIR, connect, migrate
from bot.store.models import RaceSummary
from bot.store.records import EntryRecord, RaceBundle

pytestmark = pytest.mark.backends("sqlite", "postgres")

UPLOADER, SECOND, BYSTANDER, MOD = 111, 112, 113, 555
TRUCK = ("NASCAR Craftsman Truck Series", "truck")
MARKDOWN_DRIVER = "**carson HOCEVAR** 🤡"

UPLOAD_CSV = f"""finish,start,car,driver,team,make,laps,status
1,2,77,{MARKDOWN_DRIVER},Spire Motorsports,Chevrolet,200,running
2,1,07,Kyle Larson,Spire Motorsports,Chevrolet,200,running
3,3,42,Zed Private,Club Team,Ford,199,running
"""
SECOND_CSV = """finish,start,car,driver,team,make,laps,status
1,1,42,zed PRIVATE,Other Team,Ford,200,running
2,2,9,Quinn Quiet,Other Team,Ford,200,running
"""
# The facts a race folder's race.json holds; a shared race made up for a test records none of them.
_FACTS = ("start_time_local", "scheduled_laps", "laps_run", "distance_miles", "margin_s", "leaders", "lead_changes",
          "cautions", "caution_laps", "average_speed_mph", "race_duration", "attendance", "purse_usd", "weather",
          "tv_network")  # fmt: skip


def _entry(finish: int, car: str, driver: str) -> EntryRecord:
    return EntryRecord(
        finish=finish,
        start=None,
        car=car,
        driver=driver,
        team=None,
        make=None,
        sponsor=None,
        laps=None,
        status="running",
        laps_led=None,
        points=None,
        points_eligible=None,
        stage_points=None,
        sources=("TEST",),
        confidence=None,
        notes=None,
    )


def shared_race(round_: int = 5, name: str = "Long John Silver's 200") -> RaceBundle:
    """Return a shared race folder's bundle of a 2025 Truck round at Martinsville, as `import race` loads one."""
    drivers = (("77", "Carson Hocevar"), ("07", "Kyle Larson"), ("19", "Sam Shared"))
    return RaceBundle(
        series=TRUCK[0],
        series_short=TRUCK[1],
        season=2025,
        round=round_,
        rounds_in_season=None,
        name=name,
        track="Martinsville Speedway",
        location=None,
        track_length_miles=None,
        surface=None,
        date=dt.date(2025, 3, 28),
        facts=dict.fromkeys(_FACTS) | {"results_status": "official"},
        stages=(),
        entries=tuple(_entry(finish, car, driver) for finish, (car, driver) in enumerate(drivers, start=1)),
        stage_results=(),
        moments=(),
        conflicts=(),
        unknown=(),
        field_sources=(),
        quotes=(),
        sources={"TEST": "shared results made up for a test"},
    )


async def upload(store: Store, guild: int, text: str = UPLOAD_CSV, *, round_: int = 5, track: str = "Nowhere") -> int:
    """Upload a 2025 Truck round as a server's moderator would; return the race id."""
    entries, errors = parse_results(text)
    assert errors == []
    outcome = await store.import_guild_results(
        guild_id=guild,
        user_id=MOD,
        series=TRUCK,
        season=2025,
        round_=round_,
        name="Club 200",
        track=track,
        date=dt.date(2025, 3, 28),
        entries=entries,
    )
    return outcome.race_id


def latest(index: SearchIndex) -> RaceSummary:
    """Return the race a bare command picks in this index."""
    assert index.latest is not None
    return index.latest


def driver_names(index: SearchIndex) -> set[str]:
    return {d.name for d in index.drivers}


def track_names(index: SearchIndex) -> set[str]:
    return {t.name for t in index.tracks}


async def notices(store: Store, guild: int) -> list[str]:
    """Return the audit details Pit Board itself wrote for a server's moderators."""
    return [e.detail for e in await store.audit_entries(guild) if e.user_id is None]


async def test_two_servers_upload_the_same_round_and_shared_results_then_arrive(store: Store):
    catalog = Catalog(store)
    mine = await upload(store, UPLOADER)
    theirs = await upload(store, SECOND, SECOND_CSV)
    assert mine != theirs  # the second server's upload is accepted, as a race of its own
    assert latest(await catalog.index(UPLOADER)).id == mine
    assert latest(await catalog.index(SECOND)).id == theirs

    shared = await store.add_race_bundle(shared_race())
    assert shared is not None  # neither upload held the shared slot

    # Every other server sees the shared race, under its own track and drivers' names.
    bystander = await catalog.index(BYSTANDER)
    assert latest(bystander).id == shared
    assert (latest(bystander).name, latest(bystander).track) == ("Long John Silver's 200", "Martinsville Speedway")
    assert latest(bystander).winner == "Carson Hocevar"
    assert resolve_track(bystander, "Martinsville").name == "Martinsville Speedway"
    assert {"Carson Hocevar", "Kyle Larson", "Sam Shared"} <= driver_names(bystander)
    assert not driver_names(bystander) & {MARKDOWN_DRIVER, "Zed Private", "zed PRIVATE", "Quinn Quiet"}

    # The uploaders' fans see the shared results too, and nothing of their own upload of that round.
    for guild, upload_id in ((UPLOADER, mine), (SECOND, theirs)):
        index = await catalog.index(guild)
        assert latest(index).id == shared
        assert index.race(upload_id) is None
        assert [r.id for r in index.races_in(TRUCK[0], 2025) if r.round == 5] == [shared]
        assert "Nowhere" not in track_names(index)
    assert not driver_names(await catalog.index(UPLOADER)) & {MARKDOWN_DRIVER, "Zed Private"}

    # The uploads stay stored as they were, in their servers' history.
    kept = await store.race(mine)
    assert kept is not None and (kept.track, kept.results_status) == ("Nowhere", "provisional")
    assert [e.driver for e in await store.entries(mine)] == [MARKDOWN_DRIVER, "Kyle Larson", "Zed Private"]
    # No shared name was respelt or given another name by an upload.
    stored = {d.name: d for d in await store.drivers()}
    assert stored["Carson Hocevar"].aliases == ("Carson Hocevar",)
    assert MARKDOWN_DRIVER in stored  # stored as given, as that server's own
    assert [e.driver for e in await store.entries(shared)] == ["Carson Hocevar", "Kyle Larson", "Sam Shared"]

    # Each uploading server's moderators are told once; nobody else is told anything.
    (mine_told,) = await notices(store, UPLOADER)
    assert "shared results of 2025 NASCAR Craftsman Truck Series round 5 (Long John Silver's 200)" in mine_told
    assert f"upload Club 200 (race {mine}), which stays stored" in mine_told
    assert len(await notices(store, SECOND)) == 1
    assert await store.audit_entries(BYSTANDER) == []
    assert (await maintenance.check(store)).ok


async def test_the_notice_is_written_once_per_upload(store: Store):
    await upload(store, UPLOADER)
    await store.add_race_bundle(shared_race())
    assert await store.add_race_bundle(shared_race()) is None  # loading the same folder again
    await upload(store, UPLOADER, round_=6)
    await store.add_race_bundle(shared_race(6, "Another 250"))
    told = await notices(store, UPLOADER)
    assert len(told) == 2
    assert ["round 6" in t for t in told] == [True, False]  # newest first: one notice per uploaded round


async def test_counts_never_hold_an_uploaded_round_twice(store: Store):
    catalog = Catalog(store)
    await upload(store, UPLOADER)
    larson = next(d for d in await store.drivers() if d.name == "Kyle Larson")
    before = await catalog.career_results(larson.id, guild_id=UPLOADER)
    assert len(before) == 2  # Homestead, and this server's upload of round 5
    await store.add_race_bundle(shared_race())
    after = await catalog.career_results(larson.id, guild_id=UPLOADER)
    assert [r.race.name for r in after] == ["Long John Silver's 200", "Baptist Health 200"]
    board = {driver.name: (wins, starts) for driver, wins, starts in await catalog.leaderboard(guild_id=UPLOADER)}
    assert board["Carson Hocevar"] == (1, 1)
    assert board["Kyle Larson"] == (1, 2)
    assert MARKDOWN_DRIVER not in board


async def test_a_round_pit_board_holds_is_not_uploaded_again(store: Store):
    await store.add_race_bundle(shared_race())
    with pytest.raises(ResultsRefusedError, match="already has the shared results of 2025 round 5"):
        await upload(store, UPLOADER)
    assert await store.audit_entries(UPLOADER) == []


async def test_other_servers_never_see_an_uploads_new_names(store: Store):
    catalog = Catalog(store)
    race_id = await upload(store, UPLOADER)
    own = await catalog.index(UPLOADER)
    assert {MARKDOWN_DRIVER, "Zed Private"} <= driver_names(own)
    assert resolve_track(own, "Nowhere").name == "Nowhere"
    for guild in (SECOND, BYSTANDER, None):
        index = await catalog.index(guild)
        assert index.race(race_id) is None
        assert not driver_names(index) & {MARKDOWN_DRIVER, "Zed Private"}
        assert "Nowhere" not in track_names(index)
        with pytest.raises(NotFoundError, match="No track"):
            resolve_track(index, "Nowhere")


async def test_an_upload_refers_to_shared_names_it_matches_and_changes_none(store: Store):
    before = {d.name: d for d in await store.drivers()}
    larson = before["Kyle Larson"]
    typed = UPLOAD_CSV.replace("Kyle Larson", "KYLE larson")
    race_id = await upload(store, UPLOADER, typed, round_=6, track="homestead-miami speedway")
    race = await store.race(race_id)
    assert race is not None and race.track == "Homestead-Miami Speedway"
    entry = (await store.entries(race_id))[1]
    assert (entry.driver_id, entry.driver) == (larson.id, "Kyle Larson")
    after = {d.name: d for d in await store.drivers()}
    assert after["Kyle Larson"] == larson  # same name, same other names
    assert "KYLE larson" not in after
    assert {name for _, name in await store.tracks()} == {"Homestead-Miami Speedway"}


async def test_each_server_keeps_its_own_spelling_of_a_new_name(store: Store):
    catalog = Catalog(store)
    mine = await upload(store, UPLOADER)
    theirs = await upload(store, SECOND, SECOND_CSV, track="NOWHERE")
    assert (await store.entries(mine))[2].driver == "Zed Private"
    assert (await store.entries(theirs))[0].driver == "zed PRIVATE"
    race = await store.race(theirs)
    assert race is not None and race.track == "NOWHERE"
    assert "Zed Private" not in driver_names(await catalog.index(SECOND))
    assert "zed PRIVATE" not in driver_names(await catalog.index(UPLOADER))


async def test_a_servers_quote_on_a_replaced_upload_is_no_longer_offered(store: Store):
    race_id = await upload(store, UPLOADER)
    quote_id = await store.add_guild_quote(
        guild_id=UPLOADER,
        race_id=race_id,
        driver_id=None,
        speaker="Crew chief",
        text="Club racing at its best.",
        context=None,
        source_url="https://example.org/club",
        author_id=MOD,
    )
    assert quote_id in {q.id for q in await store.quotes(guild_id=UPLOADER)}
    await store.add_race_bundle(shared_race())
    assert quote_id not in {q.id for q in await store.quotes(guild_id=UPLOADER)}


# --- the migration ---------------------------------------------------------------------------------------------


async def test_migration_frees_the_shared_slot_and_makes_earlier_uploads_names_their_own(tmp_path: Path):
    folder = tmp_path / "through-0007"
    folder.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-7]_*.sql")):
        shutil.copy(path, folder / path.name)
    (folder / "0007_server_uploads.sql").rename(tmp_path / "0007_server_uploads.sql")
    path = tmp_path / "old.db"
    conn = await connect(path)
    try:
        await migrate(conn, folder)  # version 6, with a server's upload holding round 5 as it could then
        await conn.executescript(
            """
            INSERT INTO series (id, name, short_name) VALUES (1, 'NASCAR Craftsman Truck Series', 'truck');
            INSERT INTO seasons (id, series_id, year) VALUES (1, 1, 2025);
            INSERT INTO tracks (id, name) VALUES (1, 'Homestead-Miami Speedway'), (2, 'Nowhere');
            INSERT INTO races (id, season_id, round, name, track_id, race_date, owner_guild_id)
            VALUES (1, 1, 4, 'Baptist Health 200', 1, '2025-03-21', NULL),
                   (2, 1, 5, 'Club 200', 2, '2025-03-28', 111);
            INSERT INTO drivers (id, name, name_key) VALUES (1, 'Kyle Larson', 'kyle larson'),
                                                        (2, 'Zed Private', 'zed private');
            INSERT INTO driver_aliases (alias_key, alias, driver_id) VALUES ('kyle larson', 'Kyle Larson', 1),
                                                                            ('zed private', 'Zed Private', 2);
            INSERT INTO entries (race_id, driver_id, car_number, finish_pos)
            VALUES (1, 1, '07', 1), (2, 1, '07', 1), (2, 2, '42', 2);
            INSERT INTO recap_versions (guild_id, race_id, version, headline, body, author_id, created_at)
            VALUES (111, 2, 1, 'Club night', 'Body', 555, '2025-03-29T00:00:00+00:00');
            INSERT INTO audit_log (guild_id, user_id, action, detail, created_at)
            VALUES (111, 555, 'results', 'imported 2025 Club 200', '2025-03-28T00:00:00+00:00');
            """
        )
        (tmp_path / "0007_server_uploads.sql").rename(folder / "0007_server_uploads.sql")
        assert await migrate(conn, folder) == [7]
        async with conn.execute("PRAGMA foreign_keys") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(1,)]  # switched back on for everything after
        async with conn.execute("SELECT id, name_key FROM drivers ORDER BY id") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(1, "kyle larson"), (2, "111:zed private")]
        async with conn.execute("SELECT alias_key FROM driver_aliases ORDER BY driver_id") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == ["kyle larson", "111:zed private"]
        async with conn.execute("SELECT track_id FROM upload_tracks") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == [2]
        async with conn.execute("SELECT count(*) FROM entries JOIN races ON races.id = entries.race_id") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(3,)]  # every entry still finds its race
        async with conn.execute("SELECT race_id FROM recap_versions") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == [2]
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # still one upload per round and server
            await conn.execute(
                "INSERT INTO races (season_id, round, name, track_id, race_date, owner_guild_id) "
                "VALUES (1, 5, 'Again', 2, '2025-03-28', 111)"
            )
    finally:
        await conn.close()

    store = await open_store(path)
    try:
        shared = await store.add_race_bundle(shared_race())
        assert shared is not None  # round 5's shared slot was never the upload's
        assert len(await notices(store, 111)) == 1
        assert (await maintenance.check(store)).ok
    finally:
        await store.close()
