"""The running bot's follower: a child process refreshes on schedule; offline is one warning; the catalog moves once."""

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.config import Secret, load_settings
from bot.follow.follower import ChildRefresh, Follower, RunOutcome
from bot.store import Store, open_store
from bot.store.coverage import refresh_key
from tests.data_host import DataHost, data_host
from tests.history_data import history_csv

TRUCK_ROWS_RACES = 19  # the curated race and the synthetic history's 18


@pytest.fixture
def host() -> Iterator[DataHost]:
    with data_host() as running:
        running.publish("truck_series.csv", history_csv().text)
        yield running


class Clock:
    def __init__(self, start: str) -> None:
        self.now = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class ScriptedRefresh:
    """A refresh that ends as told, and remembers a success the way the real one does."""

    def __init__(self, store: Store, clock: Clock, outcomes: list[RunOutcome]) -> None:
        self.store, self.clock, self.outcomes = store, clock, outcomes
        self.calls: list[str] = []

    async def __call__(self, series: str) -> RunOutcome:
        self.calls.append(series)
        outcome = self.outcomes.pop(0)
        if outcome.ok:
            moment = self.clock().isoformat()
            await self.store.set_meta_values(
                {refresh_key(series, "refreshed_at"): moment, refresh_key(series, "changed_at"): moment}
            )
        return outcome


OFFLINE = RunOutcome(False, "cannot reach nascar.kylegrealis.com (Name or service not known); are you offline?")


async def test_offline_the_follower_warns_once_keeps_trying_and_recovers(
    store: Store, caplog: pytest.LogCaptureFixture
):
    clock = Clock("2025-06-04 12:00")  # a Wednesday
    runner = ScriptedRefresh(store, clock, [OFFLINE, OFFLINE, OFFLINE, RunOutcome(True)])
    afterwards: list[str] = []

    async def after() -> None:
        afterwards.append("announced")

    follower = Follower(store, Catalog(store), series=("truck",), refresh=runner, after=after, clock=clock)
    caplog.set_level(logging.INFO, logger="bot.follow")
    wake = await follower.refresh_due()
    assert runner.calls == ["truck"]
    assert wake == clock.now + dt.timedelta(minutes=15)
    for minutes in (15, 30):
        clock.now = wake
        wake = await follower.refresh_due()
        assert wake == clock.now + dt.timedelta(minutes=minutes * 2)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Could not refresh truck" in warnings[0].getMessage()
    assert "are you offline?" in warnings[0].getMessage()
    assert runner.calls == ["truck"] * 3

    clock.now = wake
    wake = await follower.refresh_due()
    assert runner.calls == ["truck"] * 4
    assert wake == dt.datetime(2025, 6, 9, 10, 15, tzinfo=dt.UTC)  # Monday, after nascaR.data publishes
    assert await store.meta_value(refresh_key("truck", "next_at")) == "2025-06-09T10:15:00+00:00"
    assert follower.next_refresh("truck") == wake
    assert afterwards == ["announced"] * 4
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_a_series_refreshed_this_week_is_not_refreshed_at_start(store: Store):
    clock = Clock("2025-06-04 12:00")
    await store.set_meta_values(
        {
            refresh_key("truck", "refreshed_at"): "2025-06-02T10:20:00+00:00",
            refresh_key("truck", "changed_at"): "2025-06-02T10:20:00+00:00",
        }
    )
    runner = ScriptedRefresh(store, clock, [])
    follower = Follower(store, Catalog(store), series=("truck",), refresh=runner, clock=clock)
    assert await follower.refresh_due() == dt.datetime(2025, 6, 9, 10, 15, tzinfo=dt.UTC)
    assert runner.calls == []


async def test_a_crashed_refresh_is_logged_as_a_bug_and_the_bot_goes_on(store: Store, caplog: pytest.LogCaptureFixture):
    clock = Clock("2025-06-04 12:00")
    runner = ScriptedRefresh(store, clock, [RunOutcome(False, "Traceback …", bug=True)])
    follower = Follower(store, Catalog(store), series=("truck",), refresh=runner, clock=clock)
    wake = await follower.refresh_due()
    assert wake == clock.now + dt.timedelta(minutes=15)
    assert any(r.levelno == logging.ERROR and "crashed" in r.getMessage() for r in caplog.records)


async def test_the_catalog_holds_still_while_a_refresh_merges_and_then_moves_at_once(store: Store, tmp_path: Path):
    catalog = Catalog(store, clock=lambda: 0.0)
    before = len((await catalog.index()).races)
    other = await open_store(tmp_path / "pitboard.db")  # another process's connection, as the child's
    try:
        async with catalog.steady():
            path = tmp_path / "truck_series.csv"
            path.write_text(history_csv().only(2023), encoding="utf-8")
            from bot.importers.nascar_data import read_history

            history = read_history(path, series="truck")
            await other.import_history_by_season(history, series=("NASCAR Craftsman Truck Series", "truck"))
            assert len((await catalog.index()).races) == before  # fans still see what they saw
            # A moderator's save through the bot's own connection does not pull in a half-done merge either.
            await store.update_guild_settings(1, 2, setting="spoiler_hours", value=2, detail="spoiler hours 2")
            assert (await catalog.guild_settings(1)).spoiler_hours == 2
            assert len((await catalog.index()).races) == before
        assert len((await catalog.index()).races) == before + 8
    finally:
        await other.close()


async def test_the_child_refresh_merges_into_the_bots_database(store: Store, host: DataHost, tmp_path: Path):
    runner = ChildRefresh(database_path=tmp_path / "pitboard.db", data_url=host.url)
    outcome = await runner("truck")
    assert outcome == RunOutcome(True)
    assert len(await store.race_summaries()) == TRUCK_ROWS_RACES
    assert await store.meta_value(refresh_key("truck", "last_error")) == ""
    assert await runner("truck") == RunOutcome(True)
    assert [r.status for r in host.requests] == [200, 304]


async def test_the_child_refresh_reports_offline_in_one_line(store: Store, tmp_path: Path):
    runner = ChildRefresh(database_path=tmp_path / "pitboard.db", data_url="http://127.0.0.1:9")
    outcome = await runner("truck")
    assert not outcome.ok and not outcome.bug
    assert outcome.reason.startswith("truck: nothing was stored: cannot reach 127.0.0.1")


def test_the_child_never_holds_the_token(tmp_path: Path):
    runner = ChildRefresh(database_path=tmp_path / "pitboard.db", data_url="http://127.0.0.1:9")
    env = runner.environment({**os.environ, "DISCORD_TOKEN": "MTAwMDAwMDAwMDAwMDAwOTk5.secret"})
    assert env["DISCORD_TOKEN"] == "" and env["DATABASE_PATH"] == str(tmp_path / "pitboard.db")
    settings = load_settings(env, require_token=False)
    assert settings.token is None and settings.token != Secret("MTAwMDAwMDAwMDAwMDAwOTk5.secret")


def test_follow_series_setting():
    assert load_settings({"FOLLOW_SERIES": " Truck, cup,truck "}, require_token=False).follow_series == ("truck", "cup")
    assert load_settings({"FOLLOW_SERIES": ""}, require_token=False).follow_series == ()
    assert load_settings({}, require_token=False).follow_series == ()
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="'indycar' is not a series; use truck, nxs, cup"):
        load_settings({"FOLLOW_SERIES": "truck,indycar"}, require_token=False)
