"""A BM25 index over articles, held in memory: pure, no database, no Flask.

Each article is split into fields (question variants, title, tags, answer) and each field is
segmented with the project's jieba tokenizer, plus Chinese character pairs so that a caller's
"咋个取公积金" still meets "提取住房公积金". Field weights favour the question variants: they
are written the way people ask. The BM25 contribution of every (term, article) pair is
computed once at build time, so a query is a few vectorised additions over numpy arrays.

Synonyms expand the query: a word of a group adds the group's other words at a lower weight.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from classifier.segment import tokenize

FIELD_WEIGHTS = {"questions": 3.0, "title": 2.0, "tags": 1.5, "answer": 1.0}
PAIR_WEIGHT = 0.35  # a character pair counts for this much of a word
SYNONYM_WEIGHT = 0.9
K1, B = 1.2, 0.75
_HAN_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_PAIR = "\u00b7"  # prefix of character-pair terms, never produced by the tokenizer


@dataclass
class Doc:
    """What the index needs of one article."""

    id: int
    title: str
    questions: Sequence[str] = ()
    answer: str = ""
    tags: Sequence[str] = ()
    extra: dict = field(default_factory=dict)  # returned with a hit, never searched


@dataclass
class Hit:
    """One result: the article, its score and the question variant it matched best."""

    doc: Doc
    score: float
    question: str | None


def terms(text: str, *, pairs: bool = True) -> list[str]:
    """The words of ``text`` and, when ``pairs``, its Chinese character pairs.

    Segmentation is the costly part of a build; texts seen before (an index rebuilt after
    one article changed) are remembered."""
    return list(_terms(text, pairs))


@lru_cache(maxsize=200_000)
def _terms(text: str, pairs: bool) -> tuple[str, ...]:
    text = text.lower()
    out = tokenize(text)
    if pairs:
        for run in _HAN_RUN.findall(text):
            out.extend(_PAIR + run[i:i + 2] for i in range(len(run) - 1))
    return tuple(out)


class KbIndex:
    """BM25 over the fields of a fixed list of documents; build once, query many times."""

    def __init__(self, docs: Iterable[Doc], *, pairs: bool = True,
                 tokens: Callable[..., list[str]] = terms) -> None:
        self.docs = list(docs)
        self.pairs = pairs
        self._terms = tokens
        self._postings = self._build()

    def _field_texts(self, doc: Doc) -> dict[str, str]:
        return {"questions": "\n".join(doc.questions), "title": doc.title,
                "tags": " ".join(doc.tags), "answer": doc.answer}

    def _build(self) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Per field, each term's documents and its weighted BM25 contribution to each."""
        n = len(self.docs)
        texts = [self._field_texts(doc) for doc in self.docs]
        return {name: self._field_postings([t[name] for t in texts], weight, n)
                for name, weight in FIELD_WEIGHTS.items()}

    def _field_postings(self, texts: list[str], weight: float,
                        n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        rows: dict[str, list[int]] = defaultdict(list)
        counts: dict[str, list[int]] = defaultdict(list)
        lengths = np.zeros(max(n, 1), dtype=np.float32)
        for i, text in enumerate(texts):
            words = self._terms(text, pairs=self.pairs)
            lengths[i] = len(words)
            for term, count in Counter(words).items():
                rows[term].append(i)
                counts[term].append(count)
        norm = K1 * (1 - B + B * lengths / (float(lengths.mean()) or 1.0))
        postings = {}
        for term, docs in rows.items():
            idx = np.array(docs, dtype=np.int32)
            tf = np.array(counts[term], dtype=np.float32)
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            postings[term] = (idx, weight * idf * tf * (K1 + 1) / (tf + norm[idx]))
        return postings

    def query_terms(self, text: str,
                    synonyms: Sequence[Sequence[str]] = ()) -> dict[str, float]:
        """The weighted terms a query searches for, synonyms of its words included."""
        weighted: dict[str, float] = {}
        for term in self._terms(text, pairs=self.pairs):
            weighted[term] = max(weighted.get(term, 0.0), _own_weight(term))
        lowered = text.lower()
        for group in synonyms:
            if not any(word.lower() in lowered for word in group):
                continue
            for word in group:
                if word.lower() in lowered:
                    continue
                for term in self._terms(word, pairs=self.pairs):
                    weighted.setdefault(term, SYNONYM_WEIGHT * _own_weight(term))
        return weighted

    def search(self, text: str, *, synonyms: Sequence[Sequence[str]] = (), limit: int = 10,
               allowed: np.ndarray | None = None) -> list[Hit]:
        """The best ``limit`` documents for ``text``; ``allowed`` masks out the others."""
        if not self.docs:
            return []
        weighted = self.query_terms(text, synonyms)
        scores = np.zeros(len(self.docs), dtype=np.float32)
        for postings in self._postings.values():
            for term, weight in weighted.items():
                posting = postings.get(term)
                if posting is not None:
                    scores[posting[0]] += weight * posting[1]
        if allowed is not None:
            scores[~allowed] = 0.0
        limit = min(limit, len(self.docs))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        words = [t for t in weighted if not t.startswith(_PAIR)]
        return [Hit(self.docs[i], round(float(scores[i]), 3),
                    _best_question(self.docs[i], words))
                for i in top if scores[i] > 0]


def _own_weight(term: str) -> float:
    return PAIR_WEIGHT if term.startswith(_PAIR) else 1.0


def _best_question(doc: Doc, words: list[str]) -> str | None:
    best, best_count = None, 0
    for question in doc.questions:
        count = sum(1 for w in words if w in question)
        if count > best_count:
            best, best_count = question, count
    return best


def snippet(text: str, words: Iterable[str], width: int = 60) -> str:
    """A short piece of ``text`` around the first query word it contains."""
    text = " ".join(text.split())
    start = 0
    for word in words:
        at = text.find(word)
        if at >= 0:
            start = max(0, at - width // 4)
            break
    piece = text[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")
