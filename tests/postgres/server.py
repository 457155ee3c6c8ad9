"""A throwaway PostgreSQL server for the tests, started once per run and stopped (and deleted) at its end.

It runs from the machine's own binaries where present (Debian's postgresql-NN under /usr/lib/postgresql), else from
those the pip package pgserver bundles, so a fresh clone on a machine without PostgreSQL still passes. PostgreSQL
refuses to run as root, so as root it runs as an existing unprivileged account ('postgres' where the system package
made one, else 'nobody'), owning a data folder of its own under the system temp folder. It listens on 127.0.0.1 at
a free port and on a unix socket in that folder, trusts every local connection, and never fsyncs: the data is
thrown away anyway.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import asyncpg
import pytest

ROLE = "pitboard"  # the superuser role initdb makes; tests connect as it, without a password
SYSTEM_INSTALLS = Path("/usr/lib/postgresql")
START_ATTEMPTS = 3  # a free port can be taken by another process between our probe and the server's bind
_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}  # no PG* variable of the caller's


class PostgresStartError(RuntimeError):
    """The throwaway server could not be set up; the message carries the tail of its logs."""


@dataclass(frozen=True, slots=True)
class Account:
    """The unprivileged account the server runs as when the tests run as root."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running throwaway server."""

    bin_dir: Path  # the binaries it runs from
    root: Path  # its temp folder: data/, the unix socket, the logs
    port: int
    account: Account | None  # None: it runs as the user running the tests
    started_in: float  # seconds from nothing to accepting connections (initdb included)

    @property
    def data_dir(self) -> Path:
        """Return the data folder."""
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """Return a DATABASE_URL for one of its databases, over TCP."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"


def system_bin_dir() -> Path | None:
    """Return the bin folder of the newest PostgreSQL installed the Debian way, or None."""
    found = []
    for initdb in SYSTEM_INSTALLS.glob("*/bin/initdb"):
        bin_dir = initdb.parent
        if bin_dir.parent.name.isdigit() and all(os.access(bin_dir / n, os.X_OK) for n in ("pg_ctl", "postgres")):
            found.append((int(bin_dir.parent.name), bin_dir))
    return max(found)[1] if found else None


def pgserver_bin_dir() -> Path:
    """Return the bin folder of the PostgreSQL the pip package pgserver bundles."""
    # find_spec locates the package without importing it: importing pgserver makes folders in the user's runtime dir.
    spec = find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise PostgresStartError(
            "neither a system PostgreSQL nor the pgserver package is installed (pip install -e '.[dev]')"
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


def preferred_bin_dir() -> Path:
    """Return the machine's own binaries where present, else pgserver's."""
    return system_bin_dir() or pgserver_bin_dir()


def server_account() -> Account | None:
    """Return the account to run the server as: None unless running as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            if entry.pw_uid != 0:
                return Account(name, entry.pw_uid, entry.pw_gid)
    raise PostgresStartError(
        "running as root, and neither a 'postgres' nor a 'nobody' account exists to run PostgreSQL"
    )


def _run(command: list[str], account: Account | None, root: Path) -> None:
    """Run one of PostgreSQL's tools as the account; its output goes to root/tools.log, never to a pipe."""
    # pg_ctl start leaves the server holding the tool's stdout and stderr: a pipe there would never reach EOF.
    log = root / "tools.log"
    with log.open("a") as out:
        extra: dict[str, object] = {}
        if account is not None:
            extra = {"user": account.uid, "group": account.gid, "extra_groups": []}
        completed = subprocess.run(
            command, cwd=root, env=_ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False, **extra
        )
    if completed.returncode != 0:
        raise PostgresStartError(f"{' '.join(command)} failed ({completed.returncode}):\n{_tail(root)}")


def _tail(root: Path) -> str:
    text = []
    for name in ("tools.log", "server.log"):
        path = root / name
        if path.exists():
            text.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-20:]))
    return "\n".join(text)


def _reachable_bin_dir(bin_dir: Path, account: Account | None, root: Path) -> Path:
    """Return bin_dir, or a copy of its install inside root when the account cannot run it from where it is.

    A virtualenv under /root is out of reach of an unprivileged account. pgserver's install is relocatable: its
    tools find share/ and lib/ beside bin/, and their shared libraries in site-packages/pgserver.libs (the wheel's
    RPATH is $ORIGIN/../../../pgserver.libs), so a copy of both, laid out alike in the account's folder, runs.
    """
    try:
        _run([str(bin_dir / "postgres"), "--version"], account, root)
    except (PermissionError, PostgresStartError):
        if bin_dir.is_relative_to(SYSTEM_INSTALLS):
            raise
        install, package = bin_dir.parent, bin_dir.parent.parent
        copy = root / "site" / package.name / install.name
        shutil.copytree(install, copy, symlinks=True)
        libs = package.with_name(package.name + ".libs")
        if libs.is_dir():
            shutil.copytree(libs, root / "site" / libs.name, symlinks=True)
        if account is not None:  # copytree keeps the source's modes, which may shut the account out of a folder
            for folder, _, files in os.walk(root / "site"):
                for path in (folder, *(os.path.join(folder, f) for f in files)):
                    os.chown(path, account.uid, account.gid, follow_symlinks=False)
        return copy / "bin"
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """Start a throwaway server from bin_dir; stop it and delete its folder on exit, whatever happened."""
    began = time.monotonic()
    account = server_account()
    root = Path(tempfile.mkdtemp(prefix="pitboard-pg-"))
    data = root / "data"
    try:
        if account is not None:
            os.chown(root, account.uid, account.gid)
        bin_dir = _reachable_bin_dir(bin_dir, account, root)
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "--encoding=UTF8"]
        _run([*initdb, "--locale=C", "--no-sync"], account, root)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# the tests' throwaway server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "timezone = 'UTC'\nmax_connections = 100\n"
            )
        try:
            port = _start(bin_dir, account, root)
            server = PostgresServer(bin_dir, root, port, account, time.monotonic() - began)
            yield server
        finally:
            if (data / "postmaster.pid").exists():
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], account, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(bin_dir: Path, account: Account | None, root: Path) -> int:
    """Start the server on a free port, trying another if one is taken meanwhile; return the port."""
    error = None
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60"]
        try:
            _run([*pg_ctl, "-o", f"-p {port}", "start"], account, root)
        except PostgresStartError as failed:
            error = failed
            continue
        return port
    assert error is not None  # the loop ran at least once and every attempt failed
    raise error


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Yield the run's throwaway server (the machine's binaries where present, else pgserver's)."""
    with running_postgres(preferred_bin_dir()) as server:
        yield server


@contextlib.asynccontextmanager
async def fresh_database(server: PostgresServer) -> AsyncIterator[str]:
    """Make a new, empty database on server and yield its URL; drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.url(name)
    finally:
        admin = await asyncpg.connect(server.url())
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database on the run's server; it is dropped afterwards."""
    async with fresh_database(postgres_server) as url:
        yield url
