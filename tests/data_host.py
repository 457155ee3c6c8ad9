"""A local stand-in for nascaR.data's host (nascar.kylegrealis.com) on 127.0.0.1: no test ever uses the internet.

It serves files from memory with an ETag and a Last-Modified, answers a matching conditional request with 304,
and can misbehave on request: fail with an HTTP status, answer late, cut a transfer short, or leave out the
Content-Length. Every request is recorded.
"""

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

from tests.local_http import serving


@dataclass
class Request:
    """One request the host answered."""

    path: str
    headers: dict[str, str]
    status: int
    body_bytes: int


@dataclass
class DataHost:
    """What the host serves and how it misbehaves; read `requests` to see what it was asked."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    modified: dict[str, float] = field(default_factory=dict)
    etags: bool = True  # send an ETag (else only Last-Modified)
    failures: list[int] = field(default_factory=list)  # statuses answered to the next requests, in turn
    delays: list[float] = field(default_factory=list)  # seconds to wait before answering the next requests
    cut_short: int = 0  # the next this many answers declare the whole length but send half
    no_length: bool = False  # send no Content-Length: the body ends when the connection closes
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, name: str, text: str) -> None:
        """Put a file on the host (replacing it, as nascaR.data's Monday job does)."""
        with self.lock:
            self.files[name] = text.encode("utf-8")
            # A distinct time for every version, as a real Last-Modified would be.
            self.modified[name] = max(time.time(), self.modified.get(name, 0) + 1)

    def etag(self, name: str) -> str:
        """Return the ETag of the file as it is now."""
        return '"' + hashlib.sha256(self.files[name]).hexdigest()[:16] + '"'

    def answered(self, status: int) -> list[Request]:
        """Return the requests answered with this status."""
        return [r for r in self.requests if r.status == status]


def _handler(host: DataHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            with host.lock:
                host.requests.append(Request(self.path, dict(self.headers.items()), status, len(body)))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status == 304:
                self.end_headers()
                return
            if host.no_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with host.lock:
                delay = host.delays.pop(0) if host.delays else 0.0
                failure = host.failures.pop(0) if host.failures else None
                cut = host.cut_short > 0
                host.cut_short -= cut
            if delay:
                time.sleep(delay)
            if failure is not None:
                self._answer(failure, b"failure\n")
                return
            name = self.path.lstrip("/").rsplit("/", 1)[-1]
            if name not in host.files:
                self._answer(404, b"not found\n")
                return
            body = host.files[name]
            modified = formatdate(host.modified[name], usegmt=True)
            headers = {"Content-Type": "text/csv", "Last-Modified": modified}
            if host.etags:
                headers["ETag"] = host.etag(name)
            unchanged = (host.etags and self.headers.get("If-None-Match") == host.etag(name)) or (
                not host.etags and self.headers.get("If-Modified-Since") == modified
            )
            if unchanged:
                self._answer(304, headers=headers)
                return
            if cut:
                with host.lock:
                    host.requests.append(Request(self.path, dict(self.headers.items()), 200, len(body) // 2))
                self.send_response(200)
                for header, value in headers.items():
                    self.send_header(header, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self._answer(200, body, headers)

    return Handler


@contextmanager
def data_host() -> Iterator[DataHost]:
    """Run a DataHost on 127.0.0.1 (a free port) for the duration of the block."""
    host = DataHost()
    with serving(_handler(host)) as url:
        host.url = url
        yield host
