"""Top terms of a set of requests, for the dashboard's "what are people calling about"."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable

__all__ = ["top_terms"]

# Numbers in any of the usual shapes: 12345, 3.5, 1,000, 80%, 2026-11-24, 10:30.
_NUMBER = re.compile(r"[\d.,:%/\-+]+")


def top_terms(
    texts: Iterable[str],
    *,
    tokenize: Callable[[str], list[str]],
    k: int = 20,
    stopwords: Collection[str] = (),
    min_len: int = 2,
) -> list[tuple[str, int]]:
    """The ``k`` terms found in the most texts, with that count (document frequency).

    A term counts once per text however often it repeats, so one long rant can't dominate.
    Numbers, punctuation, stopwords and terms shorter than ``min_len`` characters are dropped;
    Latin terms are compared case-insensitively. Ties are ordered by the term.
    """
    if k <= 0:
        return []
    stop = {_fold(word) for word in stopwords}
    counts: Counter[str] = Counter()
    for text in texts:
        if text:
            terms = (_term(token, stop, min_len) for token in tokenize(text))
            counts.update({term for term in terms if term})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]


def _fold(token: str) -> str:
    # NFKC maps full-width forms (ＷＩＦＩ, １２３) to ASCII so they match their plain spelling.
    return unicodedata.normalize("NFKC", token).strip().casefold()


def _term(token: str, stop: set[str], min_len: int) -> str | None:
    """The token as a countable term, or None when it is noise."""
    term = _fold(token)
    if len(term) < max(min_len, 1) or term in stop:
        return None
    # isnumeric also catches Chinese numerals such as 三十 and 二〇二六.
    if _NUMBER.fullmatch(term) or term.isnumeric():
        return None
    # Tokens made only of punctuation or symbols ("……", "——") carry no meaning.
    if not any(ch.isalnum() for ch in term):
        return None
    return term
