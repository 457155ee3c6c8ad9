"""/quote called as Discord would call it: its filters, stepping through the quotes, and its driver autocomplete."""

import pytest

from bot.errors import NotFoundError
from cogs.quotes import Quotes
from tests.fan_fakes import embed_of, fields, invoke, make_interaction, quote_view, suggest, view_of

# --- /quote --------------------------------------------------------------------------------------------------


async def test_quote_by_driver_steps_through_every_quote_once(quotes: Quotes):
    interaction = make_interaction()
    await invoke(quotes.quote, interaction, driver="larson")
    view = quote_view(interaction)
    assert len(view.quotes) == 10
    assert {q.speaker for q in view.quotes} == {"Kyle Larson"}
    shown = [view.quotes[view.position].id]
    embed = embed_of(interaction)
    assert embed.title == "Kyle Larson"
    assert (embed.footer.text or "").startswith("Quote 1 of 10")
    assert set(fields(embed)) == {"Role", "Race", "Context", "Source"}
    for _ in range(12):  # more presses than quotes
        if view.another.disabled:
            break
        press = make_interaction()
        await view.another.callback(press)
        shown.append(view.quotes[view.position].id)
    assert len(shown) == len(set(shown)) == 10
    assert view.another.disabled and view.another.label == "No more quotes"


async def test_quote_filters_combine(quotes: Quotes):
    interaction = make_interaction()
    await invoke(quotes.quote, interaction, driver="#07", race="Homestead 2025", words="spin")
    view = quote_view(interaction)
    assert {q.speaker for q in view.quotes} == {"Kyle Larson"}
    assert all("spin" in (q.text + (q.context or "")).lower() for q in view.quotes)


async def test_quote_with_one_match_has_no_button(quotes: Quotes):
    interaction = make_interaction()
    await invoke(quotes.quote, interaction, driver="ankrum")
    embed = embed_of(interaction)
    assert embed.title == "Tyler Ankrum"
    assert embed.footer.text is not None and embed.footer.text.startswith("Quote 1 of 1")
    assert view_of(interaction) is None


async def test_quote_words_find_speakers_who_are_not_drivers(quotes: Quotes):
    interaction = make_interaction()
    await invoke(quotes.quote, interaction, words="the nose")
    embed = embed_of(interaction)
    assert embed.title == "Joe Shear Jr."
    assert fields(embed)["Role"] == "Crew chief, #98 (Ty Majeski)"
    assert embed.url is not None and embed.url.startswith("https://motociclismo.pt/")


async def test_quote_with_no_match(quotes: Quotes):
    with pytest.raises(NotFoundError, match=r"No quotes from Corey Day in the 2025 Baptist Health 200\."):
        await invoke(quotes.quote, make_interaction(), driver="#7")
    with pytest.raises(NotFoundError, match="No quotes with 'zzz'"):
        await invoke(quotes.quote, make_interaction(), words="zzz")


# --- autocomplete --------------------------------------------------------------------------------------------


async def test_quote_driver_autocomplete_reads_the_chosen_race(quotes: Quotes):
    choices = await suggest(quotes.quote, "driver", make_interaction(race="race:1"), "7")
    assert choices[0].name == "#7 Corey Day"
    choices = await suggest(quotes.quote, "driver", make_interaction(race="no such race"), "7")
    assert choices[0].name == "#7 Corey Day"  # falls back to the latest race
