"""The recap calls a car out of the race only when its status says so, and a disqualification by its name."""

import dataclasses

from bot.facts.recap import biggest_movers, non_finishers, write_recap
from tests.facts.test_recap import facts, make_entry, unexplained_numbers

# An upload's statuses, after '/manage results correct' moved the winner, Alex Able, to 5th as disqualified.
BEA = make_entry(2, "Bea Bright", car_number="7", start=3, finish=1, laps=200, status="finished", laps_led=40)
CY = make_entry(3, "Cy Cole", car_number="21", start=1, finish=2, laps=200, status="lead lap", laps_led=0)
DEE = make_entry(4, "Dee Dunn", car_number="9", start=4, finish=3, laps=199, status="+1 lap", laps_led=0)
EVE = make_entry(5, "Eve Ford", car_number="5", start=5, finish=4, laps=199, status="-1 lap", laps_led=0)
ALEX = make_entry(1, "Alex Able", car_number="07", start=2, finish=5, laps=200, status="disqualified", laps_led=60)
CORRECTED = (BEA, CY, DEE, EVE, ALEX)


def test_finishers_are_not_called_out_and_the_disqualification_is_named():
    text = write_recap(facts(*CORRECTED))
    assert "failed to finish" not in text
    assert "did not finish" not in text
    assert "Alex Able (classified 5th) was disqualified." in text
    assert "**Alex Able** led a race-high 60 laps, but was disqualified." in text
    assert "Pole sitter **Cy Cole** finished 2nd." in text
    assert "Dee Dunn and Eve Ford completed the top five." in text  # the disqualified 5th is not 'in the top five'
    assert unexplained_numbers(facts(*CORRECTED), text) == []


def test_a_disqualified_car_made_no_climb():
    dropped = dataclasses.replace(ALEX, start=9)  # 9th to 5th, but only because the order was corrected
    assert biggest_movers([BEA, CY, DEE, EVE, dropped]) == (BEA,)
    text = write_recap(facts(BEA, CY, DEE, EVE, dropped))
    assert "Bea Bright made the biggest climb of the race, from 3rd to 1st (2 spots)." in text


def test_a_disqualified_car_listed_first_is_not_called_the_winner():
    first = dataclasses.replace(ALEX, finish=1)
    text = write_recap(facts(first, dataclasses.replace(BEA, finish=2)))
    assert "won" not in text.split("\n\n")[0]
    assert "Alex Able (classified 1st) was disqualified." in text


def test_nascars_capitalised_retirements_are_still_named_in_lower_case():
    out = make_entry(6, "Gus Hall", car_number="6", start=6, finish=6, laps=150, status="Accident")
    parked = make_entry(7, "Hal Ives", car_number="8", start=7, finish=7, laps=40, status="DVP")
    text = write_recap(facts(*CORRECTED, out, parked))
    assert "Gus Hall (accident, 150 laps) and Hal Ives (DVP, 40 laps) failed to finish." in text


def test_an_unknown_status_is_out_only_when_it_reads_as_a_reason_and_laps_are_short():
    axle = make_entry(6, "Gus Hall", car_number="6", finish=6, laps=150, status="Broken Axle")
    flagged = make_entry(7, "Hal Ives", car_number="8", finish=7, laps=120, status="flagged")
    full_distance = make_entry(8, "Ida Jones", car_number="10", finish=8, laps=200, status="Broken Axle")
    field = (*CORRECTED, axle, flagged, full_distance)
    assert [e.driver for e in non_finishers(field)] == ["Gus Hall"]
    text = write_recap(facts(*field))
    assert "Gus Hall (broken axle, 150 laps) failed to finish." in text
    assert "Hal Ives" not in text and "Ida Jones" not in text


def test_the_fastest_lap_setter_who_was_disqualified_is_not_said_to_have_finished():
    race = facts(*CORRECTED).race
    text = write_recap(facts(*CORRECTED, race=dataclasses.replace(race, fastest_lap_driver="Alex Able")))
    assert "Alex Able set the fastest lap." in text
    assert "finished 5th" not in text
