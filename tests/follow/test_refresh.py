"""`python -m bot refresh`: the followed series brought up to date from the data host, a season at a time."""

import asyncio
import io
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.config import PROJECT_ROOT
from bot.importers import commands, download
from bot.importers.nascar_data import read_history
from bot.store import Store, StoreBusyError, open_store
from bot.store.coverage import refresh_key
from bot.store.imports import first_import_key
from tests.cli_runs import run_cli, the_error
from tests.data_host import DataHost, data_host
from tests.history_data import history_csv


@pytest.fixture
def host() -> Iterator[DataHost]:
    with data_host() as running:
        running.publish("truck_series.csv", history_csv().text)
        yield running


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "BACKOFF", 0.0)


async def refresh(store: Store, url: str, *argv: str, follow: tuple[str, ...] = ()) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["refresh", *argv])
    status = await commands.run(
        store, args, data_dir=PROJECT_ROOT / "data", out=out, err=err, data_url=url, follow_series=follow
    )
    return status, out.getvalue(), err.getvalue()


async def meta(store: Store, series: str = "truck") -> dict[str, str | None]:
    return {
        what: await store.meta_value(refresh_key(series, what)) for what in ("refreshed_at", "changed_at", "last_error")
    }


async def test_refresh_merges_the_followed_series_and_an_unchanged_file_is_not_merged_again(
    store: Store, host: DataHost
):
    status, out, err = await refresh(store, host.url, follow=("truck",))
    assert status == 1, out + err  # the synthetic file's seven dirty rows are rejected, the rest stored
    assert out.startswith(f"truck: downloaded {host.url}/truck_series.csv and merged it a season at a time\n")
    assert "Races: 18 added, 0 updated, 0 unchanged, 1 kept as curated" in out
    remembered = await meta(store)
    assert remembered["refreshed_at"] and remembered["changed_at"] == remembered["refreshed_at"]
    assert remembered["last_error"] == ""
    # The newest race the first import brought: announcements never go back over a whole history.
    assert await store.meta_value(first_import_key("truck")) == "2025:5"
    version = await store.catalog_version()

    status, out, _ = await refresh(store, host.url, "--series", "truck")
    assert (status, out) == (0, "truck: truck_series.csv has not changed since the last refresh; nothing to merge.\n")
    assert [r.status for r in host.requests] == [200, 304]
    assert await store.catalog_version() == version
    again = await meta(store)
    assert again["changed_at"] == remembered["changed_at"] and again["refreshed_at"] >= remembered["refreshed_at"]


async def test_the_first_import_mark_is_kept_by_later_imports(store: Store, host: DataHost):
    synthetic = history_csv()
    host.publish("truck_series.csv", synthetic.only(2023, 2024))
    await refresh(store, host.url, "--series", "truck")
    # The curated 2025 round 4 was already stored: it is the newest shared race when the history first arrives.
    assert await store.meta_value(first_import_key("truck")) == "2025:4"
    host.publish("truck_series.csv", synthetic.text)
    status, out, _ = await refresh(store, host.url, "--series", "truck")
    assert status == 1 and "Races: 4 added" in out  # 1: the dirty rows of 2025 are rejected again
    assert await store.meta_value(first_import_key("truck")) == "2025:4"


async def test_offline_the_refresh_stores_nothing_remembers_why_and_says_so_in_one_line(store: Store):
    status, out, err = await refresh(store, "http://127.0.0.1:9", "--series", "truck")
    assert status == 2 and out == ""
    assert err.startswith("truck: nothing was stored: cannot reach 127.0.0.1") and err.count("\n") == 1
    remembered = await meta(store)
    assert remembered["refreshed_at"] is None
    assert remembered["last_error"] is not None and "cannot reach 127.0.0.1" in remembered["last_error"]


def test_refresh_with_no_series_named_or_followed_is_one_line_and_exit_2(tmp_path: Path):
    result = run_cli("refresh", database=tmp_path / "pitboard.db", FOLLOW_SERIES="")
    assert result.returncode == 2
    assert the_error(result) == ("No series to refresh: name them with --series truck nxs cup, or set FOLLOW_SERIES.")


def test_refresh_follows_the_setting_from_the_command_line(tmp_path: Path, host: DataHost):
    result = run_cli("refresh", database=tmp_path / "pitboard.db", FOLLOW_SERIES="truck", NASCAR_DATA_URL=host.url)
    assert result.returncode == 1, result.stderr  # the dirty rows
    assert "truck: downloaded" in result.stdout and "Races: 18 added" in result.stdout
    result = run_cli("refresh", database=tmp_path / "pitboard.db", FOLLOW_SERIES="truck", NASCAR_DATA_URL=host.url)
    assert result.returncode == 0 and "has not changed since the last refresh" in result.stdout


async def test_each_season_is_committed_before_the_next_is_merged(store: Store, tmp_path: Path):
    path = tmp_path / "truck_series.csv"
    path.write_text(history_csv().text, encoding="utf-8")
    history = read_history(path, series="truck")
    database = tmp_path / "pitboard.db"
    seen: list[int] = []

    def committed_races(_written: int) -> None:
        # Another connection, as a second process would read: it sees only what was committed.
        with sqlite3.connect(database) as other:
            seen.append(other.execute("SELECT count(*) FROM races").fetchone()[0])

    await store.import_history_by_season(
        history, series=("NASCAR Craftsman Truck Series", "truck"), progress=committed_races
    )
    # 1 curated race, then 8 races of 2023 committed while 2024 was written, then 6 of 2024 while 2025 was.
    assert sorted(set(seen)) == [1, 9, 15]


async def test_a_moderators_save_waits_out_a_refresh_instead_of_failing_as_busy(store: Store, tmp_path: Path):
    path = tmp_path / "truck_series.csv"
    path.write_text(history_csv().text, encoding="utf-8")
    history = read_history(path, series="truck")
    refresher = await open_store(tmp_path / "pitboard.db")  # the refresh's own connection, as the child has
    saves: list[str] = []

    async def moderator() -> None:
        for n in range(20):
            await store.set_meta_value("moderator_save", str(n))
            saves.append(str(n))
            await asyncio.sleep(0)

    try:
        merge = refresher.import_history_by_season(history, series=("NASCAR Craftsman Truck Series", "truck"))
        results = await asyncio.gather(merge, moderator(), return_exceptions=True)
    finally:
        await refresher.close()
    assert not any(isinstance(r, StoreBusyError) for r in results), results
    assert saves == [str(n) for n in range(20)]
    assert len(await store.race_summaries()) == 19


async def test_a_mondays_file_writes_only_the_season_that_changed(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    from tests.e2e.test_follow_announce import with_kansas

    path = tmp_path / "truck_series.csv"
    path.write_text(history_csv().text, encoding="utf-8")
    series = ("NASCAR Craftsman Truck Series", "truck")
    await store.import_history_by_season(read_history(path, series="truck"), series=series)
    path.write_text(with_kansas(history_csv().text), encoding="utf-8")
    caplog.set_level(logging.INFO, logger="bot.store")
    report = await store.import_history_by_season(read_history(path, series="truck"), series=series)
    assert (report.races_added, report.races_unchanged, report.races_kept) == (1, 18, 1)
    # 2023 and 2024 are stored exactly as the file has them: only 2025 was merged, the log says so to the owner.
    assert any("(1 of 3 seasons changed)" in r.getMessage() for r in caplog.records)
