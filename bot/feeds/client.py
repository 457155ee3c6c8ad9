"""The client for NASCAR's JSON feeds (cf.nascar.com): polite, conditional, cached, and backing off when refused.

aiohttp rather than urllib on a worker thread (as bot.importers.download does for one big file a week): the poller
asks for small files once a minute on race day, and aiohttp, which discord.py already depends on, does that on the
event loop itself with one pooled connection, real timeouts and no thread per request.

Etiquette (RACE-FEEDS.md): a User-Agent naming Pit Board; conditional requests, so an unchanged file costs a 304
and is answered from the cache in the store; after a 403, a 429, a 5xx, a timeout or an unreachable host, nothing is
asked of the host at all until a growing pause (or the host's Retry-After, if longer) has passed. Each kind of
failure is logged once, as a warning, until a request works again; a malformed file is logged once per URL and the
last good copy is kept.
"""

import datetime as dt
import email.utils
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import aiohttp

from bot.store.schedule import ScheduleStore

log = logging.getLogger(__name__)

USER_AGENT = (
    "PitBoard/0.1 (a self-hosted Discord race-recap bot; reads NASCAR's public feeds gently, on its owner's choice)"
)
TIMEOUT = 20.0  # seconds a request may take in all: the files are small
MAX_BYTES = 20 * 1024 * 1024  # a weekend feed is a few hundred KB; far more is not the file asked for
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
)  # after each failure in a row; then hourly
LONGEST_RETRY_AFTER = dt.timedelta(hours=6)  # a Retry-After beyond this is taken as this


def utc_now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


class FeedError(Exception):
    """A feed could not be read; the message is one line saying why."""


class FeedUnavailableError(FeedError):
    """The host could not be asked or refused to answer (offline, a timeout, 403, 429, 5xx); try again later."""

    def __init__(self, message: str, retry_at: dt.datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class FeedMissingError(FeedError):
    """The host has no such file (404): a season not published yet, or a series without that file."""


class FeedMalformedError(FeedError):
    """The host answered with something that is not that feed's JSON; the last good copy is kept."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed's JSON and whether it changed since the last good answer."""

    url: str
    data: Any
    changed: bool  # False: a 304, or the same body again
    fetched_at: dt.datetime


def retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """Return how long a Retry-After header asks to wait (seconds or an HTTP date), or None if it says nothing."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(dt.timedelta(seconds=int(value)), LONGEST_RETRY_AFTER)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return min(max(moment - now, dt.timedelta(0)), LONGEST_RETRY_AFTER)


def decode_feed(text: str) -> Any:
    """Return a feed's JSON with its numbers as published: 97.500 stays 97.500 (a float would say 97.5).

    A weekend feed is imported from these values, and the CLI reads the same file the same way: the two must
    agree to the digit, or one file read both ways would look like a changed result.
    """
    return json.loads(text, parse_float=Decimal)


class FeedSource(Protocol):
    """Where the poller gets feed files: the host itself (FeedClient), or in a cluster the leader's copies."""

    def url(self, path: str) -> str:
        """Return the full URL of a feed path."""
        ...

    @property
    def paused_until(self) -> dt.datetime | None:
        """Return until when nothing is asked (after a failure), if that is still ahead."""
        ...

    async def fetch(self, path: str) -> Fetched:
        """Return a feed's JSON and whether it changed, or raise a FeedError."""
        ...

    async def close(self) -> None:
        """Close connections."""
        ...


class FeedClient:
    """Fetch NASCAR feed files by path, conditionally, from the cache when unchanged, and never while backing off."""

    def __init__(
        self,
        store: ScheduleStore,
        base_url: str,
        *,
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._failures = 0  # failures in a row, for the growing pause
        self._paused_until: dt.datetime | None = None
        self._host_reported: set[str] = set()  # host-wide failures logged since a request last worked
        self._file_reported: set[str] = set()  # one URL's failures (missing, malformed) logged until it works

    def url(self, path: str) -> str:
        """Return the full URL of a feed path such as /cacher/2025/race_list_basic.json."""
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def paused_until(self) -> dt.datetime | None:
        """Return until when no request is made (after a failure), if that is still ahead."""
        if self._paused_until is not None and self._paused_until > self.clock():
            return self._paused_until
        return None

    async def fetch(self, path: str) -> Fetched:
        """Return a feed's JSON: fetched anew when it changed, from the cache when the host answers 304.

        Raises FeedUnavailableError (while paused too, without asking the host), FeedMissingError or
        FeedMalformedError.
        """
        url = self.url(path)
        now = self.clock()
        if (paused := self.paused_until) is not None:
            raise FeedUnavailableError(f"not asking {self.base_url} again before {paused:%H:%M} UTC", paused)
        cached = await self.store.feed_cached(url)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        try:
            status, body, answer = await self._get(url, headers)
        except TimeoutError:
            raise self._unavailable("timeout", f"{url} gave no answer within {self.timeout:g} s", None) from None
        except aiohttp.ClientError as error:
            reason = str(error) or type(error).__name__
            raise self._unavailable("unreachable", f"cannot reach {self.base_url} ({reason})", None) from None
        if status == 304 and cached is not None:
            self._worked()
            await self.store.touch_feed(url, now)
            return Fetched(url, decode_feed(cached.body), False, now)
        if status in (403, 429) or status >= 500:
            wait = retry_after(answer.get("retry-after"), now)
            raise self._unavailable(f"http {status}", f"{url} answered HTTP {status}", wait)
        if status == 404:
            self._worked()  # the host answered; only this file is missing
            self._report(f"missing {url}", f"{url} is not published (HTTP 404)", per_file=True, level=logging.INFO)
            raise FeedMissingError(f"{url} is not published (HTTP 404)")
        if status != 200:
            self._worked()
            self._report(f"status {status} {url}", f"{url} answered HTTP {status}", per_file=True)
            raise FeedError(f"{url} answered HTTP {status}")
        self._worked()
        if len(body) > self.max_bytes:
            self._report(f"malformed {url}", f"{url} is larger than {self.max_bytes:,} bytes", per_file=True)
            raise FeedMalformedError(f"{url} is larger than {self.max_bytes:,} bytes")
        try:
            text = body.decode("utf-8")
            data = decode_feed(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            message = f"{url} is not valid JSON ({error}); the last good copy is kept"
            self._report(f"malformed {url}", message, per_file=True)
            raise FeedMalformedError(f"{url} is not valid JSON ({error})") from None
        self._file_reported = {kind for kind in self._file_reported if not kind.endswith(f" {url}")}
        changed = await self.store.save_feed(
            url, text, etag=answer.get("etag"), last_modified=answer.get("last-modified"), fetched_at=now
        )
        return Fetched(url, data, changed, now)

    async def _get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """Return the status, body and headers (names lower-cased) of one GET, reading at most max_bytes."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        limit = aiohttp.ClientTimeout(total=self.timeout)  # per request: the timeout as it is now
        async with self._session.get(url, headers=headers, allow_redirects=True, timeout=limit) as response:
            answer = {name.lower(): value for name, value in response.headers.items()}  # names are case-blind
            if response.status != 200:
                return response.status, b"", answer
            return response.status, await response.content.read(self.max_bytes + 1), answer

    def _unavailable(self, kind: str, message: str, wait: dt.timedelta | None) -> FeedUnavailableError:
        """Start (or lengthen) the pause after a failure, log it once, and return the error to raise."""
        self._failures += 1
        pause = BACKOFF[min(self._failures, len(BACKOFF)) - 1]
        if wait is not None and wait > pause:
            pause = wait  # the host's own Retry-After, when it asks for longer
        retry_at = self.clock() + pause
        self._paused_until = retry_at
        self._report(kind, f"{message}; Pit Board keeps what it has and asks again after {retry_at:%H:%M} UTC")
        return FeedUnavailableError(message, retry_at)

    def _worked(self) -> None:
        """Note that the host answered: the pause ends, and host-wide failures may be logged again."""
        if self._failures:
            log.info("NASCAR's feed host answers again after %d failed requests", self._failures)
        self._failures = 0
        self._paused_until = None
        self._host_reported.clear()

    def _report(self, kind: str, message: str, *, per_file: bool = False, level: int = logging.WARNING) -> None:
        """Log a failure once per kind: a host-wide one until a request works, one URL's until that URL does."""
        reported = self._file_reported if per_file else self._host_reported
        if kind in reported:
            log.debug("%s", message)
            return
        reported.add(kind)
        log.log(level, "%s", message)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
