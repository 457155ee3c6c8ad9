"""The reliability suite's running totals, printed as one line at the end of the test run."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.reliability.hostile import CLASSES


@dataclass
class Tally:
    """What the suite tried, broke on purpose, and found missing."""

    inputs: int = 0  # hostile values, files and interactions sent to the bot
    faults: int = 0  # failures injected: Discord errors, dropped gateways, store faults, killed processes
    rows_lost: int = 0  # rows that were acknowledged (or committed) and then missing, or written half
    figures: list[str] = field(default_factory=list)  # measurements worth a line of their own
    classes: Counter[str] = field(default_factory=Counter)  # inputs per defect class (hostile.CLASSES)
    used: bool = False

    def lines(self) -> list[str]:
        """Return the summary line, then one line per measurement."""
        # Every class is named, a class never tried included: a zero shows what the run did not reach.
        names = [*CLASSES, *sorted(set(self.classes) - set(CLASSES))]
        kinds = ", ".join(f"{name} {self.classes[name]:,}" for name in names)
        summary = (
            f"reliability: {self.inputs:,} inputs tried ({kinds}), {self.faults:,} faults injected, "
            f"{self.rows_lost:,} rows lost"
        )
        return [summary, *(f"reliability: {figure}" for figure in self.figures)]


TALLY = Tally()


def tried(count: int = 1, classes: Iterable[str] = ()) -> None:
    """Count inputs sent to the bot, and the defect classes they belong to (hostile.classify)."""
    TALLY.used = True
    TALLY.inputs += count
    TALLY.classes.update(set(classes))


def injected(count: int = 1) -> None:
    """Count faults injected."""
    TALLY.used = True
    TALLY.faults += count


def lost(count: int) -> None:
    """Count rows found missing or half-written (any non-zero count also fails the test that found it)."""
    TALLY.used = True
    TALLY.rows_lost += count


def measured(figure: str) -> None:
    """Report a measurement under the summary line."""
    TALLY.used = True
    TALLY.figures.append(figure)
