"""Milestone lines for a race's recap, each a fact counted from the stored history of the winner's series."""

from bot.series import BY_CODE
from bot.store.career import WinnerHistory
from bot.wording import ordinal

RECENT_STARTS = 5  # 'wins in the last N starts' looks this far back


def series_label(history: WinnerHistory) -> str:
    """Return the series as fans say it: 'Craftsman Truck Series' for 'NASCAR Craftsman Truck Series'."""
    return history.series.removeprefix("NASCAR ").strip() or history.series


def scope(history: WinnerHistory) -> str | None:
    """Return what the counts cover: '' for the whole series, ' (stored races since 2023)', or None.

    '' needs every round from the series' first season up to the race; a later first season, with no round
    missing since, is named. None: a round is missing, so a count is of the stored races only and a 'first' or
    'Nth' could be false.
    """
    if history.has_gap or history.first_season_stored is None:
        return None
    family = BY_CODE.get(history.series_short)
    if family is not None and history.first_season_stored <= family.first_season:
        return ""
    return f" (stored races since {history.first_season_stored})"


def count(n: int, noun: str) -> str:
    """Return '1 start' or '16 starts'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
    unless the store has the series from its first season. With a round missing, only the plain count of wins
    and starts is told, as a count of the races held: a gap can hide an earlier win or break a streak.
    """
    if history is None or history.earlier_races == 0 or not history.finishes:
        return []
    series, where = series_label(history), scope(history)
    starts = count(history.starts, "start")
    if where is None:
        wins = count(history.wins, f"{series} win")
        return [f"{history.driver} has {wins} in {starts} in the races Pit Board holds."][:limit]
    lines = []
    if history.wins == 1:
        lines.append(f"First {series} win for {history.driver}, in {starts}{where}.")
    else:
        lines.append(f"{history.driver}'s {ordinal(history.wins)} {series} win, in {starts}{where}.")
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
