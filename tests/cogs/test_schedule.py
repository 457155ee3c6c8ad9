"""/schedule, /next, /standings and /chart kind:standings over a store holding NASCAR's schedule and standings."""

import datetime as dt

import pytest

from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy
from bot.feeds.parse import schedule_entries, standing_entries
from bot.store import Store
from cogs.charts import Charts
from cogs.schedule import Schedule
from tests.chart_fakes import png_size
from tests.fan_fakes import chart_replies, embed_of, invoke, make_interaction, paged_view, sent, text_of
from tests.feeds.schedule_feeds import SEASON, listed_race, race_list, truck_points, truck_season

GUILD = 111
FETCHED = dt.datetime(2025, 9, 20, 12, 0, tzinfo=dt.UTC)
VEGAS_START = dt.datetime(2025, 11, 2, 21, 0, tzinfo=dt.UTC)  # 13:00 PST


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def stock(store: Store, *, winner_at_vegas: int = 0, extra: int = 0) -> None:
    truck = truck_season(winner_at_vegas=winner_at_vegas)
    truck += [
        listed_race(5200 + n, f"Extra Race {n}", "Kansas Speedway", f"2025-10-{n + 1:02d}T20:00:00")
        for n in range(extra)
    ]
    entries = schedule_entries(race_list(truck), "truck", SEASON)
    await store.save_schedule("truck", SEASON, entries, fetched_at=FETCHED)
    await store.save_standings("truck", SEASON, standing_entries(truck_points(starts=1)), fetched_at=FETCHED)
    await store.save_standings("truck", SEASON, standing_entries(truck_points(starts=2)), fetched_at=FETCHED)


def cog(store: Store, now: dt.datetime, *, race_feed: bool = True) -> Schedule:
    catalog = Catalog(store)
    clock = Clock(now)
    return Schedule(catalog, SpoilerPolicy(catalog.guild_settings, clock=clock), race_feed=race_feed, clock=clock)


async def set_spoiler_hours(store: Store, hours: int) -> None:
    await store.update_guild_settings(GUILD, 1, setting="spoiler_hours", value=hours, detail="spoilers on")


def ts(moment: dt.datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def test_schedule_is_paged_with_times_tv_and_winners(store: Store):
    await stock(store, winner_at_vegas=4001, extra=9)
    schedule = cog(store, dt.datetime(2025, 11, 20, tzinfo=dt.UTC))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.schedule, interaction, series="truck")
    view = paged_view(interaction)
    first = view.current
    assert first.title == "2025 NASCAR Craftsman Truck Series schedule"
    text = text_of(first)
    assert ts(dt.datetime(2025, 9, 26, 23, 30, tzinfo=dt.UTC), "F") in text  # Martinsville, 19:30 EDT
    assert "TV: FS1" in text and "data: NASCAR" in (first.footer.text or "")
    assert len(view.pages) == 2
    last = text_of(view.turn_to(1))
    assert ts(VEGAS_START, "F") in last
    assert "Ecosave 200 — won by **Corey Heim**" in last  # the winner's name from NASCAR's standings


async def test_spoiler_safe_mode_hides_a_fresh_winner(store: Store):
    await stock(store, winner_at_vegas=4001)
    await set_spoiler_hours(store, 24)
    schedule = cog(store, VEGAS_START + dt.timedelta(hours=5))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.schedule, interaction, series="truck")
    text = text_of(embed_of(interaction))
    assert "Corey Heim" not in text
    assert "winner hidden (spoiler-safe mode) until" in text


async def test_next_counts_down_and_names_last_years_winner(store: Store):
    await stock(store)
    # The seeded store's 2025 Homestead race stands in for "last year" at the track of a 2026 race.
    listed = [listed_race(7001, "Baptist Health 200", "Homestead-Miami Speedway", "2026-03-21T16:00:00")]
    entries = schedule_entries({"series_3": [dict(r, race_season=2026) for r in listed]}, "truck", 2026)
    await store.save_schedule("truck", 2026, entries, fetched_at=FETCHED)
    schedule = cog(store, dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.next, interaction, series="truck")
    embed = embed_of(interaction)
    start = dt.datetime(2026, 3, 21, 20, 0, tzinfo=dt.UTC)  # 16:00 EDT
    assert ts(start, "R") in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["TV"] == "FS1"
    last_year = fields["Last year's winner here (2025)"]
    stored = next(r for r in await store.race_summaries() if r.name == "Baptist Health 200")
    assert stored.winner is not None and stored.winner in last_year


async def test_a_race_whose_time_is_not_announced_shows_its_day_and_no_countdown(empty_store: Store):
    # NASCAR's midnight is "time not announced"; read as a start it was 04:00 UTC, the night before at the track.
    listed = [listed_race(7101, "Halloween 250", "Martinsville Speedway", "2031-10-31T00:00:00")]
    entries = schedule_entries({"series_3": [dict(r, race_season=2031) for r in listed]}, "truck", 2031)
    await empty_store.save_schedule("truck", 2031, entries, fetched_at=FETCHED)
    made_up = dt.datetime(2031, 10, 31, 4, 0, tzinfo=dt.UTC)
    schedule = cog(empty_store, dt.datetime(2031, 10, 20, tzinfo=dt.UTC))

    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.schedule, interaction, series="truck", season=2031)
    text = text_of(embed_of(interaction))  # one page: no pager
    assert "**R1** · Fri 31 Oct 2031, time not announced · Martinsville Speedway · TV: FS1" in text
    assert "<t:" not in text and str(int(made_up.timestamp())) not in text

    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.next, interaction, series="truck")
    embed = embed_of(interaction)
    assert embed.title == "Next: 2031 Halloween 250"
    assert embed.description == "**Fri 31 Oct 2031, time not announced**"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Starts"] == "Time not announced"
    assert "<t:" not in text_of(embed)  # no start, so no countdown

    # Still the next race on its day; the day after, it is not.
    schedule.clock.now = dt.datetime(2031, 10, 31, 22, 0, tzinfo=dt.UTC)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.next, interaction, series="truck")
    assert embed_of(interaction).title == "Next: 2031 Halloween 250"
    schedule.clock.now = dt.datetime(2031, 11, 1, 6, 0, tzinfo=dt.UTC)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.next, interaction, series="truck")
    assert embed_of(interaction).title == "Next race"


async def test_next_without_the_feed_says_what_needs_it(empty_store: Store):
    schedule = cog(empty_store, dt.datetime(2025, 9, 1, tzinfo=dt.UTC), race_feed=False)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.next, interaction)
    text = text_of(embed_of(interaction))
    assert "RACE_FEED=on" in text and "has not turned on" in text


async def test_schedule_without_the_feed_lists_stored_races_honestly(store: Store):
    schedule = cog(store, dt.datetime(2025, 9, 1, tzinfo=dt.UTC), race_feed=False)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.schedule, interaction, series="truck")
    text = text_of(embed_of(interaction))
    assert "The schedule comes from NASCAR's feed, which this bot's owner has not turned on (RACE_FEED=on" in text
    assert "Baptist Health 200" in text  # what is stored


async def test_standings_are_labelled_with_gaps(store: Store):
    await stock(store)
    schedule = cog(store, dt.datetime(2025, 11, 20, tzinfo=dt.UTC))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.standings, interaction, series="truck")
    embed = embed_of(interaction)
    text = text_of(embed)
    assert "Official, after race 2 (Ecosave 200)" in text
    assert "**1st** #11 Corey Heim · **120 pts** · leader" in text
    assert "**2nd** #34 Layne Riggs · **101 pts** · \u221219 to leader, \u221219 to 1st" in text
    assert "**3rd** #38 Chandler Smith · **95 pts** · \u221225 to leader, \u22126 to 2nd" in text
    assert "wins 2 · top 5 2 · top 10 2 · playoff pts 10" in text
    assert "data: NASCAR" in (embed.footer.text or "")


async def test_standings_hide_the_latest_race_in_spoiler_safe_mode(store: Store):
    await stock(store)
    await set_spoiler_hours(store, 24)
    schedule = cog(store, VEGAS_START + dt.timedelta(hours=2))
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.standings, interaction, series="truck")
    text = text_of(embed_of(interaction))
    assert "after race 2 are hidden until" in text
    assert "Official, after race 1 (Long John Silver's 200)" in text


async def test_standings_without_the_feed_say_so(empty_store: Store):
    schedule = cog(empty_store, dt.datetime(2025, 9, 1, tzinfo=dt.UTC), race_feed=False)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(schedule.standings, interaction, series="cup")
    text = text_of(embed_of(interaction))
    assert "The official standings come from NASCAR's feed" in text and "season-points" in text


async def test_chart_kind_standings_draws(store: Store, threads, counting):
    await stock(store)
    catalog = Catalog(store)
    replies = chart_replies(store, catalog)
    replies.service._executor = threads  # draw in a thread, counted
    replies.service._draw = counting
    charts = Charts(replies, catalog)
    interaction = make_interaction(guild_id=GUILD)
    await invoke(charts.chart, interaction, kind="standings")
    kwargs = interaction.followup.send.await_args.kwargs if interaction.followup.send.await_count else sent(interaction)
    file = kwargs["file"]
    png = file.fp.getvalue()
    assert png_size(png) == (1200, 675)
    assert file.description.startswith("Bar chart of the 2025 NASCAR Craftsman Truck Series points standings")
    assert "after race 2" in file.description and "Corey Heim 120" in file.description
    assert kwargs["embed"].footer.text.startswith("Source: NASCAR")


async def test_chart_kind_standings_without_standings_says_why(empty_store: Store):
    catalog = Catalog(empty_store)
    charts = Charts(chart_replies(empty_store, catalog), catalog)
    interaction = make_interaction(guild_id=GUILD)
    with pytest.raises(Exception, match="RACE_FEED=on"):
        await invoke(charts.chart, interaction, kind="standings")
