"""Embeds stay within Discord's limits and show stored values as stored."""

import dataclasses
import datetime as dt

import discord
import pytest

from bot.catalog import Catalog, RaceData
from bot.store import Store
from bot.store.models import Quote, RaceSummary
from bot.ui.embeds.help import help_embed
from bot.ui.embeds.quotes import quote_embed
from bot.ui.embeds.races import recap_embed, result_line, results_pages, stages_embed
from bot.ui.limits import choices, clip, fit
from bot.ui.text import points_text, race_date


@pytest.fixture
async def homestead(store: Store) -> RaceData:
    return await Catalog(store).race_data(1)


def within_limits(embed: discord.Embed) -> bool:
    return (
        len(embed.title or "") <= 256
        and len(embed.description or "") <= 4096
        and len(embed.fields) <= 25
        and all(len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024 for f in embed.fields)
        and len(embed.footer.text or "") <= 2048
        and len(embed) <= 6000
    )


def test_clip_cuts_at_a_word_and_marks_the_cut():
    text = "Kyle Larson spun and won " * 20
    cut = clip(text, 60)
    assert len(cut) <= 60
    assert cut.endswith("…")
    assert cut[:-1] == cut[:-1].rstrip() and text.startswith(cut[:-1])
    assert clip("short", 60) == "short"


def test_fit_brings_an_oversized_embed_within_every_limit():
    embed = discord.Embed(title="T" * 300, description="word " * 1500)
    for n in range(30):
        embed.add_field(name=f"field {n} " * 40, value="value " * 400)
    embed.set_footer(text="footer " * 500)
    fit(embed)
    assert within_limits(embed)


def test_fit_keeps_a_small_embed_as_it_is():
    embed = discord.Embed(title="Results", description="1st #07 Kyle Larson")
    embed.add_field(name="Winner", value="#07 Kyle Larson")
    fit(embed)
    assert (embed.title, embed.description, embed.fields[0].value) == (
        "Results",
        "1st #07 Kyle Larson",
        "#07 Kyle Larson",
    )


def test_choices_are_cut_to_discords_limits():
    offered = choices((f"race {'x' * 150} {n}", f"race:{n}") for n in range(40))
    assert len(offered) == 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in offered)


def summary(date: dt.date, precision: str = "day") -> RaceSummary:
    return RaceSummary(
        id=1,
        series="NASCAR Craftsman Truck Series",
        series_short="truck",
        season=date.year,
        round=4,
        name="Baptist Health 200",
        track="Homestead-Miami Speedway",
        date=date,
        results_status="official",
        winner=None,
        winner_car=None,
        date_precision=precision,
    )


def test_race_date_is_noon_utc_so_no_reader_sees_another_day():
    noon = int(dt.datetime(2025, 3, 21, 12, tzinfo=dt.UTC).timestamp())
    assert race_date(summary(dt.date(2025, 3, 21))) == f"<t:{noon}:D>"


def test_a_race_known_only_by_season_shows_no_day():
    assert race_date(summary(dt.date(2023, 1, 1), "season")) == "2023 season, round 4"


@pytest.mark.parametrize(
    ("points", "eligible", "text"),
    [
        (48, "yes", "48 pts"),
        (1, "yes", "1 pt"),
        (0, "no", "no pts (not eligible)"),
        (0, "disputed", "0 pts (eligibility disputed)"),
        (39, None, "39 pts"),
        (None, "yes", "pts not recorded"),
    ],
)
def test_points_show_eligibility(points, eligible, text):
    assert points_text(points, eligible) == text


def test_a_result_line_has_every_column(homestead: RaceData):
    line = result_line(homestead.entries[0])
    assert line == (
        "**1st** #07 Kyle Larson · Chevrolet · Spire Motorsports\n"
        "start 3rd (▲2) · 134 laps · running · led 20 · no pts (not eligible)"
    )


def test_missing_values_read_not_recorded(homestead: RaceData):
    blank = dataclasses.replace(
        homestead.entries[0], start=None, laps=None, status=None, laps_led=None, points=None, make=None, team=None
    )
    line = result_line(dataclasses.replace(blank, points_eligible="yes"))
    for words in ("start not recorded", "laps not recorded", "status not recorded", "laps led not recorded"):
        assert words in line
    assert "make not recorded · team not recorded" in line


def test_result_pages_stay_within_limits_with_long_names(homestead: RaceData):
    long = tuple(dataclasses.replace(e, team="Team " * 60, driver="Driver " * 20) for e in homestead.entries)
    pages = results_pages(dataclasses.replace(homestead, entries=long))
    assert len(pages) == 4
    assert all(within_limits(p) for p in pages)
    assert [(p.footer.text or "").rsplit(" · ", 1)[-1] for p in pages] == [
        "page 1/4",
        "page 2/4",
        "page 3/4",
        "page 4/4",
    ]


def test_every_homestead_embed_is_within_limits(homestead: RaceData):
    embeds = [
        recap_embed(homestead, "A recap. " * 600),
        stages_embed(homestead),
        *results_pages(homestead),
    ]
    assert all(within_limits(e) for e in embeds)


def quote(**changes) -> Quote:
    base = Quote(
        id=1,
        race_id=1,
        race_label="2025 Baptist Health 200 (Homestead-Miami Speedway)",
        driver_id=2,
        speaker="Kyle Larson",
        role="Race winner",
        text="That last run was a lot of fun.",
        context="Post-race TV interview",
        source_url="https://example.com/story",
        confidence="one source",
        added_by=None,
        created_at=dt.datetime(2025, 3, 22, tzinfo=dt.UTC),
    )
    return dataclasses.replace(base, **changes)


def test_quote_embed_links_its_source():
    embed = quote_embed(quote(), 1, 3)
    assert embed.title == "Kyle Larson"
    assert embed.url == "https://example.com/story"
    assert embed.description == "“That last run was a lot of fun.”"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Role"] == "Race winner"
    assert fields["Context"] == "Post-race TV interview"
    assert fields["Source"] == "[https://example.com/story](https://example.com/story)"
    assert embed.footer.text == "Quote 1 of 3 · one source"


def test_a_long_quote_without_a_usable_link_still_fits():
    embed = quote_embed(quote(text="words " * 1200, source_url="see the TV broadcast", role=None), 1, 1)
    assert embed.url is None
    assert {f.name: f.value for f in embed.fields}["Source"] == "not recorded"
    assert {f.name: f.value for f in embed.fields}["Role"] == "not recorded"
    assert within_limits(embed)


def test_help_lists_commands_and_fits():
    embed = help_embed([(f"</cmd{n}:123>", "Does a thing. " * 7) for n in range(60)], ["</mod a:9>"] * 200)
    assert within_limits(embed)
    assert (embed.description or "").startswith("</cmd0:123> · Does a thing.")
