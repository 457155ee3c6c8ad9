"""The recap writer: the Homestead recap from the real store, every number traced to a fact, and thin data."""

import dataclasses
import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.facts.recap import (
    MAX_LENGTH,
    RecapFacts,
    biggest_movers,
    join_words,
    number_word,
    stage_sweeper,
    surname,
    write_recap,
)
from bot.store import Store
from bot.store.models import Entry, KeyMoment, Race, RaceNote, Stage, StageResult
from bot.wording import ordinal

# "#07" stays a car number; "1.340" stays exactly as written; "3rd" reads as 3.
NUMBER = re.compile(r"#(?P<car>\d+)|(?P<num>\d+(?:\.\d+)?)")
_CARDINALS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
WORD_NUMBERS = {
    **{w: i for i, w in enumerate(_CARDINALS)},
    **{w: i for i, w in enumerate(_ORDINALS)},
    "eleventh": 11,
    "twelfth": 12,
    "both": 2,
    "twice": 2,
}
WORD = re.compile(r"\b(" + "|".join(WORD_NUMBERS) + r")\b", re.IGNORECASE)
# Internal bookkeeping, not race facts: a recap must never print these.
RACE_INTERNAL = {"id", "pole_entry_id", "curated", "data_version", "source_count"}
# Entry notes are unvetted source text the writer never uses, so they do not vouch for numbers.
ENTRY_INTERNAL = {"id", "race_id", "driver_id", "notes"}


def numbers_in(text: str) -> list[str]:
    """Return every number the text states, normalised: '#07', '1.340', '3' (from '3', '3rd' or 'three')."""
    found = []
    for match in NUMBER.finditer(text):
        if match["car"] is not None:
            found.append(f"#{match['car']}")
        elif "." in match["num"]:
            found.append(match["num"])
        else:
            found.append(str(int(match["num"])))
    found += [str(WORD_NUMBERS[w.lower()]) for w in WORD.findall(text)]
    return found


def _value_numbers(value: object) -> set[str]:
    """Return the numbers one fact value holds, in every form a recap may quote it."""
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int):
        return {str(value)}
    if isinstance(value, float):
        return {repr(value), str(int(value))} if value.is_integer() else {repr(value)}
    if isinstance(value, str):
        plain = {n.lstrip("#") for n in numbers_in(value)}
        return set(numbers_in(value)) | plain | {str(int(n)) for n in plain if n.isdigit()}
    return set()


def fact_numbers(facts: RecapFacts) -> set[str]:
    """Return every number stated in the facts a recap is written from."""
    race = facts.race
    allowed = {str(race.date.year), str(race.date.month), str(race.date.day)}
    for field in dataclasses.fields(race):
        if field.name not in RACE_INTERNAL and field.name != "stages":
            allowed |= _value_numbers(getattr(race, field.name))
    for stage in race.stages:
        allowed |= {str(n) for n in (stage.number, stage.first_lap, stage.last_lap) if n is not None}
    for entry in facts.entries:
        for field in dataclasses.fields(entry):
            if field.name not in ENTRY_INTERNAL:
                allowed |= _value_numbers(getattr(entry, field.name))
        allowed.add(f"#{entry.car_number}")
    for result in facts.stages:
        allowed |= {str(n) for n in (result.stage, result.position, result.points) if n is not None}
    for moment in facts.moments:
        allowed |= {str(n) for n in (moment.lap, moment.laps_to_go) if n is not None}
        # The summary is stored text the recap quotes, so its numbers ("Turn 1", "#98") are facts too.
        allowed |= _value_numbers(moment.when) | _value_numbers(moment.summary)
    return allowed


def derived_numbers(facts: RecapFacts) -> set[str]:
    """Return the only figures a recap may compute: the biggest gain and the count behind 'both stages'."""
    gains = [e.start - e.finish for e in facts.entries if e.start is not None and e.finish is not None]
    derived = {str(max(gains))} if gains and max(gains) > 0 else set()
    if facts.stages:
        derived.add(str(len({r.stage for r in facts.stages})))
    return derived


def unexplained_numbers(facts: RecapFacts, text: str) -> list[str]:
    """Return the numbers in text that neither the facts nor a whitelisted derivation account for."""
    allowed = fact_numbers(facts) | derived_numbers(facts)
    return [n for n in numbers_in(text) if n not in allowed]


@pytest.fixture
async def homestead(store: Store) -> RecapFacts:
    (summary,) = await store.race_summaries()
    race = await store.race(summary.id)
    assert race is not None
    return RecapFacts(
        race=race,
        entries=tuple(await store.entries(race.id)),
        stages=tuple(await store.stage_results(race.id)),
        moments=tuple(await store.key_moments(race.id)),
        notes=tuple(await store.race_notes(race.id)),
    )


# --- The Homestead recap, from the real seeded store -------------------------------------------------


async def test_homestead_names_winner_car_team_and_start(homestead: RecapFacts):
    text = write_recap(homestead)
    assert text.startswith("**Kyle Larson** won the 2025 Baptist Health 200 at Homestead-Miami Speedway")
    assert "#07 Spire Motorsports Chevrolet from 3rd on the grid" in text
    assert not re.search(r"#7\b", text)  # the #7 was Corey Day's truck


async def test_homestead_margin_is_quoted_as_stored(homestead: RecapFacts):
    text = write_recap(homestead)
    assert "beating Layne Riggs by 1.340 seconds." in text
    assert "1.34 " not in text


async def test_homestead_heim_swept_the_stages_led_most_and_finished_third(homestead: RecapFacts):
    text = write_recap(homestead)
    assert "Pole sitter **Corey Heim** swept both stages and led a race-high 78 laps, but came home 3rd." in text


async def test_homestead_key_moments_carry_their_laps(homestead: RecapFacts):
    text = write_recap(homestead)
    assert "On lap 1, Gio Ruggiero lost the rear into Turn 1" in text
    assert "On lap 91 (reports differ), Kyle Larson spun" in text
    assert "With about 21 to go, Heim's engine cut out" in text
    assert "With 2 to go (reports differ), Larson got by Riggs" in text
    assert "NBC" not in text  # source names stay in the store


async def test_homestead_non_finishers_and_biggest_mover(homestead: RecapFacts):
    text = write_recap(homestead)
    assert "Ben Rhodes (suspension, 83 laps) and Stephen Mallozzi (vibration, 15 laps) failed to finish." in text
    assert "Jake Garcia made the biggest climb of the race, from 20th to 7th (13 spots)." in text


async def test_homestead_every_number_comes_from_the_facts(homestead: RecapFacts):
    text = write_recap(homestead)
    assert numbers_in(text)  # the check below must not pass vacuously
    assert unexplained_numbers(homestead, text) == []


async def test_homestead_length_and_determinism(homestead: RecapFacts):
    text = write_recap(homestead)
    assert 700 <= len(text) <= 1500 <= MAX_LENGTH
    assert write_recap(dataclasses.replace(homestead)) == text
    assert "None" not in text


async def test_homestead_full_text(homestead: RecapFacts):
    paragraphs = write_recap(homestead).split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[1] == (
        "Pole sitter **Corey Heim** swept both stages and led a race-high 78 laps, but came home 3rd. "
        "Ross Chastain led 33 laps, set the fastest lap (32.543 seconds) and finished 6th. "
        "In all, four drivers took a turn in the lead."
    )
    assert paragraphs[3].startswith("Tyler Ankrum and Daniel Hemric completed the top five.")
    assert paragraphs[4] == "_Sources disagree on a few details of this race._"


def test_the_number_check_catches_invented_and_reformatted_figures():
    facts = RecapFacts(
        race=make_race(margin_s="1.340"), entries=(make_entry(1, "Ann Lee", finish=1),), stages=(), moments=()
    )
    assert unexplained_numbers(facts, "won by 1.34 seconds") == ["1.34"]
    # March is month 3 and this is round 4, so "three" and "4th" would pass: the check is only as sharp as the facts.
    assert unexplained_numbers(facts, "Nine drivers led") == ["9"]
    assert unexplained_numbers(facts, "the #7 truck") == ["#7"]
    assert unexplained_numbers(facts, "finished 7th") == ["7"]


# --- Helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0th"),
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
    ],
)
def test_ordinal(n: int, expected: str):
    assert ordinal(n) == expected


def test_ordinal_refuses_negatives():
    with pytest.raises(ValueError, match="negative"):
        ordinal(-1)


def test_small_helpers():
    assert [number_word(n) for n in (0, 4, 10, 11)] == ["zero", "four", "ten", "11"]
    assert [join_words(x) for x in ([], ["A"], ["A", "B"], ["A", "B", "C"])] == ["", "A", "A and B", "A, B and C"]
    assert [surname(n) for n in ("Kyle Larson", "Ron Hornaday Jr.", "Andres Perez de Lara", "Cher")] == [
        "Larson",
        "Hornaday",
        "Lara",
        "Cher",
    ]


# --- Thin and odd data, built from the dataclasses ---------------------------------------------------


def make_race(**changes: object) -> Race:
    race = Race(
        id=1,
        series="NASCAR Craftsman Truck Series",
        series_short="truck",
        season=2025,
        round=4,
        rounds_in_season=None,
        name="Baptist Health 200",
        track="Homestead-Miami Speedway",
        location=None,
        track_length_miles=None,
        date=dt.date(2025, 3, 21),
        start_time_local=None,
        scheduled_laps=None,
        laps_run=None,
        distance_miles=None,
        stages=(),
        pole_entry_id=None,
        pole_time_s=None,
        pole_speed_mph=None,
        margin_s=None,
        fastest_lap_driver=None,
        fastest_lap_s=None,
        fastest_lap_mph=None,
        leaders=None,
        lead_changes=None,
        cautions=None,
        caution_laps=None,
        average_speed_mph=None,
        race_duration=None,
        attendance=None,
        purse_usd=None,
        weather=None,
        tv_network=None,
        results_status="official",
        curated=True,
        data_version=1,
        source_count=0,
    )
    return dataclasses.replace(race, **changes)


def make_entry(entry_id: int, driver: str, **changes: object) -> Entry:
    entry = Entry(
        id=entry_id,
        race_id=1,
        driver_id=entry_id,
        driver=driver,
        car_number=str(entry_id),
        team=None,
        make=None,
        sponsor=None,
        start=None,
        finish=None,
        laps=None,
        status=None,
        laps_led=None,
        points=None,
        stage_points=None,
        points_eligible=None,
        notes=None,
    )
    return dataclasses.replace(entry, **changes)


def stage_win(stage: int, entry: Entry | None, *candidates: Entry) -> StageResult:
    return StageResult(stage, 1, entry, tuple(candidates), None, None, None)


def moment(
    ordinal_: int, summary: str, *, lap: int | None = None, to_go: int | None = None, when: str = ""
) -> KeyMoment:
    return KeyMoment(ordinal_, lap, to_go, when, summary)


ANN = make_entry(1, "Ann Lee", car_number="41", start=6, finish=1, laps=211, status="running", laps_led=57)
BO = make_entry(2, "Bo Park", car_number="8", start=9, finish=2, laps=211, status="running", laps_led=31)
CY = make_entry(3, "Cy Young", car_number="66", start=12, finish=3, laps=210, status="running", laps_led=0)


def facts(*entries: Entry, race: Race | None = None, stages=(), moments=(), notes=()) -> RecapFacts:
    return RecapFacts(race or make_race(), tuple(entries), tuple(stages), tuple(moments), tuple(notes))


def test_race_with_only_a_winner():
    text = write_recap(facts(make_entry(1, "Ann Lee", car_number="07", finish=1)))
    assert (
        text == "**Ann Lee** won the 2025 Baptist Health 200 at Homestead-Miami Speedway on March 21, driving the #07."
    )


def test_no_entries_says_results_are_not_in():
    text = write_recap(facts(moments=[moment(1, "The green flag flew.", lap=1)]))
    assert text == (
        "There are no results for the 2025 Baptist Health 200 at Homestead-Miami Speedway on March 21 yet.\n\n"
        "On lap 1, the green flag flew."
    )


def test_entries_without_a_winner():
    text = write_recap(facts(make_entry(1, "Ann Lee")))
    assert text.startswith("No winner is recorded yet for the 2025 Baptist Health 200")
    assert "None" not in text


def test_no_margin_omits_the_figure():
    text = write_recap(facts(ANN, BO))
    assert "beating Bo Park to the flag." in text
    assert "second" not in text
    assert "None" not in text


def test_margin_without_runner_up_and_a_non_numeric_margin():
    assert "to win by 0.077 seconds." in write_recap(facts(ANN, race=make_race(margin_s="0.077")))
    text = write_recap(facts(ANN, race=make_race(margin_s="under caution")))
    assert "driving the #41 from 6th on the grid. Lee also" in text
    assert "caution" not in text


def test_winner_from_pole_who_swept_and_led_most():
    race = make_race(pole_entry_id=ANN.id)
    text = write_recap(
        facts(dataclasses.replace(ANN, start=1), BO, race=race, stages=[stage_win(1, ANN), stage_win(2, ANN)])
    )
    assert "#41 from pole and beating Bo Park" in text
    assert "Lee also swept both stages and led a race-high 57 laps." in text
    assert "Pole sitter" not in text


def test_no_stages_means_no_stage_talk():
    text = write_recap(facts(ANN, BO, CY))
    assert "Stage" not in text
    assert "swept" not in text


def test_three_stage_sweep_is_not_both():
    text = write_recap(facts(ANN, BO, stages=[stage_win(n, BO) for n in (1, 2, 3)]))
    assert "**Bo Park** swept every stage, but came home 2nd." in text
    assert "both" not in text


def test_unresolved_stage_winner_is_no_sweep():
    stages = [stage_win(1, None, BO, CY), stage_win(2, BO)]
    assert stage_sweeper(stages) is None
    text = write_recap(facts(ANN, BO, CY, stages=stages))
    assert "**Bo Park** won Stage 2, but came home 2nd." in text
    assert "swept" not in text


def test_one_stage_is_a_win_not_a_sweep():
    text = write_recap(facts(ANN, BO, stages=[stage_win(1, BO)]))
    assert "**Bo Park** won Stage 1, but came home 2nd." in text


def test_split_stages_name_each_winner():
    text = write_recap(facts(ANN, BO, CY, stages=[stage_win(1, BO), stage_win(2, CY), stage_win(3, BO)]))
    assert "**Bo Park** won Stages 1 and 3, but came home 2nd." in text
    assert "**Cy Young** won Stage 2, but came home 3rd." in text


def test_laps_led_tie_is_shared():
    text = write_recap(facts(ANN, dataclasses.replace(BO, laps_led=57)))
    assert "Lee also shared the race-high of 57 laps led." in text
    assert "**Bo Park** shared the race-high of 57 laps led, but came home 2nd." in text


def test_pole_sitter_who_did_nothing_else_and_one_who_retired():
    gray = make_entry(4, "Tanner Gray", start=1, finish=4, status="running")
    assert "Pole sitter **Tanner Gray** finished 4th." in write_recap(facts(ANN, BO, CY, gray))
    out = dataclasses.replace(gray, status="engine", laps=12)
    text = write_recap(facts(ANN, BO, CY, out, stages=[stage_win(1, out), stage_win(2, out)]))
    assert "Pole sitter **Tanner Gray** swept both stages, but did not finish." in text
    assert "Tanner Gray (engine, 12 laps) failed to finish." in text


def test_biggest_mover_tie_names_both_best_finisher_first():
    dee = make_entry(4, "Dee Moss", start=10, finish=5)
    eli = make_entry(5, "Eli Ruiz", start=9, finish=4)
    assert [e.driver for e in biggest_movers([dee, eli])] == ["Eli Ruiz", "Dee Moss"]
    text = write_recap(facts(eli, dee))
    assert (
        "Eli Ruiz and Dee Moss made the biggest climbs, 5 spots each "
        "(from 9th to 4th and from 10th to 5th respectively)." in text
    )


def test_no_mover_when_nobody_gained():
    text = write_recap(facts(make_entry(1, "Ann Lee", start=1, finish=1), make_entry(2, "Bo Park", start=2, finish=2)))
    assert "climb" not in text


def test_retirements_singular_lap_and_unknown_laps():
    text = write_recap(
        facts(
            ANN,
            make_entry(2, "Bo Park", finish=2, status="accident", laps=1),
            make_entry(3, "Cy Young", finish=3, status="DVP"),
        )
    )
    assert "Bo Park (accident, 1 lap) and Cy Young (DVP) failed to finish." in text


def test_many_retirements_are_capped():
    out = [make_entry(i, f"Driver {chr(64 + i)}", finish=i, status="accident", laps=0) for i in range(2, 9)]
    text = write_recap(facts(ANN, *out))
    assert "Driver F (accident, 0 laps) were among those who failed to finish." in text
    assert "Driver G" not in text


def test_moment_times():
    moments = [
        moment(1, "A tyre let go.", lap=5, when="lap 5"),
        moment(2, "Ann Lee spun", lap=91, when="lap 91 (TV); '45 laps remaining' per radio"),
        moment(3, "Lee's engine coughed.", to_go=21, when="about 21 to go"),
        moment(4, "Bo Park passed.", to_go=2, when="2 to go (A); 3 to go per B"),
        moment(5, "Rain fell.", when="late"),
        moment(6, "The engine smoked.", lap=40, when="around lap 40"),
        moment(7, "   ", lap=1),
    ]
    text = write_recap(facts(ANN, moments=moments))
    assert (
        "On lap 5, a tyre let go. On lap 91 (reports differ), Ann Lee spun. With about 21 to go, Lee's engine coughed. "
        "With 2 to go (reports differ), Bo Park passed. Rain fell. Around lap 40, the engine smoked."
    ) in text


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Rain fell.", "rain fell."),
        ("Pit stops shuffled the order.", "pit stops shuffled the order."),
        ("The Chevrolet of Lee faded.", "the Chevrolet of Lee faded."),
        ("Lee pitted.", "Lee pitted."),  # a driver's surname
        ("Gio Ruggiero spun.", "Gio Ruggiero spun."),  # a name the facts do not hold, kept by its second capital
        ("NASCAR threw the yellow.", "NASCAR threw the yellow."),
        ("McDowell spun.", "McDowell spun."),
    ],
)
def test_moment_openers_are_lowercased_unless_they_look_like_names(summary: str, expected: str):
    text = write_recap(facts(ANN, moments=[moment(1, summary, lap=7)]))
    assert f"On lap 7, {expected}" in text


def test_leaders_lead_changes_cautions_and_fastest_lap():
    race = make_race(
        leaders=3, lead_changes=9, cautions=1, caution_laps=6, fastest_lap_driver="Cy Young", fastest_lap_s="29.001"
    )
    text = write_recap(facts(ANN, BO, CY, race=race))
    assert "Cy Young set the fastest lap (29.001 seconds) and finished 3rd." in text
    assert (
        "In all, three drivers took a turn in the lead, swapping it 9 times. The race saw 1 caution for 6 laps." in text
    )
    assert "Only one driver led a lap." in write_recap(facts(ANN, race=make_race(leaders=1)))


def test_conflict_notes_add_a_caution_line():
    note = RaceNote("conflict", "Spin lap", "Lap 91 or 89.")
    assert write_recap(facts(ANN, notes=[note])).endswith("\n\n_Sources disagree on a few details of this race._")
    assert "disagree" not in write_recap(facts(ANN, notes=[RaceNote("unknown", "attendance", "Not found.")]))


def test_long_facts_stay_within_the_limit_and_drop_moments_whole():
    moments = [moment(i, f"Lap {i} brought a long, long story about the race. " * 4, lap=i) for i in range(1, 200)]
    text = write_recap(facts(ANN, BO, CY, moments=moments))
    assert len(text) <= MAX_LENGTH
    assert text.rstrip().endswith(".")
    assert unexplained_numbers(facts(ANN, BO, CY, moments=moments), text) == []


def test_huge_names_are_cut_at_a_word_boundary():
    giant = make_entry(1, "Ann " + "Lee " * 1500 + "Junior", finish=1, car_number="07")
    text = write_recap(facts(giant, race=make_race(margin_s="1.340")))
    assert len(text) <= MAX_LENGTH
    assert text.endswith("...")


def test_sparse_distinctive_numbers_are_all_accounted_for():
    # Few, unusual figures: an invented count or reformatted figure would not hide among them.
    race = make_race(
        season=1987, date=dt.date(1987, 8, 29), name="Mystic 412", margin_s="0.077", stages=(Stage(1, 1, 55),)
    )
    moments = [moment(1, "Bo Park took the lead.", to_go=38, when="38 to go")]
    result = facts(ANN, BO, CY, race=race, stages=[stage_win(1, BO), stage_win(2, BO)], moments=moments)
    text = write_recap(result)
    assert unexplained_numbers(result, text) == []
    assert "#41" in text
    assert "0.077" in text


# --- Any facts at all --------------------------------------------------------------------------------

NAMES = ("Ann Lee", "Bo Park", "Cy Young", "Dee Moss", "Eli Ruiz", "Fay Kent", "Gus Hart")
SUMMARIES = ("The leader pitted.", "A caution flew for debris", "the field stacked up.", "Rain threatened.")
STATUSES = ("running", "Running", None, "engine", "accident", "suspension", "")


@st.composite
def any_facts(draw: st.DrawFn) -> RecapFacts:
    size = draw(st.integers(0, len(NAMES)))
    names = draw(st.permutations(NAMES))[:size]
    cars = draw(st.lists(st.from_regex(r"0?[1-9][0-9]?", fullmatch=True), min_size=size, max_size=size, unique=True))
    starts = draw(st.permutations(range(1, size + 1)))
    small = st.none() | st.integers(0, 600)
    entries = tuple(
        make_entry(
            i + 1,
            name,
            car_number=cars[i],
            start=draw(st.none() | st.just(starts[i])),
            finish=draw(st.none() | st.just(i + 1)),
            laps=draw(small),
            status=draw(st.sampled_from(STATUSES)),
            laps_led=draw(small),
        )
        for i, name in enumerate(names)
    )
    maybe_entry = st.none() | st.sampled_from(entries) if entries else st.none()
    stages = tuple(
        StageResult(n, 1, draw(maybe_entry), (), draw(small), None, None) for n in range(1, draw(st.integers(0, 3)) + 1)
    )
    moments = []
    for i in range(draw(st.integers(0, 4))):
        lap, to_go = draw(small), draw(small)
        when = draw(st.sampled_from([f"lap {lap}", f"about {to_go} to go", f"lap {lap} (A); {to_go} to go per B", ""]))
        moments.append(moment(i + 1, draw(st.sampled_from(SUMMARIES)), lap=lap, to_go=to_go, when=when))
    race = make_race(
        season=draw(st.integers(1950, 2030)),
        margin_s=draw(st.none() | st.from_regex(r"[0-9]{1,2}\.[0-9]{3}", fullmatch=True) | st.just("caution")),
        pole_entry_id=draw(st.none() | st.integers(1, len(NAMES))),
        leaders=draw(small),
        lead_changes=draw(small),
        cautions=draw(small),
        caution_laps=draw(small),
        fastest_lap_driver=draw(st.none() | st.sampled_from(NAMES)),
        fastest_lap_s=draw(st.none() | st.from_regex(r"[0-9]{2}\.[0-9]{3}", fullmatch=True)),
    )
    notes = (RaceNote("conflict", "x", "y"),) if draw(st.booleans()) else ()
    return RecapFacts(race, entries, stages, tuple(moments), notes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_facts())
def test_any_facts_give_a_short_traceable_deterministic_recap(recap_facts: RecapFacts):
    text = write_recap(recap_facts)
    assert 0 < len(text) <= MAX_LENGTH
    assert "None" not in text
    assert unexplained_numbers(recap_facts, text) == []
    assert write_recap(recap_facts) == text
