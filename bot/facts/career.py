"""A driver's figures counted from their stored starts."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.models import DriverResult


@dataclass(frozen=True, slots=True)
class CareerLine:
    """Figures counted from stored results."""

    starts: int
    wins: int
    top5: int
    top10: int
    laps_led: int
    laps_led_unknown: int  # starts whose laps led were not recorded

    @classmethod
    def of(cls, results: Sequence[DriverResult]) -> "CareerLine":
        """Count a driver's figures from their stored results."""
        finishes = [r.entry.finish for r in results]
        return cls(
            starts=len(results),
            wins=sum(f == 1 for f in finishes),
            top5=sum(f is not None and f <= 5 for f in finishes),
            top10=sum(f is not None and f <= 10 for f in finishes),
            laps_led=sum(r.entry.laps_led or 0 for r in results),
            laps_led_unknown=sum(r.entry.laps_led is None for r in results),
        )

    @property
    def win_rate(self) -> float | None:
        """Return wins per start as a percentage, or None without starts."""
        return 100 * self.wins / self.starts if self.starts else None
