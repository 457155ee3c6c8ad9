"""What servers write, on both backends: the same test bodies run against the SQLite store and PgServerData.

The `data` fixture is the SQLite Store itself, or PgServerData on a fresh PostgreSQL database naming races through
SqliteRaceKeys over the same seeded SQLite race store (`node`). Each test reads back the same dataclass values from
either; where the two differ on purpose (audit lines name a race by its natural key in PostgreSQL, never by a node's
row id) the test says so.
"""

import asyncio
import dataclasses
import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.racefiles import parse_results
from bot.store import ResultsRefusedError, Store, StoreBusyError, StoreError
from bot.store.announcements import MOD_NOTICE, RESULTS
from bot.store.database import StoreChange, connect, migrate
from bot.store.models import GuildSettings, ImportOutcome
from bot.store.postgres import migrate as postgres_migrate
from bot.store.postgres.race_keys import SqliteRaceKeys
from bot.store.postgres.server_data import PgServerData, open_server_data
from bot.store.race_keys import RaceKey, RaceKeyReads
from bot.store.raceday import OFFICIAL_DRAFT, PRE_RACE, RaceDaySettings
from bot.store.upload_copies import UploadCopies
from tests.postgres.server import PostgresServer

GUILD, OTHER_GUILD, MOD = 111_222_333_444_555_666, 999, 555
START = dt.datetime(2025, 11, 14, 20, 30, 15, 123456, tzinfo=dt.UTC)
WAIT = 30  # seconds: only a guard against hanging; nothing here measures how fast a notice arrives


class NodeStore(Store, RaceKeyReads, UploadCopies):
    """The node's SQLite store, named with the parts PgServerData needs of it: natural-key reads, upload copies."""


async def open_node(seeded_file: Path, folder: Path, name: str = "pitboard.db") -> NodeStore:
    """Open a copy of the seeded race store as a node's own file; two nodes in one folder take two names."""
    path = folder / name
    shutil.copyfile(seeded_file, path)
    conn = await connect(path)
    await migrate(conn)
    return NodeStore(conn)


async def new_database(server: PostgresServer) -> str:
    """Make an empty database on the run's server and return its URL (the run's server is deleted at its end)."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return server.url(name)


async def open_pg(url: str, node: NodeStore, *, max_size: int) -> PgServerData:
    """Open PgServerData as a process over node would: races named by node, uploads copied into it."""
    return await open_server_data(url, SqliteRaceKeys(node), node=node, max_size=max_size)


@pytest.fixture
async def node(seeded_file: Path, tmp_path: Path) -> AsyncIterator[NodeStore]:
    store = await open_node(seeded_file, tmp_path)
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def data(request: pytest.FixtureRequest, node: NodeStore) -> AsyncIterator[Any]:
    """Yield what servers write through: the SQLite store, or PgServerData over the same node's races."""
    if request.param == "sqlite":
        yield node
        return
    url = await new_database(request.getfixturevalue("postgres_server"))
    pg = await open_pg(url, node, max_size=3)
    yield pg
    await pg.close()


def is_pg(data: Any) -> bool:
    return isinstance(data, PgServerData)


async def homestead(node: NodeStore) -> int:
    (race,) = await node.race_summaries()
    return race.id


async def race_name(data: Any, node: NodeStore, race_id: int) -> str:
    """Return how an audit line names the race: SQLite by the node's row id, PostgreSQL by its natural key."""
    if not is_pg(data):
        return f"race {race_id}"
    key = await node.race_key(race_id)
    assert key is not None
    return key.label


UPLOAD_CSV = "finish,car,driver\n1,07,Alex Able\n2,7,Bea Bright\n"
FIELD_CSV = """finish,car,driver,status,points,sources
1,07,Alex Able,running,40,CLUB|TIMING
2,7,Bea Bright,running,35,
3,19,Cy Clutch,accident,30,
"""
ARCA = ("ARCA Menards Series", "arca")


async def upload(store: Any, guild: int = GUILD, text: str = UPLOAD_CSV, *, round_: int = 3) -> ImportOutcome:
    """Upload ARCA 2025 round 3 through store (the SQLite store or PgServerData) as a server's moderator would."""
    entries, errors = parse_results(text)
    assert errors == []
    return await store.import_guild_results(
        guild_id=guild,
        user_id=MOD,
        series=ARCA,
        season=2025,
        round_=round_,
        name="Test 150",
        track="Test Oval",
        date=dt.date(2025, 4, 5),
        entries=entries,
    )


async def import_upload(node: NodeStore, guild: int = GUILD) -> int:
    """Upload into the node's SQLite alone, as a server did before its data moved to PostgreSQL."""
    return (await upload(node, guild)).race_id


async def finishes(node: NodeStore, race_id: int) -> list[tuple[str, str, int | None, str | None, int | None]]:
    """Return a race's (car, driver, finish, status, points) as the node's fans see them, in finishing order."""
    return [(e.car_number, e.driver, e.finish, e.status, e.points) for e in await node.entries(race_id)]


def timeless(value: Any) -> Any:
    """Return value with its ids and times blanked, for comparing what two backends gave."""
    if isinstance(value, list | tuple):
        return type(value)(timeless(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        blank = {
            f.name: None
            for f in dataclasses.fields(value)
            if f.name == "id" or f.name.endswith(("_at", "_since")) or f.name in ("since", "shown_start")
        }
        changed = {
            k: timeless(getattr(value, k)) for k in (f.name for f in dataclasses.fields(value)) if k not in blank
        }
        return dataclasses.replace(value, **blank, **changed)
    return value


# --- the resolver -----------------------------------------------------------------------------------------------


async def test_race_keys_name_races_by_their_natural_key_and_back(node: NodeStore):
    keys = SqliteRaceKeys(node)
    race = await homestead(node)
    key = await keys.key_of(race)
    assert key is not None and not key.upload
    assert (key.series, key.season) == ("truck", 2025)
    assert await keys.id_of(key) == race
    assert await keys.key_of(race + 10_000) is None
    upload = await import_upload(node)
    assert await keys.key_of(upload) == RaceKey("arca", 2025, 3, GUILD)
    assert await keys.id_of(RaceKey("arca", 2025, 3, GUILD)) == upload
    assert await keys.id_of(RaceKey("arca", 2025, 3, OTHER_GUILD)) is None
    assert await keys.id_of(RaceKey("arca", 2025, 3)) is None  # no shared race of that round
    assert await keys.newest_shared() == {"truck": (key.season, key.round)}
    assert await keys.shared_races(["truck", "cup"]) == [(race, key)]


# --- settings ---------------------------------------------------------------------------------------------------


async def test_settings_are_per_server_and_audited(data: Any):
    assert await data.guild_settings(GUILD) == GuildSettings(GUILD, None, None, None, 0)
    settings = await data.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=12, detail="spoiler 12")
    assert settings.spoiler_hours == 12
    assert (await data.guild_settings(GUILD)).spoiler_hours == 12
    assert (await data.guild_settings(OTHER_GUILD)).spoiler_hours == 0
    (entry,) = await data.audit_entries(GUILD)
    assert (entry.user_id, entry.action, entry.detail) == (MOD, "settings", "spoiler 12")
    assert entry.created_at.tzinfo is not None
    assert await data.audit_entries(OTHER_GUILD) == []
    with pytest.raises(ValueError, match="unknown setting"):
        await data.update_guild_settings(GUILD, MOD, setting="guild_id; DROP TABLE races", value=1, detail="x")


async def test_every_setting_reads_back_as_written(data: Any):
    for setting, value in (("recap_channel_id", 10), ("mod_role_id", 20), ("ping_role_id", 30), ("notify", 1)):
        await data.update_guild_settings(GUILD, MOD, setting=setting, value=value, detail=setting)
    await data.set_mod_channel(GUILD, MOD, 40, detail="mods here")
    settings = await data.guild_settings(GUILD)
    assert (settings.recap_channel_id, settings.mod_role_id, settings.ping_role_id) == (10, 20, 30)
    assert (settings.notify, settings.mod_channel_id, settings.announce) == (True, 40, False)
    await data.update_guild_settings(GUILD, MOD, setting="notify", value=0, detail="notify off")
    await data.update_guild_settings(GUILD, MOD, setting="ping_role_id", value=None, detail="no ping role")
    settings = await data.guild_settings(GUILD)
    assert (settings.notify, settings.ping_role_id) == (False, None)
    assert [e.detail for e in await data.audit_entries(GUILD, limit=3)] == ["no ping role", "notify off", "mods here"]


async def test_followed_series_replace_and_reset(data: Any):
    assert await data.followed_series(GUILD) == ()
    await data.set_followed_series(GUILD, MOD, ["truck", "cup"], detail="follows cup, truck")
    assert await data.followed_series(GUILD) == ("cup", "truck")
    assert await data.followed_series(OTHER_GUILD) == ()
    await data.set_followed_series(GUILD, MOD, [], detail="follows all")
    assert await data.followed_series(GUILD) == ()


async def test_writes_tell_this_processs_listeners_as_the_sqlite_store_does(data: Any, node: NodeStore):
    heard: list[StoreChange] = []
    data.subscribe(heard.append)
    race = await homestead(node)
    await data.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=1, detail="x")
    await data.add_recap_version(GUILD, race, headline="H", body="B", author_id=MOD)
    quote = await data.add_guild_quote(
        guild_id=GUILD,
        race_id=race,
        driver_id=None,
        speaker="Crew chief",
        text="We had a rocket.",
        context=None,
        source_url="https://example.org/x",
        author_id=MOD,
    )
    await data.remove_guild_quote(GUILD, quote, MOD)
    assert heard == [StoreChange("guild", GUILD), StoreChange("quotes", GUILD), StoreChange("quotes", GUILD)]


# --- recap versions and posts -----------------------------------------------------------------------------------


async def test_versions_are_never_overwritten(data: Any, node: NodeStore):
    race = await homestead(node)
    first = await data.add_recap_version(GUILD, race, headline="Spin and win", body="v1", author_id=MOD)
    second = await data.add_recap_version(GUILD, race, headline="Spin and win!", body="v2", author_id=MOD + 1)
    assert (first.version, second.version, first.race_id, first.guild_id) == (1, 2, race, GUILD)
    versions = await data.recap_versions(GUILD, race)
    assert [(v.version, v.body, v.author_id) for v in versions] == [(2, "v2", MOD + 1), (1, "v1", MOD)]
    assert versions[1] == first
    reverted = await data.add_recap_version(
        GUILD, race, headline=first.headline, body=first.body, author_id=MOD, reverted_from=1
    )
    assert (reverted.version, reverted.body, reverted.reverted_from) == (3, "v1", 1)
    assert await data.recap_version(GUILD, race) == reverted
    assert await data.recap_version(GUILD, race, 2) == second
    assert await data.recap_version(GUILD, race, 9) is None
    assert await data.recap_versions(OTHER_GUILD, race) == []
    name = await race_name(data, node, race)
    details = [e.detail for e in await data.audit_entries(GUILD)]
    assert details == [
        f"reverted to version 1 as version 3 of {name}",
        f"saved version 2 of {name}",
        f"saved version 1 of {name}",
    ]


async def test_discarded_draft_stays_in_history_but_is_not_latest(data: Any, node: NodeStore):
    race = await homestead(node)
    await data.add_recap_version(GUILD, race, headline="Good", body="v1", author_id=MOD)
    draft = await data.add_recap_version(GUILD, race, headline="Oops", body="v2", author_id=MOD)
    assert await data.discard_recap_version(GUILD, race, draft.version, MOD) is True
    assert await data.discard_recap_version(GUILD, race, draft.version, MOD) is False
    assert await data.discard_recap_version(GUILD, race, 7, MOD) is False
    assert (await data.recap_version(GUILD, race)).headline == "Good"
    assert [v.discarded for v in await data.recap_versions(GUILD, race)] == [True, False]
    await publish(data, race, 1)
    assert await data.discard_recap_version(GUILD, race, 1, MOD) is False  # a published version stays
    name = await race_name(data, node, race)
    assert (await data.audit_entries(GUILD))[1].detail == f"discarded version 2 of {name}"


async def publish(data: Any, race: int, version: int, *, edited: bool = False, thread: int | None = None) -> Any:
    return await data.record_recap_post(
        guild_id=GUILD,
        race_id=race,
        channel_id=1,
        message_id=2 + version,
        thread_id=thread,
        version=version,
        user_id=MOD,
        edited=edited,
    )


async def test_published_recap_is_the_posted_version_and_stays_per_server(data: Any, node: NodeStore):
    race = await homestead(node)
    assert await data.published_recap(race, GUILD) is None
    assert await data.recap_post(GUILD, race) is None
    saved = await data.add_recap_version(GUILD, race, headline="Larson steals it", body="Body", author_id=MOD)
    post = await publish(data, race, saved.version, thread=77)
    assert (post.guild_id, post.race_id, post.channel_id, post.message_id, post.thread_id) == (GUILD, race, 1, 3, 77)
    assert await data.recap_post(GUILD, race) == post
    await data.add_recap_version(GUILD, race, headline="Draft not yet posted", body="Draft", author_id=MOD)
    published = await data.published_recap(race, GUILD)
    assert (published.headline, published.body, published.author_id, published.version) == (
        "Larson steals it",
        "Body",
        MOD,
        1,
    )
    assert published.published_at == post.published_at
    assert await data.published_recap(race, OTHER_GUILD) is None
    edited = await publish(data, race, 2, edited=True)
    assert (edited.version, edited.message_id, edited.thread_id) == (2, 4, 77)  # the thread is kept
    assert (await data.published_recap(race, GUILD)).headline == "Draft not yet posted"
    name = await race_name(data, node, race)
    assert (await data.audit_entries(GUILD))[0].detail == f"edited the post of version 2 of {name}"


# --- quotes, corrections, audit ---------------------------------------------------------------------------------


async def test_guild_quotes_only_removable_by_their_server(data: Any, node: NodeStore):
    race = await homestead(node)
    driver = (await node.entries(race))[0].driver_id
    quote_id = await data.add_guild_quote(
        guild_id=GUILD,
        race_id=race,
        driver_id=driver,
        speaker="Crew chief",
        text="We had a rocket.",
        context="after the race",
        source_url="https://example.org/x",
        author_id=MOD,
    )
    assert await data.remove_guild_quote(OTHER_GUILD, quote_id, MOD) is None
    assert await data.remove_guild_quote(GUILD, quote_id, MOD) == "Crew chief"
    assert await data.remove_guild_quote(GUILD, quote_id, MOD) is None
    details = [e.detail for e in await data.audit_entries(GUILD)]
    assert details == [f"removed quote #{quote_id} by Crew chief", f"added quote #{quote_id} by Crew chief"]


async def test_corrections_of_a_shared_race_are_none(data: Any, node: NodeStore):
    assert await data.corrections(await homestead(node)) == []
    assert await data.corrections(10_000) == []


async def test_audit_entries_are_newest_first_and_limited(data: Any):
    for hours in range(5):
        await data.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=hours, detail=f"spoiler {hours}")
    entries = await data.audit_entries(GUILD, limit=3)
    assert [e.detail for e in entries] == ["spoiler 4", "spoiler 3", "spoiler 2"]
    assert entries[0].id > entries[1].id > entries[2].id


# --- announcements ----------------------------------------------------------------------------------------------


async def test_announcements_on_record_the_newest_race_and_off_keeps_settings(data: Any, node: NodeStore):
    race = await homestead(node)
    summary = (await node.race_summaries())[0]
    await data.update_guild_settings(GUILD, MOD, setting="recap_channel_id", value=10, detail="recaps here")
    await data.set_announce(GUILD, MOD, on=True)
    settings = await data.guild_settings(GUILD)
    assert settings.announce and settings.announce_since is not None
    follow = {"truck": None}
    assert await data.due_announcements(follow) == []  # the newest race stored then is the watermark
    await data.set_announce(GUILD, MOD, on=True)
    assert (await data.guild_settings(GUILD)).announce_since == settings.announce_since  # on again keeps it
    # A watermark moved back (as a pass over history would) makes the race due.
    await data.pass_over_history(GUILD, "truck", (summary.season - 1, 1), 12)
    (due,) = await data.due_announcements(follow)
    assert (due.guild_id, due.race_id, due.series, due.season, due.round) == (
        GUILD,
        race,
        "truck",
        summary.season,
        summary.round,
    )
    assert (due.recap_channel_id, due.mod_channel_id) == (10, None)
    assert await data.due_announcements({"truck": (summary.season, summary.round)}) == []  # first import's mark
    assert await data.due_announcements({"cup": None}) == []
    await data.set_followed_series(GUILD, MOD, ["cup"], detail="cup only")
    assert await data.due_announcements(follow) == []
    await data.set_followed_series(GUILD, MOD, ["truck"], detail="truck only")
    assert len(await data.due_announcements(follow)) == 1
    await data.set_announce(GUILD, MOD, on=False)
    settings = await data.guild_settings(GUILD)
    assert (settings.announce, settings.announce_since, settings.recap_channel_id) == (False, None, 10)
    assert await data.due_announcements(follow) == []
    details = [e.detail for e in await data.audit_entries(GUILD, limit=5)]
    assert details[:3] == ["announcements turned off", "truck only", "cup only"]
    assert details[4] == "announcements turned on again (they were on; stopped posts resume)"


async def test_a_race_is_claimed_once_then_sent_with_its_draft(data: Any, node: NodeStore):
    race = await homestead(node)
    assert await data.announcement(GUILD, race) is None
    assert await data.claim_announcement(GUILD, race, RESULTS, 10) is True
    assert await data.claim_announcement(GUILD, race, RESULTS, 10) is False
    claimed = await data.announcement(GUILD, race)
    assert (claimed.status, claimed.channel_id, claimed.message_id, claimed.race_id) == ("pending", 10, None, race)
    draft = await data.announcement_sent(
        GUILD, race, RESULTS, 99, headline="H", body="B", author_id=1, shown="v1 provisional", official=True
    )
    assert (draft.version, draft.race_id, draft.author_id, draft.discarded) == (1, race, 1, False)
    assert await data.recap_version(GUILD, race) == draft
    sent = await data.announcement(GUILD, race)
    assert (sent.status, sent.message_id, sent.recap_version, sent.shown) == ("sent", 99, 1, "v1 provisional")
    await data.set_announcement_shown(GUILD, race, RESULTS, "v2 official")
    assert (await data.announcement(GUILD, race)).shown == "v2 official"
    assert [(a.kind, a.status, a.recap_version) for a in await data.announcements(GUILD)] == [
        (RESULTS, "sent", 1),
        (OFFICIAL_DRAFT, "sent", 1),
    ]
    # The official draft was the card's draft, so none is saved again.
    assert await data.save_official_draft(GUILD, race, headline="O", body="B", author_id=1) is None
    (entry,) = [e for e in await data.audit_entries(GUILD) if e.action == "announcement"]
    assert entry.user_id is None
    name = await race_name(data, node, race)
    assert entry.detail == f"announced {name} and saved a draft recap as version 1"


async def test_the_official_draft_is_saved_once(data: Any, node: NodeStore):
    race = await homestead(node)
    await data.add_recap_version(GUILD, race, headline="Mod's", body="B", author_id=MOD)
    saved = await data.save_official_draft(GUILD, race, headline="Official", body="B", author_id=1)
    assert (saved.version, saved.headline, saved.race_id) == (2, "Official", race)
    assert await data.save_official_draft(GUILD, race, headline="Again", body="B", author_id=1) is None
    official = await data.announcement(GUILD, race, OFFICIAL_DRAFT)
    assert (official.status, official.recap_version) == ("sent", 2)
    name = await race_name(data, node, race)
    assert (await data.audit_entries(GUILD))[0].detail == (
        f"{name} is official: saved a draft recap from the official results as version 2"
    )


async def test_a_failed_claim_is_forgotten_on_retry_or_kept_as_failed(data: Any, node: NodeStore):
    race = await homestead(node)
    await data.claim_announcement(GUILD, race, RESULTS, 10)
    await data.announcement_failed(GUILD, race, RESULTS, retry=True)
    assert await data.announcement(GUILD, race) is None
    await data.claim_announcement(GUILD, race, RESULTS, 10)
    await data.announcement_failed(GUILD, race, RESULTS, retry=False)
    assert (await data.announcement(GUILD, race)).status == "failed"
    assert await data.claim_announcement(GUILD, race, RESULTS, 10) is False


async def test_stops_are_reported_once_and_lifted_by_setting_the_channel_again(data: Any, node: NodeStore):
    race = await homestead(node)
    summary = (await node.race_summaries())[0]
    await data.update_guild_settings(GUILD, MOD, setting="recap_channel_id", value=10, detail="recaps here")
    await data.set_announce(GUILD, MOD, on=True)
    await data.pass_over_history(GUILD, "truck", (summary.season - 1, 1), 12)
    assert await data.stop_posts(GUILD, RESULTS, 10, "the recap channel is gone") is True
    assert await data.stop_posts(GUILD, RESULTS, 10, "again") is False
    assert await data.stop_posts(GUILD, MOD_NOTICE, 40, "no access to the mods' channel") is True
    stops = await data.post_stops(GUILD)
    assert [(s.kind, s.channel_id, s.reason) for s in stops] == [
        (MOD_NOTICE, 40, "no access to the mods' channel"),
        (RESULTS, 10, "the recap channel is gone"),
    ]
    assert await data.due_announcements({"truck": None}) == []
    await data.set_mod_channel(GUILD, MOD, 41, detail="mods moved")
    assert [s.kind for s in await data.post_stops(GUILD)] == [RESULTS]
    await data.update_guild_settings(GUILD, MOD, setting="recap_channel_id", value=11, detail="recaps moved")
    assert await data.post_stops(GUILD) == []
    (due,) = await data.due_announcements({"truck": None})
    assert (due.race_id, due.recap_channel_id, due.mod_channel_id) == (race, 11, 41)
    actions = [(e.user_id, e.action) for e in await data.audit_entries(GUILD, limit=4)]
    assert actions[2:] == [(None, "automated post stopped"), (None, "automated post stopped")]


# --- race-day posts ---------------------------------------------------------------------------------------------


async def test_race_day_settings_and_servers(data: Any):
    assert await data.race_day_settings(GUILD) == RaceDaySettings(GUILD)
    assert await data.race_day_servers() == []
    wanted = RaceDaySettings(GUILD, enabled=True, channel_id=None, hours_before=3, ping=True, thread=True)
    stored = await data.set_race_day(wanted, MOD, detail="race day on")
    assert dataclasses.replace(stored, since=None) == wanted and stored.since is not None
    assert await data.race_day_settings(GUILD) == stored
    again = await data.set_race_day(dataclasses.replace(wanted, hours_before=5), MOD, detail="5 hours")
    assert (again.hours_before, again.since) == (5, stored.since)  # on while on keeps since
    await data.update_guild_settings(GUILD, MOD, setting="recap_channel_id", value=10, detail="recaps here")
    await data.update_guild_settings(GUILD, MOD, setting="ping_role_id", value=20, detail="ping role")
    await data.set_race_day(RaceDaySettings(OTHER_GUILD, enabled=True), MOD, detail="race day on")
    _, server = await data.race_day_servers()  # in guild order: OTHER_GUILD (999) first
    assert (server.guild_id, server.channel_id, server.ping_role_id, server.mod_channel_id) == (GUILD, 10, 20, None)
    assert await data.race_day_servers(GUILD) == [server]  # one server's alone, as the process sending its card asks
    await data.set_race_day(RaceDaySettings(OTHER_GUILD), MOD, detail="race day off")
    await data.set_race_day(dataclasses.replace(wanted, enabled=False), MOD, detail="race day off")
    assert await data.race_day_servers() == []
    assert (await data.race_day_settings(GUILD)).since == stored.since  # off keeps when it was last on


async def test_race_day_posts_are_claimed_once_sent_moved_and_failed(data: Any):
    assert await data.race_day_post(GUILD, 5001) is None
    assert await data.claim_race_day_post(GUILD, 5001, PRE_RACE, 10) is True
    assert await data.claim_race_day_post(GUILD, 5001, PRE_RACE, 10) is False
    claimed = await data.race_day_post(GUILD, 5001)
    assert (claimed.status, claimed.channel_id, claimed.message_id) == ("pending", 10, None)
    await data.race_day_post_sent(
        GUILD, 5001, PRE_RACE, message_id=88, thread_id=89, shown_start=START, detail="pre-race card posted"
    )
    sent = await data.race_day_post(GUILD, 5001)
    assert (sent.status, sent.message_id, sent.thread_id) == ("sent", 88, 89)
    assert sent.shown_start == START.replace(microsecond=0)
    moved = START + dt.timedelta(hours=2)
    await data.race_day_post_moved(GUILD, 5001, PRE_RACE, moved)
    assert (await data.race_day_post(GUILD, 5001)).shown_start == moved.replace(microsecond=0)
    await data.claim_race_day_post(GUILD, 5002, PRE_RACE, 10)
    await data.race_day_post_failed(GUILD, 5002, PRE_RACE, retry=True)
    assert await data.race_day_post(GUILD, 5002) is None
    await data.claim_race_day_post(GUILD, 5002, PRE_RACE, 10)
    await data.race_day_post_failed(GUILD, 5002, PRE_RACE, retry=False)
    assert (await data.race_day_post(GUILD, 5002)).status == "failed"
    (entry,) = await data.audit_entries(GUILD)
    assert (entry.user_id, entry.action, entry.detail) == (None, "race day", "pre-race card posted")


# --- a server's uploads -----------------------------------------------------------------------------------------


async def test_an_upload_is_this_servers_race_and_no_other_servers(data: Any, node: NodeStore):
    heard: list[StoreChange] = []
    data.subscribe(heard.append)
    outcome = await upload(data)
    assert (outcome.replaced, outcome.entries) == (False, 2)
    race = outcome.race_id
    assert heard == [StoreChange("races", GUILD)]
    # Fans read the node's SQLite: the upload is there, as this server's race only.
    assert await node.race_key(race) == RaceKey("arca", 2025, 3, GUILD)
    assert await node.race_owners() == {race: GUILD}
    assert await node.race_id_by_key(RaceKey("arca", 2025, 3, OTHER_GUILD)) is None
    assert await finishes(node, race) == [("07", "Alex Able", 1, None, None), ("7", "Bea Bright", 2, None, None)]
    assert (await node.race(race)).results_status == "provisional"
    (entry,) = await data.audit_entries(GUILD)
    name = await race_name(data, node, race)
    assert (entry.user_id, entry.action, entry.detail) == (
        MOD,
        "results",
        f"imported 2025 Test 150 ({name}, 2 entries)",
    )
    assert await data.audit_entries(OTHER_GUILD) == []
    assert await data.corrections(race) == []
    with pytest.raises(ResultsRefusedError, match="No such race"):
        await data.mark_official(OTHER_GUILD, race, MOD)
    with pytest.raises(ResultsRefusedError, match="No such race"):
        await data.correct_result(guild_id=OTHER_GUILD, race_id=race, user_id=MOD, car="07", reason="x", finish=2)


async def test_an_upload_is_replaced_until_it_is_marked_official(data: Any, node: NodeStore):
    race = (await upload(data)).race_id
    again = await upload(data, text=FIELD_CSV)
    assert (again.race_id, again.replaced, again.entries) == (race, True, 3)
    assert [(car, finish) for car, _, finish, *_ in await finishes(node, race)] == [("07", 1), ("7", 2), ("19", 3)]
    assert await data.mark_official(GUILD, race, MOD) is True
    assert await data.mark_official(GUILD, race, MOD) is False
    assert (await node.race(race)).results_status == "official"
    with pytest.raises(ResultsRefusedError, match="official already"):
        await upload(data)
    assert len(await node.entries(race)) == 3
    name = await race_name(data, node, race)
    details = [e.detail for e in await data.audit_entries(GUILD)]
    assert details == [
        f"marked Test 150 ({name}) official",
        f"replaced the results of 2025 Test 150 ({name}, 3 entries)",
        f"imported 2025 Test 150 ({name}, 2 entries)",
    ]


async def test_an_upload_of_a_round_pit_board_holds_or_a_shared_race_is_refused(data: Any, node: NodeStore):
    shared = await homestead(node)
    key = await node.race_key(shared)
    (series,) = [s for s in await node.all_series() if s.short_name == key.series]
    entries, _ = parse_results(UPLOAD_CSV)
    with pytest.raises(ResultsRefusedError, match="already has the shared results"):
        await data.import_guild_results(
            guild_id=GUILD,
            user_id=MOD,
            series=(series.name, series.short_name),
            season=key.season,
            round_=key.round,
            name="Club race",
            track="Test Oval",
            date=dt.date(2025, 4, 5),
            entries=entries,
        )
    with pytest.raises(ResultsRefusedError, match="shared, source-checked"):
        await data.mark_official(GUILD, shared, MOD)
    with pytest.raises(ResultsRefusedError, match="shared, source-checked"):
        await data.correct_result(guild_id=GUILD, race_id=shared, user_id=MOD, car="07", reason="x", points=1)
    assert await node.race_owners() == {}
    assert await data.audit_entries(GUILD) == []


async def test_a_correction_moves_the_others_and_is_listed(data: Any, node: NodeStore):
    heard: list[StoreChange] = []
    race = (await upload(data, text=FIELD_CSV)).race_id
    data.subscribe(heard.append)
    moved = await data.correct_result(
        guild_id=GUILD, race_id=race, user_id=MOD, car="#07", reason="jumped the restart", finish=3
    )
    assert (moved.race_id, moved.author_id, moved.reason) == (race, MOD, "jumped the restart")
    assert moved.summary == "#07 Alex Able: finish 1 → 3"
    assert moved.created_at.tzinfo is not None
    assert heard == [StoreChange("races", GUILD)]
    assert await finishes(node, race) == [
        ("7", "Bea Bright", 1, "running", 35),
        ("19", "Cy Clutch", 2, "accident", 30),
        ("07", "Alex Able", 3, "running", 40),
    ]
    back = await data.correct_result(
        guild_id=GUILD, race_id=race, user_id=MOD, car="07", reason="appeal won", finish=1, status="appealed", points=45
    )
    assert back.summary == "#07 Alex Able: finish 3 → 1; status running → appealed; points 40 → 45"
    assert [(car, finish) for car, _, finish, *_ in await finishes(node, race)] == [("07", 1), ("7", 2), ("19", 3)]
    assert (await node.entries(race))[0].status == "appealed"
    assert await data.corrections(race) == [moved, back]
    with pytest.raises(ResultsRefusedError, match="No car #99"):
        await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="99", reason="x", finish=1)
    with pytest.raises(ResultsRefusedError, match="between 1 and 3"):
        await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="07", reason="x", finish=4)
    with pytest.raises(ResultsRefusedError, match="changes nothing"):
        await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="07", reason="x", finish=1)
    assert await data.corrections(race) == [moved, back]
    (entry, *_) = await data.audit_entries(GUILD)
    assert (entry.action, entry.detail) == ("correction", f"{back.summary} (appeal won)")
    # Correcting official results is what corrections are for.
    await data.mark_official(GUILD, race, MOD)
    await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="19", reason="x", points=1)
    assert (await node.entries(race))[2].points == 1


async def test_recaps_quotes_and_posts_about_an_upload_are_kept(data: Any, node: NodeStore):
    race = (await upload(data)).race_id
    saved = await data.add_recap_version(GUILD, race, headline="Club night", body="B", author_id=MOD)
    assert (saved.version, saved.race_id) == (1, race)
    assert await data.recap_versions(GUILD, race) == [saved]
    post = await publish(data, race, saved.version)
    assert await data.recap_post(GUILD, race) == post
    assert (await data.published_recap(race, GUILD)).headline == "Club night"
    driver = (await node.entries(race))[0].driver_id
    quote_id = await data.add_guild_quote(
        guild_id=GUILD,
        race_id=race,
        driver_id=driver,
        speaker="Alex Able",
        text="First win!",
        context=None,
        source_url="https://example.org/club",
        author_id=MOD,
    )
    assert await data.remove_guild_quote(GUILD, quote_id, MOD) == "Alex Able"
    # Correcting or marking the upload official keeps its recaps.
    await data.mark_official(GUILD, race, MOD)
    assert await data.recap_version(GUILD, race) == saved
    if is_pg(data):  # SQLite leaves ownership to the cog; PostgreSQL refuses another server's upload itself
        with pytest.raises(StoreError, match="another server's upload"):
            await data.add_recap_version(OTHER_GUILD, race, headline="H", body="B", author_id=MOD)


async def test_a_second_server_uploading_the_same_round_is_accepted(data: Any, node: NodeStore):
    mine = (await upload(data, text=FIELD_CSV)).race_id
    theirs = await upload(data, OTHER_GUILD)
    assert (theirs.replaced, theirs.race_id != mine) == (False, True)
    assert await node.race_owners() == {mine: GUILD, theirs.race_id: OTHER_GUILD}
    assert await node.race_key(theirs.race_id) == RaceKey("arca", 2025, 3, OTHER_GUILD)
    await data.mark_official(GUILD, mine, MOD)
    await data.correct_result(guild_id=GUILD, race_id=mine, user_id=MOD, car="7", reason="x", finish=1)
    assert (await node.race(theirs.race_id)).results_status == "provisional"
    assert await finishes(node, theirs.race_id) == [
        ("07", "Alex Able", 1, None, None),
        ("7", "Bea Bright", 2, None, None),
    ]
    assert await data.corrections(theirs.race_id) == []
    assert len(await data.corrections(mine)) == 1
    assert [e.action for e in await data.audit_entries(OTHER_GUILD)] == ["results"]


async def test_uploads_give_the_same_rows_on_both_backends(seeded_file: Path, tmp_path: Path, postgres_server: Any):
    answers = []
    for backend in ("sqlite", "postgres"):
        node = await open_node(seeded_file, tmp_path, f"{backend}.db")
        data: Any = (
            node if backend == "sqlite" else await open_pg(await new_database(postgres_server), node, max_size=2)
        )
        try:
            first = await upload(data, text=FIELD_CSV)
            race = first.race_id
            got: list[Any] = [
                first,
                await upload(data, text=FIELD_CSV),
                await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="7", reason="r", finish=3),
                await data.mark_official(GUILD, race, MOD),
                await data.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="19", reason="r", points=2),
                await data.corrections(race),
                await upload(data, OTHER_GUILD),
                await node.race_owners(),
                await node.entries(race),
                (await node.race(race)).results_status,
                [(e.user_id, e.action) for e in await data.audit_entries(GUILD)],
            ]
            answers.append(timeless(got))
        finally:
            if data is not node:
                await data.close()
            await node.close()
    assert answers[0] == answers[1]


# --- the two backends side by side ------------------------------------------------------------------------------


async def test_the_same_operations_give_the_same_rows_on_both_backends(
    node: NodeStore, postgres_server: PostgresServer
):
    pg = await open_pg(await new_database(postgres_server), node, max_size=2)
    try:
        race = await homestead(node)
        answers = []
        for backend in (node, pg):
            got: list[Any] = [
                await backend.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=6, detail="6h"),
                await backend.add_recap_version(GUILD, race, headline="H", body="B", author_id=MOD),
                await backend.add_recap_version(GUILD, race, headline="H2", body="B2", author_id=MOD),
                await backend.discard_recap_version(GUILD, race, 2, MOD),
                await backend.recap_versions(GUILD, race),
                await backend.recap_version(GUILD, race),
                await backend.record_recap_post(
                    guild_id=GUILD,
                    race_id=race,
                    channel_id=1,
                    message_id=2,
                    thread_id=None,
                    version=1,
                    user_id=MOD,
                    edited=False,
                ),
                await backend.recap_post(GUILD, race),
                await backend.published_recap(race, GUILD),
                await backend.claim_announcement(GUILD, race, RESULTS, 10),
                await backend.announcement_sent(GUILD, race, RESULTS, 9, headline="A", body="B", author_id=1),
                await backend.announcements(GUILD),
                await backend.stop_posts(GUILD, MOD_NOTICE, 4, "gone"),
                await backend.post_stops(GUILD),
                await backend.set_race_day(RaceDaySettings(GUILD, enabled=True), MOD, detail="on"),
                await backend.race_day_servers(),
                await backend.guild_settings(GUILD),
                await backend.corrections(race),
                [(e.user_id, e.action) for e in await backend.audit_entries(GUILD, limit=50)],
            ]
            answers.append(timeless(got))
        assert answers[0] == answers[1]
    finally:
        await pg.close()


# --- PostgreSQL only: two processes, uploads not moved, errors --------------------------------------------------


async def test_a_setting_written_through_one_process_is_seen_and_heard_by_the_other(
    node: NodeStore, postgres_server: PostgresServer
):
    url = await new_database(postgres_server)
    first = await open_pg(url, node, max_size=2)
    second = await open_pg(url, node, max_size=2)
    try:
        heard: list[StoreChange] = []
        told = asyncio.Event()

        def listener(change: StoreChange) -> None:
            heard.append(change)
            told.set()

        second.subscribe(listener)
        assert (await second.guild_settings(GUILD)).spoiler_hours == 0
        await first.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=6, detail="6h")
        async with asyncio.timeout(WAIT):
            await told.wait()
        assert heard == [StoreChange("guild", GUILD)]
        assert (await second.guild_settings(GUILD)).spoiler_hours == 6
        # A recap version's number is taken once across processes, whoever writes.
        race = await homestead(node)
        saved = await asyncio.gather(
            *(
                process.add_recap_version(GUILD, race, headline="H", body=str(n), author_id=MOD)
                for n, process in enumerate((first, second, first, second))
            )
        )
        assert sorted(v.version for v in saved) == [1, 2, 3, 4]
    finally:
        await first.close()
        await second.close()


async def test_another_process_copies_an_upload_into_its_own_node_when_told(
    node: NodeStore, seeded_file: Path, tmp_path: Path, postgres_server: PostgresServer
):
    url = await new_database(postgres_server)
    other_node = await open_node(seeded_file, tmp_path, "other.db")
    first = await open_pg(url, node, max_size=2)
    second = await open_pg(url, other_node, max_size=2)
    try:
        heard: asyncio.Queue[StoreChange] = asyncio.Queue()
        second.subscribe(heard.put_nowait)

        async def next_change() -> StoreChange:
            async with asyncio.timeout(WAIT):
                return await heard.get()

        race = (await upload(first, text=FIELD_CSV)).race_id
        # Told only once the copy is written, so the other process's catalog reads the upload when it rebuilds.
        assert await next_change() == StoreChange("races", GUILD)
        copy = await other_node.race_id_by_key(RaceKey("arca", 2025, 3, GUILD))
        assert copy is not None
        assert await other_node.race_owners() == {copy: GUILD}
        assert await finishes(other_node, copy) == await finishes(node, race)
        correction = await first.correct_result(
            guild_id=GUILD, race_id=race, user_id=MOD, car="07", reason="penalty", finish=2
        )
        assert await next_change() == StoreChange("races", GUILD)
        await first.mark_official(GUILD, race, MOD)
        assert await next_change() == StoreChange("races", GUILD)
        assert await finishes(other_node, copy) == await finishes(node, race)
        assert [car for car, *_ in await finishes(other_node, copy)] == ["7", "07", "19"]
        assert (await other_node.race(copy)).results_status == "official"
        # What either process writes about the upload, the other reads, under its own node's id of the race.
        assert await second.corrections(copy) == [dataclasses.replace(correction, race_id=copy)]
        saved = await second.add_recap_version(GUILD, copy, headline="H", body="B", author_id=MOD)
        assert await first.recap_versions(GUILD, race) == [dataclasses.replace(saved, race_id=race)]
        # Copying again finds nothing to write.
        assert await second.mirror_uploads(GUILD) == 0
        assert await second.mirror_uploads() == 0
    finally:
        await first.close()
        await second.close()
        await other_node.close()


async def test_a_process_starting_later_copies_the_uploads_it_lacks(
    node: NodeStore, seeded_file: Path, tmp_path: Path, postgres_server: PostgresServer
):
    url = await new_database(postgres_server)
    first = await open_pg(url, node, max_size=2)
    try:
        race = (await upload(first, text=FIELD_CSV)).race_id
        await upload(first, OTHER_GUILD)
        await first.correct_result(guild_id=GUILD, race_id=race, user_id=MOD, car="19", reason="x", finish=1)
    finally:
        await first.close()
    later_node = await open_node(seeded_file, tmp_path, "later.db")
    later = await open_pg(url, later_node, max_size=2)
    try:
        owners = await later_node.race_owners()
        assert sorted(owners.values()) == [OTHER_GUILD, GUILD]
        (copy,) = [race_id for race_id, owner in owners.items() if owner == GUILD]
        assert await finishes(later_node, copy) == await finishes(node, race)
        assert [c.summary for c in await later.corrections(copy)] == ["#19 Cy Clutch: finish 3 → 1"]
    finally:
        await later.close()
        await later_node.close()


async def test_an_upload_only_in_the_nodes_sqlite_is_refused_until_moved(data: Any, node: NodeStore):
    upload_id = await import_upload(node)
    if not is_pg(data):
        assert (await data.add_recap_version(GUILD, upload_id, headline="H", body="B", author_id=MOD)).version == 1
        return
    with pytest.raises(StoreError, match="not stored in PostgreSQL"):
        await data.add_recap_version(GUILD, upload_id, headline="H", body="B", author_id=MOD)
    with pytest.raises(StoreError, match="another server's upload"):
        await data.add_recap_version(OTHER_GUILD, upload_id, headline="H", body="B", author_id=MOD)
    with pytest.raises(StoreError, match="not stored in PostgreSQL"):
        await data.mark_official(GUILD, upload_id, MOD)
    assert await data.recap_versions(GUILD, upload_id) == []
    assert (await node.race(upload_id)).results_status == "provisional"


async def test_a_race_this_node_does_not_hold_is_refused_and_reads_as_nothing(data: Any):
    assert await data.recap_versions(GUILD, 10_000) == []
    assert await data.recap_version(GUILD, 10_000) is None
    assert await data.recap_post(GUILD, 10_000) is None
    assert await data.published_recap(10_000, GUILD) is None
    if is_pg(data):
        with pytest.raises(StoreError, match="not in this node's race store"):
            await data.add_recap_version(GUILD, 10_000, headline="H", body="B", author_id=MOD)


async def test_a_lock_held_too_long_is_busy_and_nothing_is_saved(node: NodeStore, postgres_server: PostgresServer):
    url = await new_database(postgres_server)
    # Every connection of this pool waits at most 200 ms for a lock; the feed is never started (nothing listens).
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, server_settings={"lock_timeout": "200"})
    await postgres_migrate(pool)
    pg = PgServerData(pool, SqliteRaceKeys(node), url=url, node=node)
    blocker = await asyncpg.connect(url)
    try:
        await pg.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=1, detail="1h")
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE guild_settings IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StoreBusyError):
                await pg.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=2, detail="2h")
        assert (await pg.guild_settings(GUILD)).spoiler_hours == 1
        assert [e.detail for e in await pg.audit_entries(GUILD)] == ["1h"]
    finally:
        await blocker.close()
        await pg.close()


async def test_an_unreachable_server_is_a_store_error(node: NodeStore, postgres_server: PostgresServer):
    url = await new_database(postgres_server)
    pg = await open_pg(url, node, max_size=1)
    await pg.close()
    with pytest.raises(StoreError):
        await pg.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=2, detail="2h")
