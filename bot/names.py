"""Name normalisation shared by the store (identity) and search (matching)."""

import re
import unicodedata

_SUFFIXES = {"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "ii": "ii", "iii": "iii", "iv": "iv"}
_NON_WORD = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Return text lower-cased, without accents or punctuation, with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def name_key(name: str) -> str:
    """Return the identity key of a person's name: 'Kenny Irwin, Jr.' and 'kenny irwin junior' agree.

    A suffix is kept (Dale Earnhardt and Dale Earnhardt Jr. are two drivers); only its spelling is folded.
    """
    words = fold(name).split()
    return " ".join(_SUFFIXES.get(word, word) for word in words)


def car_key(car: str) -> str:
    """Return a car number as typed, without '#' or spaces; '07' stays '07'."""
    return car.strip().lstrip("#").strip()
