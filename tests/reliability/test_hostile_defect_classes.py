"""The defect classes of issue 14, aimed at on purpose through the fake Discord.

An upload holding one hostile cell (a huge number, a NUL or other control character, a bidi control, a cell of
1,001 characters, a column named twice) is refused whole, at the line that holds it; an upload dated outside
its season is refused; and 6,000 characters typed into any fan autocomplete are answered exactly as their first
100 would be, which is all Discord's own client sends. Each input counts towards its class in the summary line.
"""

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.client import PitBoard
from tests.fakediscord import FakeAttachment
from tests.fakediscord.fixtures import ErrorLog
from tests.fakediscord.models import FAN
from tests.fakediscord.server import FakeDiscord
from tests.reliability.harness import Exchange, describe, problems, settle
from tests.reliability.hostile import (
    BIDI,
    CELL_MAX,
    DATES,
    FUZZED_TYPES,
    HUGE_NUMBER_TEXT,
    REAL,
    STRING_MAX,
    TYPED_MAX,
    Leaf,
    classify,
    fuzz_settings,
    hostile_text,
    leaves,
    typed_value,
)
from tests.reliability.tally import tried
from tests.reliability.test_hostile_moderators import UPLOAD, Moderator, judge

COLUMNS = ["finish", "start", "car", "driver", "team", "laps", "points", "notes"]
NUMBER_COLUMNS = ["finish", "start", "laps", "points"]
TEXT_COLUMNS = ["driver", "team", "notes"]
CONTROLS = ("\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\x9f")  # not tab or line breaks


@pytest.fixture
def moderator(bot: PitBoard, fake_discord: FakeDiscord, discord_errors: ErrorLog, tmp_path: Path) -> Moderator:
    return Moderator(fake_discord, discord_errors, tmp_path / "pitboard.db")


def clean_rows() -> list[dict[str, str]]:
    return [
        {"finish": str(n), "start": str(4 - n), "car": f"{n:02d}", "driver": f"Club Driver {n}",
         "team": "Club Team", "laps": "100", "points": str(40 - n), "notes": ""}
        for n in range(1, 4)
    ]  # fmt: skip


def csv_of(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def spliced(draw: st.DrawFn, text: str, bad: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + bad + text[at:]


@st.composite
def hostile_upload(draw: st.DrawFn) -> tuple[str, bytes, int]:
    """(what is wrong, a three-row results file with exactly that wrong, the line a moderator must be sent to)."""
    rows = clean_rows()
    index = draw(st.integers(0, len(rows) - 1))
    row = rows[index]
    kind = draw(st.sampled_from(["huge number", "control character", "bidi control", "long cell", "header twice"]))
    header = list(COLUMNS)
    extra: list[str] = []
    line = index + 2  # the header is line 1
    match kind:
        case "huge number":
            row[draw(st.sampled_from(NUMBER_COLUMNS))] = draw(st.sampled_from(HUGE_NUMBER_TEXT))
        case "control character":
            column = draw(st.sampled_from(TEXT_COLUMNS))
            row[column] = spliced(draw, row[column], draw(st.sampled_from(CONTROLS)))
        case "bidi control":
            column = draw(st.sampled_from(TEXT_COLUMNS))
            row[column] = spliced(draw, row[column], draw(st.sampled_from(BIDI)))
        case "long cell":
            column = draw(st.sampled_from(TEXT_COLUMNS))
            word = draw(st.sampled_from(REAL))
            row[column] = (word * (CELL_MAX // len(word) + 2))[: CELL_MAX + 1]
        case _:
            twice = draw(st.sampled_from(COLUMNS))
            header.append(twice)
            extra = [str(n + 10) for n in range(len(rows))]  # a second value for every row: which one is meant?
            line = 1
    body = [[r[c] for c in COLUMNS] + ([extra[n]] if extra else []) for n, r in enumerate(rows)]
    return kind, csv_of(header, body), line


@fuzz_settings(50)
@given(upload=hostile_upload(), round_=st.integers(2, 60))
async def test_an_upload_holding_one_hostile_cell_is_refused_at_its_line(
    moderator: Moderator, upload: tuple[str, bytes, int], round_: int
):
    kind, data, line = upload
    options = {**UPLOAD, "file": FakeAttachment("results.csv", data, "text/csv"), "round": round_}
    classes = classify(options)
    assert classes, f"{kind}: the input falls in no defect class"
    outcome = await moderator.act(lambda: moderator.slash("manage results import", options), classes=classes)
    extra = []
    if outcome.changed:
        extra.append(f"an upload with a {kind} was imported")
    elif f"results.csv:{line}:" not in outcome.text or "Nothing was imported" not in outcome.text:
        extra.append(f"the refusal of a {kind} does not name line {line} and say that nothing was imported")
    judge(f"{kind}: {data[:300]!r}", outcome, extra)


def off_season() -> st.SearchStrategy[str]:
    """A real date that is not in the 2026 season: near it, at the calendar's ends, or anywhere."""
    listed = [d for d in DATES if d.strip()[:4].isdigit() and d.strip()[:4] != "2026"]
    real = [d for d in listed if _is_date(d)]
    anywhere = st.dates().filter(lambda d: d.year != UPLOAD["season"]).map(dt.date.isoformat)
    return st.one_of(st.sampled_from(real), anywhere)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


@fuzz_settings(30)
@given(date=off_season(), round_=st.integers(2, 60))
async def test_an_upload_dated_outside_its_season_is_refused(moderator: Moderator, date: str, round_: int):
    rows = clean_rows()
    data = csv_of(COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
    options = {**UPLOAD, "file": FakeAttachment("results.csv", data, "text/csv"), "round": round_, "date": date}
    outcome = await moderator.act(lambda: moderator.slash("manage results import", options), classes=classify(options))
    extra = []
    if outcome.changed:
        extra.append(f"a race dated {date} was imported into the {UPLOAD['season']} season")
    elif f"{UPLOAD['season']} season" not in outcome.text or "Nothing was imported" not in outcome.text:
        extra.append("the refusal does not name the season and say that nothing was imported")
    judge(describe("manage results import", {"date": date, "round": round_}), outcome, extra)


def autocompleted_text(fake: FakeDiscord) -> list[tuple[Leaf, str]]:
    """Every (fan command, text option it autocompletes); whole-number options such as season are not text."""
    found = []
    for leaf in leaves(fake.commands[None]):
        if leaf.moderator:
            continue
        found += [(leaf, o["name"]) for o in leaf.options if o.get("autocomplete") and o["type"] == 3]
    return found


@st.composite
def long_typing(draw: st.DrawFn) -> str:
    """6,000 characters whose first 100 are something a fan might type and whose tail would change the answer."""
    head = draw(st.one_of(st.sampled_from(REAL), hostile_text(max_size=TYPED_MAX)))
    padding = draw(st.sampled_from([" ", "", "x"]))
    tail = draw(st.one_of(st.sampled_from(REAL), hostile_text(max_size=50)).filter(bool))
    text = head + padding * (TYPED_MAX - len(head)) + tail * STRING_MAX
    return text[:STRING_MAX]


async def choices_for(
    fake: FakeDiscord, errors: ErrorLog, leaf: Leaf, focused: str, options: dict[str, Any]
) -> list[dict[str, Any]]:
    tried(classes=classify(options))
    exchange = Exchange(fake, errors)
    interaction = await fake.send_autocomplete(leaf.name, options, focused, user=FAN)
    answers = await settle(fake, interaction)
    found = problems(answers, exchange.requests, exchange.take_errors(), " ".join(map(str, options.values())))
    assert not found, f"{describe(f'{leaf.name} [{focused}]', options)}\n" + "\n".join(found)
    exchange.forget()
    return answers[0].body["data"]["choices"]


@fuzz_settings(40)
@given(data=st.data())
async def test_6000_characters_typed_into_a_fan_autocomplete_answer_like_their_first_100(
    bot: PitBoard, fake_discord: FakeDiscord, discord_errors: ErrorLog, data: st.DataObject
):
    leaf, focused = data.draw(st.sampled_from(autocompleted_text(fake_discord)), label="option")
    typed = data.draw(long_typing(), label="typed")
    others = {}
    for spec in leaf.options:
        if spec["name"] != focused and spec["type"] in FUZZED_TYPES and data.draw(st.booleans()):
            others[spec["name"]] = data.draw(typed_value(spec))
    long = await choices_for(fake_discord, discord_errors, leaf, focused, {**others, focused: typed})
    short = await choices_for(fake_discord, discord_errors, leaf, focused, {**others, focused: typed[:TYPED_MAX]})
    assert long == short, f"/{leaf.name} [{focused}]: 6,000 characters offered {long}, their first 100 {short}"
