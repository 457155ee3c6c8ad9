"""Milestone lines for a race's recap, each a fact counted from the stored history of the winner's series."""

from bot.series import BY_CODE
from bot.store.career import WinnerHistory
from bot.wording import ordinal

RECENT_STARTS = 5  # 'wins in the last N starts' looks this far back


def series_label(history: WinnerHistory) -> str:
    """Return the series as fans say it: 'Craftsman Truck Series' for 'NASCAR Craftsman Truck Series'."""
    return history.series.removeprefix("NASCAR ").strip() or history.series


def scope(history: WinnerHistory) -> str:
    """Return '' when the store holds the series from its first season, else ' (stored races since 2023)'."""
    family = BY_CODE.get(history.series_short)
    first = family.first_season if family else None
    if first is not None and history.first_season_stored is not None and history.first_season_stored <= first:
        return ""
    return f" (stored races since {history.first_season_stored})"


def winning_streak(finishes: tuple[int | None, ...]) -> int:
    """Return how many starts in a row, newest first, ended in a win."""
    streak = 0
    for finish in finishes:
        if finish != 1:
            break
        streak += 1
    return streak


def milestones(history: WinnerHistory | None, *, limit: int = 2) -> list[str]:
    """Return up to limit milestone lines for a race's winner; none without earlier stored races of the series.

    In order of preference: the win count so far (or a first win), the first win for the car number, a winning
    streak, and wins in the last few starts. Each holds for the stored races; the scope says which those are
    unless the store has the series from its first season.
    """
    if history is None or history.earlier_races == 0 or not history.finishes:
        return []
    series, where = series_label(history), scope(history)
    lines = []
    if history.wins == 1:
        lines.append(f"First {series} win for {history.driver}, in {history.starts} starts{where}.")
    else:
        lines.append(f"{history.driver}'s {ordinal(history.wins)} {series} win, in {history.starts} starts{where}.")
    if history.car_wins_before == 0:
        lines.append(f"The first {series} win for the #{history.car}{where}.")
    streak = winning_streak(history.finishes)
    if streak >= 2:
        lines.append(f"{history.driver} has won {streak} {series} starts in a row{where}.")
    recent = history.finishes[:RECENT_STARTS]
    recent_wins = sum(finish == 1 for finish in recent)
    if len(recent) == RECENT_STARTS and recent_wins >= 2 and recent_wins > streak:
        lines.append(f"{recent_wins} wins in {history.driver}'s last {RECENT_STARTS} {series} starts{where}.")
    return lines[:limit]
