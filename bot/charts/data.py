"""What each race chart shows, worked out from the store's rows: pure functions, no plotting."""

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.store.models import Entry, Race, SourceLink, StageResult
from bot.wording import ordinal


class ChartKind(enum.StrEnum):
    """The charts Pit Board draws; the value is what /chart's kind option sends."""

    LAPS_LED = "laps-led"
    START_FINISH = "start-finish"
    STAGE_POINTS = "stage-points"
    SEASON_POINTS = "season-points"
    STANDINGS = "standings"  # NASCAR's official standings (RACE_FEED); not a one-race chart

    @property
    def label(self) -> str:
        """Return the chart's name as people say it: 'Laps led'."""
        return _LABELS[self]


_LABELS = {
    ChartKind.LAPS_LED: "Laps led",
    ChartKind.START_FINISH: "Start to finish",
    ChartKind.STAGE_POINTS: "Stage and finish points",
    ChartKind.SEASON_POINTS: "Season points",
    ChartKind.STANDINGS: "Official standings",
}


def names(items: Sequence[str]) -> str:
    """Return 'A', 'A and B' or 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def surname(driver: str) -> str:
    """Return the name a driver is called by in a headline: 'Larson', 'Perez de Lara', 'Smith Jr.'."""
    words = driver.split()
    if len(words) >= 3 and words[-1].rstrip(".").lower() in {"jr", "sr", "ii", "iii", "iv"}:
        return " ".join(words[-2:])
    if len(words) >= 3 and words[-2].lower() in {"de", "del", "van", "von", "da", "di", "le", "la"}:
        return " ".join(words[-3:] if len(words) >= 4 else words[-2:])
    return words[-1] if words else driver


# --- laps led ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LapsLedRow:
    """One driver who led: how many laps, and which stages and race they won."""

    driver: str
    car: str
    laps_led: int
    stage_wins: tuple[int, ...]
    race_winner: bool


def stage_winners(stages: Iterable[StageResult]) -> dict[int, StageResult]:
    """Return each stage's first place, resolved or not, by stage number."""
    return {r.stage: r for r in stages if r.position == 1}


def laps_led_data(entries: Sequence[Entry], stages: Sequence[StageResult]) -> tuple[LapsLedRow, ...]:
    """Return every driver who led at least one lap, most laps first, with the stages they won marked."""
    won: dict[int, list[int]] = {}
    for number, result in sorted(stage_winners(stages).items()):
        if result.entry is not None:
            won.setdefault(result.entry.id, []).append(number)
    leaders = [e for e in entries if e.laps_led]
    leaders.sort(key=lambda e: (-(e.laps_led or 0), e.finish if e.finish is not None else 10_000, e.driver))
    return tuple(
        LapsLedRow(e.driver, e.car_number, e.laps_led or 0, tuple(won.get(e.id, ())), e.finish == 1) for e in leaders
    )


# --- start to finish -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """One driver's start and finish."""

    driver: str
    car: str
    start: int
    finish: int

    @property
    def gained(self) -> int:
        """Return places gained (negative: lost)."""
        return self.start - self.finish

    @property
    def text(self) -> str:
        """Return '3rd → 1st'."""
        return f"{ordinal(self.start)} → {ordinal(self.finish)}"


@dataclass(frozen=True, slots=True)
class StartFinish:
    """Every driver's start and finish, with the moves worth naming."""

    moves: tuple[Move, ...]  # in finishing order
    winner: Move | None
    biggest_gain: Move | None
    biggest_drop: Move | None

    @property
    def gainers(self) -> int:
        """Return how many drivers finished ahead of where they started."""
        return sum(m.gained > 0 for m in self.moves)

    @property
    def losers(self) -> int:
        """Return how many drivers finished behind where they started."""
        return sum(m.gained < 0 for m in self.moves)

    @property
    def unchanged(self) -> int:
        """Return how many drivers finished where they started."""
        return sum(m.gained == 0 for m in self.moves)


def start_finish_data(entries: Sequence[Entry]) -> StartFinish:
    """Return each driver's start and finish; the biggest gain favours the better finish when tied."""
    moves = sorted(
        (Move(e.driver, e.car_number, e.start, e.finish) for e in entries if e.start is not None and e.finish),
        key=lambda m: m.finish,
    )
    gains = [m for m in moves if m.gained > 0]
    drops = [m for m in moves if m.gained < 0]
    return StartFinish(
        moves=tuple(moves),
        winner=next((m for m in moves if m.finish == 1), None),
        biggest_gain=max(gains, key=lambda m: (m.gained, -m.finish)) if gains else None,
        biggest_drop=min(drops, key=lambda m: (m.gained, m.finish)) if drops else None,
    )


# --- stage and finish points ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointsRow:
    """One driver's points, split into each stage's, stage points whose stage is unresolved, and the finish's."""

    driver: str
    car: str
    finish: int | None
    stages: tuple[int, ...]  # one per stage number in StagePoints.stage_numbers; 0 when none
    unresolved: int  # stage points the driver scored in a stage position the store has not resolved
    finish_points: int
    total: int


@dataclass(frozen=True, slots=True)
class UnresolvedGroup:
    """Stage positions held by one of the same candidates, in an order the store does not know."""

    candidates: tuple[str, ...]
    positions: tuple[tuple[int, int], ...]  # (stage, position)

    @property
    def text(self) -> str:
        """Return 'Ross Chastain or Stewart Friesen: Stage 1 5th and 8th, Stage 2 4th and 7th'."""
        by_stage: dict[int, list[int]] = {}
        for stage, position in self.positions:
            by_stage.setdefault(stage, []).append(position)
        where = ", ".join(
            f"Stage {stage} " + names([ordinal(p) for p in sorted(found)]) for stage, found in sorted(by_stage.items())
        )
        return f"{' or '.join(self.candidates)}: {where}"


@dataclass(frozen=True, slots=True)
class StagePoints:
    """The points chart's rows and what it must say it does not know."""

    stage_numbers: tuple[int, ...]
    rows: tuple[PointsRow, ...]  # most points first
    unresolved: tuple[UnresolvedGroup, ...]
    ineligible: tuple[str, ...]  # drivers not eligible for points, in finishing order


def stage_points_data(entries: Sequence[Entry], stages: Sequence[StageResult], *, top: int = 12) -> StagePoints:
    """Return the top drivers' points as stage, unresolved-stage and finish parts; nothing is guessed.

    A stage position the store has not resolved is never given to one of its candidates: the stage
    points a driver is known to have scored (entry.stage_points) beyond their resolved positions are
    shown as 'unresolved'.
    """
    numbers = tuple(sorted({r.stage for r in stages}))
    resolved: dict[tuple[int, int], int] = {}
    groups: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for result in stages:
        if result.entry is not None:
            key = (result.entry.id, result.stage)
            resolved[key] = resolved.get(key, 0) + (result.points or 0)
        else:
            candidates = tuple(sorted(c.driver for c in result.candidates)) or ("not recorded",)
            groups.setdefault(candidates, []).append((result.stage, result.position))
    rows = []
    for entry in entries:
        if entry.points is None or entry.points_eligible == "no":
            continue
        per_stage = tuple(resolved.get((entry.id, n), 0) for n in numbers)
        stage_total = max(entry.stage_points or 0, sum(per_stage))
        finish_points = entry.points - stage_total
        rows.append(
            PointsRow(
                driver=entry.driver,
                car=entry.car_number,
                finish=entry.finish,
                stages=per_stage,
                unresolved=stage_total - sum(per_stage),
                finish_points=finish_points,
                total=entry.points,
            )
        )
    rows.sort(key=lambda r: (-r.total, r.finish if r.finish is not None else 10_000))
    return StagePoints(
        stage_numbers=numbers,
        rows=tuple(r for r in rows[:top] if r.total > 0),
        unresolved=tuple(UnresolvedGroup(c, tuple(p)) for c, p in groups.items()),
        ineligible=tuple(e.driver for e in entries if e.points_eligible == "no"),
    )


# --- points after each race of a season ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeasonLine:
    """One driver's points total after each race."""

    driver: str
    totals: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SeasonPoints:
    """Points after each stored race of a season, for the drivers with the most."""

    races: tuple[str, ...]  # short labels in race order: 'R4 Homestead'
    rounds: tuple[int, ...]
    lines: tuple[SeasonLine, ...]  # most points after the last race first


_TRACK_WORDS = re.compile(
    r"\s+(International|Motor|Super)?\s*(Speedway|Raceway|Superspeedway|Motorsports Park|Circuit|Park)$"
)


def short_track(track: str) -> str:
    """Return 'Homestead-Miami' for 'Homestead-Miami Speedway'."""
    return _TRACK_WORDS.sub("", track).strip() or track


def season_points_data(races: Sequence[tuple[int, str, Sequence[Entry]]], *, top: int = 10) -> SeasonPoints:
    """Return the top drivers' points totals after each race, from (round, track, entries) in race order.

    Only the points of the races given count; a driver who missed a race keeps their total.
    """
    totals: dict[int, int] = {}
    driver_names: dict[int, str] = {}
    history: dict[int, list[int]] = {}
    for n, (_, _, entries) in enumerate(races):
        for entry in entries:
            driver_names[entry.driver_id] = entry.driver
            totals[entry.driver_id] = totals.get(entry.driver_id, 0) + (entry.points or 0)
        for driver_id, total in totals.items():
            history.setdefault(driver_id, [0] * n).append(total)
    ranked = sorted((d for d in totals if totals[d] > 0), key=lambda d: (-totals[d], driver_names[d]))
    return SeasonPoints(
        races=tuple(f"R{round_} {short_track(track)}" for round_, track, _ in races),
        rounds=tuple(round_ for round_, _, _ in races),
        lines=tuple(SeasonLine(driver_names[d], tuple(history[d])) for d in ranked[:top]),
    )


# --- NASCAR's official standings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandingsBar:
    """One driver's place and points in the official standings."""

    position: int
    driver: str
    car: str | None
    points: int
    gap_leader: int
    wins: int | None
    playoff_points: int | None


@dataclass(frozen=True, slots=True)
class StandingsChart:
    """The top of the official standings, leader first."""

    bars: tuple[StandingsBar, ...]
    drivers: int  # in the whole standings


def standings_chart_data(rows: Sequence[StandingsBar], *, top: int = 16) -> StandingsChart:
    """Return the first `top` drivers of the standings, leader first."""
    ordered = sorted(rows, key=lambda row: row.position)
    return StandingsChart(tuple(ordered[:top]), len(ordered))


# --- which chart tells the race best -------------------------------------------------------------------------


def available_kinds(entries: Sequence[Entry], stages: Sequence[StageResult]) -> list[ChartKind]:
    """Return the one-race charts the stored data can draw."""
    kinds = []
    if laps_led_data(entries, stages):
        kinds.append(ChartKind.LAPS_LED)
    if len(start_finish_data(entries).moves) >= 2:
        kinds.append(ChartKind.START_FINISH)
    if stages and stage_points_data(entries, stages).rows:
        kinds.append(ChartKind.STAGE_POINTS)
    return kinds


def best_kind(race: Race, entries: Sequence[Entry], stages: Sequence[StageResult]) -> ChartKind | None:
    """Return the chart that tells this race best, or None when no chart can be drawn.

    Laps led when one driver dominated (led at least half the laps) or the driver who led most did not
    win: the chart then shows who had the race and who took it. Start to finish when the winner came
    from outside the top five or someone gained ten places or more. Otherwise laps led when several
    drivers led, then whatever the data allows.
    """
    kinds = available_kinds(entries, stages)
    if not kinds:
        return None
    leaders = laps_led_data(entries, stages)
    if leaders:
        laps = race.laps_run or sum(row.laps_led for row in leaders)
        top = leaders[0]
        if top.laps_led * 2 >= laps or not top.race_winner:
            return ChartKind.LAPS_LED
    if ChartKind.START_FINISH in kinds:
        moves = start_finish_data(entries)
        if (moves.winner and moves.winner.start > 5) or (moves.biggest_gain and moves.biggest_gain.gained >= 10):
            return ChartKind.START_FINISH
    if len(leaders) >= 2:
        return ChartKind.LAPS_LED
    return kinds[0]


# --- words ---------------------------------------------------------------------------------------------------


_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?=[/\s,;:)]|$)")
_REPO = re.compile(r"\brepo\s+[\w.-]+/([\w.-]*\w)")


def source_name(source: SourceLink) -> str:
    """Return a source's short name: 'DriverAverages.com via nascaR.data', 'frontstretch.com', or its key."""
    domain = _DOMAIN.match(source.description.strip())
    repo = _REPO.search(source.description)
    if domain and repo:
        return f"{domain[1]} via {repo[1]}"
    if domain:
        return domain[1]
    return source.key


def caption(sources: Sequence[SourceLink], *, extra: str = "", limit: int = 3) -> str:
    """Return 'Source: Pit Board race store (DriverAverages.com via nascaR.data)' plus an optional note."""
    named = list(dict.fromkeys(source_name(s) for s in sources))
    shown = "; ".join(named[:limit]) + (f"; {len(named) - limit} more" if len(named) > limit else "")
    text = f"Source: Pit Board race store ({shown})" if shown else "Source: Pit Board race store"
    return f"{text}. {extra}" if extra else f"{text}."
