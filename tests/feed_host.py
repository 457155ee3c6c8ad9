"""A local stand-in for NASCAR's feed host (cf.nascar.com) on 127.0.0.1: no test ever uses the internet.

It serves JSON by path with an ETag, answers a matching If-None-Match with 304, and misbehaves on request: a queue
of failures (a status, with a Retry-After if given), slow answers, or a body that is not JSON. Every request is
recorded with its headers.
"""

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.local_http import serving


@dataclass
class FeedRequest:
    """One request the host answered."""

    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedHost:
    """What the host serves and how it misbehaves; read `requests` to see what it was asked."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    failures: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After) for the next asks
    delays: list[float] = field(default_factory=list)  # seconds before answering the next requests
    requests: list[FeedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, path: str, data: Any) -> None:
        """Serve data as JSON at path (replacing what was there)."""
        self.publish_raw(path, json.dumps(data).encode("utf-8"))

    def publish_raw(self, path: str, body: bytes) -> None:
        """Serve these bytes at path, JSON or not."""
        with self.lock:
            self.files[path] = body

    def fail(self, status: int, times: int = 1, *, retry_after: str | None = None) -> None:
        """Answer the next `times` requests with this status."""
        with self.lock:
            self.failures += [(status, retry_after)] * times

    def asked(self, path: str) -> list[FeedRequest]:
        """Return the requests for one path."""
        return [r for r in self.requests if r.path == path]


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def _handler(host: FeedHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            with host.lock:
                host.requests.append(FeedRequest(self.path, dict(self.headers.items()), status))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def do_GET(self) -> None:
            with host.lock:
                delay = host.delays.pop(0) if host.delays else 0.0
                failure = host.failures.pop(0) if host.failures else None
                body = host.files.get(self.path)
            if delay:
                time.sleep(delay)
            if failure is not None:
                status, retry_after = failure
                self._answer(status, b"refused\n", {"Retry-After": retry_after} if retry_after else None)
                return
            if body is None:
                self._answer(404, b"not found\n")
                return
            headers = {"Content-Type": "application/json", "ETag": _etag(body)}
            if self.headers.get("If-None-Match") == _etag(body):
                self._answer(304, headers=headers)
                return
            self._answer(200, body, headers)

    return Handler


@contextmanager
def feed_host() -> Iterator[FeedHost]:
    """Run a FeedHost on 127.0.0.1 (a free port) for the duration of the block."""
    host = FeedHost()
    with serving(_handler(host)) as url:
        host.url = url
        yield host
