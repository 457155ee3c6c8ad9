"""What a server of thousands of fans may type: hypothesis strategies for hostile text, numbers and options.

Option strategies are built from the command JSON the bot registered with the fake Discord, so a new command
or option is fuzzed without anyone adding it here.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DISCORD_INT_MAX = 2**53 - 1  # Discord's integer options carry at most 53 bits
STRING_MAX = 6000  # the longest string option value Discord delivers

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
    huge = st.tuples(st.lists(pieces(), min_size=1, max_size=4).map("".join), st.integers(100, max_size)).map(
        lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[: t[1]]
    )
    text = st.one_of(short, short, short, huge) if max_size > 100 else short
    return text.map(lambda s: s[:max_size]).filter(lambda s: len(s) >= min_size)


def hostile_number(low: int | None = None, high: int | None = None) -> st.SearchStrategy[int]:
    """An integer Discord could carry: in range, at the edges, just outside, or anywhere in 53 bits."""
    edges = [0, -1, 1, 25, 26, 100, 101, 1899, 1900, 2025, 2200, 2201, DISCORD_INT_MAX, -DISCORD_INT_MAX]
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
        choices = [c["value"] for c in spec.get("choices") or []]
        return st.one_of(st.sampled_from(choices), typed) if choices else typed
    if kind == 4:
        return hostile_number(spec.get("min_value"), spec.get("max_value"))
    if kind == 10:
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
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
