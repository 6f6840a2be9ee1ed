"""How well a reply answers its request: one number in 0..1 from four plain signals.

A reply that answers a request names the same place, the same object and the same problem,
and reads like the same topic. Each is measured on its own so a supervisor can see why a
reply scored low:

* ``words``: the share of the request's content words (jieba, IDF-weighted) the reply repeats;
* ``chars``: cosine of the two texts' character 1-2-gram TF-IDF vectors (catches words
  jieba splits differently);
* ``back``: the share of the reply's own character grams (less the words every reply uses)
  found in the request: a reply about something else has many of its own;
* ``place``: +1 when both name the same street or landmark (or sub-district), +0.5 the same
  district where one names no sub-district, -0.5 another sub-district of the district, -1
  another district, 0 when one of them names none (places from the gazetteer and from
  road/estate/station suffixes): a reply names the sub-district office where the citizen
  named a road;
* ``topic``: cosine between the two texts' similarity profiles against the categories of
  the starter corpus (the same problem, said in other words).

The weights were chosen by a small grid search on the first half of each bench set
(``bench/data/quality_pairs.jsonl``, ``quality_hard.jsonl``); ``bench/quality_bench.py``
reports the held-out halves too. Nothing here knows Flask or the database.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifier.gazetteer import Gazetteer
from classifier.normalize import normalize
from classifier.segment import tokenize

DATA_DIR = Path(__file__).resolve().parents[2] / "classifier" / "data"
CORPUS = DATA_DIR / "starter_corpus.csv"
GAZETTEER = DATA_DIR / "gazetteer.csv"

# Words every reply uses whatever it answers: they say nothing about relevance.
REPLY_WORDS = frozenset(
    "您好 你好 感谢 谢谢 来电 反映 反应 问题 情况 核实 核查 处理 工作 部门 相关 进行 已经 "
    "现场 市民 您 我们 我局 我单位 接到 诉求 收到 一事 答复 回复 如下 支持 理解 监督 "
    "今后 后续 加强 及时 依法 规定 要求 有关 单位 进一步 落实 联系 电话".split())
REPLY_CHARS = frozenset(g for w in REPLY_WORDS
                        for g in (*w, *(w[i:i + 2] for i in range(len(w) - 1))))
# Places people name by their suffix: 玉林路, 抚琴小区, 茶店子客运站, 望江楼公园.
_PLACE_RE = re.compile(
    r"[\u4e00-\u9fff]{2,5}?(?:路|街|巷|大道|小区|社区|花园|公园|广场|市场|客运站|站|村|镇|桥|"
    r"立交|医院|学校|小学|中学|商场|景区)")
_WEIGHTS = {"words": 3.0, "chars": 4.0, "back": 3.0, "place": 1.0, "topic": 0.0}
_BIAS = -2.0
PLACE_DISTRICT_ONLY = 0.5


@dataclass(frozen=True)
class Relevance:
    """The score and the signals it was made of (each shown to a supervisor who asks why)."""

    score: float
    words: float
    chars: float
    back: float
    place: float
    topic: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 3) for k in ("score", "words", "chars", "back",
                                                          "place", "topic")}


def place_agreement(asked: tuple[str, str | None], answered: tuple[str, str | None]
                    ) -> float:
    """How two places agree, compared at the finest level both name: the same sub-district
    +1; the same district where one names no sub-district +0.5 (a district office answers
    for its streets); another sub-district of the district -0.5; another district -1."""
    if asked[0] != answered[0]:
        return -1.0
    if asked[1] and answered[1]:
        return 1.0 if asked[1] == answered[1] else -0.5
    return PLACE_DISTRICT_ONLY


def char_grams(text: str) -> list[str]:
    """Characters and overlapping character pairs of the CJK/alphanumeric runs of ``text``."""
    out: list[str] = []
    for run in re.findall(r"[0-9a-z\u3400-\u9fff]+", text.lower()):
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def _idf(documents: list[set[str]]) -> tuple[dict[str, float], float]:
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(doc)
    n = len(documents) or 1
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    return idf, math.log(1 + n) + 1


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


class RelevanceModel:
    """IDF weights and category centroids learnt from a labelled corpus, and a gazetteer."""

    def __init__(self, corpus: Iterable[tuple[str, str]], gazetteer: Gazetteer | None = None):
        rows = [(normalize(text), label) for text, label in corpus]
        words = [set(tokenize(t)) for t, _ in rows]
        self.word_idf_, self.word_idf_max_ = _idf(words)
        self.char_idf_, self.char_idf_max_ = _idf([set(char_grams(t)) for t, _ in rows])
        sums: dict[str, Counter[str]] = defaultdict(Counter)
        for (_, label), doc in zip(rows, words, strict=True):
            sums[label].update({w: self.word_idf_[w] for w in doc})
        self.centroids_ = {label: dict(c) for label, c in sums.items()}
        self.gazetteer = gazetteer

    @classmethod
    def load(cls, corpus: str | Path = CORPUS, gazetteer: str | Path | None = GAZETTEER
             ) -> RelevanceModel:
        """Build from a ``text,label`` CSV (the classifier's starter corpus by default)."""
        with Path(corpus).open(encoding="utf-8-sig", newline="") as handle:
            rows = [(r["text"], r["label"]) for r in csv.DictReader(handle)]
        return cls(rows, Gazetteer.load(gazetteer) if gazetteer else None)

    # -- signals ------------------------------------------------------------------------
    def _coverage(self, request: set[str], reply: set[str], idf: dict[str, float],
                  default: float) -> float:
        total = sum(idf.get(t, default) for t in request)
        shared = sum(idf.get(t, default) for t in request & reply)
        return shared / total if total else 0.0

    def places(self, text: str) -> set[tuple[str, str | None]]:
        """Places the gazetteer knows in ``text``, as (district, sub-district or None)."""
        if self.gazetteer is None:
            return set()
        return {(loc.district, loc.street) for loc in self.gazetteer.mentions(text)}

    def _place(self, request: str, request_words: set[str], reply: str) -> float:
        named = [w for w in request_words if len(w) >= 3 and _PLACE_RE.fullmatch(w)]
        if any(w in reply for w in named):
            return 1.0
        asked, answered = self.places(request), self.places(reply)
        if not asked or not answered:
            return 0.0
        return max(place_agreement(a, b) for a in asked for b in answered)

    def topic_profile(self, words: Iterable[str]) -> dict[str, float]:
        """Similarity of a bag of words to each category centroid."""
        vector = {w: self.word_idf_.get(w, self.word_idf_max_) for w in set(words)}
        return {label: _cosine(vector, c) for label, c in self.centroids_.items()}

    def _vector(self, grams: Iterable[str], idf: dict[str, float], default: float
                ) -> dict[str, float]:
        counts = Counter(grams)
        return {g: (1 + math.log(c)) * idf.get(g, default) for g, c in counts.items()}

    def signals(self, request: str | None, reply: str | None) -> dict[str, float]:
        """The signals of :meth:`score`, by name."""
        req, rep = normalize(request or ""), normalize(reply or "")
        req_list = [w for w in tokenize(req) if w not in REPLY_WORDS]
        rep_list = [w for w in tokenize(rep) if w not in REPLY_WORDS]
        req_words, rep_words = set(req_list), set(rep_list)
        return {
            "words": self._coverage(req_words, rep_words, self.word_idf_, self.word_idf_max_),
            "chars": _cosine(self._vector(char_grams(req), self.char_idf_, self.char_idf_max_),
                             self._vector(char_grams(rep), self.char_idf_, self.char_idf_max_)),
            "back": self._coverage(set(char_grams(rep)) - REPLY_CHARS, set(char_grams(req)),
                                   self.char_idf_, self.char_idf_max_),
            "place": self._place(req, req_words, rep),
            "topic": _cosine(self.topic_profile(req_words), self.topic_profile(rep_words)),
        }

    def score(self, request: str | None, reply: str | None) -> Relevance:
        """How well ``reply`` answers ``request``: a :class:`Relevance` whose score is in 0..1."""
        if not (request or "").strip() or not (reply or "").strip():
            return Relevance(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        signals = self.signals(request, reply)
        z = _BIAS + sum(_WEIGHTS[k] * v for k, v in signals.items())
        return Relevance(1 / (1 + math.exp(-z)), **signals)
