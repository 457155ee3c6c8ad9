"""When the feeds are asked for: the pure plan."""

import datetime as dt

from bot.feeds.plan import (
    AFTER_RACE_DAY,
    RACE_LIST_EVERY,
    RACE_LIST_ON_RACE_DAY,
    WEEKEND_EVERY,
    RaceWatch,
    race_list_due,
    under_way,
    weekend_due,
)

START = dt.datetime(2025, 9, 26, 23, 30, tzinfo=dt.UTC)


def watch(**changes: object) -> RaceWatch:
    fields: dict[str, object] = {
        "race_id": 1,
        "start": START,
        "results_complete": False,
        "inspection_complete": False,
        "checked_at": None,
    }
    fields.update(changes)
    return RaceWatch(**fields)  # type: ignore[arg-type]


def test_a_race_is_first_asked_for_at_its_start_then_every_minute():
    before = START - dt.timedelta(days=2)
    assert weekend_due(watch(), before) == START
    assert weekend_due(watch(checked_at=START), START) == START + WEEKEND_EVERY
    done = watch(checked_at=START + dt.timedelta(minutes=90), results_complete=True)
    assert weekend_due(done, START + dt.timedelta(minutes=90)) == START + dt.timedelta(minutes=91)


def test_an_official_race_is_never_asked_for_again_and_a_race_without_a_start_never_is():
    assert weekend_due(watch(inspection_complete=True, results_complete=True), START) is None
    assert weekend_due(watch(start=None), START) is None


def test_after_race_day_it_slows_down_and_a_week_later_gives_up():
    late = START + dt.timedelta(hours=13)
    assert weekend_due(watch(checked_at=late), late) == late + AFTER_RACE_DAY
    assert weekend_due(watch(checked_at=late), START + dt.timedelta(days=8)) is None


def test_a_postponed_race_waits_for_its_new_start():
    moved = START + dt.timedelta(days=1)
    polled_before_the_move = watch(start=moved, checked_at=START + dt.timedelta(minutes=5))
    assert weekend_due(polled_before_the_move, START + dt.timedelta(minutes=6)) == moved


def test_the_race_list_is_asked_for_a_few_times_a_day_and_hourly_on_race_day():
    now = START
    assert race_list_due(None, now, race_day=False) == now
    assert race_list_due(now, now, race_day=False) == now + RACE_LIST_EVERY
    assert race_list_due(now, now, race_day=True) == now + RACE_LIST_ON_RACE_DAY
    assert under_way(watch(), START + dt.timedelta(minutes=1))
    assert not under_way(watch(), START - dt.timedelta(minutes=1))
    assert not under_way(watch(results_complete=True), START + dt.timedelta(minutes=1))
