"""The search index: every race, driver, series and track a server can name, with word lists to match against."""

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.names import fold, name_key
from bot.search.scoring import plain_words, words_of_race
from bot.store.models import Driver, RaceCars, RaceSummary, Series

T = TypeVar("T")


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


class CarTable(Mapping[int, RaceCars]):
    """Every race's car numbers, kept packed as the store sends them and unpacked one race at a time.

    A whole history unpacked would be a large, long-lived heap, while a fan only ever looks at one race's
    field: the latest race's, or the race picked so far.
    """

    UNPACKED_KEPT = 64

    def __init__(
        self, packed: Mapping[int, str], unpack: Callable[[str], RaceCars], *, only: frozenset[int] | None = None
    ) -> None:
        self._packed = packed
        self._unpack = unpack  # the store's own format, read by the store's own function
        self._only = only  # the races a server's view may see; None: all
        self._unpacked: OrderedDict[int, RaceCars] = OrderedDict()

    def __getitem__(self, race_id: int) -> RaceCars:
        if self._only is not None and race_id not in self._only:
            raise KeyError(race_id)
        cars = self._unpacked.get(race_id)
        if cars is None:
            cars = self._unpacked[race_id] = self._unpack(self._packed[race_id])
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
        return CarTable(self._packed, self._unpack, only=frozenset(race_ids))


@dataclass(slots=True)
class RaceWordIndex:
    """Which races hold each word, so typed words are matched against a few hundred words, not every race."""

    postings: dict[str, list[int]]  # folded word -> positions in SearchIndex.races
    labels: str  # every race's folded label, one per line, for substring matches
    starts: list[int]  # where each race's label starts in labels

    @classmethod
    def build(cls, races: Sequence[RaceSummary]) -> "RaceWordIndex":
        """Return the word postings and labels of these races."""
        postings: dict[str, list[int]] = {}
        for position, race in enumerate(races):
            for word in dict.fromkeys(words_of_race(race)):
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
class NameWordIndex:
    """Every driver's names (name and aliases) as name keys and words, and which names hold each word."""

    owners: list[int]  # name -> position of its driver in SearchIndex.drivers
    keys: list[str]
    words: list[tuple[str, ...]]
    postings: dict[str, list[int]]  # word -> names holding it

    @classmethod
    def build(cls, drivers: Sequence[Driver]) -> "NameWordIndex":
        """Return the name keys, words and postings of these drivers' names and aliases."""
        owners, keys, words, postings = [], [], [], {}
        for position, driver in enumerate(drivers):
            for name in (driver.name, *driver.aliases):
                key = name_key(name)
                plain = tuple(plain_words(key))
                for word in dict.fromkeys(plain):
                    postings.setdefault(word, []).append(len(owners))
                owners.append(position)
                keys.append(key)
                words.append(plain)
        return cls(owners, keys, words, postings)


class IndexMemo:
    """What an index builds on first use and keeps: rows by id, postings, lists and recent rankings."""

    __slots__ = ("by_id", "driver_by_id", "fields", "names", "race_words", "ranked", "ranked_items")

    RANKINGS_KEPT = 512
    RANKED_ITEMS_KEPT = 50_000  # a one-letter name can rank thousands of drivers

    def __init__(self) -> None:
        self.by_id: dict[int, RaceSummary] | None = None
        self.driver_by_id: dict[int, Driver] | None = None
        self.race_words: RaceWordIndex | None = None
        self.names: NameWordIndex | None = None
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
    memo: IndexMemo = field(default_factory=IndexMemo, init=False, repr=False, compare=False)

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
        if self.memo.by_id is None:
            self.memo.by_id = {r.id: r for r in reversed(self.races)}
        return self.memo.by_id.get(race_id)

    def driver(self, driver_id: int) -> Driver | None:
        """Return the driver with this id, if stored."""
        if self.memo.driver_by_id is None:
            self.memo.driver_by_id = {d.id: d for d in reversed(self.drivers)}
        return self.memo.driver_by_id.get(driver_id)

    def races_in(self, series: str | None, season: int | None) -> tuple[RaceSummary, ...]:
        """Return the races of a series (by name) and a season, newest first; None for either means any.

        The same tuple for the same question while the index lasts, so its pages can be kept (Catalog.derived).
        """
        return self.memo.remembered(
            ("listing", series or "", season),
            lambda: [
                r
                for r in self.races
                if (series is None or r.series == series) and (season is None or r.season == season)
            ],
        )

    def race_words(self) -> RaceWordIndex:
        """Return which races hold each word (built on first use)."""
        if self.memo.race_words is None:
            self.memo.race_words = RaceWordIndex.build(self.races)
        return self.memo.race_words

    def name_words(self) -> NameWordIndex:
        """Return every driver's names as keys and words, and which names hold each word (built on first use)."""
        if self.memo.names is None:
            self.memo.names = NameWordIndex.build(self.drivers)
        return self.memo.names

    def car_of(self, race_id: int | None, driver_id: int) -> str | None:
        """Return the driver's car number in a race, if they were in it."""
        if race_id is None:
            return None
        return next((car for car, (d, _) in self.cars.get(race_id, {}).items() if d == driver_id), None)
