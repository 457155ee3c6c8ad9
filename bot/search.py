"""Finding what a fan typed: races, drivers, series and tracks, ranked forgivingly from a cached index."""

import asyncio
import bisect
import difflib
import functools
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, TypeVar, TypeVarTuple, overload

from bot.errors import BadInputError, NotFoundError
from bot.names import car_key, fold, name_key
from bot.store import Store
from bot.store.models import (
    Correction,
    Driver,
    DriverResult,
    Entry,
    KeyMoment,
    Race,
    RaceNote,
    RaceSummary,
    Series,
    StageResult,
)
from bot.store.races import PACKED_ENTRY, PACKED_FIELD

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")
Ts = TypeVarTuple("Ts")

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
RACE_VALUE = "race:"
DRIVER_VALUE = "driver:"
TRACK_VALUE = "track:"
LATEST_WORDS = frozenset({"latest", "last", "newest", "most recent", "last race"})

ACCEPT = 0.8  # a typed value at least this close resolves on its own, as if picked from the list
SUGGEST = 0.5  # anything at least this close is offered as a suggestion

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_CAR = re.compile(r"^#?\s*(\d{1,3})$")
_ID_VALUE = re.compile(r"^(race|driver|track|series):(\d+)$")

# Short names fans use for each series family; matched against the stored series' names.
SERIES_ALIASES: dict[str, tuple[str, ...]] = {
    "truck": ("truck", "trucks", "truck series", "craftsman truck series", "camping world truck series", "cts"),
    "nxs": ("nxs", "xfinity", "xfinity series", "o reilly auto parts series", "oreilly", "busch series"),
    "cup": ("cup", "cup series", "nascar cup series", "sprint cup", "monster energy cup"),
}


@dataclass(frozen=True, slots=True)
class Track:
    """A track as search knows it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class DriverMatch:
    """A driver found for what was typed, with how close it is and their car in the reference race."""

    driver: Driver
    score: float
    car: str | None


# car number -> (driver id, finish) in one race; car numbers are text, so '07' and '7' differ
RaceCars = dict[str, tuple[int, int | None]]


def unpack_cars(packed: str) -> RaceCars:
    """Return one race's cars from its packed 'entry id, car, driver id, finish' fields, in entry order.

    A car number two entries share (a data error) keeps the later entry, as a dict filled in entry order would.
    """
    fields = sorted((item.split(PACKED_FIELD) for item in packed.split(PACKED_ENTRY)), key=lambda f: int(f[0]))
    cars: RaceCars = {}
    for _, car, driver_id, finish in fields:
        cars[car] = (int(driver_id), int(finish) if finish else None)
    return cars


class CarTable(Mapping[int, RaceCars]):
    """Every race's car numbers, kept packed as the store sends them and unpacked one race at a time.

    200,000 results as dicts of tuples cost tens of megabytes and long garbage collections, while a fan
    only ever looks at one race's field: the latest race's, or the race picked so far.
    """

    UNPACKED_KEPT = 64

    def __init__(self, packed: Mapping[int, str], *, only: frozenset[int] | None = None) -> None:
        self._packed = packed
        self._only = only  # the races a server's view may see; None: all
        self._unpacked: OrderedDict[int, RaceCars] = OrderedDict()

    def __getitem__(self, race_id: int) -> RaceCars:
        if self._only is not None and race_id not in self._only:
            raise KeyError(race_id)
        cars = self._unpacked.get(race_id)
        if cars is None:
            cars = self._unpacked[race_id] = unpack_cars(self._packed[race_id])
            while len(self._unpacked) > self.UNPACKED_KEPT:
                self._unpacked.popitem(last=False)
        return cars

    def __contains__(self, race_id: object) -> bool:
        return race_id in self._packed and (self._only is None or race_id in self._only)

    def __iter__(self) -> Iterator[int]:
        return (race_id for race_id in self._packed if self._only is None or race_id in self._only)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def only(self, race_ids: Iterable[int]) -> "CarTable":
        """Return the same table limited to these races."""
        return CarTable(self._packed, only=frozenset(race_ids))


@dataclass(slots=True)
class _RaceWords:
    """Which races hold each word, so typed words are matched against a few hundred words, not every race."""

    postings: dict[str, list[int]]  # folded word -> positions in SearchIndex.races
    labels: str  # every race's folded label, one per line, for substring matches
    starts: list[int]  # where each race's label starts in labels

    @classmethod
    def build(cls, races: Sequence[RaceSummary]) -> "_RaceWords":
        postings: dict[str, list[int]] = {}
        for position, race in enumerate(races):
            for word in dict.fromkeys(_race_words(race)):
                postings.setdefault(word, []).append(position)
        labels = [fold(race.label) for race in races]
        starts = [0]
        for label in labels[:-1]:
            starts.append(starts[-1] + len(label) + 1)
        return cls(postings, "\n".join(labels), starts)

    def containing(self, folded: str) -> set[int]:
        """Return the positions of the races whose folded label contains folded."""
        found: set[int] = set()
        at = self.labels.find(folded)
        while at != -1:
            found.add(bisect.bisect_right(self.starts, at) - 1)
            at = self.labels.find(folded, at + 1)
        return found


@dataclass(slots=True)
class _NameWords:
    """Every driver's names (name and aliases) as name keys and words, and which names hold each word."""

    owners: list[int]  # name -> position of its driver in SearchIndex.drivers
    keys: list[str]
    words: list[tuple[str, ...]]
    postings: dict[str, list[int]]  # word -> names holding it

    @classmethod
    def build(cls, drivers: Sequence[Driver]) -> "_NameWords":
        owners, keys, words, postings = [], [], [], {}
        for position, driver in enumerate(drivers):
            for name in (driver.name, *driver.aliases):
                key = name_key(name)
                plain = tuple(_plain_words(key))
                for word in dict.fromkeys(plain):
                    postings.setdefault(word, []).append(len(owners))
                owners.append(position)
                keys.append(key)
                words.append(plain)
        return cls(owners, keys, words, postings)


class _Lookup:
    """What an index builds on first use and keeps: rows by id, postings, lists and recent rankings."""

    __slots__ = ("by_id", "driver_by_id", "fields", "names", "race_words", "ranked", "ranked_items")

    RANKINGS_KEPT = 512
    RANKED_ITEMS_KEPT = 50_000  # a one-letter name can rank thousands of drivers

    def __init__(self) -> None:
        self.by_id: dict[int, RaceSummary] | None = None
        self.driver_by_id: dict[int, Driver] | None = None
        self.race_words: _RaceWords | None = None
        self.names: _NameWords | None = None
        self.fields: OrderedDict[int | None, list[DriverMatch]] = OrderedDict()  # reference race -> everyone
        # (what, typed text, reference race) -> ranking. Fans type the same words ("daytona", "larson") again
        # and again, each keystroke is a ranking, and an index never changes: a ranking is worked out once.
        self.ranked: OrderedDict[tuple[str, str, int | None], tuple[Any, ...]] = OrderedDict()
        self.ranked_items = 0

    def remembered(self, key: tuple[str, str, int | None], rank: Callable[[], Sequence[T]]) -> tuple[T, ...]:
        """Return rank(), worked out only the first time this key is asked while it stays among the recent ones.

        The same tuple every time, so what is made of it can be kept too (Catalog.derived).
        """
        found = self.ranked.get(key)
        if found is not None:
            self.ranked.move_to_end(key)
            return found
        found = self.ranked[key] = tuple(rank())
        self.ranked_items += len(found)
        while len(self.ranked) > 1 and (
            len(self.ranked) > self.RANKINGS_KEPT or self.ranked_items > self.RANKED_ITEMS_KEPT
        ):
            self.ranked_items -= len(self.ranked.popitem(last=False)[1])
        return found


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """Everything names are matched against, loaded from the store in one go."""

    races: tuple[RaceSummary, ...]  # newest first
    drivers: tuple[Driver, ...]
    series: tuple[Series, ...]  # those with a race in this index
    tracks: tuple[Track, ...]  # those with a race in this index
    cars: Mapping[int, RaceCars] = field(default_factory=dict)  # race id -> car number -> (driver id, finish)
    all_series: tuple[Series, ...] = ()  # every stored series, for naming a new race's series
    owners: dict[int, int] = field(default_factory=dict)  # race id -> the server that uploaded it
    # Drivers with an entry in the shared races (key None) and in each server's uploads; None: read them off cars.
    drivers_by_owner: Mapping[int | None, frozenset[int]] | None = None
    _lookup: _Lookup = field(default_factory=_Lookup, init=False, repr=False, compare=False)

    def visible_to(self, guild_id: int | None) -> "SearchIndex":
        """Return the index a server sees: shared races plus its own uploads (only shared ones in DMs)."""
        races = tuple(r for r in self.races if self.owners.get(r.id) in (None, guild_id))
        if len(races) == len(self.races):
            return self
        race_ids = [r.id for r in races]
        if isinstance(self.cars, CarTable):
            cars: Mapping[int, RaceCars] = self.cars.only(race_ids)
        else:
            cars = {race_id: self.cars[race_id] for race_id in race_ids if race_id in self.cars}
        by_owner = None
        if self.drivers_by_owner is None:
            driver_ids = {driver_id for by_car in cars.values() for driver_id, _ in by_car.values()}
        else:
            by_owner = {owner: ids for owner, ids in self.drivers_by_owner.items() if owner in (None, guild_id)}
            driver_ids = frozenset[int]().union(*by_owner.values())
        series_names = {r.series for r in races}
        track_names = {r.track for r in races}
        return SearchIndex(
            races=races,
            drivers=tuple(d for d in self.drivers if d.id in driver_ids),
            series=tuple(s for s in self.series if s.name in series_names),
            tracks=tuple(t for t in self.tracks if t.name in track_names),
            cars=cars,
            all_series=self.all_series,
            owners={race_id: owner for race_id, owner in self.owners.items() if owner == guild_id},
            drivers_by_owner=by_owner,
        )

    @property
    def latest(self) -> RaceSummary | None:
        """Return the newest race, if any."""
        return self.races[0] if self.races else None

    def race(self, race_id: int) -> RaceSummary | None:
        """Return the race with this id, if stored."""
        if self._lookup.by_id is None:
            self._lookup.by_id = {r.id: r for r in reversed(self.races)}
        return self._lookup.by_id.get(race_id)

    def driver(self, driver_id: int) -> Driver | None:
        """Return the driver with this id, if stored."""
        if self._lookup.driver_by_id is None:
            self._lookup.driver_by_id = {d.id: d for d in reversed(self.drivers)}
        return self._lookup.driver_by_id.get(driver_id)

    def races_in(self, series: str | None, season: int | None) -> tuple[RaceSummary, ...]:
        """Return the races of a series (by name) and a season, newest first; None for either means any.

        The same tuple for the same question while the index lasts, so its pages can be kept (Catalog.derived).
        """
        return self._lookup.remembered(
            ("listing", series or "", season),
            lambda: [
                r
                for r in self.races
                if (series is None or r.series == series) and (season is None or r.season == season)
            ],
        )

    def race_words(self) -> _RaceWords:
        """Return which races hold each word (built on first use)."""
        if self._lookup.race_words is None:
            self._lookup.race_words = _RaceWords.build(self.races)
        return self._lookup.race_words

    def name_words(self) -> _NameWords:
        """Return every driver's names as keys and words, and which names hold each word (built on first use)."""
        if self._lookup.names is None:
            self._lookup.names = _NameWords.build(self.drivers)
        return self._lookup.names

    def car_of(self, race_id: int | None, driver_id: int) -> str | None:
        """Return the driver's car number in a race, if they were in it."""
        if race_id is None:
            return None
        return next((car for car, (d, _) in self.cars.get(race_id, {}).items() if d == driver_id), None)


# --- scoring -------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)
def _token_score(typed: str, word: str) -> float:
    """Return how well one typed word matches one word: exact 1, prefix 0.8-1, typo up to 0.9, else 0."""
    if typed == word:
        return 1.0
    if word.startswith(typed):
        return 0.8 + 0.2 * len(typed) / len(word)
    if typed.isdigit() or word.isdigit() or len(typed) < 3:
        return 0.0  # numbers and very short words match exactly or by prefix, never by likeness
    if typed in word:
        return 0.6
    matcher = difflib.SequenceMatcher(None, typed, word)
    # The quick ratios are cheap upper bounds of ratio(): most words are ruled out before the costly one.
    if matcher.real_quick_ratio() < 0.7 or matcher.quick_ratio() < 0.7:
        return 0.0
    ratio = matcher.ratio()
    return ratio * 0.9 if ratio >= 0.7 else 0.0


def _phrase_score(typed_words: Sequence[str], words: Sequence[str]) -> float:
    """Return the average best match of every typed word, or 0 when any typed word matches nothing."""
    if not typed_words or not words:
        return 0.0
    total = 0.0
    for typed in typed_words:
        best = max(_token_score(typed, word) for word in words)
        if best == 0.0:
            return 0.0
        total += best
    return total / len(typed_words)


def _plain_words(key: str) -> list[str]:
    """Return a name key's words without suffixes, so 'Kyle Larson Jr.' finds Kyle Larson."""
    words = [w for w in key.split() if w not in _SUFFIXES]
    return words or key.split()


@functools.lru_cache(maxsize=16_384)
def _name_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """Return a name's identity key and its words without suffixes (cached: autocomplete asks on every keystroke)."""
    key = name_key(name)
    return key, tuple(_plain_words(key))


def name_score(typed: str, name: str) -> float:
    """Return how well typed text matches a person's name: above 1 exact, about 0.9 a whole surname, 0 nothing."""
    (typed_key, typed_words), (key, words) = _name_parts(typed), _name_parts(name)
    if not typed_key:
        return 0.0
    if typed_key == key:
        return 1.05
    if typed_words == words:
        return 1.0
    score = 0.9 * _phrase_score(typed_words, words)
    if score and typed_words[-1] == words[-1]:
        score += 0.02  # a surname typed alone outranks the same word as a first name
    return score


def car_query(text: str) -> str | None:
    """Return the car number in text such as '#07' or '07' (kept as typed: '07' is not '7'), else None."""
    match = _CAR.match(text.strip())
    return car_key(match[1]) if match else None


@functools.lru_cache(maxsize=8_192)
def _race_words(race: RaceSummary) -> tuple[str, ...]:
    return tuple(fold(f"{race.name} {race.track} {race.series} {race.series_short} {race.season}").split())


@functools.lru_cache(maxsize=8_192)
def _folded_label(race: RaceSummary) -> str:
    return fold(race.label)


def race_score(typed: str, race: RaceSummary) -> float:
    """Return how well typed text matches a race's name, track, series or season."""
    folded = fold(typed)
    if not folded:
        return 0.0
    score = _phrase_score(folded.split(), _race_words(race))
    if folded in _folded_label(race):
        score = max(score, 0.95)
    return score


def _phrase_scores(typed_words: Sequence[str], postings: Mapping[str, list[int]]) -> dict[int, float]:
    """Return _phrase_score(typed_words, words) for every item with a nonzero one, items given by word postings.

    Each typed word is scored against each distinct word once, instead of against every item's words: the
    same sums in the same order, so the same scores, for a few hundred words instead of thousands of items.
    """
    totals: dict[int, float] | None = None
    for typed in typed_words:
        best: dict[int, float] = {}
        for word, items in postings.items():
            score = _token_score(typed, word)
            if score:
                for item in items:
                    if best.get(item, 0.0) < score:
                        best[item] = score
        totals = (
            best if totals is None else {item: total + best[item] for item, total in totals.items() if item in best}
        )
        if not totals:
            return {}
    return {item: total / len(typed_words) for item, total in (totals or {}).items()}


# --- ranking (autocomplete order) ----------------------------------------------------------------------------


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
    return list(index._lookup.remembered(("races", folded, None), lambda: _rank_races(index, folded)))


def _rank_races(index: SearchIndex, folded: str) -> list[RaceSummary]:
    words = index.race_words()
    scores = _phrase_scores(folded.split(), words.postings)
    for position in words.containing(folded):
        scores[position] = max(scores.get(position, 0.0), 0.95)
    # Position order is newest first, so races that score alike stay newest first.
    ranked = sorted((-score, position) for position, score in scores.items() if score >= SUGGEST)
    return [index.races[position] for _, position in ranked]


def rank_drivers(index: SearchIndex, text: str, *, race_id: int | None = None) -> list[DriverMatch]:
    """Return drivers matching text (a name, surname, alias or car number), best first.

    Car numbers are those of the given race, or of the latest race when none is given. Empty text lists
    that race's field in finishing order, then everyone else by name.
    """
    reference = race_id if race_id is not None else (index.latest.id if index.latest else None)
    cars = index.cars.get(reference, {}) if reference is not None else {}
    finish_of = {driver_id: finish for driver_id, finish in cars.values()}

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
        # Everyone, for each keystroke that empties the option: sorted once per reference race.
        fields = index._lookup.fields
        everyone = fields.get(reference)
        if everyone is None:
            everyone = sorted((DriverMatch(d, 0.0, car_of.get(d.id)) for d in index.drivers), key=order)
            fields[reference] = everyone
            while len(fields) > 8:
                fields.popitem(last=False)
        return list(everyone)
    typed_key, typed_words = _name_parts(text)
    ranked = index._lookup.remembered(
        ("drivers", typed_key, reference),
        lambda: sorted(_name_matches(index, typed_key, typed_words, car_of), key=order),
    )
    return list(ranked)


def _name_matches(
    index: SearchIndex, typed_key: str, typed_words: tuple[str, ...], car_of: Mapping[int, str]
) -> list[DriverMatch]:
    """Return name_score(text, name) for every driver with a nonzero one, found through the word postings."""
    names = index.name_words()
    best: dict[int, float] = {}
    for name, phrase in _phrase_scores(typed_words, names.postings).items():
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
        scored = [(_phrase_score(folded.split(), fold(t.name).split()), t) for t in index.tracks]
        return [track for score, track in sorted(scored, key=lambda pair: -pair[0]) if score >= SUGGEST]

    return list(index._lookup.remembered(("tracks", folded, None), rank))


@functools.lru_cache(maxsize=256)
def _series_names(series: Series) -> frozenset[str]:
    """Return every folded name a fan may use for a stored series, including the family short names."""
    names = {fold(series.short_name), fold(series.name), fold(series.name.removeprefix("NASCAR "))}
    for code, aliases in SERIES_ALIASES.items():
        if names & {code, *aliases} or any(alias in fold(series.name) for alias in aliases if " " in alias):
            names |= {code, *aliases}
    return frozenset(names)


def rank_series(index: SearchIndex, text: str) -> list[Series]:
    """Return stored series matching text (short names such as 'truck' too), best first."""
    folded = fold(text)
    if not folded:
        return list(index.series)
    scored = []
    for series in index.series:
        names = _series_names(series)
        score = 1.0 if folded in names else max(_phrase_score(folded.split(), n.split()) for n in names)
        scored.append((score, series))
    return [series for score, series in sorted(scored, key=lambda pair: -pair[0]) if score >= SUGGEST]


# --- autocomplete choices as (label, value) pairs ------------------------------------------------------------


def race_suggestions(index: SearchIndex, text: str) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) race choices for what is typed so far."""
    return [(f"{r.label} · {r.series_short}", f"{RACE_VALUE}{r.id}") for r in rank_races(index, text)[:MAX_CHOICES]]


def driver_suggestions(index: SearchIndex, text: str, *, race_id: int | None = None) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) driver choices; a car number in the reference race leads the label."""
    matches = rank_drivers(index, text, race_id=race_id)[:MAX_CHOICES]
    return [(f"#{m.car} {m.driver.name}" if m.car else m.driver.name, f"{DRIVER_VALUE}{m.driver.id}") for m in matches]


def series_suggestions(index: SearchIndex, text: str, *, include_new: bool = False) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) series choices: those with races, or with include_new every family too."""
    pairs = [(f"{s.name} ({s.short_name})", s.short_name) for s in rank_series(index, text)]
    if include_new:
        known = {code for s in index.all_series for code in SERIES_ALIASES if code in _series_names(s)}
        folded = fold(text)
        for code, name in SERIES_NAMES.items():
            if code not in known and (not folded or code.startswith(folded) or folded in fold(name)):
                pairs.append((f"{name} ({code})", code))
    return pairs[:MAX_CHOICES]


def track_suggestions(index: SearchIndex, text: str) -> list[tuple[str, str]]:
    """Return at most 25 (label, value) track choices."""
    return [(t.name, f"{TRACK_VALUE}{t.id}") for t in rank_tracks(index, text)[:MAX_CHOICES]]


def season_suggestions(index: SearchIndex, text: str) -> list[int]:
    """Return stored seasons, newest first, that start with the digits typed."""
    seasons = index._lookup.remembered(("seasons", "", None), lambda: sorted({r.season for r in index.races})[::-1])
    return [s for s in seasons if str(s).startswith(text.strip())][:MAX_CHOICES]


# --- resolution (what the command acts on) -------------------------------------------------------------------


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


def resolve_race(index: SearchIndex, text: str | None) -> RaceSummary:
    """Return the race meant by a picked choice or typed text; the latest race when nothing was given."""
    if index.latest is None:
        raise NotFoundError("No races are stored yet, so there is nothing to show.")
    if text is None or not text.strip() or fold(text) in LATEST_WORDS:
        return index.latest
    race_id = _id_value(text, "race")
    if race_id is not None:
        race = index.race(race_id)
        if race is None:
            raise NotFoundError("That race is no longer stored; pick another from the list.")
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
    driver_id = _id_value(text, "driver")
    if driver_id is not None:
        driver = index.driver(driver_id)
        if driver is None:
            raise NotFoundError("That driver is no longer stored; pick another from the list.")
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


# The full names a new race's series gets when only a family short name was given.
SERIES_NAMES = {"truck": "NASCAR Craftsman Truck Series", "nxs": "NASCAR Xfinity Series", "cup": "NASCAR Cup Series"}


def _family(text: str) -> str | None:
    """Return the family short name ('truck', 'nxs', 'cup') text names, if any."""
    folded = fold(text)
    return next((code for code, aliases in SERIES_ALIASES.items() if folded == code or folded in aliases), None)


@overload
def resolve_series(index: SearchIndex, text: str) -> Series: ...
@overload
def resolve_series(index: SearchIndex, text: str, *, allow_new: Literal[True]) -> tuple[str, str]: ...
def resolve_series(index: SearchIndex, text: str, *, allow_new: bool = False) -> Series | tuple[str, str]:
    """Return the series meant by a short name ('truck', 'nxs', 'cup') or a full name.

    With allow_new (for storing a new race) the answer is the series' (name, short name): a stored
    series when one matches, else the family named by a short name, even if no race of it is stored yet.
    """
    folded = fold(text)
    pool = index.all_series if allow_new else index.series
    series_id = _id_value(text, "series")  # as a page button carries it
    if series_id is not None:
        match = next((s for s in pool if s.id == series_id), None)
        if match is None:
            raise NotFoundError("That series is no longer stored; pick another from the list.")
    else:
        match = next((s for s in pool if folded in _series_names(s)), None)
    if allow_new:
        if match is not None:
            return (match.name, match.short_name)
        family = _family(text)
        if family is None:
            raise BadInputError(f"Unknown series '{echo(text)}'; use truck, nxs, cup or a stored series name.")
        return (SERIES_NAMES[family], family)
    if match is not None:
        return match
    stored = ", ".join(f"{s.name} ({s.short_name})" for s in index.series) or "none yet"
    if _family(text):
        raise NotFoundError(f"No races of the '{echo(text)}' series are stored. Stored series: {stored}.")
    ranked = rank_series(index, text)
    if ranked:
        raise NotFoundError(f"No series '{echo(text)}'. Did you mean {_one_of([s.name for s in ranked[:3]])}?")
    raise NotFoundError(f"No series '{echo(text)}'. Stored series: {stored}.")


def resolve_track(index: SearchIndex, text: str) -> Track:
    """Return the track meant by a picked choice or typed text."""
    track_id = _id_value(text, "track")
    if track_id is not None:
        track = next((t for t in index.tracks if t.id == track_id), None)
        if track is None:
            raise NotFoundError("That track is no longer stored; pick another from the list.")
        return track
    ranked = rank_tracks(index, text)
    folded = fold(text).split()
    if ranked and _phrase_score(folded, fold(ranked[0].name).split()) >= ACCEPT:
        return ranked[0]
    suggestions = [t.name for t in ranked[:3]] or _closest(text, [t.name for t in index.tracks])
    hint = f" Did you mean {_one_of(suggestions)}?" if suggestions else ""
    raise NotFoundError(f"No track '{echo(text)}'.{hint}")


# --- the cache in front of the store -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaceData:
    """One race with everything the fan commands show about it."""

    race: Race
    entries: tuple[Entry, ...]
    stages: tuple[StageResult, ...]
    moments: tuple[KeyMoment, ...]
    notes: tuple[RaceNote, ...]
    corrections: tuple[Correction, ...] = ()


def _hashable(value: object) -> Hashable:
    """Return value with its lists and tuples made tuples all the way down, to serve as a cache key."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    assert isinstance(value, Hashable)  # arguments of store reads: ids, numbers, text, frozen rows
    return value


async def load_index(store: Store) -> SearchIndex:
    """Read everything search needs from the store, every server's races included."""
    races = tuple(await store.race_summaries())
    series = tuple(await store.all_series())
    raced_series, raced_tracks = {r.series for r in races}, {r.track for r in races}
    return SearchIndex(
        races=races,
        drivers=tuple(await store.drivers()),
        series=tuple(s for s in series if s.name in raced_series),
        tracks=tuple(Track(track_id, name) for track_id, name in await store.tracks() if name in raced_tracks),
        cars=CarTable(await store.packed_cars()),
        all_series=series,
        owners=await store.race_owners(),
        drivers_by_owner=await store.drivers_by_owner(),
    )


class Catalog:
    """The search index and per-race facts, read from the store and reused while the data is unchanged.

    Autocomplete fires on every keystroke, so the index is rebuilt only when the store's fingerprint
    changes, and the fingerprint itself is checked at most every few seconds. Whoever writes to the
    store through the bot calls invalidate() so the next read sees the change at once. Races are
    cached against the same fingerprint, so a race already read costs no query at all.
    """

    RECHECK_SECONDS = 5.0
    # A race's facts take about 23 KB: 256 of them are ~6 MB, and fans ask about more races than the few
    # latest (a cache smaller than the races in turn misses on every one of them).
    RACES_KEPT = 256
    VIEWS_KEPT = 256
    READS_KEPT = 256
    # A read can be one row or a driver's whole career: the rows kept in all (40,000 of about 0.4 KB) are bounded too.
    READ_ROWS_KEPT = 40_000

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._clock = clock
        self._index: SearchIndex | None = None
        self._uploaders: frozenset[int] = frozenset()  # servers with races of their own in the index
        self._version: tuple[int, ...] | None = None
        self._checked_at = 0.0
        self._written = 0  # the store's rows_written() when the fingerprint was last read
        self._generation = 0  # counts invalidations, so a read that raced one is not kept
        self._loading = asyncio.Lock()
        self._views: OrderedDict[int | None, SearchIndex] = OrderedDict()
        self._races: OrderedDict[int, RaceData] = OrderedDict()
        self._reads: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # answer and its rows
        self._read_rows = 0
        self._derived: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()

    def invalidate(self) -> None:
        """Forget everything cached, so the next read comes from the store."""
        self._index = None
        self._version = None
        self._generation += 1
        self._views.clear()
        self._races.clear()
        self._reads.clear()
        self._read_rows = 0
        self._derived.clear()

    def derived(self, source: S, make: Callable[[S, *Ts], T], *args: *Ts) -> T:
        """Return make(source, *args), reused while the catalog still hands out this very source object.

        For pure functions that cost CPU on every command (the written recap, pages and cards) of what the catalog
        caches: a race's facts (race_data) or a read's answer (read, career_results). The answer is kept beside
        the object it came from and can never outlive it, since a re-read race or answer is a new object. The
        answer is shared by every caller, so nobody may change it.
        """
        key = (getattr(make, "__qualname__", make), id(source), args)
        cached = self._derived.get(key)
        if cached is not None and cached[0] is source:
            self._derived.move_to_end(key)
            return cached[1]
        value = make(source, *args)
        self._derived[key] = (source, value)  # keeps the source alive, so its id is not reused meanwhile
        while len(self._derived) > self.READS_KEPT:
            self._derived.popitem(last=False)
        return value

    def _forget_derived(self, source: object) -> None:
        """Drop what was made of a source the catalog no longer keeps, so the two caches bound memory together."""
        for key in [key for key, (kept, _) in self._derived.items() if kept is source]:
            del self._derived[key]

    async def read(self, query: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Return await query(*args, **kwargs), cached while the store is unchanged.

        For store reads whose answer depends only on races, results, drivers and tracks (what the fingerprint
        covers) and on the arguments, such as a leaderboard that scans every result. The answer is shared by
        every caller, so nobody may change it.
        """
        await self._check()
        key = (getattr(query, "__name__", query), _hashable(args), _hashable(sorted(kwargs.items())))
        if key in self._reads:
            self._reads.move_to_end(key)
            return self._reads[key][0]
        generation = self._generation
        answer = await query(*args, **kwargs)
        if generation == self._generation and key not in self._reads:  # not invalidated while it was read
            rows = len(answer) if isinstance(answer, Sized) else 1
            self._reads[key] = (answer, rows)
            self._read_rows += rows
            while len(self._reads) > self.READS_KEPT or (
                self._read_rows > self.READ_ROWS_KEPT and len(self._reads) > 1
            ):
                _, (dropped, rows) = self._reads.popitem(last=False)
                self._read_rows -= rows
                self._forget_derived(dropped)
        return answer

    async def career_results(
        self,
        driver_id: int,
        *,
        guild_id: int | None,
        series_id: int | None = None,
        track_id: int | None = None,
        season: int | None = None,
        as_of: RaceSummary | None = None,
    ) -> list[DriverResult]:
        """Return a driver's starts with their races, newest first, up to and including as_of; cached like read().

        The races are the index's own summaries (shared, and with their winners already known), so a long
        career costs one read of its entries.
        """
        return await self.read(
            self._career_results,
            driver_id,
            guild_id,
            series_id=series_id,
            track_id=track_id,
            season=season,
            as_of=as_of,
        )

    async def _career_results(
        self,
        driver_id: int,
        guild_id: int | None,
        *,
        series_id: int | None,
        track_id: int | None,
        season: int | None,
        as_of: RaceSummary | None,
    ) -> list[DriverResult]:
        filters = {"series_id": series_id, "track_id": track_id, "season": season, "as_of": as_of, "guild_id": guild_id}
        for _ in range(2):
            index = await self.index(guild_id)
            entries = await self.store.career_entries(driver_id, **filters)
            results = [DriverResult(race, e) for e in entries if (race := index.race(e.race_id)) is not None]
            if len(results) == len(entries):
                return results
            self.invalidate()  # a race stored since the index was read: read both again
        raise NotFoundError("The stored races changed while counting; please try again.")

    async def _check(self) -> None:
        """Read the store's fingerprint after a write through the bot's connection, else at most every few seconds.

        Forget everything cached when it changed. Writes by another process (an import) show within
        RECHECK_SECONDS.
        """
        now = self._clock()
        written = self.store.rows_written()
        if self._version is None or written != self._written or now - self._checked_at >= self.RECHECK_SECONDS:
            version = await self.store.catalog_version()
            if version != self._version:
                self.invalidate()
                self._version = version
            self._checked_at = now
            self._written = written

    async def index(self, guild_id: int | None = None) -> SearchIndex:
        """Return the index a server sees (shared races only for None), rebuilt when the store changed."""
        async with self._loading:  # one load at a time: the others wait for it rather than repeat it
            await self._check()
            index = self._index
            if index is None:
                generation = self._generation
                index = await load_index(self.store)
                if generation == self._generation:
                    self._index = index
                    self._uploaders = frozenset(index.owners.values())
        # Servers without uploads of their own all see the shared races: one view (and its word lists) for all.
        key = guild_id if guild_id in self._uploaders else None
        view = self._views.get(key) if index is self._index else None
        if view is None:
            view = index.visible_to(key)
            if index is self._index:
                self._views[key] = view
                while len(self._views) > self.VIEWS_KEPT:
                    self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        return view

    async def race_data(self, race_id: int) -> RaceData:
        """Return a race's facts, entries, stages, moments and notes, cached while the store is unchanged.

        The race id must come from this catalog's index for the asking server, which is what keeps
        another server's uploads out of sight.
        """
        await self._check()
        cached = self._races.get(race_id)
        if cached is not None:
            self._races.move_to_end(race_id)
            return cached
        generation = self._generation
        race = await self.store.race(race_id)
        if race is None:
            raise NotFoundError("That race is no longer stored; pick another from the list.")
        entries = tuple(await self.store.entries(race_id))
        data = RaceData(
            race=race,
            entries=entries,
            stages=tuple(await self.store.stage_results(race_id, entries)),
            moments=tuple(await self.store.key_moments(race_id)),
            notes=tuple(await self.store.race_notes(race_id)),
            corrections=tuple(await self.store.corrections(race_id)),
        )
        if generation == self._generation:  # not invalidated while it was read
            self._races[race_id] = data
            while len(self._races) > self.RACES_KEPT:
                self._forget_derived(self._races.popitem(last=False)[1])
        return data
