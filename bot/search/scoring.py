"""Scoring typed text against names: exact, prefix, typo and surname matches, as numbers from 0 up."""

import difflib
import functools
import re
from collections.abc import Mapping, Sequence

from bot.names import car_key, fold, name_key
from bot.store.models import RaceSummary

ACCEPT = 0.8  # a typed value at least this close resolves on its own, as if picked from the list
SUGGEST = 0.5  # anything at least this close is offered as a suggestion

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_CAR = re.compile(r"^#?\s*(\d{1,3})$")


@functools.lru_cache(maxsize=65_536)
def token_score(typed: str, word: str) -> float:
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


def phrase_score(typed_words: Sequence[str], words: Sequence[str]) -> float:
    """Return the average best match of every typed word, or 0 when any typed word matches nothing."""
    if not typed_words or not words:
        return 0.0
    total = 0.0
    for typed in typed_words:
        best = max(token_score(typed, word) for word in words)
        if best == 0.0:
            return 0.0
        total += best
    return total / len(typed_words)


def plain_words(key: str) -> list[str]:
    """Return a name key's words without suffixes, so 'Kyle Larson Jr.' finds Kyle Larson."""
    words = [w for w in key.split() if w not in _SUFFIXES]
    return words or key.split()


@functools.lru_cache(maxsize=16_384)
def name_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """Return a name's identity key and its words without suffixes (cached: autocomplete asks on every keystroke)."""
    key = name_key(name)
    return key, tuple(plain_words(key))


def name_score(typed: str, name: str) -> float:
    """Return how well typed text matches a person's name: above 1 exact, about 0.9 a whole surname, 0 nothing."""
    (typed_key, typed_words), (key, words) = name_parts(typed), name_parts(name)
    if not typed_key:
        return 0.0
    if typed_key == key:
        return 1.05
    if typed_words == words:
        return 1.0
    score = 0.9 * phrase_score(typed_words, words)
    if score and typed_words[-1] == words[-1]:
        score += 0.02  # a surname typed alone outranks the same word as a first name
    return score


def car_query(text: str) -> str | None:
    """Return the car number in text such as '#07' or '07' (kept as typed: '07' is not '7'), else None."""
    match = _CAR.match(text.strip())
    return car_key(match[1]) if match else None


@functools.lru_cache(maxsize=8_192)
def words_of_race(race: RaceSummary) -> tuple[str, ...]:
    """Return the folded words a race can be found by: name, track, series and season."""
    return tuple(fold(f"{race.name} {race.track} {race.series} {race.series_short} {race.season}").split())


@functools.lru_cache(maxsize=8_192)
def folded_label(race: RaceSummary) -> str:
    """Return a race's label folded, for substring matches."""
    return fold(race.label)


def race_score(typed: str, race: RaceSummary) -> float:
    """Return how well typed text matches a race's name, track, series or season."""
    folded = fold(typed)
    if not folded:
        return 0.0
    score = phrase_score(folded.split(), words_of_race(race))
    if folded in folded_label(race):
        score = max(score, 0.95)
    return score


def phrase_scores(typed_words: Sequence[str], postings: Mapping[str, list[int]]) -> dict[int, float]:
    """Return phrase_score(typed_words, words) for every item with a nonzero one, items given by word postings.

    Each typed word is scored against each distinct word once, instead of against every item's words: the
    same sums in the same order, so the same scores, for a few hundred words instead of thousands of items.
    """
    totals: dict[int, float] | None = None
    for typed in typed_words:
        best: dict[int, float] = {}
        for word, items in postings.items():
            score = token_score(typed, word)
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
