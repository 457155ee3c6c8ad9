"""Ranking what was typed so far against the index, best first: the order autocomplete offers."""

import functools
from collections.abc import Mapping

from bot.names import fold
from bot.search.index import DriverMatch, SearchIndex, Track
from bot.search.scoring import (
    SUGGEST,
    car_query,
    name_parts,
    phrase_score,
    phrase_scores,
)
from bot.series import FAMILIES
from bot.store.models import RaceSummary, Series

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
RACE_VALUE = "race:"
DRIVER_VALUE = "driver:"
TRACK_VALUE = "track:"
LATEST_WORDS = frozenset({"latest", "last", "newest", "most recent", "last race"})


def rank_races(index: SearchIndex, text: str) -> list[RaceSummary]:
    """Return the races matching text, best first, newest first among equals; all races for empty text.

    A race's score is race_score(text, race); races without a word matching every typed word and without
    the typed text in their label score 0, so only the others are looked at.
    """
    folded = fold(text)
    if not folded:
        return list(index.races)
    if folded in LATEST_WORDS:
        return list(index.races)  # newest first already
    return list(index.memo.remembered(("races", folded, None), lambda: _rank_races(index, folded)))


def _rank_races(index: SearchIndex, folded: str) -> list[RaceSummary]:
    words = index.race_words()
    scores = phrase_scores(folded.split(), words.postings)
    for position in words.containing(folded):
        scores[position] = max(scores.get(position, 0.0), 0.95)
    # Position order is newest first, so races that score alike stay newest first.
    ranked = sorted((-score, position) for position, score in scores.items() if score >= SUGGEST)
    return [index.races[position] for _, position in ranked]


def rank_drivers(
    index: SearchIndex, text: str, *, race_id: int | None = None, finish_hidden: bool = False
) -> list[DriverMatch]:
    """Return drivers matching text (a name, surname, alias or car number), best first.

    Car numbers are those of the given race, or of the latest race when none is given. Empty text lists
    that race's field in finishing order, then everyone else by name; with finish_hidden (the race's result
    is held back for spoilers) the field comes first by name, so the order gives nothing away.
    """
    reference = race_id if race_id is not None else (index.latest.id if index.latest else None)
    cars = index.cars.get(reference, {}) if reference is not None else {}
    finish_of = {driver_id: 0 if finish_hidden else finish for driver_id, finish in cars.values()}

    def order(match: DriverMatch) -> tuple[float, int, str]:
        finish = finish_of.get(match.driver.id)
        return (-match.score, finish if finish is not None else 10_000, match.driver.name)

    number = car_query(text)
    if number is not None:
        matches = []
        for car, (driver_id, _) in cars.items():
            driver = index.driver(driver_id)
            if driver is None:
                continue
            if car == number:
                matches.append(DriverMatch(driver, 2.0, car))
            elif car.startswith(number):
                matches.append(DriverMatch(driver, 1.5, car))
        return sorted(matches, key=order)

    car_of = {driver_id: car for car, (driver_id, _) in cars.items()}
    if not fold(text):
        if finish_hidden:  # rare (a server's spoiler window), so kept with the rankings rather than the fields
            return list(
                index.memo.remembered(
                    ("field by name", "", reference),
                    lambda: sorted((DriverMatch(d, 0.0, car_of.get(d.id)) for d in index.drivers), key=order),
                )
            )
        # Everyone, for each keystroke that empties the option: sorted once per reference race.
        fields = index.memo.fields
        everyone = fields.get(reference)
        if everyone is None:
            everyone = sorted((DriverMatch(d, 0.0, car_of.get(d.id)) for d in index.drivers), key=order)
            fields[reference] = everyone
            while len(fields) > 8:
                fields.popitem(last=False)
        return list(everyone)
    typed_key, typed_words = name_parts(text)
    ranked = index.memo.remembered(
        ("drivers by name" if finish_hidden else "drivers", typed_key, reference),
        lambda: sorted(_name_matches(index, typed_key, typed_words, car_of), key=order),
    )
    return list(ranked)


def _name_matches(
    index: SearchIndex, typed_key: str, typed_words: tuple[str, ...], car_of: Mapping[int, str]
) -> list[DriverMatch]:
    """Return name_score(text, name) for every driver with a nonzero one, found through the word postings."""
    names = index.name_words()
    best: dict[int, float] = {}
    for name, phrase in phrase_scores(typed_words, names.postings).items():
        key, words = names.keys[name], names.words[name]
        if typed_key == key:
            score = 1.05
        elif typed_words == words:
            score = 1.0
        else:
            score = 0.9 * phrase
            if score and typed_words[-1] == words[-1]:
                score += 0.02  # a surname typed alone outranks the same word as a first name
        position = names.owners[name]
        if score > best.get(position, 0.0):
            best[position] = score
    return [
        DriverMatch(index.drivers[position], score, car_of.get(index.drivers[position].id))
        for position, score in sorted(best.items())
        if score >= SUGGEST
    ]


def rank_tracks(index: SearchIndex, text: str) -> list[Track]:
    """Return tracks matching text, best first; all tracks for empty text."""
    folded = fold(text)
    if not folded:
        return list(index.tracks)

    def rank() -> list[Track]:
        scored = [(phrase_score(folded.split(), fold(t.name).split()), t) for t in index.tracks]
        return [track for score, track in sorted(scored, key=lambda pair: -pair[0]) if score >= SUGGEST]

    return list(index.memo.remembered(("tracks", folded, None), rank))


@functools.lru_cache(maxsize=256)
def series_names(series: Series) -> frozenset[str]:
    """Return every folded name a fan may use for a stored series, including the family short names."""
    names = {fold(series.short_name), fold(series.name), fold(series.name.removeprefix("NASCAR "))}
    for family in FAMILIES:
        aliases = family.aliases
        if names & {family.code, *aliases} or any(alias in fold(series.name) for alias in aliases if " " in alias):
            names |= {family.code, *aliases}
    return frozenset(names)


def rank_series(index: SearchIndex, text: str) -> list[Series]:
    """Return stored series matching text (short names such as 'truck' too), best first."""
    folded = fold(text)
    if not folded:
        return list(index.series)
    scored = []
    for series in index.series:
        names = series_names(series)
        score = 1.0 if folded in names else max(phrase_score(folded.split(), n.split()) for n in names)
        scored.append((score, series))
    return [series for score, series in sorted(scored, key=lambda pair: -pair[0]) if score >= SUGGEST]


# Autocomplete choices, as (label, value) pairs.


def race_suggestions(index: SearchIndex, text: str) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) race choices for what is typed so far."""
    return [(f"{r.label} · {r.series_short}", f"{RACE_VALUE}{r.id}") for r in rank_races(index, text)[:MAX_CHOICES]]


def driver_suggestions(
    index: SearchIndex, text: str, *, race_id: int | None = None, finish_hidden: bool = False
) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) driver choices; a car number in the reference race leads the label."""
    matches = rank_drivers(index, text, race_id=race_id, finish_hidden=finish_hidden)[:MAX_CHOICES]
    return [(f"#{m.car} {m.driver.name}" if m.car else m.driver.name, f"{DRIVER_VALUE}{m.driver.id}") for m in matches]


def series_suggestions(index: SearchIndex, text: str, *, include_new: bool = False) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) series choices: those with races, or with include_new every family too."""
    pairs = [(f"{s.name} ({s.short_name})", s.short_name) for s in rank_series(index, text)]
    if include_new:
        known = {f.code for s in index.all_series for f in FAMILIES if f.code in series_names(s)}
        folded = fold(text)
        for family in FAMILIES:
            code, name = family.code, family.name
            if code not in known and (not folded or code.startswith(folded) or folded in fold(name)):
                pairs.append((f"{name} ({code})", code))
    return pairs[:MAX_CHOICES]


def track_suggestions(index: SearchIndex, text: str) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) track choices."""
    return [(t.name, f"{TRACK_VALUE}{t.id}") for t in rank_tracks(index, text)[:MAX_CHOICES]]


def season_suggestions(index: SearchIndex, text: str) -> list[int]:
    """Return stored seasons, newest first, that start with the digits typed."""
    seasons = index.memo.remembered(("seasons", "", None), lambda: sorted({r.season for r in index.races})[::-1])
    return [s for s in seasons if str(s).startswith(text.strip())][:MAX_CHOICES]
