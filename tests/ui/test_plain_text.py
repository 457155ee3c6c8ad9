"""Stored text reads in Discord exactly as stored: plain() escapes markdown once, and clip and hide keep it so."""

import dataclasses
import datetime as dt
import re

import pytest

from bot.catalog import Catalog, RaceData
from bot.charts.data import ChartKind
from bot.charts.service import Chart
from bot.store import Store
from bot.store.models import Quote
from bot.ui.charts import chart_message
from bot.ui.embeds.quotes import quote_embed
from bot.ui.embeds.races import recap_embed, result_line, results_pages
from bot.ui.limits import clip
from bot.ui.text import hide, plain

# Discord drops a backslash before any character that is not a letter, digit or space, and shows what follows.
_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
# Markup that would still render: an unescaped markdown character, a masked link, or markup opening a line.
_LIVE_INLINE = re.compile(r"(?<!\\)(?:\\\\)*[*_~`|]")
_LIVE_LINK = re.compile(r"(?<!\\)(?:\\\\)*\[[^\]]*\]\(")
_LIVE_LINE_START = re.compile(r"^[ \t]*(?:#{1,3}\s|-#\s|[-+]\s|[0-9]+\.\s|>)", re.MULTILINE)

DRIVER = "**carson HOCEVAR** 🤡"
SENT_DRIVER = "\\*\\*carson HOCEVAR\\*\\* 🤡"  # DRIVER as the bot sends it
HOSTILE = [
    DRIVER,
    "_Kyle_ Larson",
    "_Team_ `X`",
    "~~Ross~~ ||Chastain||",
    "__under__ ***both***",
    "[click](https://example.com)",
    "[a](https://a.example) then [b](https://b.example)",
    "# Header",
    "## Two\n### Three",
    "-# small print",
    "- listed",
    "+ listed",
    "1. numbered",
    "> quoted",
    ">>> quoted to the end",
    "<@1001> and <@&502> at <t:0:R> with <:pit:1>",
    "see https://example.com",
    "back\\slash \\*",
    "```py\nprint()\n```",
]


def as_discord_shows(text: str) -> str:
    """Return text as Discord displays it once the escapes are read (no other markup is left to read)."""
    return _ESCAPE.sub(r"\1", text)


def live_markup(text: str) -> list[str]:
    """Return what in text Discord would still read as markup."""
    return [m.group() for pattern in (_LIVE_INLINE, _LIVE_LINK, _LIVE_LINE_START) for m in pattern.finditer(text)]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_in_stored_text_shows_literally(text: str):
    escaped = plain(text)
    assert not live_markup(escaped), escaped
    assert as_discord_shows(escaped) == text  # escaped once: no stray backslash shows


def test_the_names_from_the_issue_are_escaped_character_by_character():
    assert plain("**carson HOCEVAR** 🤡") == "\\*\\*carson HOCEVAR\\*\\* 🤡"
    assert plain("_Kyle_ Larson") == "\\_Kyle\\_ Larson"
    assert plain("_Team_ `X`") == "\\_Team\\_ \\`X\\`"


def test_every_masked_link_is_broken_and_no_link_is_made():
    assert plain("[click](https://example.com)") == "\\[click](https\\://example.com)"
    both = plain("[a](https://a.example) then [b](https://b.example)")
    assert both == "\\[a](https\\://a.example) then \\[b](https\\://b.example)"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# Header", "\\# Header"),
        ("### Header", "\\### Header"),
        ("-# small print", "\\-# small print"),
        ("- listed", "\\- listed"),
        ("1. numbered", "1\\. numbered"),
        ("> quoted", "\\> quoted"),
        ("Team\n# Header", "Team\n\\# Header"),  # a line inside the value starts a line too
    ],
)
def test_markup_that_opens_a_line_is_escaped(text: str, escaped: str):
    assert plain(text) == escaped


@pytest.mark.parametrize(
    "text",
    [
        "Kyle Larson",
        "Ricky Stenhouse Jr.",
        "Dale Earnhardt Jr.",
        "A.J. Allmendinger",
        "O'Brien",
        "Smith-Jones",
        "Homestead-Miami Speedway",
        "Daniel Suárez",
        "Front Row Motorsports",
        "HendrickCars.com",
        "#07 Kyle Larson: finish 1 → 3; status running → disqualified",
        "#### not a header",
        "2025 Baptist Health 200",
        "a < b, 3 > 2",
        "I'm not sure what happened to the #11 [Heim, whose truck kept shutting off] but it worked",
    ],
)
def test_text_without_markdown_is_unchanged(text: str):
    assert plain(text) == text


async def test_every_shipped_name_is_unchanged(store: Store):
    data = await Catalog(store).race_data(1)
    race = data.race
    texts = [race.name, race.track, race.series, race.series_short]
    for entry in data.entries:
        texts += [entry.driver, entry.team, entry.make, entry.sponsor, entry.status]
    texts += [driver.name for driver in await store.drivers()]
    stored = [text for text in texts if text]
    assert len(stored) > 100
    assert [text for text in stored if plain(text) != text] == []


def test_hidden_text_keeps_one_escape_per_bar():
    hidden = hide(plain("a||b|c"))
    assert hidden == "||a\\|\\|b\\|c||"
    assert as_discord_shows(hidden[2:-2]) == "a||b|c"
    assert hide("ours | theirs") == "||ours \\| theirs||"  # a bare bar is still escaped


def test_a_cut_never_leaves_half_an_escape():
    cut = clip(plain("*" * 50), 20)
    assert cut == "\\*" * 9 + "…"
    assert as_discord_shows(cut) == "*" * 9 + "…"
    assert clip(plain("**bold** " * 10), 16) == "\\*\\*bold\\*\\*…"


async def test_a_results_line_shows_markdown_names_literally_and_escapes_them_once(store: Store):
    data = await Catalog(store).race_data(1)
    winner = dataclasses.replace(
        data.entries[0], driver="**carson HOCEVAR** 🤡", team="_Team_ `X`", make="[click](https://example.com)"
    )
    line = result_line(winner)
    assert line.startswith(f"**1st** #07 {SENT_DRIVER} · \\[click](https\\://example.com) · ")
    assert "\\_Team\\_ \\`X\\`" in line
    assert "\\\\" not in line  # no escape escaped again

    race = dataclasses.replace(data.race, track="_Club_ Oval", name="**Club** 150")
    marked = RaceData(race, (winner, *data.entries[1:]), data.stages, data.moments, data.notes, data.corrections)
    page = results_pages(marked)[0]
    assert page.title == "Results · 2025 \\*\\*Club\\*\\* 150"
    assert (page.description or "").startswith("\\_Club\\_ Oval · ")
    card = recap_embed(marked, "Body as a moderator wrote it, **bold** on purpose.")
    assert card.title == "2025 \\*\\*Club\\*\\* 150 · \\_Club\\_ Oval"
    assert "**bold** on purpose" in (card.description or "")
    field = f"#07 {SENT_DRIVER}\n\\_Team\\_ \\`X\\` \\[click](https\\://example.com)"
    assert (card.fields[0].name, card.fields[0].value) == ("Winner", field)


def test_a_quote_shows_its_speaker_words_and_context_literally():
    quote = Quote(
        id=1,
        race_id=1,
        race_label="2026 Club 150 ([click](https://example.com))",
        driver_id=None,
        speaker=DRIVER,
        role="_Race_ winner",
        text="**What** a night || and a spoiler",
        context="# Post-race",
        source_url="https://example.com/story",
        confidence="one source",
        added_by=5,
        created_at=dt.datetime(2026, 2, 14, tzinfo=dt.UTC),
    )
    shown = quote_embed(quote, 1, 1)
    assert shown.title == SENT_DRIVER
    assert shown.description == "“\\*\\*What\\*\\* a night \\|\\| and a spoiler”"
    fields = {field.name: field.value for field in shown.fields}
    assert fields["Role"] == "\\_Race\\_ winner"
    assert fields["Context"] == "\\# Post-race"
    assert fields["Race"] == "2026 Club 150 (\\[click](https\\://example.com))"
    assert fields["Source"] == "[https://example.com/story](https://example.com/story)"  # our link, kept a link
    hidden = quote_embed(quote, 1, 1, spoiler=True)
    assert hidden.description == "||“\\*\\*What\\*\\* a night \\|\\| and a spoiler”||"


def test_a_chart_names_drivers_literally_where_discord_reads_markdown_and_as_stored_where_it_does_not():
    chart = Chart(
        png=b"png",
        filename="laps-led-2026-club-150.png",
        title="Laps led · 2026 **Club** 150",
        description=f"Bar chart of laps led in the 2026 **Club** 150: {DRIVER} 60, Bea Bright 40.",
        caption="Source: _club_.example",
        kind=ChartKind.LAPS_LED,
        race_id=7,
    )
    message = chart_message(chart)
    assert message.embed is not None
    assert message.embed.title == "Laps led · 2026 \\*\\*Club\\*\\* 150"
    assert (
        message.embed.description
        == f"Bar chart of laps led in the 2026 \\*\\*Club\\*\\* 150: {SENT_DRIVER} 60, Bea Bright 40."
    )
    # An attachment's description (read out by screen readers) and a footer show no markdown: kept as stored.
    assert message.file.description == chart.description
    assert message.embed.footer.text == "Source: _club_.example"
    hidden = chart_message(chart, spoiler=True)
    assert hidden.content == (
        "**Laps led · 2026 \\*\\*Club\\*\\* 150** · spoiler-safe mode: tap to reveal\n"
        f"||Bar chart of laps led in the 2026 \\*\\*Club\\*\\* 150: {SENT_DRIVER} 60, Bea Bright 40.||\n"
        "-# Source: \\_club\\_.example"
    )
