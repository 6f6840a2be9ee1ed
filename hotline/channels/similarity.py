"""Repeat-complaint detection: character-bigram Jaccard similarity for Chinese text.

Chinese has no spaces, so words are not a usable unit without a segmenter; overlapping
character pairs capture local wording well enough to spot a complaint re-sent with small edits.
"""

from __future__ import annotations

import unicodedata

# Whitespace, punctuation, symbols and control/format characters carry no topic information.
_DROPPED_CATEGORIES = ("P", "S", "Z", "C")


def normalize(text: str) -> str:
    """Fold width and case and drop whitespace/punctuation, so "，" vs "," or spacing never
    count as differences."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in _DROPPED_CATEGORIES)


def shingles(text: str) -> frozenset[str]:
    """The set of character bigrams of the normalised text (a single character stands alone).

    Precompute these once per stored case when comparing a new request against many.
    """
    norm = normalize(text)
    if len(norm) < 2:
        return frozenset(norm)
    return frozenset(norm[i:i + 2] for i in range(len(norm) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard index of two shingle sets; 0.0 when either is empty (nothing to compare)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two texts on character bigrams (1.0 = same wording)."""
    return jaccard(shingles(a), shingles(b))


def is_exact_repeat(a: str, b: str) -> bool:
    """True when both texts are identical after normalisation (and not empty)."""
    norm_a = normalize(a)
    return bool(norm_a) and norm_a == normalize(b)
