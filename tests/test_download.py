"""`import nascar-data --series X` with no FILE: downloading from the data host (a local stand-in, not the internet)."""

import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.config import DEFAULT_NASCAR_DATA_URL, PROJECT_ROOT, ConfigError, load_settings
from bot.importers import commands, download
from bot.importers.download import DataHostUnreachableError, DownloadError, NascarDataDownloader
from bot.store import Store
from tests.data_host import DataHost, data_host
from tests.history_data import MICHIGAN_2016, PITFALL_ROWS, V3_COLUMNS, pitfall_rows, pitfalls_csv, r_csv

TABLES = ("races", "drivers", "tracks", "track_aliases", "entries", "sources", "fact_sources", "meta")
UNCHANGED = "truck_series.csv has not changed since it was last imported: nothing downloaded or stored.\n"


class Terminal(io.StringIO):
    """stderr as a terminal: the progress bars draw."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def host() -> Iterator[DataHost]:
    with data_host() as running:
        running.publish("truck_series.csv", pitfalls_csv())
        yield running


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: the tests count attempts, they never wait for a backoff."""
    monkeypatch.setattr(download, "BACKOFF", 0.0)


async def run_cli(store: Store, url: str, *argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    args = build_parser().parse_args(["import", "nascar-data", "--series", "truck", *argv])
    status = await commands.run(store, args, data_dir=PROJECT_ROOT / "data", out=out, err=err, data_url=url)
    return status, out.getvalue(), err.getvalue()


async def counts(store: Store) -> dict[str, int]:
    return await store.table_counts(TABLES)


def folder(tmp_path: Path) -> Path:
    """Return an empty folder for downloads."""
    made = tmp_path / "downloads"
    made.mkdir()
    return made


def names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- download, import, and the unchanged file ----------------------------------------------------------------


async def test_download_imports_with_a_progress_bar_and_an_unchanged_file_is_not_fetched_again(
    store: Store, host: DataHost
):
    terminal = Terminal()
    status, out, err = await run_cli(store, host.url, err=terminal)
    assert status == 0, out + err
    assert out.startswith(f"Downloaded {host.url}/truck_series.csv\n")
    assert (
        f"truck_series.csv (truck): {PITFALL_ROWS + 1} rows read, {PITFALL_ROWS} accepted, 0 rejected, "
        "1 placeholder row for races not yet run skipped"
    ) in out
    assert "Source: DriverAverages.com via nascaR.data\nRaces: 3 added" in out
    assert "Downloading" in err and "100%" in err  # the bar, drawn because stderr is a terminal
    assert MICHIGAN_2016 in {race.name for race in await store.race_summaries()}
    before, version = await counts(store), await store.catalog_version()

    status, out, _ = await run_cli(store, host.url, err=Terminal())
    assert (status, out) == (0, UNCHANGED)
    first, second = host.requests
    assert (first.status, second.status) == (200, 304)
    assert second.headers["If-None-Match"] == host.etag("truck_series.csv") and second.body_bytes == 0
    assert await counts(store) == before
    assert await store.catalog_version() == version


async def test_a_changed_file_is_downloaded_again_and_merged(store: Store, host: DataHost):
    host.publish("truck_series.csv", r_csv(V3_COLUMNS, pitfall_rows()[:12]))  # the two Michigan races only
    status, out, _ = await run_cli(store, host.url)
    assert status == 0 and "Races: 2 added" in out
    host.publish("truck_series.csv", pitfalls_csv())  # Monday's file: one race more, and the placeholder
    status, out, _ = await run_cli(store, host.url)
    assert status == 0 and "Races: 1 added, 0 updated, 2 unchanged" in out
    assert [r.status for r in host.requests] == [200, 200]


async def test_last_modified_alone_is_enough_to_skip_an_unchanged_file(store: Store, host: DataHost):
    host.etags = False
    assert (await run_cli(store, host.url))[0] == 0
    assert (await run_cli(store, host.url))[:2] == (0, UNCHANGED)
    assert "If-None-Match" not in host.requests[1].headers and host.requests[1].status == 304


async def test_a_dry_run_remembers_nothing_and_replace_downloads_even_an_unchanged_file(store: Store, host: DataHost):
    status, out, _ = await run_cli(store, host.url, "--dry-run")
    assert status == 0 and out.endswith("Dry run: nothing was stored.\n")
    assert (await run_cli(store, host.url))[0] == 0
    assert [r.status for r in host.requests] == [200, 200]  # the dry run left no validators behind
    status, out, _ = await run_cli(store, host.url, "--replace", "truck/2015/9")
    assert status == 0 and ", 1 replaced (--replace)" in out
    assert host.requests[-1].status == 200 and "If-None-Match" not in host.requests[-1].headers


async def test_validators_go_back_only_to_the_host_that_gave_them(store: Store, host: DataHost):
    assert (await run_cli(store, host.url))[0] == 0
    status, out, _ = await run_cli(store, host.url + "/mirror")
    assert status == 0 and "Races: 0 added, 0 updated, 3 unchanged" in out
    assert "If-None-Match" not in host.requests[-1].headers


async def test_the_request_names_pit_board(store: Store, host: DataHost):
    await run_cli(store, host.url)
    agent = host.requests[0].headers["User-Agent"]
    assert agent.startswith("PitBoard/") and "Discord race-recap bot" in agent


# --- a host that fails -------------------------------------------------------------------------------------------


async def test_5xx_timeouts_and_cut_transfers_are_retried(store: Store, host: DataHost, tmp_path: Path):
    host.failures = [503, 502]
    downloads = folder(tmp_path)
    fetcher = NascarDataDownloader(store, host.url, folder=downloads, timeout=0.5)
    path = await fetcher.fetch("truck")
    assert path is not None and path.read_text(encoding="utf-8") == pitfalls_csv()
    assert [r.status for r in host.requests] == [503, 502, 200]

    host.delays = [3.0]  # the first answer comes after the client stopped waiting
    host.cut_short = 1  # and the next one stops halfway
    path = await fetcher.fetch("truck", conditional=False)
    assert path is not None and path.read_text(encoding="utf-8") == pitfalls_csv()
    assert names(downloads) == ["truck_series.csv"]  # no .part file left


async def test_a_host_that_keeps_failing_stores_nothing_and_says_so_in_one_line(store: Store, host: DataHost):
    host.failures = [503] * 4
    before = await counts(store)
    status, out, err = await run_cli(store, host.url)
    assert (status, out) == (2, "")
    assert err == (
        f"Nothing was stored: {host.url}/truck_series.csv failed 4 times, the last with HTTP 503 Service "
        "Unavailable; try again later\n"
    )
    assert await counts(store) == before
    assert len(host.requests) == 4


async def test_a_missing_file_is_one_line_and_exit_2(store: Store, host: DataHost):
    args = build_parser().parse_args(["import", "nascar-data", "--series", "cup"])
    out, err = io.StringIO(), io.StringIO()
    status = await commands.run(store, args, data_dir=PROJECT_ROOT / "data", out=out, err=err, data_url=host.url)
    assert (status, err.getvalue()) == (
        2,
        f"Nothing was stored: {host.url}/cup_series.csv answered HTTP 404 Not Found\n",
    )


@pytest.mark.parametrize("declared", [True, False])
async def test_a_file_beyond_the_size_cap_is_refused(store: Store, host: DataHost, tmp_path: Path, declared: bool):
    host.no_length = not declared
    downloads = folder(tmp_path)
    fetcher = NascarDataDownloader(store, host.url, folder=downloads, max_bytes=1000)
    with pytest.raises(DownloadError, match="1,000"):
        await fetcher.fetch("truck")
    assert names(downloads) == []


async def test_offline_is_one_line_and_exit_2(store: Store):
    before = await counts(store)
    status, out, err = await run_cli(store, f"http://127.0.0.1:{closed_port()}")
    assert (status, out) == (2, "")
    assert err == "Nothing was stored: cannot reach 127.0.0.1 (Connection refused); are you offline?\n"
    assert await counts(store) == before


async def test_unreachable_has_its_own_error_for_the_running_bot(store: Store, tmp_path: Path):
    fetcher = NascarDataDownloader(store, f"http://127.0.0.1:{closed_port()}", folder=tmp_path)
    with pytest.raises(DataHostUnreachableError):
        await fetcher.fetch("truck")


async def test_remember_stores_the_validators_for_a_caller_that_imports_otherwise(
    store: Store, host: DataHost, tmp_path: Path
):
    fetcher = NascarDataDownloader(store, host.url, folder=tmp_path)
    assert await fetcher.fetch("truck") is not None
    assert await fetcher.fetch("truck") is not None  # nothing remembered yet: downloaded again
    await fetcher.remember("truck")
    assert await fetcher.fetch("truck") is None
    assert await store.meta_value("nascar_data.truck.etag") == host.etag("truck_series.csv")


# --- the setting -------------------------------------------------------------------------------------------------


def test_nascar_data_url_setting():
    assert load_settings({}, require_token=False).nascar_data_url == DEFAULT_NASCAR_DATA_URL
    settings = load_settings({"NASCAR_DATA_URL": "http://127.0.0.1:8123/files/"}, require_token=False)
    assert settings.nascar_data_url == "http://127.0.0.1:8123/files"
    with pytest.raises(ConfigError) as raised:
        load_settings({"NASCAR_DATA_URL": "ftp://example.org"}, require_token=False)
    assert raised.value.variable == "NASCAR_DATA_URL"
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    assert "\nNASCAR_DATA_URL=\n" in example
