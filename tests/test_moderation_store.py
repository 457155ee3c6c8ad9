"""Moderator writes in the store: versions, posts, per-server scope, imports, corrections, audit."""

import datetime as dt

import pytest

from bot import maintenance
from bot.racefiles import parse_results
from bot.store import ResultsRefusedError, Store
from tests.recaps import publish

pytestmark = pytest.mark.backends("sqlite", "postgres")

GUILD, OTHER_GUILD, MOD = 111, 999, 555

CSV = """finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,Alex Able,Team A,Ford,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
3,3,21,Cy Cole,Team C,Chevrolet,99,running,0,34
"""


async def homestead_id(store: Store) -> int:
    (race,) = await store.race_summaries()
    return race.id


async def import_race(store: Store, guild: int = GUILD, text: str = CSV) -> int:
    entries, errors = parse_results(text)
    assert errors == []
    outcome = await store.import_guild_results(
        guild_id=guild,
        user_id=MOD,
        series=("ARCA Menards Series", "arca"),
        season=2025,
        round_=3,
        name="Test 150",
        track="Test Oval",
        date=dt.date(2025, 4, 5),
        entries=entries,
    )
    return outcome.race_id


async def test_versions_are_never_overwritten(store: Store):
    race = await homestead_id(store)
    first = await store.add_recap_version(GUILD, race, headline="Spin and win", body="v1", author_id=MOD)
    second = await store.add_recap_version(GUILD, race, headline="Spin and win!", body="v2", author_id=MOD + 1)
    assert (first.version, second.version) == (1, 2)
    versions = await store.recap_versions(GUILD, race)
    assert [(v.version, v.body) for v in versions] == [(2, "v2"), (1, "v1")]
    reverted = await store.add_recap_version(
        GUILD, race, headline=first.headline, body=first.body, author_id=MOD, reverted_from=1
    )
    assert (reverted.version, reverted.body, reverted.reverted_from) == (3, "v1", 1)
    assert (await store.recap_version(GUILD, race)).version == 3


async def test_published_recap_is_the_posted_version_and_stays_per_server(store: Store):
    race = await homestead_id(store)
    assert await store.published_recap(race, GUILD) is None
    saved = await store.add_recap_version(GUILD, race, headline="Larson steals it", body="Body", author_id=MOD)
    await publish(store, GUILD, race, saved.version, user_id=MOD)
    await store.add_recap_version(GUILD, race, headline="Draft not yet posted", body="Draft", author_id=MOD)
    published = await store.published_recap(race, GUILD)
    assert published is not None and published.headline == "Larson steals it"
    assert await store.published_recap(race, OTHER_GUILD) is None
    assert await store.recap_versions(OTHER_GUILD, race) == []


async def test_publishing_again_shows_the_new_recap_at_once(store: Store):
    race = await homestead_id(store)
    for version, headline in enumerate(("First take", "Second take"), start=1):
        await store.add_recap_version(GUILD, race, headline=headline, body="Body", author_id=MOD)
        await publish(store, GUILD, race, version, user_id=MOD, edited=version > 1)
        published = await store.published_recap(race, GUILD)
        assert published is not None and published.headline == headline
        assert (await store.published_recap(race, GUILD)) == published  # asked again: the same answer


async def test_settings_are_per_server_and_audited(store: Store):
    await store.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=12, detail="spoiler hours 12")
    assert (await store.guild_settings(GUILD)).spoiler_hours == 12
    assert (await store.guild_settings(OTHER_GUILD)).spoiler_hours == 0
    (entry,) = await store.audit_entries(GUILD)
    assert (entry.user_id, entry.action, entry.detail) == (MOD, "settings", "spoiler hours 12")
    assert await store.audit_entries(OTHER_GUILD) == []
    with pytest.raises(ValueError, match="unknown setting"):
        await store.update_guild_settings(GUILD, MOD, setting="guild_id; DROP TABLE races", value=1, detail="x")


async def test_guild_quotes_only_removable_by_their_server(store: Store):
    race = await homestead_id(store)
    quote_id = await store.add_guild_quote(
        guild_id=GUILD,
        race_id=race,
        driver_id=None,
        speaker="Crew chief",
        text="We had a rocket.",
        context=None,
        source_url="https://example.org/x",
        author_id=MOD,
    )
    assert quote_id in {q.id for q in await store.quotes(guild_id=GUILD)}
    assert quote_id not in {q.id for q in await store.quotes(guild_id=OTHER_GUILD)}
    assert await store.remove_guild_quote(OTHER_GUILD, quote_id, MOD) is None
    assert await store.remove_guild_quote(GUILD, quote_id, MOD) == "Crew chief"
    shipped = (await store.quotes())[0]
    assert await store.remove_guild_quote(GUILD, shipped.id, MOD) is None


async def test_import_is_provisional_then_official(store: Store):
    race_id = await import_race(store)
    race = await store.race(race_id)
    assert race is not None and race.results_status == "provisional" and not race.curated
    assert [e.car_number for e in await store.entries(race_id)] == ["07", "7", "21"]
    assert await store.mark_official(GUILD, race_id, MOD) is True
    assert await store.mark_official(GUILD, race_id, MOD) is False
    assert (await store.race(race_id)).results_status == "official"
    with pytest.raises(ResultsRefusedError, match="official already"):
        await import_race(store)


async def test_reimport_replaces_own_provisional_race_and_keeps_recaps(store: Store):
    race_id = await import_race(store)
    await store.add_recap_version(GUILD, race_id, headline="h", body="b", author_id=MOD)
    again = await import_race(store, text=CSV.replace("Alex Able", "Alex Abel"))
    assert again == race_id
    assert (await store.entries(race_id))[0].driver == "Alex Abel"
    assert len(await store.recap_versions(GUILD, race_id)) == 1


async def test_shared_and_foreign_races_refuse_changes(store: Store):
    homestead = await homestead_id(store)
    with pytest.raises(ResultsRefusedError, match="shared"):
        await store.correct_result(guild_id=GUILD, race_id=homestead, user_id=MOD, car="07", finish=34, reason="x")
    race_id = await import_race(store)
    with pytest.raises(ResultsRefusedError, match="No such race"):
        await store.mark_official(OTHER_GUILD, race_id, MOD)
    # Another server's upload of the same round is its own race (issue 15): it neither replaces this one nor is refused.
    other = await import_race(store, guild=OTHER_GUILD, text=CSV.replace("Alex Able", "Ann Other"))
    assert other != race_id
    assert (await store.entries(race_id))[0].driver == "Alex Able"
    assert (await store.entries(other))[0].driver == "Ann Other"
    with pytest.raises(ResultsRefusedError, match="No such race"):
        await store.mark_official(GUILD, other, MOD)
    assert (await maintenance.check(store)).ok


async def test_disqualification_moves_everyone_up(store: Store):
    race_id = await import_race(store)
    correction = await store.correct_result(
        guild_id=GUILD,
        race_id=race_id,
        user_id=MOD,
        car="07",
        finish=3,
        status="disqualified",
        points=0,
        reason="Rear spoiler too tall",
    )
    assert correction.summary == "#07 Alex Able: finish 1 → 3; status running → disqualified; points 55 → 0"
    order = [(e.finish, e.car_number, e.status) for e in await store.entries(race_id)]
    assert order == [(1, "7", "running"), (2, "21", "running"), (3, "07", "disqualified")]
    assert [c.reason for c in await store.corrections(race_id)] == ["Rear spoiler too tall"]
    race = await store.race(race_id)
    assert race is not None and race.data_version == 2
    promoted = await store.correct_result(guild_id=GUILD, race_id=race_id, user_id=MOD, car="21", finish=1, reason="r")
    assert promoted.summary == "#21 Cy Cole: finish 2 → 1"
    assert [e.car_number for e in await store.entries(race_id)] == ["21", "7", "07"]
    with pytest.raises(ResultsRefusedError, match="between 1 and 3"):
        await store.correct_result(guild_id=GUILD, race_id=race_id, user_id=MOD, car="21", finish=4, reason="r")
    with pytest.raises(ResultsRefusedError, match="No car #99"):
        await store.correct_result(guild_id=GUILD, race_id=race_id, user_id=MOD, car="99", finish=1, reason="r")


def test_csv_errors_are_reported_per_line():
    text = (
        "\ufefffinish,car,driver,laps\n"
        "1,07,Alex Able,100\n"
        "2,07,Bea Bright,100\n"
        "x,9,Cy Cole,100\n"
        "4,12345,Dee Dunn,100\n"
        "5,8,,100\n"
        "6,5,=cmd|' /C calc'!A0,100\n"
        "1,44,Eve East,-3\n"
    )
    entries, errors = parse_results(text)
    assert errors == [
        "results.csv:3: the same car as line 2",
        "results.csv:4: column finish must be a whole number, not 'x'",
        "results.csv:5: car number '12345' must be 1 to 4 letters or digits, such as 07",
        "results.csv:6: car and driver are required",
        "results.csv:8: column laps must be at least 0, not -3",
    ]
    assert [e.driver for e in entries] == ["Alex Able", "=cmd|' /C calc'!A0"]  # formula text kept as typed


def test_csv_header_problems():
    assert parse_results("car,driver\n07,A\n")[1] == ["results.csv:1: the header lacks the column(s) finish"]
    assert "unknown column(s) colour" in parse_results("finish,car,driver,colour\n1,07,A,red\n")[1][0]


async def test_discarded_draft_stays_in_history_but_is_not_latest(store: Store):
    race = await homestead_id(store)
    await store.add_recap_version(GUILD, race, headline="Good", body="v1", author_id=MOD)
    draft = await store.add_recap_version(GUILD, race, headline="Oops", body="v2", author_id=MOD)
    assert await store.discard_recap_version(GUILD, race, draft.version, MOD) is True
    assert await store.discard_recap_version(GUILD, race, draft.version, MOD) is False
    assert (await store.recap_version(GUILD, race)).headline == "Good"
    assert [v.discarded for v in await store.recap_versions(GUILD, race)] == [True, False]
    await publish(store, GUILD, race, 1, user_id=MOD)
    assert await store.discard_recap_version(GUILD, race, 1, MOD) is False  # a published version stays


async def test_a_settings_change_is_seen_at_once_though_settings_are_kept_in_memory(store: Store):
    assert (await store.guild_settings(GUILD)).spoiler_hours == 0  # read once, now kept
    await store.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=6, detail="spoiler hours 6")
    assert (await store.guild_settings(GUILD)).spoiler_hours == 6
    await store.update_guild_settings(GUILD, MOD, setting="spoiler_hours", value=0, detail="spoiler mode off")
    assert (await store.guild_settings(GUILD)).spoiler_hours == 0
