"""The throwaway PostgreSQL: from the machine's binaries where present, from pgserver's always, never as root."""

import os
import shutil
import tempfile
from pathlib import Path

import asyncpg
import pytest

from tests.postgres.server import (
    PostgresServer,
    PostgresStartError,
    pgserver_bin_dir,
    running_postgres,
    server_account,
    system_bin_dir,
)


async def _settings(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        names = ("server_version_num", "listen_addresses", "fsync", "TimeZone")
        return {name: await conn.fetchval(f"SHOW {name}") for name in names}
    finally:
        await conn.close()


def _postmaster_uid(server: PostgresServer) -> int:
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    return os.stat(f"/proc/{pid}").st_uid


async def _check_running(server: PostgresServer) -> dict[str, str]:
    settings = await _settings(server.url())
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["fsync"] == "off"
    assert settings["TimeZone"] == "UTC"
    account = server_account()
    assert server.account == account
    expected_uid = os.geteuid() if account is None else account.uid
    assert expected_uid != 0 or os.geteuid() != 0
    assert _postmaster_uid(server) == expected_uid
    assert server.data_dir.stat().st_uid == expected_uid
    return settings


async def test_the_runs_server_uses_the_machines_binaries_where_present(postgres_server: PostgresServer):
    system = system_bin_dir()
    assert postgres_server.bin_dir == (system or pgserver_bin_dir())
    settings = await _check_running(postgres_server)
    if system is not None:  # Debian's layout: /usr/lib/postgresql/<major>/bin
        assert int(settings["server_version_num"]) // 10000 == int(system.parent.name)


async def test_pgservers_binaries_start_and_stop():
    with running_postgres(pgserver_bin_dir()) as server:
        # Run from where pip put them, or from a copy where the server's account cannot reach the virtualenv.
        assert server.bin_dir in (pgserver_bin_dir(), server.root / "site" / "pgserver" / "pginstall" / "bin")
        settings = await _check_running(server)
        assert int(settings["server_version_num"]) // 10000 == 16  # pgserver 0.1.4 bundles PostgreSQL 16
        url, root = server.url(), server.root
    assert not root.exists()
    with pytest.raises(OSError):  # stopped: nothing listens on its port any more
        await asyncpg.connect(url, timeout=10)


async def test_an_install_the_server_account_cannot_reach_runs_from_a_copy(tmp_path: Path):
    # A virtualenv under /root is private to root: so is this copy of pgserver's files, laid out as installed.
    package = pgserver_bin_dir().parent.parent
    site = tmp_path / "site"
    shutil.copytree(package / "pginstall", site / "pgserver" / "pginstall", symlinks=True)
    shutil.copytree(package.with_name("pgserver.libs"), site / "pgserver.libs", symlinks=True)
    site.chmod(0o700)
    with running_postgres(site / "pgserver" / "pginstall" / "bin") as server:
        await _check_running(server)
        if server.account is not None:
            assert server.bin_dir == server.root / "site" / "pgserver" / "pginstall" / "bin"


def test_a_failed_start_leaves_nothing_behind(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("postgres", "initdb"):  # a postgres that answers --version, and an initdb that fails
        tool = bin_dir / name
        tool.write_text("#!/bin/sh\nexit 0\n" if name == "postgres" else "#!/bin/sh\necho broken >&2\nexit 3\n")
        tool.chmod(0o755)
    before = set(Path(tempfile.gettempdir()).glob("pitboard-pg-*"))
    with pytest.raises(PostgresStartError, match="broken"), running_postgres(bin_dir):
        pass
    assert set(Path(tempfile.gettempdir()).glob("pitboard-pg-*")) == before
