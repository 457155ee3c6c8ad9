"""Moderators typing anything: the recap and quote forms, results uploads and every /manage option.

Whatever is sent, the answer is private, valid against Discord's contract and free of internals, and the
database either stays exactly as it was (a refusal) or holds exactly what was typed plus one audit entry
(an accepted change): never half of it.
"""

import csv
import io
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.client import PitBoard
from bot.names import car_key, name_key
from tests.e2e.conftest import button
from tests.fakediscord import FakeAttachment
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.interactions import Interaction
from tests.fakediscord.models import FAN, OWNER, FakeChannel, FakeGuild, FakeMember, FakeRole, RecordedRequest
from tests.fakediscord.server import FakeDiscord
from tests.reliability.harness import (
    Exchange,
    Snapshot,
    answer_text,
    describe,
    is_private,
    new_rows,
    problems,
    settle,
    snapshot,
)
from tests.reliability.hostile import (
    CELL_MAX,
    FORMULAS,
    HUGE_NUMBER_TEXT,
    REAL,
    Leaf,
    autocomplete,
    classify,
    fuzz_settings,
    hostile_date,
    hostile_number,
    hostile_text,
    invocation,
    leaves,
)
from tests.reliability.tally import lost, tried

GUILD, CHAT, RECAPS, MARSHALS, ALERTS = 111, 222, 223, 501, 502
pytestmark = [
    pytest.mark.fake_discord(
        guilds=[
            FakeGuild(
                id=GUILD,
                roles=[FakeRole(MARSHALS, "Marshals", position=2), FakeRole(ALERTS, "Race Alerts", position=1)],
                channels=[FakeChannel(CHAT, "race-chat", position=0), FakeChannel(RECAPS, "recaps", position=1)],
                members=[FakeMember(OWNER), FakeMember(FAN)],
            )
        ]
    ),
    pytest.mark.discord_contract(allowed_roles=[ALERTS]),  # the one role a recap may ping, once configured
]

CLUB_CSV = b"finish,start,car,driver,team,make,laps,status,laps_led,points\n" + b"".join(
    f"{n},{n},{n:02d},Club Driver {n},Club Team,Ford,100,running,0,{40 - n}\n".encode() for n in range(1, 11)
)
UPLOAD = {"series": "truck", "season": 2026, "name": "Club 150", "track": "Club Oval", "date": "2026-02-13"}
OPTIONAL_COLUMNS = ("start", "team", "make", "sponsor", "laps", "status", "laps_led", "points", "notes")


@dataclass
class Outcome:
    """One moderator action: what came back, and the database around it."""

    answers: list[RecordedRequest]
    before: Snapshot
    after: Snapshot
    found: list[str]
    exchange: Exchange
    interaction: Interaction

    @property
    def changed(self) -> bool:
        return self.after.dump != self.before.dump

    @property
    def text(self) -> str:
        return answer_text(self.answers)


class Moderator:
    """Sends a moderator's interactions and holds each to the rules in the module docstring."""

    def __init__(self, fake: FakeDiscord, errors: ErrorLog, database: Path) -> None:
        self.fake = fake
        self.errors = errors
        self.database = database

    async def act(
        self, steps: Callable[[], Awaitable[Interaction]], typed: str = "", classes: Iterable[str] = ()
    ) -> Outcome:
        """Run the interactions steps() sends (the last one is the one judged) and check the outcome."""
        tried(classes=classes)
        exchange = Exchange(self.fake, self.errors)
        before = snapshot(self.database)
        final = await steps()
        answers = await settle(self.fake, final)
        after = snapshot(self.database)
        found = problems(answers, exchange.requests, exchange.take_errors(), typed, allowed_roles=[ALERTS])
        # Messages only: a form (9) or autocomplete choices (8) are not. Callbacks and follow-ups say whether they
        # are private; an edit keeps what the message was.
        messages = [a for a in answers if a.body.get("type") not in (8, 9)]
        if not all(is_private(a) for a in messages if a.method == "POST"):
            found.append("a moderator's answer was public")
        if after.dump != before.dump:
            audits = [row for row in new_rows(before, after) if row.startswith('INSERT INTO "audit_log"')]
            if len(audits) != 1:
                lost(1)
                found.append(f"a change landed with {len(audits)} audit entries instead of one:\n{before.diff(after)}")
        elif messages and not answer_text(messages).strip():
            found.append("a refusal without a message")
        return Outcome(answers, before, after, found, exchange, final)

    async def slash(self, name: str, options: dict[str, Any] | None = None) -> Interaction:
        return await self.fake.send_slash(name, options or {}, user=OWNER, force=True)

    async def form(self, opener: str, values: dict[str, str]) -> Interaction:
        """Open a form with a slash command and submit it with values."""
        shown = await self.slash(opener)
        await shown.wait_response()
        return await self.fake.submit_modal(None, values, user=OWNER)


def latest(database: Path, query: str) -> sqlite3.Row | None:
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query).fetchone()
    finally:
        conn.close()


def judge(what: str, outcome: Outcome, extra: list[str] | None = None) -> None:
    found = outcome.found + (extra or [])
    assert not found, f"{what}\nanswered: {outcome.text[:400]!r}\n" + "\n".join(found)
    outcome.exchange.forget()


@pytest.fixture
async def moderator(bot: PitBoard, fake_discord: FakeDiscord, discord_errors: ErrorLog, tmp_path: Path) -> Moderator:
    """A moderator in a server that uploaded Club 150 (so it may be corrected) and has a recap channel."""
    mod = Moderator(fake_discord, discord_errors, tmp_path / "pitboard.db")
    upload = {"file": FakeAttachment("club.csv", CLUB_CSV, "text/csv"), "round": 1, **UPLOAD}
    imported = await (await mod.slash("manage results import", upload)).wait_followup()
    assert "Imported" in answer_text([imported])
    await (await mod.slash("manage settings recap-channel", {"channel": RECAPS})).wait_response()
    return mod


# --- the forms ---------------------------------------------------------------------------------------------


def required(max_size: int) -> st.SearchStrategy[str]:
    """A required form field: Discord sends at least one character, whitespace included."""
    return hostile_text(max_size=max_size, min_size=1)


@fuzz_settings(60)
@given(
    race=st.sampled_from(["latest", "Club 150"]),
    headline=required(256),
    body=required(4000),
    publish=st.booleans(),
)
async def test_recap_form_stores_exactly_what_was_typed_or_refuses(
    moderator: Moderator, race: str, headline: str, body: str, publish: bool
):
    async def steps() -> Interaction:
        shown = await moderator.slash("manage recap write", {"race": race})
        await shown.wait_response()
        return await moderator.fake.submit_modal(None, {"headline": headline, "body": body}, user=OWNER)

    classes = classify(texts=[headline, body])
    outcome = await moderator.act(steps, headline + body, classes)
    extra = []
    if outcome.changed:
        row = latest(moderator.database, "SELECT headline, body FROM recap_versions ORDER BY id DESC LIMIT 1")
        if row is None or (row["headline"], row["body"]) != (headline.strip(), body.strip()):
            lost(1)
            extra.append(f"stored {tuple(row) if row else None!r}, typed {(headline.strip(), body.strip())!r}")
    elif headline.strip() and body.strip():
        extra.append("a recap with a headline and a body was refused")
    judge(describe("manage recap write", {"headline": headline, "body": body}), outcome, extra)
    if outcome.changed and publish:  # posted to the recap channel as typed: within Discord's limits, pinging nobody
        preview = outcome.interaction.original
        assert preview is not None
        published = await moderator.act(
            lambda: moderator.fake.click_button(preview, button(preview, "Publish"), user=OWNER),
            headline + body,
            classes,
        )
        judge(f"publishing {describe('', {'headline': headline, 'body': body})}", published)


def source_link() -> st.SearchStrategy[str]:
    """Mostly https links with hostile paths, sometimes anything at all."""
    link = st.builds(lambda path: f"https://example.com/{path}", hostile_text(max_size=200))
    return st.one_of(link, link, required(500)).map(lambda s: s[:500]).filter(bool)


@fuzz_settings(60)
@given(speaker=required(100), text=required(1000), context=hostile_text(max_size=200), source=source_link())
async def test_quote_form_stores_exactly_what_was_typed_or_refuses(
    moderator: Moderator, speaker: str, text: str, context: str, source: str
):
    values = {"speaker": speaker, "text": text, "context": context, "source": source}
    outcome = await moderator.act(
        lambda: moderator.form("manage quote add", values), "".join(values.values()), classify(texts=values.values())
    )
    extra = []
    if outcome.changed:
        query = "SELECT speaker, text, context, source_url FROM quotes ORDER BY id DESC LIMIT 1"
        row = latest(moderator.database, query)
        expected = (speaker.strip(), text.strip(), context.strip() or None, source.strip())
        if row is None or tuple(row) != expected:
            lost(1)
            extra.append(f"stored {tuple(row) if row else None!r}, typed {expected!r}")
    judge(describe("manage quote add", values), outcome, extra)


# --- results uploads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A results file as a moderator might upload it, and the rows it was written from."""

    data: bytes
    rows: tuple[dict[str, str], ...]
    encoding: str
    broken: bool  # holds an unclosed quote
    duplicated: str | None = None  # a column the header names twice, with a different value in each

    def __repr__(self) -> str:
        broken = ", unclosed quote" if self.broken else ""
        duplicated = f", column {self.duplicated} twice" if self.duplicated else ""
        return (
            f"Upload({self.encoding}{broken}{duplicated}, {len(self.data)} bytes, {len(self.rows)} rows, "
            f"{self.data[:120]!r}…)"
        )


TEXT_COLUMNS = ("team", "make", "sponsor", "status", "notes")


def cell_text(max_size: int = 100) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(FORMULAS), st.sampled_from(REAL), hostile_text(max_size=max_size))


def number_cell() -> st.SearchStrategy[str]:
    huge = st.sampled_from(HUGE_NUMBER_TEXT)
    return st.one_of(st.integers(0, 500).map(str), hostile_number().map(str), huge, st.just(""), cell_text(10))


def long_cell(size: int = CELL_MAX + 1) -> st.SearchStrategy[str]:
    """A cell one character over the limit (or of the size given), made of text a moderator might paste."""
    return cell_text(20).filter(bool).map(lambda text: (text * (size // len(text) + 1))[:size])


@st.composite
def results_file(draw: st.DrawFn) -> Upload:
    """A results CSV: hostile cells, formulas, duplicates, huge lines, odd encodings, BOMs and line endings.

    Half the files are clean apart from hostile text, so they should be imported exactly; the other half carry
    cells the importer must refuse somewhere.
    """
    optional = draw(st.lists(st.sampled_from(OPTIONAL_COLUMNS), unique=True))
    header = draw(st.permutations(["finish", "car", "driver", *optional]))
    sloppy = draw(st.booleans())
    rows = []
    for n in range(1, draw(st.integers(1, 8)) + 1):
        row = {
            "finish": str(n),
            "car": draw(st.sampled_from([f"{n:02d}", f"#{n}", f" {n} "])),
            # The number keeps drivers apart: two names that fold alike are one driver, refused as a duplicate.
            "driver": draw(st.one_of(st.just(f"Driver {n}"), cell_text(90).map(lambda text, n=n: f"{text} {n}"))),
        }
        for column in optional:
            row[column] = draw(cell_text() if column in TEXT_COLUMNS else st.integers(0, 500).map(str))
        if sloppy:
            row[draw(st.sampled_from(header))] = draw(st.one_of(cell_text(120), number_cell()))
        rows.append(row)
    if draw(st.integers(0, 3)) == 0:
        rows.append(dict(draw(st.sampled_from(rows))))  # a duplicated row
    match draw(st.integers(0, 19)):
        case 0:
            rows[-1]["driver"] = draw(st.sampled_from(REAL)) * 40_000  # a huge line, under the 1 MB limit
        case 1:
            filler = {column: rows[-1][column] for column in optional}
            rows += [{"finish": str(n), "car": str(n), "driver": f"Filler {n}", **filler} for n in range(300, 551)]
        case 2 | 3:  # a cell just over the limit, or just at it
            column = draw(st.sampled_from(header))
            size = draw(st.sampled_from([CELL_MAX, CELL_MAX + 1]))
            rows[draw(st.integers(0, len(rows) - 1))][column] = draw(long_cell(size))
    # A column named twice (a spreadsheet with two "points" columns): which one is meant cannot be known.
    duplicated = draw(st.sampled_from(header)) if draw(st.integers(0, 7)) == 0 else None
    columns = [*header, duplicated] if duplicated else header
    seconds = [draw(number_cell()) for _ in rows] if duplicated else []
    out = io.StringIO()
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    broken = draw(st.integers(0, 9)) == 0
    if broken:  # an unclosed quote, which a lenient reader would let swallow every row after it
        out.write(",".join('"Unclosed' if column == "driver" else "9" for column in columns) + newline)
    for n, row in enumerate(rows):
        writer.writerow([row[column] for column in header] + ([seconds[n]] if duplicated else []))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        encoding, data = "utf-8", out.getvalue().encode()
    return Upload(data, tuple(rows), encoding, broken, duplicated)


def stored_entries(database: Path, season: int, round_: int) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    query = """
        SELECT e.*, d.name AS driver, t.name AS team FROM entries e
        JOIN drivers d ON d.id = e.driver_id LEFT JOIN teams t ON t.id = e.team_id
        JOIN races r ON r.id = e.race_id JOIN seasons sn ON sn.id = r.season_id
        WHERE sn.year = ? AND r.round = ? AND r.owner_guild_id = ?
    """
    try:
        return conn.execute(query, (season, round_, GUILD)).fetchall()
    finally:
        conn.close()


def mismatches(rows: tuple[dict[str, str], ...], stored: list[sqlite3.Row]) -> list[str]:
    """How the stored entries differ from the uploaded rows (each cell as typed, less surrounding spaces)."""
    by_car = {entry["car_number"]: entry for entry in stored}
    found = [f"{len(rows)} rows uploaded, {len(stored)} entries stored"] if len(rows) != len(stored) else []
    columns = {"finish": "finish_pos", "start": "start_pos", "laps": "laps_completed", "laps_led": "laps_led"}
    columns |= {"points": "points", "make": "make", "sponsor": "sponsor", "status": "status", "notes": "notes"}
    for row in rows:
        entry = by_car.get(car_key(row["car"]))
        if entry is None:
            found.append(f"car {row['car']!r} is missing")
            continue
        if name_key(entry["driver"]) != name_key(row["driver"]):
            found.append(f"car {row['car']!r}: driver {entry['driver']!r}, uploaded {row['driver']!r}")
        for column, field in columns.items():
            if column in row:
                typed = row[column].strip() or None
                kept = entry[field]
                if (str(kept) if kept is not None else None) != typed and not (typed and kept == int(typed)):
                    found.append(f"car {row['car']!r}: {column} {kept!r}, uploaded {typed!r}")
        if "team" in row and entry["team"] != (row["team"].strip() or None):
            found.append(f"car {row['car']!r}: team {entry['team']!r}, uploaded {row['team']!r}")
    return found


def upload_date() -> st.SearchStrategy[str]:
    """The upload's date: mostly in its 2026 season, sometimes outside it or not a date at all."""
    return st.one_of(st.just(UPLOAD["date"]), st.just(UPLOAD["date"]), hostile_date())


@fuzz_settings(60)
@given(upload=results_file(), round_=st.integers(2, 6), date=upload_date())
async def test_results_upload_is_imported_whole_or_not_at_all(
    moderator: Moderator, upload: Upload, round_: int, date: str
):
    options = {"file": FakeAttachment("results.csv", upload.data, "text/csv"), "round": round_, **UPLOAD}
    options["date"] = date
    outcome = await moderator.act(lambda: moderator.slash("manage results import", options), classes=classify(options))
    extra = []
    if outcome.changed:
        stored = stored_entries(moderator.database, UPLOAD["season"], round_)
        if wrong := mismatches(upload.rows, stored):
            lost(len(wrong))
            extra += wrong
        if upload.encoding not in ("utf-8", "utf-8-sig") and not upload.data.isascii():
            extra.append(f"a {upload.encoding} file was imported")
        if upload.broken:
            extra.append("a file with an unclosed quote was imported")
        if upload.duplicated:
            extra.append(f"a file naming column {upload.duplicated} twice was imported")
        if not date.strip().startswith(str(UPLOAD["season"])):
            extra.append(f"a race dated {date!r} was imported into the {UPLOAD['season']} season")
    elif "Nothing was imported" not in outcome.text and "provisional" not in outcome.text:
        extra.append("a refused upload did not say that nothing was imported")
    judge(repr(upload), outcome, extra)


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8-sig", newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


async def test_formula_cells_are_stored_and_shown_as_plain_text(moderator: Moderator):
    rows = [
        ["finish", "car", "driver", "team", "status"],
        ["1", "07", "=cmd|' /C calc'!A0", "@SUM(A1)", "+SUM(1,1)"],
        ["2", "7", '=HYPERLINK("https://evil.example","x")', "-2+3", "=1+1"],
    ]
    upload = {"file": FakeAttachment("formulas.csv", csv_bytes(rows), "text/csv"), "round": 9, **UPLOAD}
    outcome = await moderator.act(lambda: moderator.slash("manage results import", upload), classes=classify(upload))
    stored = stored_entries(moderator.database, UPLOAD["season"], 9)
    judge("formulas", outcome, mismatches(tuple(dict(zip(rows[0], r, strict=True)) for r in rows[1:]), stored))
    shown = await (await moderator.fake.send_slash("results", {"race": "Club 150"}, user=FAN)).wait_response()
    # Its bar goes to Discord escaped (Discord shows the bar, not the backslash): text, never a spoiler.
    assert "=cmd\\|' /C calc'!A0" in answer_text([shown]) and "+SUM(1,1)" in answer_text([shown])


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (csv_bytes([["finish", "car", "driver"], ["1", "07", "Jörg Müller"]], encoding="utf-16"), "not UTF-8 text"),
        (csv_bytes([["finish", "car", "driver"], ["1", "07", "Jörg Müller"]], encoding="latin-1"), "not UTF-8 text"),
        (csv_bytes([["finish", "car", "driver"], ["1", "07", "A"], ["1", "07", "A"]]), "the same car as line 2"),
        (csv_bytes([["finish", "car", "driver"], ["1", "07", "A" * 900_000]]), "field larger than field limit"),
        (b'finish,car,driver\n1,07,"Kyle Larson\n2,11,Corey Heim\n', "unexpected end of data"),  # a swallowed row
        (b"", "Nothing was imported"),
    ],
    ids=["utf-16", "latin-1", "duplicate row", "huge line", "unclosed quote", "empty file"],
)
async def test_a_bad_file_is_refused_privately_and_changes_nothing(moderator: Moderator, data: bytes, said: str):
    upload = {"file": FakeAttachment("bad.csv", data, "text/csv"), "round": 9, **UPLOAD}
    outcome = await moderator.act(lambda: moderator.slash("manage results import", upload), classes=classify(upload))
    assert not outcome.changed
    judge(said, outcome, [] if said in outcome.text else [f"the refusal does not say {said!r}"])


# --- every /manage option ------------------------------------------------------------------------------------

# Values for the options a user picks rather than types: a channel, a role, a file.
PICKED = {7: RECAPS, 8: ALERTS, 11: FakeAttachment("club.csv", CLUB_CSV, "text/csv")}


def moderator_commands(fake: FakeDiscord) -> list[Leaf]:
    return [leaf for leaf in leaves(fake.commands[None]) if leaf.moderator]


@fuzz_settings(120)
@given(data=st.data())
async def test_every_moderator_option_is_refused_clearly_or_applied_whole(moderator: Moderator, data: st.DataObject):
    leaf = data.draw(st.sampled_from(moderator_commands(moderator.fake)), label="command")
    options = data.draw(invocation(leaf), label="options")
    options |= {o["name"]: PICKED[o["type"]] for o in leaf.options if o["type"] in PICKED and o.get("required")}
    if leaf.name == "manage results correct":
        options["race"] = data.draw(st.sampled_from(["Club 150", options["race"]]), label="race")
    outcome = await moderator.act(
        lambda: moderator.slash(leaf.name, options), " ".join(map(str, options.values())), classify(options)
    )
    judge(describe(leaf.name, options), outcome)


@fuzz_settings(60)
@given(data=st.data())
async def test_moderator_autocomplete_survives_anything_typed(moderator: Moderator, data: st.DataObject):
    leaf = data.draw(st.sampled_from([c for c in moderator_commands(moderator.fake) if c.autocompleted]))
    focused, options = data.draw(autocomplete(leaf), label="typed")
    outcome = await moderator.act(
        lambda: moderator.fake.send_autocomplete(leaf.name, options, focused, user=OWNER),
        " ".join(map(str, options.values())),
        classify(options),
    )
    judge(
        describe(f"{leaf.name} [{focused}]", options), outcome, ["autocomplete changed the database"] * outcome.changed
    )


@fuzz_settings(40)
@given(
    car=st.sampled_from(["01", "02", "#03", " 04 ", "#5", "99"]),  # #5 and 99 are not in the race
    reason=hostile_text(max_size=300, min_size=3),
    status=hostile_text(max_size=40, min_size=1),
    points=st.integers(0, 500),
)
async def test_a_correction_is_stored_as_typed(moderator: Moderator, car: str, reason: str, status: str, points: int):
    options = {"race": "Club 150", "car": car, "reason": reason, "status": status, "points": points}
    outcome = await moderator.act(
        lambda: moderator.slash("manage results correct", options), reason + status, classify(options)
    )
    extra = []
    if outcome.changed:
        row = latest(moderator.database, "SELECT reason FROM corrections ORDER BY id DESC LIMIT 1")
        entries = {e["car_number"]: e for e in stored_entries(moderator.database, UPLOAD["season"], 1)}
        stored = (row["reason"] if row else None, entries[car_key(car)]["status"], entries[car_key(car)]["points"])
        if stored != (reason.strip(), status.strip(), points):
            lost(1)
            extra.append(f"stored {stored!r}, typed {(reason.strip(), status.strip(), points)!r}")
    judge(describe("manage results correct", options), outcome, extra)
