"""What a server of thousands of fans may type: hypothesis strategies for hostile text, numbers and options.

Option strategies are built from the command JSON the bot registered with the fake Discord, so a new command
or option is fuzzed without anyone adding it here.
"""

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fakediscord import FakeAttachment

DISCORD_INT_MAX = 2**53 - 1  # Discord's integer options carry at most 53 bits
STRING_MAX = 6000  # the longest string option value Discord delivers
TYPED_MAX = 100  # what Discord's own client sends for an option it autocompletes
CELL_MAX = 1000  # the longest cell an upload may hold (README: results upload format)
HUGE = 2**31  # past a 32-bit integer: a number no race figure reaches

MARKDOWN = ("**", "__", "*", "_", "~~", "||", "`", "```", "```py\n", "> ", ">>> ", "# ", "-# ", "\\", "\n", "\r\n")
MARKDOWN += ("[click](https://example.com)", "<https://example.com>", "<t:0:R>", "<:pit:1>", "</results:1>", "\t")
MENTIONS = ("@everyone", "@here", "<@&111>", "<@&502>", "<@1001>", "<@!1000>", "<@999>", "<#222>", "@\u200beveryone")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e", "\x00", "\x1f", "\x7f")
BIDI = ("\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f")
SQL = ("'", '"', "';--", "' OR '1'='1", '"; DROP TABLE races; --', "%", "_", "%_%", "\\%", "*", "NULL", "?", ":race")
SQL += (") OR (1=1", " UNION SELECT * FROM audit_log --", "' ESCAPE '\\", "char(0)", "x'00'", "/*", "*/", "$1")
FORMULAS = ("=cmd|' /C calc'!A0", '=HYPERLINK("https://evil.example","x")', "+SUM(1,1)", "-2+3", "@SUM(A1)", "=1+1")
# Words the bot does understand, so hostile text also reaches the paths behind a successful lookup.
REAL = ("Larson", "Kyle Larson", "#07", "07", "7", "heim", "Corey", "latest", "2025", "Homestead", "truck", "cup")
REAL += ("Baptist Health 200", "nxs", "Craftsman", "laps-led", "points", "Riggs", "#11", "jr", "Jr.", "III")
WEIRD = ("Z\u0335\u0322\u0327a\u0336\u0321l\u0334\u0328", "\U0001f3ce\ufe0f", "\U0001f1fa\U0001f1f8", "ß", "ﬃ", "İ")
WEIRD += ("\u0130stanbul", "Ω", "\u2126", "Å", "A\u030a", "٣", "\uff10\uff17", "²", "⁷", "\u3000", "\u00a0")

FRAGMENTS = MARKDOWN + MENTIONS + INVISIBLE + BIDI + SQL + FORMULAS + REAL + WEIRD
# Numbers as a spreadsheet cell may hold them: past 64 bits, past what int() reads (4,300 digits), or infinite.
HUGE_NUMBER_TEXT = ("2147483648", "9223372036854775808", "-9223372036854775809", "18446744073709551616")
HUGE_NUMBER_TEXT += ("9" * 20, "9" * 400, "9" * 4301, "1e309", "-1e309", "1e15", "1.7976931348623157e308")
HUGE_NUMBER_TEXT += ("+0099999999999", "\u0669" * 11, "\uff19" * 11)  # int() reads other scripts' digits too
# Dates a moderator may give an upload: inside the 2026 season, just outside it, at the calendar's ends, or not real.
DATES = ("2026-02-13", "2026-01-01", "2026-12-31", "2025-12-31", "2027-01-01", "9999-12-31", "0001-01-01")
DATES += ("1900-01-01", "2100-12-31", "2026-02-30", "2026-13-01", " 2026-02-13 ", "20260213", "2026-W07-5")

# The defect classes of issue 14 that reach the bot through Discord, as the reliability summary line names them.
HUGE_NUMBERS = "huge numbers"
CONTROL_CHARACTERS = "NUL and control characters"
BIDI_CONTROLS = "bidi controls"
LONG_CELLS = f"cells over {CELL_MAX:,} characters"
DUPLICATED_HEADERS = "duplicated CSV headers"
OFF_SEASON_DATES = "dates outside the season"
LONG_OPTIONS = f"option text over {TYPED_MAX} characters"
CLASSES = (HUGE_NUMBERS, CONTROL_CHARACTERS, BIDI_CONTROLS, LONG_CELLS, DUPLICATED_HEADERS, OFF_SEASON_DATES)
CLASSES += (LONG_OPTIONS,)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and line breaks are ordinary text
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_DIGITS = re.compile(r"\s*[+-]?\d{10,}\s*")


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for one property: modest, reproducible runs that fit in `make test`.

    PITBOARD_FUZZ_SCALE=10 runs ten times the examples with a random seed, for a longer hunt by hand.
    """
    scale = float(os.environ.get("PITBOARD_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, int(examples * scale)),
        deadline=None,
        derandomize=scale <= 1,
        database=None,
        # One bot and one fake serve every example of a property: starting them per example would cost more
        # than the examples themselves, and a bot that degrades across examples is a finding, not a fluke.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def pieces() -> st.SearchStrategy[str]:
    """One piece of hostile text: a known troublemaker, random Unicode, or a word the bot knows."""
    return st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12), st.sampled_from(REAL))


def hostile_text(*, max_size: int = STRING_MAX, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text a fan might type, from empty to max_size characters, mostly short, sometimes huge."""
    short = st.lists(pieces(), max_size=8).map("".join)
    size = st.one_of(st.integers(100, max_size), st.just(max_size))  # the longest, often: what costs the most
    huge = st.tuples(st.lists(pieces(), min_size=1, max_size=4).map("".join), size).map(
        lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[: t[1]]
    )
    text = st.one_of(short, short, short, huge) if max_size > 100 else short
    return text.map(lambda s: s[:max_size]).filter(lambda s: len(s) >= min_size)


def hostile_number(low: int | None = None, high: int | None = None) -> st.SearchStrategy[int]:
    """An integer Discord could carry: in range, at the edges, just outside, or anywhere in 53 bits."""
    edges = [0, -1, 1, 25, 26, 100, 101, 1899, 1900, 2025, 2200, 2201, DISCORD_INT_MAX, -DISCORD_INT_MAX]
    edges += [HUGE - 1, HUGE, -HUGE - 1, 2**32, 2**53 // 3]
    for bound in (low, high):
        if bound is not None:
            edges += [bound - 1, bound, bound + 1]
    inside = st.integers(low if low is not None else -1000, high if high is not None else 1000)
    return st.one_of(inside, st.sampled_from(edges), st.integers(-DISCORD_INT_MAX, DISCORD_INT_MAX))


@dataclass(frozen=True)
class Leaf:
    """One runnable command as registered: "results", "manage results correct"."""

    name: str
    options: tuple[dict[str, Any], ...]
    moderator: bool
    in_dms: bool  # whether Discord offers it in direct messages too

    @property
    def autocompleted(self) -> list[str]:
        """Names of the options Discord asks the bot to autocomplete."""
        return [o["name"] for o in self.options if o.get("autocomplete")]


def leaves(commands: list[dict[str, Any]]) -> Iterator[Leaf]:
    """Every chat command and subcommand of a registered command list."""

    def walk(prefix: str, options: list[dict[str, Any]], command: dict[str, Any]) -> Iterator[Leaf]:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            moderator = command.get("default_member_permissions") is not None
            yield Leaf(prefix, tuple(options), moderator, 1 in (command.get("contexts") or (0, 1, 2)))
        for sub in subs:
            yield from walk(f"{prefix} {sub['name']}", sub.get("options") or [], command)

    for command in commands:
        if command.get("type", 1) == 1:
            yield from walk(command["name"], command.get("options") or [], command)


FUZZED_TYPES = {3, 4, 5, 10}  # string, integer, boolean, number: what a user can type freely


def option_value(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Any value for one option: hostile, out of range or not one of its choices (Discord's checks skipped)."""
    kind = spec["type"]
    if kind == 3:
        typed = hostile_text(max_size=STRING_MAX)
        if spec["name"] == "date":
            typed = st.one_of(typed, hostile_date(), hostile_date())
        choices = [c["value"] for c in spec.get("choices") or []]
        return st.one_of(st.sampled_from(choices), typed) if choices else typed
    if kind == 4:
        return hostile_number(spec.get("min_value"), spec.get("max_value"))
    if kind == 10:
        edges = st.sampled_from([1e15, -1e15, float(HUGE), float(DISCORD_INT_MAX)])
        return st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15), edges)
    return st.booleans()


def typed_value(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value Discord's own client would accept for an option that is not being autocompleted."""
    kind = spec["type"]
    if spec.get("choices"):
        return st.sampled_from([c["value"] for c in spec["choices"]])
    if kind == 3:
        return hostile_text(max_size=spec.get("max_length", STRING_MAX), min_size=max(1, spec.get("min_length", 1)))
    if kind == 4:
        return st.integers(spec.get("min_value", -1000), spec.get("max_value", 1000))
    if kind == 10:
        return st.floats(spec.get("min_value", -1000), spec.get("max_value", 1000), allow_nan=False)
    return st.booleans()


@st.composite
def invocation(draw: st.DrawFn, leaf: Leaf) -> dict[str, Any]:
    """The options of one invocation of leaf: every required option, and each optional one half the time."""
    options = {}
    for spec in leaf.options:
        if spec["type"] not in FUZZED_TYPES:
            continue
        if spec.get("required") or draw(st.booleans()):
            options[spec["name"]] = draw(option_value(spec))
    return options


@st.composite
def autocomplete(draw: st.DrawFn, leaf: Leaf) -> tuple[str, dict[str, Any]]:
    """(focused option, options): hostile text typed into one autocompleted option, valid values elsewhere."""
    focused = draw(st.sampled_from(leaf.autocompleted))
    options: dict[str, Any] = {focused: draw(hostile_text(max_size=STRING_MAX))}
    for spec in leaf.options:
        if spec["name"] != focused and spec["type"] in FUZZED_TYPES and draw(st.booleans()):
            options[spec["name"]] = draw(typed_value(spec))
    return focused, options


@st.composite
def hostile_date(draw: st.DrawFn) -> str:
    """A race date as typed: one of DATES, or any day of the calendar."""
    return draw(st.one_of(st.sampled_from(DATES), st.dates().map(dt.date.isoformat)))


def _huge_text(cell: str) -> bool:
    if _DIGITS.fullmatch(cell):
        return True
    try:
        return abs(float(cell)) >= HUGE
    except (ValueError, OverflowError):
        return False


def _decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _off_season(date: str, season: object) -> bool:
    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        return False  # not a date at all: another kind of bad input
    return day.year != season if isinstance(season, int) else not 1900 <= day.year <= 2100


def classify(
    options: Mapping[str, Any] | None = None, *, texts: Iterable[str] = (), files: Iterable[bytes] = ()
) -> set[str]:
    """Return the defect classes (CLASSES) one input belongs to: its options, form texts and uploaded files."""
    options = dict(options or {})
    found: set[str] = set()
    strings = list(texts)
    uploads = list(files)
    for value in options.values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and abs(value) >= HUGE:
            found.add(HUGE_NUMBERS)
        elif isinstance(value, str):
            strings.append(value)
            if len(value) > TYPED_MAX:
                found.add(LONG_OPTIONS)
        elif isinstance(value, FakeAttachment):
            uploads.append(value.data)
    if isinstance(options.get("date"), str) and _off_season(options["date"], options.get("season")):
        found.add(OFF_SEASON_DATES)
    for data in uploads:
        # Split naively: the csv module's field limit is process-wide, and the bot under test shares it. Only at
        # line feeds: splitlines() would also split at (and so lose) \x0b, \x1c-\x1e and \x85.
        lines = _decoded(data).split("\n")
        header = [cell.strip().strip('"').strip() for cell in lines[0].split(",")] if lines else []
        if len(set(header)) < len(header):
            found.add(DUPLICATED_HEADERS)
        cells = [cell for line in lines for cell in line.split(",")]
        strings += cells
        if any(len(cell.strip('"')) > CELL_MAX for cell in cells):
            found.add(LONG_CELLS)
        if any(_huge_text(cell.strip('"')) for cell in cells):
            found.add(HUGE_NUMBERS)
    if any(_CONTROL.search(text) for text in strings):
        found.add(CONTROL_CHARACTERS)
    if any(_BIDI.search(text) for text in strings):
        found.add(BIDI_CONTROLS)
    return found
