"""Downloading nascaR.data's series files: streamed, capped, retried, and asked for only when they have changed.

The files live at {base}/{series}_series.csv and are overwritten in place every Monday during the season, so the
ETag and Last-Modified of the last file imported are remembered in the store (the meta table) and sent back: an
unchanged file answers 304 and is neither downloaded nor imported again. The validators are stored in the import's
own transaction (see `validators`), so they are remembered exactly when the file's data is.
"""

import asyncio
import datetime as dt
import http.client
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.series import BY_CODE
from bot.store.coverage import refresh_key
from bot.store.meta import MetaValues

log = logging.getLogger(__name__)

USER_AGENT = "PitBoard/0.1 (a self-hosted Discord race-recap bot; fetches nascaR.data files on its owner's schedule)"
TIMEOUT = 30.0  # seconds any one connect or read may wait
DEADLINE = 600.0  # seconds a whole download may take, however steadily a slow host drips
MAX_BYTES = 100 * 1024 * 1024  # the Cup file is about 20 MB (100,000 rows); anything far bigger is not that file
ATTEMPTS = 4
BACKOFF = 2.0  # seconds before the second attempt, doubling after that
_CHUNK = 64 * 1024

# A factory for a progress display: called with the size to expect (None when the host does not say), it returns a
# context manager yielding a callback that is handed the number of bytes received since its last call.
Progress = Callable[[int | None], AbstractContextManager[Callable[[int], None]]]


class DownloadError(Exception):
    """The file could not be downloaded; the message is one line saying why. Nothing was stored."""


class DataHostUnreachableError(DownloadError):
    """The data host cannot be reached at all (offline, no such host, connection refused)."""


class _TryAgainError(Exception):
    """A failure worth another attempt: a 5xx, a timeout, a dropped or cut-short transfer."""


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A downloaded file and the validators its host sent with it."""

    etag: str | None
    last_modified: str | None
    size: int


def file_name(series: str) -> str:
    """Return the name of a series' file on the data host: truck_series.csv."""
    return f"{series}_series.csv"


def meta_key(series: str, what: str) -> str:
    """Return the meta-table key under which a series' download facts are remembered."""
    return f"nascar_data.{series}.{what}"


class NascarDataDownloader:
    """Download a series file from the data host into a folder, only when it changed since the last import."""

    def __init__(
        self,
        store: MetaValues,
        base_url: str,
        *,
        folder: Path,
        progress: Progress | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
        attempts: int | None = None,
        backoff: float | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.folder = folder
        self.progress = progress
        # None: the module's value as it is now, read here rather than bound at import (tests shorten the pauses)
        self.timeout = TIMEOUT if timeout is None else timeout
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self.attempts = max(ATTEMPTS if attempts is None else attempts, 1)
        self.backoff = BACKOFF if backoff is None else backoff
        self._validators: dict[str, dict[str, str]] = {}

    def url(self, series: str) -> str:
        """Return where a series' file is downloaded from."""
        return f"{self.base_url}/{file_name(series)}"

    async def fetch(self, series: str, *, conditional: bool = True) -> Path | None:
        """Download a series' file into the folder and return its path; None when it is unchanged (HTTP 304).

        conditional=False downloads it even if unchanged. Raises DataHostUnreachableError when the host cannot be
        reached, DownloadError for any other failure (after retrying 5xx answers, timeouts and cut transfers).
        """
        if series not in BY_CODE:
            raise DownloadError(f"unknown series '{series}'; use truck, nxs or cup")
        url = self.url(series)
        headers = {"User-Agent": USER_AGENT, "Accept": "text/csv, */*;q=0.1"}
        if conditional and await self.store.meta_value(meta_key(series, "url")) == url:
            # Validators are sent back only to the host that gave them: a changed NASCAR_DATA_URL downloads afresh.
            if etag := await self.store.meta_value(meta_key(series, "etag")):
                headers["If-None-Match"] = etag
            if modified := await self.store.meta_value(meta_key(series, "last_modified")):
                headers["If-Modified-Since"] = modified
        target = self.folder / file_name(series)
        fetched = await self._attempts(url, headers, target)
        if fetched is None:
            log.info("%s is unchanged since it was last imported", url)
            return None
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._validators[series] = {
            meta_key(series, "url"): url,
            meta_key(series, "etag"): fetched.etag or "",
            meta_key(series, "last_modified"): fetched.last_modified or "",
            # The keys the freshness footers and the refresh schedule read: stored with the import, so they name
            # the data fans see.
            refresh_key(series, "refreshed_at"): now,
            refresh_key(series, "changed_at"): now,
            refresh_key(series, "last_error"): "",
        }
        log.info("Downloaded %s (%d bytes)", url, fetched.size)
        return target

    async def _attempts(self, url: str, headers: dict[str, str], target: Path) -> _Fetched | None:
        """Run the download, trying again with a growing pause after a failure worth another attempt."""
        attempt = 1
        while True:
            try:
                return await asyncio.to_thread(self._get, url, headers, target)
            except _TryAgainError as error:
                if attempt >= self.attempts:
                    raise DownloadError(
                        f"{url} failed {attempt} times, the last with {error}; try again later"
                    ) from error
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("Downloading %s: %s; trying again in %.0f s", url, error, delay)
                await asyncio.sleep(delay)
                attempt += 1

    def validators(self, series: str) -> dict[str, str]:
        """Return the meta values to store with the import of the file fetch() just downloaded (empty if none)."""
        return dict(self._validators.get(series, {}))

    async def remember(self, series: str) -> None:
        """Store the validators of the file fetch() downloaded, for a caller that imported it some other way."""
        for key, value in self.validators(series).items():
            await self.store.set_meta_value(key, value)

    # --- on a worker thread --------------------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], target: Path) -> _Fetched | None:
        """Stream url into target (through a .part file); None for 304. Runs on a worker thread."""
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the URL is http(s), checked by config
        host = urlsplit(url).hostname or url
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return self._save(response, url, target)
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return None
            if error.code >= 500 or error.code in (408, 429):
                raise _TryAgainError(f"HTTP {error.code} {error.reason}") from error
            raise DownloadError(f"{url} answered HTTP {error.code} {error.reason}") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise _TryAgainError(f"no answer within {self.timeout:.0f} s") from error
            reason = error.reason.strerror if isinstance(error.reason, OSError) else None
            raise DataHostUnreachableError(
                f"cannot reach {host} ({reason or error.reason}); are you offline?"
            ) from error
        except TimeoutError as error:
            raise _TryAgainError(f"no answer within {self.timeout:.0f} s") from error
        except (http.client.HTTPException, ConnectionError) as error:
            raise _TryAgainError(f"the connection broke ({type(error).__name__})") from error

    def _save(self, response: http.client.HTTPResponse, url: str, target: Path) -> _Fetched:
        declared = response.headers.get("Content-Length")
        expected = int(declared) if declared and declared.isdigit() else None
        if expected is not None and expected > self.max_bytes:
            raise DownloadError(f"{url} is {expected:,} bytes, more than the {self.max_bytes:,} a series file can be")
        started = time.monotonic()
        size = 0
        part = target.with_name(target.name + ".part")
        bar = self.progress(expected) if self.progress is not None else nullcontext(None)
        try:
            with bar as advance, part.open("wb") as fh:
                while chunk := response.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise DownloadError(f"{url} is more than the {self.max_bytes:,} bytes a series file can be")
                    if time.monotonic() - started > DEADLINE:
                        raise _TryAgainError(f"the download took more than {DEADLINE:.0f} s")
                    fh.write(chunk)
                    if advance is not None:
                        advance(len(chunk))
            if expected is not None and size != expected:
                # http.client ends a body cut short without an error: a file cut at a line boundary would
                # otherwise read as a shorter, valid history.
                raise _TryAgainError(f"the transfer stopped after {size:,} of {expected:,} bytes")
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return _Fetched(response.headers.get("ETag"), response.headers.get("Last-Modified"), size)
