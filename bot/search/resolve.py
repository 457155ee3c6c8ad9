"""Resolving what a fan picked or typed to one race, driver, series or track, or saying why not."""

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Literal, overload

from bot.errors import BadInputError, NoLongerStoredError, NotFoundError
from bot.names import fold
from bot.search.index import SearchIndex, Track
from bot.search.rank import LATEST_WORDS, rank_drivers, rank_races, rank_series, rank_tracks, series_names
from bot.search.scoring import ACCEPT, car_query, phrase_score, race_score
from bot.series import family_named
from bot.store.models import Driver, RaceSummary, Series

_ID_VALUE = re.compile(r"^(race|driver|track|series):(\d+)$")


def echo(text: str) -> str:
    """Return user text safe to quote back: one line, at most 60 characters, no backticks."""
    flat = " ".join(text.replace("`", "'").split())
    return flat if len(flat) <= 60 else flat[:59] + "…"


def _one_of(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _closest(text: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """Return up to limit names that look like text, for a 'did you mean'."""
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(fold(name), name)
        for word in fold(name).split():
            by_fold.setdefault(word, name)
    close = difflib.get_close_matches(fold(text), list(by_fold), n=limit * 3, cutoff=0.6)
    found: list[str] = []
    for key in close:
        if by_fold[key] not in found:
            found.append(by_fold[key])
    return found[:limit]


def _id_value(text: str, kind: str) -> int | None:
    match = _ID_VALUE.match(text.strip())
    return int(match[2]) if match and match[1] == kind else None


def _require_races(index: SearchIndex) -> None:
    if not index.races:
        raise NotFoundError("No races are stored yet, so there is nothing to show.")


def resolve_race(index: SearchIndex, text: str | None) -> RaceSummary:
    """Return the race meant by a picked choice or typed text; the latest race when nothing was given."""
    _require_races(index)
    assert index.latest is not None  # there are races
    if text is None or not text.strip() or fold(text) in LATEST_WORDS:
        return index.latest
    race_id = _id_value(text, "race")
    if race_id is not None:
        race = index.race(race_id)
        if race is None:
            raise NoLongerStoredError("race")
        return race
    ranked = rank_races(index, text)
    if ranked and race_score(text, ranked[0]) >= ACCEPT:
        return ranked[0]
    suggestions = [r.label for r in ranked[:3]] or _closest(text, [r.label for r in index.races])
    hint = f" Did you mean {_one_of(suggestions)}?" if suggestions else " Try a race name, track or season."
    raise NotFoundError(f"No race '{echo(text)}'.{hint}")


def race_in_context(index: SearchIndex, text: str | None) -> int | None:
    """Return the id of the race an option typed so far clearly means, else None (never raises: for autocomplete)."""
    if not text or not text.strip():
        return None
    race_id = _id_value(text, "race")
    if race_id is not None:
        return race_id if index.race(race_id) else None
    if fold(text) in LATEST_WORDS:
        return index.latest.id if index.latest else None
    ranked = rank_races(index, text)
    return ranked[0].id if ranked and race_score(text, ranked[0]) >= ACCEPT else None


def resolve_driver(index: SearchIndex, text: str, *, race_id: int | None = None) -> Driver:
    """Return the driver meant by a picked choice, a name, a surname or a car number.

    Raises NotFoundError with the closest names, or BadInputError when the text fits several drivers equally.
    """
    _require_races(index)
    driver_id = _id_value(text, "driver")
    if driver_id is not None:
        driver = index.driver(driver_id)
        if driver is None:
            raise NoLongerStoredError("driver")
        return driver
    if not fold(text) and car_query(text) is None:
        raise BadInputError("Type a driver's name, surname or car number.")
    matches = rank_drivers(index, text, race_id=race_id)
    number = car_query(text)
    if number is not None:
        exact = [m for m in matches if m.score >= 2.0]
        if exact:
            return exact[0].driver
        reference = index.race(race_id) if race_id is not None else index.latest
        where = f" in the {reference.season} {reference.name}" if reference else ""
        raise NotFoundError(f"No car #{number}{where}.")
    if matches and matches[0].score >= ACCEPT:
        best = matches[0]
        tied = [m.driver.name for m in matches if m.score >= best.score - 0.01]
        if len(tied) > 1:
            raise BadInputError(f"'{echo(text)}' could be {_one_of(tied[:5])}; type more of the name.")
        return best.driver
    suggestions = [m.driver.name for m in matches[:3]] or _closest(text, [d.name for d in index.drivers])
    hint = f" Did you mean {_one_of(suggestions)}?" if suggestions else ""
    raise NotFoundError(f"No driver '{echo(text)}'.{hint}")


@overload
def resolve_series(index: SearchIndex, text: str) -> Series: ...
@overload
def resolve_series(index: SearchIndex, text: str, *, allow_new: Literal[True]) -> tuple[str, str]: ...
def resolve_series(index: SearchIndex, text: str, *, allow_new: bool = False) -> Series | tuple[str, str]:
    """Return the series meant by a short name ('truck', 'nxs', 'cup') or a full name.

    With allow_new (for storing a new race) the answer is the series' (name, short name): a stored
    series when one matches, else the family named by a short name, even if no race of it is stored yet.
    """
    if not allow_new:
        _require_races(index)
    folded = fold(text)
    pool = index.all_series if allow_new else index.series
    series_id = _id_value(text, "series")  # as a page button carries it
    if series_id is not None:
        match = next((s for s in pool if s.id == series_id), None)
        if match is None:
            raise NoLongerStoredError("series")
    else:
        match = next((s for s in pool if folded in series_names(s)), None)
    if allow_new:
        if match is not None:
            return (match.name, match.short_name)
        family = family_named(text)
        if family is None:
            raise BadInputError(f"Unknown series '{echo(text)}'; use truck, nxs, cup or a stored series name.")
        return (family.name, family.code)
    if match is not None:
        return match
    stored = ", ".join(f"{s.name} ({s.short_name})" for s in index.series) or "none yet"
    if family_named(text):
        raise NotFoundError(f"No races of the '{echo(text)}' series are stored. Stored series: {stored}.")
    ranked = rank_series(index, text)
    if ranked:
        raise NotFoundError(f"No series '{echo(text)}'. Did you mean {_one_of([s.name for s in ranked[:3]])}?")
    raise NotFoundError(f"No series '{echo(text)}'. Stored series: {stored}.")


def resolve_track(index: SearchIndex, text: str) -> Track:
    """Return the track meant by a picked choice or typed text."""
    _require_races(index)
    track_id = _id_value(text, "track")
    if track_id is not None:
        track = next((t for t in index.tracks if t.id == track_id), None)
        if track is None:
            raise NoLongerStoredError("track")
        return track
    ranked = rank_tracks(index, text)
    folded = fold(text).split()
    if ranked and phrase_score(folded, fold(ranked[0].name).split()) >= ACCEPT:
        return ranked[0]
    suggestions = [t.name for t in ranked[:3]] or _closest(text, [t.name for t in index.tracks])
    hint = f" Did you mean {_one_of(suggestions)}?" if suggestions else ""
    raise NotFoundError(f"No track '{echo(text)}'.{hint}")
