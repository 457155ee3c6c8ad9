"""The catalog: the one cache in front of the store, and the one door through which cogs read race data.

Autocomplete fires on every keystroke and every fan command reads a race, so what the store answers is kept while
it stays true. The store says when it does not: its own writes notify the catalog at once (a quote, an upload, a
correction, a published recap, a setting), and writes by another process (an import) show in its fingerprint,
read at most every few seconds.
"""

import asyncio
import datetime as dt
import enum
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence, Sized
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.errors import NoLongerStoredError, NotFoundError
from bot.search import CarTable, SearchIndex, Track, resolve_race
from bot.store import Store, StoreChange
from bot.store.career import HeadToHead, TrackHistory, WinnerHistory
from bot.store.coverage import Coverage, DataStatus, Holding, NewestRace, RefreshStatus, SeriesFreshness
from bot.store.feed_records import RaceFlow
from bot.store.models import (
    Correction,
    Driver,
    DriverResult,
    Entry,
    GuildSettings,
    KeyMoment,
    PublishedRecap,
    Quote,
    Race,
    RaceNote,
    RaceSummary,
    StageResult,
)
from bot.store.races import unpack_cars
from bot.store.schedule import ScheduledRace, Standings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RaceData:
    """One race with everything the fan commands show about it."""

    race: Race
    entries: tuple[Entry, ...]
    stages: tuple[StageResult, ...]
    moments: tuple[KeyMoment, ...]
    notes: tuple[RaceNote, ...]
    corrections: tuple[Correction, ...] = ()
    flow: RaceFlow | None = None  # what NASCAR's feed adds: the results version, cautions, lead changes


async def _filtered(results: Sequence[DriverResult], exclude: frozenset[int]) -> list[DriverResult]:
    """Return the results whose races are not in exclude."""
    return [r for r in results if r.race.id not in exclude]


@dataclass(frozen=True, slots=True)
class DefaultRace:
    """The race a command given no race answers about: the latest one with what the command shows."""

    race: RaceSummary
    latest: RaceSummary  # the newest race the server sees
    skipped: int  # how many newer races lack what the command shows (0: race is the latest)


class Card(enum.Enum):
    """What the catalog keeps made of a race's facts or a read's answer: written once, shared by every reply."""

    RECAP_TEXT = "the recap written from the facts"
    RECAP = "the recap card"
    RESULTS = "the pages of results"
    STAGES = "the stages card"
    RACE_LIST = "the pages of the race list"
    WINS = "the pages of a driver's wins"
    LEADERBOARD = "the pages of the wins leaderboard"
    PROFILE = "a driver's profile card"
    TRACK = "the pages of a track's history"
    HEAD_TO_HEAD = "the head-to-head card"


def _hashable(value: object) -> Hashable:
    """Return value with its lists and tuples made tuples all the way down, to serve as a cache key."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    assert isinstance(value, Hashable)  # arguments of store reads: ids, numbers, text, frozen rows
    return value


async def load_index(store: Store) -> SearchIndex:
    """Read everything search needs from the store: every race some server sees, and the drivers who started one."""
    races = tuple(await store.race_summaries())
    series = tuple(await store.all_series())
    raced_series, raced_tracks = {r.series for r in races}, {r.track for r in races}
    by_owner = await store.drivers_by_owner()
    # Only drivers who started a race in the index: a server's own driver whose uploads shared results all replaced
    # must not reach the servers that see only shared races, which are handed this index as it is.
    raced = frozenset[int]().union(*by_owner.values())
    return SearchIndex(
        races=races,
        drivers=tuple(d for d in await store.drivers() if d.id in raced),
        series=tuple(s for s in series if s.name in raced_series),
        tracks=tuple(Track(track_id, name) for track_id, name in await store.tracks() if name in raced_tracks),
        cars=CarTable(await store.packed_cars(), unpack_cars),
        all_series=series,
        owners=await store.race_owners(),
        drivers_by_owner=by_owner,
    )


class Catalog:
    """The search index, race facts, reads and server settings, kept while the store says they are unchanged."""

    RECHECK_SECONDS = 5.0
    # A race's facts take about 23 KB: 256 of them are ~6 MB, and fans ask about more races than the few
    # latest (a cache smaller than the races in turn misses on every one of them).
    RACES_KEPT = 256
    VIEWS_KEPT = 256
    READS_KEPT = 256
    # A read can be one row or a driver's whole career: the rows kept in all (40,000 of about 0.4 KB) are bounded too.
    READ_ROWS_KEPT = 40_000
    PUBLISHED_KEPT = 4_096
    DEFAULTS_KEPT = 4_096

    # Kept with the generation they were read in: a race or quote change (a new generation) makes them stale.
    _coverage: tuple[int, Coverage] | None = None
    _defaults: tuple[int, dict[tuple[int | None, Holding], DefaultRace]] | None = None
    _newest: tuple[int, list[NewestRace]] | None = None
    # What a refresh remembers is re-read every RECHECK_SECONDS instead: a refresh that finds the file unchanged
    # writes only the meta table, which neither the store's notices nor its fingerprint cover.
    _refreshes: tuple[float, tuple[str, ...], dict[str, RefreshStatus]] | None = None

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
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
        self._cards: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()
        # What servers write, kept per server: every fan command reads its server's settings (spoiler-safe mode)
        # and every /recap its published recap.
        self._settings: dict[int, GuildSettings] = {}
        self._published: OrderedDict[tuple[int, int], PublishedRecap | None] = OrderedDict()
        self._guild_writes = 0  # counts server writes, so a read that raced one is not kept
        self._steady = 0  # merges in progress elsewhere (see steady)
        store.subscribe(self._store_changed)

    # --- what the store says changed ---------------------------------------------------------------------------

    def _store_changed(self, change: StoreChange) -> None:
        if change.kind == "races":
            self.invalidate()
        elif change.kind == "quotes":
            self._forget_reads("quotes")
        elif change.guild_id is None:
            # Every server: the change feed lost PostgreSQL for a while and cannot say what was written meanwhile.
            self._guild_writes += 1
            self._settings.clear()
            self._published.clear()
        else:
            self._guild_writes += 1
            self._settings.pop(change.guild_id, None)
            for key in [key for key in self._published if key[0] == change.guild_id]:
                del self._published[key]

    def invalidate(self) -> None:
        """Forget every race fact, read and card, so the next read comes from the store."""
        self._index = None
        self._version = None
        self._generation += 1
        self._views.clear()
        self._races.clear()
        self._reads.clear()
        self._read_rows = 0
        self._cards.clear()

    def _forget_reads(self, name: str) -> None:
        self._generation += 1
        for key in [key for key in self._reads if key[0] == name]:  # type: ignore[index]  # keys start with a name
            answer, rows = self._reads.pop(key)
            self._read_rows -= rows
            self._forget_cards(answer)

    @asynccontextmanager
    async def steady(self) -> AsyncIterator[None]:
        """Keep the races as they are while another process merges a file a season at a time, then move at once.

        Inside, the fingerprint is not read, so fans keep the index and the answers they had, rather than one
        season of a refresh after another. Leaving it builds the new index (and its word lists) while fans are
        still answered from the old one, then moves to everything the merge committed in one step. The bot's own
        writes still show at once (they notify).
        """
        self._steady += 1
        try:
            yield
        finally:
            self._steady -= 1
            if not self._steady:
                await self._move_on()

    async def _move_on(self) -> None:
        """Move to what the store holds now: the new index built first, then swapped in with everything else."""
        version = await self._store.catalog_version()
        if version == self._version:
            self._checked_at = self._clock()
            return
        generation = self._generation
        index = await load_index(self._store)
        # The word lists are what the first fan to type would otherwise wait for; the old index serves meanwhile.
        await asyncio.sleep(0)
        index.race_words()
        await asyncio.sleep(0)
        index.name_words()
        if generation != self._generation or self._steady:
            return  # something moved the catalog meanwhile: its next read checks for itself
        self.invalidate()
        self._index, self._version, self._checked_at = index, version, self._clock()
        self._uploaders = frozenset(index.owners.values())

    async def _check(self) -> None:
        """Read the store's fingerprint after a write through the bot's connection, else at most every few seconds.

        Forget everything cached when it changed: that is how writes by another process (an import) show, within
        RECHECK_SECONDS.
        """
        now = self._clock()
        written = self._store.rows_written()
        # Held steady, only a change of races through this store (which notifies, and clears the version) moves
        # the catalog: a moderator's settings save bumps rows_written too, and must not pull in half a merge.
        due = not self._steady and (written != self._written or now - self._checked_at >= self.RECHECK_SECONDS)
        if self._version is None or due:
            version = await self._store.catalog_version()
            if version != self._version:
                self.invalidate()
                self._version = version
            self._checked_at = now
            self._written = written

    # --- the index and the races a server sees -----------------------------------------------------------------

    async def index(self, guild_id: int | None = None) -> SearchIndex:
        """Return the index a server sees (shared races only for None), rebuilt when the store changed."""
        async with self._loading:  # one load at a time: the others wait for it rather than repeat it
            await self._check()
            index = self._index
            if index is None:
                generation = self._generation
                index = await load_index(self._store)
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

    async def race(self, guild_id: int | None, text: str | None) -> RaceSummary:
        """Return the race a server means by a picked choice or typed text; the latest race for None."""
        return resolve_race(await self.index(guild_id), text)

    async def visible_race(self, guild_id: int | None, race_id: int) -> RaceSummary:
        """Return a race by id if this server may still see it (a button names it), else say it is gone."""
        race = (await self.index(guild_id)).race(race_id)
        if race is None:
            raise NoLongerStoredError("race")
        return race

    async def race_data(self, race_id: int) -> RaceData:
        """Return a race's facts, entries, stages, moments, notes and corrections.

        The race id must come from this catalog's index for the asking server, which is what keeps
        another server's uploads out of sight.
        """
        await self._check()
        cached = self._races.get(race_id)
        if cached is not None:
            self._races.move_to_end(race_id)
            return cached
        generation = self._generation
        race = await self._store.race(race_id)
        if race is None:
            raise NoLongerStoredError("race")
        entries = tuple(await self._store.entries(race_id))
        data = RaceData(
            race=race,
            entries=entries,
            stages=tuple(await self._store.stage_results(race_id, entries)),
            moments=tuple(await self._store.key_moments(race_id)),
            notes=tuple(await self._store.race_notes(race_id)),
            corrections=tuple(await self._store.corrections(race_id)),
            flow=await self._store.race_flow(race_id),
        )
        if generation == self._generation:  # not invalidated while it was read
            self._races[race_id] = data
            while len(self._races) > self.RACES_KEPT:
                self._forget_cards(self._races.popitem(last=False)[1])
        return data

    # --- which races have what, and how current the store is ------------------------------------------------

    async def coverage(self) -> Coverage:
        """Return which races have results, stage results and quotes, read once per index and per quote change."""
        await self._check()
        kept = self._coverage
        if kept is not None and kept[0] == self._generation:
            return kept[1]
        generation = self._generation
        coverage = await self._store.coverage()
        if generation == self._generation:  # not invalidated while it was read
            self._coverage = (generation, coverage)
        return coverage

    async def default_race(self, guild_id: int | None, what: Holding) -> DefaultRace:
        """Return the latest race this server sees with results, stage results or quotes (its own quotes count).

        When no race has any, that is the latest race, and the command says it has none.
        """
        index = await self.index(guild_id)
        latest = resolve_race(index, None)  # says so when no race is stored at all
        generation = self._generation
        kept = self._defaults
        found = kept[1].get((guild_id, what)) if kept is not None and kept[0] == generation else None
        if found is not None and found.latest is latest:  # made from this very index
            return found
        coverage = await self.coverage()
        pick = self._latest_among(index.races, coverage.races_with(what, guild_id)) or DefaultRace(latest, latest, 0)
        if generation == self._generation:
            if kept is None or kept[0] != generation or len(kept[1]) >= self.DEFAULTS_KEPT:
                kept = self._defaults = (generation, {})
            kept[1][(guild_id, what)] = pick
        return pick

    async def latest_race_among(self, guild_id: int | None, race_ids: frozenset[int]) -> DefaultRace | None:
        """Return the latest race this server sees among race_ids (those holding what a fan asked for), if any."""
        index = await self.index(guild_id)
        return self._latest_among(index.races, race_ids)

    @staticmethod
    def _latest_among(races: Sequence[RaceSummary], race_ids: frozenset[int]) -> DefaultRace | None:
        """Return the first of races (newest first) whose id is in race_ids, with how many newer ones it passed."""
        if not race_ids:
            return None
        for skipped, race in enumerate(races):
            if race.id in race_ids:
                return DefaultRace(race, races[0], skipped)
        return None

    async def freshness(self) -> tuple[SeriesFreshness, ...]:
        """Return how current each series is: its newest shared race and its last nascaR.data refresh."""
        await self._check()
        kept = self._newest
        if kept is not None and kept[0] == self._generation:
            newest = kept[1]
        else:
            generation = self._generation
            newest = await self._store.newest_races()
            if generation == self._generation:
                self._newest = (generation, newest)
        codes = tuple(n.series_short for n in newest)
        now = self._clock()
        refreshes = self._refreshes
        if refreshes is None or refreshes[1] != codes or now - refreshes[0] >= self.RECHECK_SECONDS:
            refreshes = self._refreshes = (now, codes, await self._store.refresh_status(codes))
        return tuple(SeriesFreshness.of(n, refreshes[2].get(n.series_short)) for n in newest)

    async def data_status(self, guild_id: int | None) -> DataStatus:
        """Return the counts, sources, freshness and a server's uploads, read afresh (for moderators, rarely)."""
        return await self._store.data_status(guild_id)

    # --- reads over many races --------------------------------------------------------------------------------

    async def remember(self, key: tuple[Hashable, ...], load: Callable[[], Awaitable[T]]) -> T:
        """Return load(), kept under key (a name, then the arguments) while the store is unchanged."""
        await self._check()
        if key in self._reads:
            self._reads.move_to_end(key)
            return self._reads[key][0]
        generation = self._generation
        answer = await load()
        if generation == self._generation and key not in self._reads:  # not invalidated while it was read
            rows = len(answer) if isinstance(answer, Sized) else 1
            self._reads[key] = (answer, rows)
            self._read_rows += rows
            while len(self._reads) > self.READS_KEPT or (
                self._read_rows > self.READ_ROWS_KEPT and len(self._reads) > 1
            ):
                _, (dropped, rows) = self._reads.popitem(last=False)
                self._read_rows -= rows
                self._forget_cards(dropped)
        return answer

    async def quotes(
        self,
        *,
        guild_id: int | None,
        race_id: int | None = None,
        driver_id: int | None = None,
        words: str | None = None,
    ) -> list[Quote]:
        """Return the quotes a server sees, filtered by race, speaker and words."""
        return await self.remember(
            ("quotes", guild_id, race_id, driver_id, words),
            lambda: self._store.quotes(race_id=race_id, driver_id=driver_id, words=words, guild_id=guild_id),
        )

    async def winner_history(self, race_id: int, *, guild_id: int | None) -> WinnerHistory | None:
        """Return the race winner's history in the series up to the race, for the recap's milestones."""
        return await self.remember(
            ("winner history", race_id, guild_id),
            lambda: self._store.winner_history(race_id, guild_id=guild_id),
        )

    async def leaderboard(
        self,
        *,
        guild_id: int | None,
        series_id: int | None = None,
        track_id: int | None = None,
        season: int | None = None,
        as_of: RaceSummary | None = None,
        exclude: Sequence[int] = (),
    ) -> list[tuple[Driver, int, int]]:
        """Return (driver, wins, starts), most wins first, within the filters, leaving out the races in exclude."""
        return await self.remember(
            ("leaderboard", guild_id, series_id, track_id, season, as_of, _hashable(sorted(exclude))),
            lambda: self._store.wins_leaderboard(
                series_id=series_id, track_id=track_id, season=season, as_of=as_of, guild_id=guild_id, exclude=exclude
            ),
        )

    async def track_history(
        self, track_id: int, *, guild_id: int | None, series_id: int | None = None, exclude: Sequence[int] = ()
    ) -> TrackHistory:
        """Return a track's winners and records, leaving out the races in exclude (held back for spoilers)."""
        return await self.remember(
            ("track history", track_id, guild_id, series_id, _hashable(exclude)),
            lambda: self._store.track_history(track_id, series_id=series_id, guild_id=guild_id, exclude=exclude),
        )

    async def head_to_head(
        self,
        driver_a: int,
        driver_b: int,
        *,
        guild_id: int | None,
        series_id: int | None = None,
        track_id: int | None = None,
        exclude: Sequence[int] = (),
    ) -> HeadToHead:
        """Return two drivers' record in the races both started, leaving out the races in exclude."""
        return await self.remember(
            ("head to head", driver_a, driver_b, guild_id, series_id, track_id, _hashable(exclude)),
            lambda: self._store.head_to_head(
                driver_a, driver_b, series_id=series_id, track_id=track_id, guild_id=guild_id, exclude=exclude
            ),
        )

    async def career_results(
        self,
        driver_id: int,
        *,
        guild_id: int | None,
        series_id: int | None = None,
        track_id: int | None = None,
        season: int | None = None,
        as_of: RaceSummary | None = None,
        exclude: Sequence[int] = (),
    ) -> list[DriverResult]:
        """Return a driver's starts with their races, newest first, up to and including as_of, but for exclude.

        The races are the index's own summaries (shared, and with their winners already known), so a long
        career costs one read of its entries.
        """
        filters = {"series_id": series_id, "track_id": track_id, "season": season, "as_of": as_of, "guild_id": guild_id}
        if exclude:
            # The whole career is read (and kept) once; each set of races held back is a filter over it.
            career = await self.career_results(driver_id, **filters)
            left_out = frozenset(exclude)
            return await self.remember(
                ("career", driver_id, guild_id, series_id, track_id, season, as_of, _hashable(sorted(left_out))),
                lambda: _filtered(career, left_out),
            )

        async def load() -> list[DriverResult]:
            for _ in range(2):
                index = await self.index(guild_id)
                entries = await self._store.career_entries(driver_id, **filters)
                results = [DriverResult(race, e) for e in entries if (race := index.race(e.race_id)) is not None]
                if len(results) == len(entries):
                    return results
                self.invalidate()  # a race stored since the index was read: read both again
            raise NotFoundError("The stored races changed while counting; please try again.")

        return await self.remember(("career", driver_id, guild_id, series_id, track_id, season, as_of), load)

    # --- NASCAR's schedule and standings (RACE_FEED) -----------------------------------------------------------
    # Read afresh each time: the feed poller writes them, the fingerprint does not cover them, and each is one
    # indexed query that fans ask for far less often than race facts.

    async def schedule(self, series: str | None, season: int) -> list[ScheduledRace]:
        """Return a season's scheduled races in start order, of one series (by code) or every series."""
        return await self._store.scheduled_races(series, season)

    async def next_scheduled(self, series: str | None, after: dt.datetime) -> ScheduledRace | None:
        """Return the first scheduled race starting at or after `after` whose results are not in yet."""
        return await self._store.next_scheduled(series, after)

    async def schedule_seasons(self, series: str | None = None) -> list[int]:
        """Return the seasons with a stored schedule, newest first."""
        return await self._store.schedule_seasons(series)

    async def standings(self, series: str, season: int, *, before_round: int | None = None) -> Standings | None:
        """Return a season's latest official standings, or the latest after fewer than before_round races."""
        return await self._store.standings(series, season, before_round=before_round)

    async def standings_seasons(self, series: str | None = None) -> list[tuple[str, int]]:
        """Return (series code, season) of the stored standings, newest season first."""
        return await self._store.standings_seasons(series)

    # --- what a server wrote ----------------------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """Return a server's settings (defaults when it never changed any)."""
        if (cached := self._settings.get(guild_id)) is not None:
            return cached
        writes = self._guild_writes
        settings = await self._store.guild_settings(guild_id)
        if writes == self._guild_writes:
            self._settings[guild_id] = settings
        return settings

    async def published_recap(self, race_id: int, guild_id: int) -> PublishedRecap | None:
        """Return the recap this server published for the race, as fans should see it."""
        key = (guild_id, race_id)
        if key in self._published:
            self._published.move_to_end(key)
            return self._published[key]
        writes = self._guild_writes
        published = await self._store.published_recap(race_id, guild_id)
        if writes == self._guild_writes:
            self._published[key] = published
            while len(self._published) > self.PUBLISHED_KEPT:
                self._published.popitem(last=False)
        return published

    # --- what replies are made of ----------------------------------------------------------------------------

    def card(self, card: Card, source: object, args: tuple[Hashable, ...], make: Callable[[], T]) -> T:
        """Return make(), kept as this card of source (race facts or a read's answer) with these arguments.

        make must depend only on source and args: what it returns is shared by every caller, so nobody may
        change it, and it is dropped with the source (a re-read race or answer is a new object).
        """
        key = (card, id(source), args)
        cached = self._cards.get(key)
        if cached is not None and cached[0] is source:
            self._cards.move_to_end(key)
            return cached[1]
        value = make()
        self._cards[key] = (source, value)  # keeps the source alive, so its id is not reused meanwhile
        while len(self._cards) > self.READS_KEPT:
            self._cards.popitem(last=False)
        return value

    def _forget_cards(self, source: object) -> None:
        """Drop what was made of a source the catalog no longer keeps, so the two caches bound memory together."""
        for key in [key for key, (kept, _) in self._cards.items() if kept is source]:
            del self._cards[key]
