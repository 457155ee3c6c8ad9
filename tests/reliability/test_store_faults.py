"""The store misbehaving: a read-only file, another writer holding the lock, a corrupt or foreign file, a full
disk, and a backup taken while the bot serves. Fans keep being answered, moderators get a clear private
message, and nothing is written half or lost.
"""

import asyncio
import random
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from bot.client import PitBoard
from bot.store import Store
from tests.e2e.conftest import text_of
from tests.fakediscord import FakeAttachment
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.models import FAN, OWNER
from tests.fakediscord.server import FakeDiscord
from tests.reliability.harness import gone_rows, is_private, snapshot
from tests.reliability.processes import bot_process, can_write, digest, run_cli, without_write_override
from tests.reliability.tally import injected, lost, tried

DISCORD_DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction at all


async def answer(fake: FakeDiscord, name: str, options: dict | None = None, **who) -> tuple[str, bool, float]:
    """Send a command; return the text of its first answer, whether it is private, and how long it took."""
    tried()
    started = time.monotonic()
    interaction = await fake.send_slash(name, options or {}, **who)
    callback = await interaction.wait_response(timeout=15)
    first = callback
    if callback.body.get("type") == 5:
        first = await interaction.wait_followup(timeout=15)
    return text_of(first), is_private(callback), callback.time - started


# --- a read-only database ------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder_writable", [False, True], ids=["read-only folder", "read-only file"])
async def test_a_read_only_database_still_answers_fans_and_refuses_changes(
    fake_discord: FakeDiscord, seeded_file: Path, tmp_path: Path, folder_writable: bool
):
    folder = tmp_path / "mounted"
    folder.mkdir()
    database = folder / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    database.chmod(0o444)
    if not folder_writable:
        folder.chmod(0o555)
    try:
        # As root the bot runs without CAP_DAC_OVERRIDE, so the file's mode binds it as it binds any user.
        assert not await can_write(database, without_write_override), "could not make the database read-only"
        injected()
        before = digest(database)
        async with bot_process(fake_discord, database, preexec=without_write_override) as bot:
            results, private, _ = await answer(fake_discord, "results", {"top": 3}, user=FAN)
            assert "Kyle Larson" in results and not private
            refusal, private, _ = await answer(fake_discord, "manage settings spoiler-hours", {"hours": 12}, user=OWNER)
            assert private and "read-only" in refusal, refusal
            recap, _, _ = await answer(fake_discord, "recap", user=FAN)
            assert "Baptist Health 200" in recap
        assert bot.returncode == 0, bot.log
        assert "Traceback" not in bot.log
        assert "read-only" in bot.log  # the operator is told why nothing can be saved
        assert digest(database) == before
    finally:
        folder.chmod(0o755)
        database.chmod(0o644)


# --- another writer ------------------------------------------------------------------------------------------


async def test_another_writer_delays_no_fan_and_the_moderator_hears_why(
    bot: PitBoard, fake_discord: FakeDiscord, tmp_path: Path
):
    database = tmp_path / "pitboard.db"
    before = snapshot(database)
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process (an import, say) holds the write lock
    injected()
    try:
        change = asyncio.create_task(answer(fake_discord, "manage settings spoiler-hours", {"hours": 12}, user=OWNER))
        await asyncio.sleep(0.05)  # the moderator's write is now waiting for the lock
        fans = [await answer(fake_discord, name, user=FAN) for name in ("results", "stages", "recap")]
        refusal, private, waited = await change
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert all(took < 1.0 for _, _, took in fans), [took for _, _, took in fans]
    assert private and "busy" in refusal, refusal
    assert 0.5 < waited < DISCORD_DEADLINE, waited  # retried for a while, yet answered within Discord's window
    assert snapshot(database) == before  # nothing half-written
    done, _, _ = await answer(fake_discord, "manage settings spoiler-hours", {"hours": 12}, user=OWNER)
    assert "Done" in done  # and once the other writer is gone, the same change goes through


async def test_a_write_waits_out_another_writer_that_finishes_soon(
    bot: PitBoard, fake_discord: FakeDiscord, tmp_path: Path
):
    other = sqlite3.connect(tmp_path / "pitboard.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    injected()
    change = asyncio.create_task(answer(fake_discord, "manage settings spoiler-hours", {"hours": 6}, user=OWNER))
    await asyncio.sleep(0.4)
    other.execute("COMMIT")  # the other writer is done well within the bound
    other.close()
    done, private, waited = await change
    assert private and "Done" in done, done
    assert 0.3 < waited < 1.5, waited


# --- a corrupt or foreign file -------------------------------------------------------------------------------


def foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.executemany("INSERT INTO invoices (total) VALUES (?)", [(n * 1.5,) for n in range(500)])
    conn.commit()
    conn.close()


def damaged_pages(path: Path, seeded: Path, pages: slice) -> None:
    data = bytearray(seeded.read_bytes())
    rng = random.Random(8)
    size = 4096
    for number in range(len(data) // size)[pages]:
        data[number * size : (number + 1) * size] = rng.randbytes(size)
    path.write_bytes(bytes(data))


CORRUPTIONS = {
    "random bytes": lambda path, seeded: path.write_bytes(random.Random(1).randbytes(64 * 1024)),
    "a text file": lambda path, seeded: path.write_bytes(b"driver,team\nKyle Larson,Spire\n" * 200),
    "a truncated database": lambda path, seeded: path.write_bytes(seeded.read_bytes()[:3000]),
    "damaged pages": lambda path, seeded: damaged_pages(path, seeded, slice(2, None, 3)),
    "a damaged table nothing reads at start": lambda path, seeded: damaged_pages(path, seeded, slice(-3, None)),
    "another program's database": lambda path, seeded: foreign_database(path),
}


@pytest.mark.parametrize("damage", list(CORRUPTIONS))
async def test_a_corrupt_or_foreign_file_stops_the_bot_and_is_left_untouched(
    seeded_file: Path, tmp_path: Path, damage: str
):
    database = tmp_path / "pitboard.db"
    CORRUPTIONS[damage](database, seeded_file)
    before = digest(database)
    injected()
    status, _, err = await run_cli(database=database, timeout=30)
    assert status == 2, err
    assert "Database error:" in err and str(database) in err, err
    assert "Traceback" not in err, err
    assert digest(database) == before
    assert not sidecars(database), "the bot left -wal/-shm files beside a file that is not its own"


def sidecars(database: Path) -> list[Path]:
    return list(database.parent.glob(database.name + "-*"))


# --- a full disk ---------------------------------------------------------------------------------------------


async def test_a_full_disk_during_an_upload_rolls_back_and_says_so(
    bot: PitBoard, store: Store, fake_discord: FakeDiscord, discord_errors: ErrorLog, tmp_path: Path
):
    database = tmp_path / "pitboard.db"
    rows = "".join(f"{n},{n},Driver {n},{'x' * 90}\n" for n in range(1, 201))
    upload = {
        "file": FakeAttachment("results.csv", f"finish,car,driver,notes\n{rows}".encode(), "text/csv"),
        "series": "truck",
        "season": 2026,
        "round": 1,
        "name": "Full Disk 200",
        "track": "Club Oval",
        "date": "2026-02-13",
    }
    async with store.connection.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    pages = row[0]
    await store.connection.execute(f"PRAGMA max_page_count = {pages}")  # the disk holds not one more page
    injected()
    before = snapshot(database)
    refusal, private, _ = await answer(fake_discord, "manage results import", upload, user=OWNER)
    assert private and "full" in refusal and "nothing was saved" in refusal.lower(), refusal
    discord_errors.expect("full")  # the operator is told, at ERROR, that the disk needs room
    assert snapshot(database) == before
    await store.connection.execute(f"PRAGMA max_page_count = {pages * 100}")  # room again: the upload goes through
    done, _, _ = await answer(fake_discord, "manage results import", upload, user=OWNER)
    assert "Imported" in done and "200 entries" in done


# --- a backup while serving ----------------------------------------------------------------------------------


async def test_a_backup_taken_while_the_bot_serves_passes_db_check(
    bot: PitBoard, fake_discord: FakeDiscord, tmp_path: Path
):
    database, copy = tmp_path / "pitboard.db", tmp_path / "backup" / "pitboard-copy.db"
    serving = True
    written = 0

    async def serve() -> None:
        nonlocal written
        while serving:
            await answer(fake_discord, "results", user=FAN)
            reply, _, _ = await answer(
                fake_discord, "manage settings spoiler-hours", {"hours": written % 2}, user=OWNER
            )
            written += "Done" in reply

    server = asyncio.create_task(serve())
    await asyncio.sleep(0.2)
    before_backup = snapshot(database)
    status, out, err = await run_cli("db", "backup", str(copy), database=database)
    serving = False
    await server
    assert status == 0, err
    assert written > 0
    status, out, err = await run_cli("db", "check", database=copy)
    assert status == 0, out + err
    assert "integrity_check: ok" in out and "foreign_key_check: 0 problem(s)" in out
    missing = gone_rows(before_backup, snapshot(copy))  # everything committed before the backup began is in it
    missing = [row for row in missing if 'INTO "guild_settings"' not in row]  # a setting updated since, in place
    lost(len(missing))
    assert not missing, missing[:5]
