"""The results fans look for first: the podium, the pole, the stage winners and who led most."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.models import Entry, Race, StageResult


@dataclass(frozen=True, slots=True)
class FrontRow:
    """Who is named for the front of the grid, and under which label.

    The stored pole is "Pole". Where no pole is stored, the driver who started first is shown as "Started first":
    calling them the pole-sitter would be a fact no source gave.
    """

    label: str
    entry: Entry


@dataclass(frozen=True, slots=True)
class KeyResults:
    """A race's winner, podium, front row, stage winners and laps-led leaders, worked out one way for every reply."""

    podium: tuple[Entry | None, Entry | None, Entry | None]  # first, second, third; None where not recorded
    front_row: FrontRow | None
    stage_winners: tuple[StageResult, ...]  # each stage's position 1, by stage
    leaders: tuple[Entry, ...]  # entries that led a lap, most laps first
    laps_led_known: bool  # False when some entry's laps led were not recorded and nobody is known to have led

    @property
    def winner(self) -> Entry | None:
        """Return the winner, if recorded."""
        return self.podium[0]


def key_results(race: Race, entries: Sequence[Entry], stages: Sequence[StageResult]) -> KeyResults:
    """Return a race's key results from its stored facts."""
    by_finish = {e.finish: e for e in entries if e.finish is not None}
    pole = next((e for e in entries if race.pole_entry_id is not None and e.id == race.pole_entry_id), None)
    if pole is not None:
        front_row: FrontRow | None = FrontRow("Pole", pole)
    else:
        first = next((e for e in entries if e.start == 1), None)
        front_row = FrontRow("Started first", first) if first is not None else None
    winners = {r.stage: r for r in stages if r.position == 1}
    leaders = tuple(sorted((e for e in entries if e.laps_led), key=lambda e: -(e.laps_led or 0)))
    return KeyResults(
        podium=(by_finish.get(1), by_finish.get(2), by_finish.get(3)),
        front_row=front_row,
        stage_winners=tuple(winners[n] for n in sorted(winners)),
        leaders=leaders,
        laps_led_known=bool(leaders) or (bool(entries) and all(e.laps_led is not None for e in entries)),
    )
