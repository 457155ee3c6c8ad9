"""/recap, /results, /stages and /races called as Discord would call them, checked by what the fan sees.

Also their buttons and pagers, a server's own uploads, and the same commands over an imported history.
"""

import datetime as dt
import random
import re
import time
from dataclasses import replace
from unittest.mock import MagicMock

import discord
import pytest

from bot.catalog import Catalog
from bot.errors import NotFoundError, UserFacingError
from bot.facts.spoilers import SpoilerPolicy
from bot.racefiles import parse_results
from bot.search import resolve_driver, resolve_race, resolve_series, resolve_track
from bot.store import Store
from bot.tree import GENERIC_FAILURE, NO_MENTIONS
from bot.ui.paging import PageButton, PagedView
from bot.ui.replies import RaceButton, StatelessView
from cogs.drivers import Drivers
from cogs.quotes import Quotes
from cogs.races import Races
from cogs.records import Records
from tests.fan_fakes import (
    OTHER_USER_ID,
    USER_ID,
    embed_of,
    everything,
    fields,
    invoke,
    lines,
    make_interaction,
    paged_view,
    pressing,
    races_cog,
    sent,
    suggest,
    text_of,
    view_of,
)
from tests.recaps import publish

# --- /results ------------------------------------------------------------------------------------------------


async def test_results_top_3(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction, top=3)
    embed = embed_of(interaction)
    assert embed.title == "Results · 2025 Baptist Health 200"
    firsts = [line for line in lines(embed) if line.startswith("**")]
    assert firsts == [
        "**1st** #07 Kyle Larson · Chevrolet · Spire Motorsports",
        "**2nd** #34 Layne Riggs · Ford · Front Row Motorsports",
        "**3rd** #11 Corey Heim · Toyota · TRICON Garage",
    ]
    assert "top 3 of 34" in lines(embed)[0]
    assert embed.footer.text == "Official results · 13 sources"
    view = view_of(interaction)
    assert [item.label for item in view.children] == ["Chart"]  # one page: no ◀ ▶, only the chart


async def test_results_lines_show_start_movement_laps_status_led_and_points(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction, top=3)
    text = embed_of(interaction).description or ""
    assert "start 3rd (▲2) · 134 laps · running · led 20 · no pts (not eligible)" in text
    assert "start 1st (▼2) · 134 laps · running · led 78 · 54 pts" in text


async def test_results_page_4_ends_with_mallozzi(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    view = paged_view(interaction)
    assert len(view.pages) == 4
    assert embed_of(interaction).footer.text == "Official results · 13 sources · page 1/4"
    last = view.pages[3]
    assert lines(last)[-2:] == [
        "**34th** #2 Stephen Mallozzi · Ford · Reaume Brothers Racing",
        "start 33rd (▼1) · 15 laps · vibration · led 0 · 3 pts",
    ]
    assert (last.footer.text or "").endswith("page 4/4")


async def test_results_mark_disputed_eligibility(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    page_2 = paged_view(interaction).pages[1].description or ""
    assert "#7 Corey Day" in page_2
    assert "0 pts (eligibility disputed)" in page_2


async def test_results_pages_are_written_once_while_the_race_is_unchanged(races: Races):
    first, second = make_interaction(), make_interaction(user_id=OTHER_USER_ID)
    await invoke(races.results, first)
    await invoke(races.results, second)
    assert embed_of(second) is embed_of(first)  # the same page, not written again
    assert (embed_of(second).footer.text or "").endswith("13 sources · page 1/4")  # and numbered only once
    races.catalog.invalidate()  # the race's facts are read again (a correction, say)
    third = make_interaction()
    await invoke(races.results, third)
    assert embed_of(third) is not embed_of(first) and embed_of(third).to_dict() == embed_of(first).to_dict()


async def press(button: PageButton, by: MagicMock) -> PagedView:
    """Press a page button as `by`; return the pager the message was edited to."""
    await button.callback(by)
    edited = by.response.edit_message.await_args.kwargs
    assert edited["allowed_mentions"] == NO_MENTIONS
    view = edited["view"]
    assert isinstance(view, PagedView)
    assert edited["embed"] is view.current
    return view


async def test_results_paging_edges(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    view = paged_view(interaction)
    assert (view.previous.disabled, view.next.disabled) == (True, False)

    view = await press(view.previous, clicker_for(races))  # already on the first page
    assert view.page == 0
    for expected in (1, 2, 3, 3):
        view = await press(view.next, clicker_for(races))
        assert view.page == expected
        assert (view.current.footer.text or "").endswith(f"page {expected + 1}/4")
    assert (view.previous.disabled, view.next.disabled) == (False, True)
    assert lines(view.current)[-2] == "**34th** #2 Stephen Mallozzi · Ford · Reaume Brothers Racing"
    assert [item.label for item in view.children] == ["◀", "▶", "Chart"]


async def test_page_buttons_carry_the_page_and_the_question_not_the_pages(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction, top=25)
    view = paged_view(interaction)
    assert view.timeout is None  # discord.py keeps nothing for it
    for item in view.children:
        assert len(item.custom_id) <= 100
    assert view.next.custom_id.startswith(f"pitboard:page:results:n:{USER_ID}:")
    assert view.next.custom_id.endswith(":0:1.25")  # page 0 of race 1, top 25
    match = view.next.template.fullmatch(view.next.custom_id)
    assert match is not None
    again = await type(view.next).from_custom_id(interaction, view.next.item, match)  # as a press rebuilds it
    assert again.address == view.next.address


@pytest.mark.parametrize(("top", "pages"), [(10, 1), (11, 2), (34, 4), (100, 4)])
async def test_results_page_counts(races: Races, top: int, pages: int):
    interaction = make_interaction()
    await invoke(races.results, interaction, top=top)
    view = view_of(interaction)
    assert (len(view.pages) if isinstance(view, PagedView) else 1) == pages


async def test_only_the_asker_turns_pages(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    view = paged_view(interaction)

    stranger = clicker_for(races, user_id=OTHER_USER_ID)
    assert await view.next.interaction_check(stranger) is False
    hint = sent(stranger)
    assert hint["ephemeral"] is True
    assert "/results" in stranger.response.send_message.await_args.args[0]
    stranger.response.edit_message.assert_not_awaited()

    owner = clicker_for(races, user_id=USER_ID)
    assert await view.next.interaction_check(owner) is True


async def test_an_expired_page_button_turns_the_buttons_off(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    view = paged_view(interaction)
    expired = type(view.next)("n", replace(view.next.address, expires=int(time.time()) - 1))
    expired._view = view  # as discord.py rebuilds it from the pressed message
    owner = clicker_for(races)
    await expired.callback(owner)
    edited = owner.response.edit_message.await_args.kwargs
    assert "embed" not in edited  # the page stays as it was
    assert all(getattr(item, "disabled", False) for item in edited["view"].children)


async def test_a_page_button_for_a_race_no_longer_stored_answers_privately(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction)
    view = paged_view(interaction)
    gone = type(view.next)("n", replace(view.next.address, args=(999, None)))
    owner = clicker_for(races)
    await gone.callback(owner)
    assert sent(owner)["ephemeral"] is True
    assert "no longer stored" in owner.response.send_message.await_args.args[0]


# --- /recap --------------------------------------------------------------------------------------------------


async def test_recap_embed(races: Races):
    interaction = make_interaction()
    await invoke(races.recap, interaction)
    embed = embed_of(interaction)
    assert embed.title == "2025 Baptist Health 200 · Homestead-Miami Speedway"
    assert (embed.description or "").startswith("<t:1742558400:D> · NASCAR Craftsman Truck Series\n\n")
    assert "Kyle Larson" in (embed.description or "")
    assert fields(embed) == {
        "Winner": "#07 Kyle Larson\nSpire Motorsports Chevrolet",
        "Runner-up": "#34 Layne Riggs\nFront Row Motorsports Ford",
        "Third": "#11 Corey Heim\nTRICON Garage Toyota",
        "Pole": "#11 Corey Heim\n32.111 s · 168.167 mph",
        "Stage winners": "Stage 1: Corey Heim\nStage 2: Corey Heim",
        "Laps led": "Corey Heim 78\nRoss Chastain 33\nKyle Larson 20\nLayne Riggs 3",
    }
    assert embed.footer.text == "Official results · 13 sources"
    view = view_of(interaction)
    assert isinstance(view, StatelessView)
    assert [getattr(item, "label", None) for item in view.children] == ["Results", "Stages", "Quotes", "Chart"]


async def test_recap_mentions_the_margin_as_stored(races: Races):
    interaction = make_interaction()
    await invoke(races.recap, interaction, race="Homestead 2025")
    assert "1.340" in (embed_of(interaction).description or "")


def store_numbers(data) -> set[str]:
    """Every number the store holds about the race, in any field or text."""
    values: list[object] = []
    for thing in (data.race, *data.entries, *data.moments, *data.notes, *data.race.stages):
        values += [getattr(thing, name) for name in thing.__slots__]
    for result in data.stages:
        values += [result.stage, result.position, result.points]
    values += [data.race.date.year, data.race.date.month, data.race.date.day]
    found: set[str] = set()
    for value in values:
        found |= set(re.findall(r"\d+(?:\.\d+)?", str(value)))
    return found


async def test_the_generated_recap_has_no_number_the_store_lacks(races: Races):
    interaction = make_interaction()
    await invoke(races.recap, interaction)
    embed = embed_of(interaction)
    text = re.sub(r"<t:\d+:D>", "", text_of(embed))  # the date, as a timestamp, is the race date
    numbers = set(re.findall(r"\d+(?:\.\d+)?", text))
    stored = store_numbers(await races.catalog.race_data(1))
    assert numbers, "the recap should state some facts"
    assert numbers - stored == set()


async def test_recap_uses_the_servers_published_recap(store: Store, races: Races):
    version = await store.add_recap_version(
        5, 1, headline="Larson spins and wins", body="Our moderators' words.", author_id=42
    )
    await publish(store, 5, 1, version.version, user_id=42)
    interaction = make_interaction(guild_id=5)
    await invoke(races.recap, interaction)
    embed = embed_of(interaction)
    assert (embed.description or "").endswith("**Larson spins and wins**\n\nOur moderators' words.")
    assert (embed.footer.text or "").startswith("Recap published by this server's moderators")

    elsewhere = make_interaction(guild_id=6)
    await invoke(races.recap, elsewhere)
    assert "Our moderators' words." not in (embed_of(elsewhere).description or "")

    # A new version published: this server's fans see it at once (the card kept for the old one is not reused).
    second = await store.add_recap_version(5, 1, headline="Second take", body="Revised words.", author_id=42)
    await publish(store, 5, 1, second.version, user_id=42, edited=True)
    again = make_interaction(guild_id=5)
    await invoke(races.recap, again)
    assert (embed_of(again).description or "").endswith("**Second take**\n\nRevised words.")
    other = make_interaction(guild_id=6)
    await invoke(races.recap, other)
    assert embed_of(other) is embed_of(elsewhere)  # the written recap's card, made once and shared


def button(view: discord.ui.View | None, label: str) -> RaceButton:
    """Return the stateless button with this label."""
    assert view is not None
    (found,) = [item for item in view.children if isinstance(item, RaceButton) and item.label == label]
    return found


def clicker_for(cog: Races, *, user_id: int = USER_ID, guild_id: int | None = None) -> MagicMock:
    """Return a fake press on one of the cog's buttons (which carry the cog that answers them)."""
    return make_interaction(user_id=user_id, guild_id=guild_id)


async def test_recap_buttons_open_results_stages_and_quotes(races: Races):
    interaction = make_interaction()
    await invoke(races.recap, interaction)
    view = view_of(interaction)
    assert isinstance(view, StatelessView)

    clicker = clicker_for(races, user_id=OTHER_USER_ID)
    await button(view, "Results").callback(clicker)
    pager = paged_view(clicker)
    assert pager.address.owner_id == OTHER_USER_ID  # whoever pressed owns the new pager
    assert embed_of(clicker).title == "Results · 2025 Baptist Health 200"

    clicker = clicker_for(races)
    await button(view, "Stages").callback(clicker)
    assert embed_of(clicker).title == "Stages · 2025 Baptist Health 200"

    clicker = clicker_for(races)
    await button(view, "Quotes").callback(clicker)
    assert (embed_of(clicker).footer.text or "").startswith("Quote 1 of 19")


async def test_recap_buttons_keep_only_the_race_id_in_their_custom_id(races: Races):
    interaction = make_interaction()
    await invoke(races.recap, interaction)
    view = view_of(interaction)
    assert view is not None
    assert view.timeout is None  # nothing to turn off, so nothing kept per message
    kinds = (races.results_button, races.stages_button, races.quotes_button, races.reveal_button, races.charts.button)
    templates = [kind(1).template for kind in kinds]
    for item in view.children:
        assert isinstance(item, RaceButton)
        assert len(item.custom_id) <= 100
        assert [t.pattern for t in templates if t.fullmatch(item.custom_id)] == [item.template.pattern]
        match = item.template.fullmatch(item.custom_id)
        assert match is not None
        rebuilt = await type(item).from_custom_id(make_interaction(), item.item, match)  # as after a restart
        assert (rebuilt.race_id, rebuilt.custom_id, rebuilt.label) == (1, item.custom_id, item.label)


async def test_a_stateless_buttons_errors_take_the_commands_error_path(
    races: Races, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    gone = clicker_for(races)
    await races.results_button(999).callback(gone)  # a race removed since the recap was posted
    answer = sent(gone)
    assert answer["ephemeral"] is True
    assert gone.response.send_message.await_args.args == ("That race is no longer stored; pick another from the list.",)
    assert not caplog.records

    async def broken(race_id: int) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(races.catalog, "race_data", broken)
    bug = clicker_for(races)
    await races.stages_button(1).callback(bug)
    assert sent(bug)["ephemeral"] is True
    assert bug.response.send_message.await_args.args == (GENERIC_FAILURE,)
    (record,) = caplog.records
    assert record.levelname == "ERROR"
    assert record.getMessage() == "Unhandled error in RecapStagesButton button"
    assert record.exc_info is not None and "bug" in str(record.exc_info[1])


async def test_unknown_race(races: Races):
    with pytest.raises(NotFoundError, match=r"^No race 'Daytona'\."):
        await invoke(races.recap, make_interaction(), race="Daytona")


# --- /stages -------------------------------------------------------------------------------------------------


async def test_stages(races: Races):
    interaction = make_interaction()
    await invoke(races.stages, interaction, race="latest")
    embed = embed_of(interaction)
    stage_1 = fields(embed)["Stage 1 (laps 1-30)"].splitlines()
    assert stage_1[0] == "1. #11 Corey Heim · 10 pts"
    assert stage_1[1] == "2. #07 Kyle Larson · no pts (not eligible)"
    assert stage_1[4] == "5. Ross Chastain or Stewart Friesen (unresolved)"
    assert stage_1[9] == "10. Chandler Smith or Grant Enfinger (unresolved) · 1 pt"
    assert len(stage_1) == 10
    assert list(fields(embed)) == ["Stage 1 (laps 1-30)", "Stage 2 (laps 31-60)"]
    assert (embed.footer.text or "").startswith("Stage 3 ends at the checkered flag")


# --- /races --------------------------------------------------------------------------------------------------


async def test_races_lists_winner_and_date(races: Races):
    interaction = make_interaction()
    await invoke(races.races, interaction, series="truck", season=2025)
    embed = embed_of(interaction)
    assert lines(embed) == [
        "1 race stored (NASCAR Craftsman Truck Series, 2025).",
        "",
        "**2025 Baptist Health 200** · Homestead-Miami Speedway · <t:1742558400:D>",
        "truck round 4 · winner #07 Kyle Larson · official",
    ]


async def test_races_outside_the_filters(races: Races):
    with pytest.raises(NotFoundError, match=r"No races stored \(2024\)"):
        await invoke(races.races, make_interaction(), season=2024)
    with pytest.raises(NotFoundError, match="No races of the 'cup' series"):
        await invoke(races.races, make_interaction(), series="cup")


# --- empty store ---------------------------------------------------------------------------------------------


async def test_every_command_on_an_empty_store_says_there_is_nothing(empty_store: Store):
    catalog = Catalog(empty_store)
    races = races_cog(empty_store, catalog=catalog)
    drivers, quotes = Drivers(catalog), Quotes(catalog)
    calls = [
        invoke(races.recap, make_interaction()),
        invoke(races.results, make_interaction()),
        invoke(races.stages, make_interaction()),
        invoke(races.races, make_interaction()),
        invoke(quotes.quote, make_interaction()),
        invoke(drivers.wins, make_interaction()),
        invoke(drivers.wins, make_interaction(), driver="larson"),
        invoke(drivers.driver, make_interaction(), name="larson"),
    ]
    for call in calls:
        with pytest.raises(UserFacingError, match="No races are stored yet"):
            await call


# --- autocomplete --------------------------------------------------------------------------------------------


async def test_race_autocomplete(races: Races):
    choices = await suggest(races.recap, "race", make_interaction(), "homestead")
    assert [(c.name, c.value) for c in choices] == [
        ("2025 Baptist Health 200 (Homestead-Miami Speedway) · truck", "race:1")
    ]


async def test_a_picked_race_resolves(races: Races):
    interaction = make_interaction()
    await invoke(races.results, interaction, race="race:1", top=1)
    assert "#07 Kyle Larson" in (embed_of(interaction).description or "")


# --- a server's own uploads ----------------------------------------------------------------------------------


UPLOAD = """finish,start,car,driver,team,make,laps,status,laps_led,points
1,2,07,Alex Able,Team A,Ford,100,running,60,55
2,1,7,Bea Bright,Team B,Toyota,100,running,40,45
"""


async def test_a_servers_uploaded_race_is_seen_only_there(store: Store):
    entries, errors = parse_results(UPLOAD)
    assert errors == []
    await store.import_guild_results(
        guild_id=5,
        user_id=42,
        series=("ARCA Menards Series", "arca"),
        season=2025,
        round_=5,  # "latest" is the newest season, then the highest round: after Homestead's round 4
        name="Club 150",
        track="Club Oval",
        date=dt.date(2025, 4, 5),
        entries=entries,
    )
    cog = races_cog(store)
    drivers = Drivers(Catalog(store))

    own = make_interaction(guild_id=5)
    await invoke(cog.races, own)
    assert "Club 150" in (embed_of(own).description or "")
    own = make_interaction(guild_id=5)
    await invoke(cog.results, own, top=1)  # the latest race this server sees is its own
    assert "#07 Alex Able" in (embed_of(own).description or "")
    own = make_interaction(guild_id=5)
    await invoke(drivers.driver, own, name="07")  # car numbers of that latest race
    assert embed_of(own).title == "Alex Able"

    other = make_interaction(guild_id=6)
    await invoke(cog.races, other)
    assert "Club 150" not in (embed_of(other).description or "")
    with pytest.raises(NotFoundError, match="No race 'Club 150'"):
        await invoke(cog.results, make_interaction(guild_id=6), race="Club 150")
    with pytest.raises(NotFoundError, match="No driver 'Alex Able'"):
        await invoke(drivers.driver, make_interaction(guild_id=6), name="Alex Able")
    other = make_interaction(guild_id=6)
    await invoke(drivers.wins, other)
    assert "Alex Able" not in (embed_of(other).description or "")
    choices = await suggest(cog.results, "race", make_interaction(guild_id=6), "club")
    assert choices == []


# --- over an imported history --------------------------------------------------------------------------------


async def test_recap_adds_milestones_from_history(history_store: Store):
    cog = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.recap, asked, race="Homestead 2025")
    fields = {f.name: f.value for f in embed_of(asked).fields}
    assert "Kyle Larson's 4th Craftsman Truck Series win, in 16 starts" in fields["Milestones"]


async def test_imported_races_show_their_season_and_round_never_an_invented_day(history_store: Store):
    cog = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.races, asked, season=2023)
    text = everything(embed_of(asked))
    assert "2023 season, round" in text
    assert "<t:1672574400" not in text and "January 1" not in text  # noon UTC on 1 January 2023


async def test_recap_without_history_has_no_milestones(store: Store):
    cog = races_cog(store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(cog.recap, asked)
    assert "Milestones" not in {f.name for f in embed_of(asked).fields}


async def test_every_pager_asks_the_same_question_again_from_what_its_buttons_carry(history_store: Store):
    catalog = Catalog(history_store)
    races = races_cog(history_store, catalog=catalog, rng=random.Random(1))
    drivers = Drivers(catalog)
    history = Records(catalog, SpoilerPolicy(history_store.guild_settings))
    fan = make_interaction()
    index = await catalog.index()
    truck, homestead = resolve_series(index, "truck"), resolve_track(index, "homestead")
    larson, homestead_2025 = resolve_driver(index, "larson"), resolve_race(index, "Homestead 2025")
    asked = [
        (races.races_pager, await races.listing(fan, None, None)),
        (races.races_pager, await races.listing(fan, truck, 2024)),
        (drivers.wins_pager, await drivers.tally(fan, driver=None, series=None, track=None, season=None, as_of=None)),
        (
            drivers.wins_pager,
            await drivers.tally(fan, driver=larson, series=truck, track=homestead, season=None, as_of=homestead_2025),
        ),
        (history.track_pager, await history.history_pages(fan, homestead, truck)),
    ]
    for source, (pages, args) in asked:
        again = await source.pages(pressing(), args)
        assert [page.to_dict() for page in again] == [page.to_dict() for page in pages], (source.source, args)
    assert len(asked[0][1][0]) >= 2  # /races over the whole history runs to more than one page


async def test_a_press_on_a_multi_page_listing_shows_the_next_page(history_store: Store):
    races = races_cog(history_store, rng=random.Random(1))
    asked = make_interaction()
    await invoke(races.races, asked)
    view = view_of(asked)
    assert isinstance(view, PagedView)
    turned = pressing()
    await view.next.callback(turned)
    second = turned.response.edit_message.await_args.kwargs["embed"]
    assert (second.footer.text or "").endswith(f"page 2/{len(view.pages)}")
    assert second.description != embed_of(asked).description
