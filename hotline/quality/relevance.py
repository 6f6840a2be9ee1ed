"""How well a reply answers its request: one number in 0..1 from a few plain signals.

A reply that answers a request names the same place, the same object and the same problem,
though a department says it in its own formal words (楼上装修太吵 → 该住户室内装修施工存在超时
作业情况). Each signal is measured on its own so a supervisor can see why a reply scored low:

* ``words``: the share of the request's content words (jieba, IDF-weighted) found in the
  reply, each text's words expanded with the concepts it names (:mod:`lexicon`);
* ``chars``: cosine of the two texts' character 1-2-gram TF-IDF vectors (catches words
  jieba splits differently);
* ``concepts``: the object/problem slot: weighted overlap (Dice) of the concepts the two
  texts name (noise, night, renovation, lift, leak...);
* ``topic``: do the request and the reply land in the same category: cosine of a category
  classifier's probabilities for each (naive Bayes on the starter corpus, words plus
  concepts as features);
* ``place``: +1 when both name the same street or landmark (or sub-district), +0.5 the same
  district where one names no sub-district, -0.5 another sub-district of the district, -1
  another district, 0 when one of them names none (places from the gazetteer and from
  road/estate/station suffixes): a reply names the sub-district office where the citizen
  named a road.

The weights are a logistic regression of own reply against other replies (signal
differences) on the development half of ``bench/data/quality_relevance.jsonl`` (``python
bench/quality_bench.py --fit``); the bench reports the held-out half. The bias puts the
off-topic threshold (0.15) above 99 % of the dev half's boilerplate replies and below 79 of
its 80 own replies. Nothing here knows Flask or the database.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB

from classifier.gazetteer import Gazetteer
from classifier.normalize import normalize
from classifier.segment import tokenize
from hotline.quality.lexicon import CONCEPTS

DATA_DIR = Path(__file__).resolve().parents[2] / "classifier" / "data"
CORPUS = DATA_DIR / "starter_corpus.csv"
GAZETTEER = DATA_DIR / "gazetteer.csv"

# Words every reply uses whatever it answers: they say nothing about relevance.
REPLY_WORDS = frozenset(
    "您好 你好 感谢 谢谢 来电 反映 反应 问题 情况 核实 核查 处理 工作 部门 相关 进行 已经 "
    "现场 市民 您 我们 我局 我单位 接到 诉求 收到 一事 答复 回复 如下 支持 理解 监督 "
    "今后 后续 加强 及时 依法 规定 要求 有关 单位 进一步 落实 联系 电话 属实 经 已 责令 "
    "整改 督促 协调 安排 人员 开展 组织 街道 区 局".split())
REPLY_CHARS = frozenset(g for w in REPLY_WORDS
                        for g in (*w, *(w[i:i + 2] for i in range(len(w) - 1))))
# Places people name by their suffix: 玉林路, 抚琴小区, 茶店子客运站, 望江楼公园.
_PLACE_RE = re.compile(
    r"[\u4e00-\u9fff]{2,5}?(?:路|街|巷|大道|小区|社区|花园|公园|广场|市场|客运站|站|村|镇|桥|"
    r"立交|医院|学校|小学|中学|商场|景区)")
SIGNALS = ("words", "chars", "concepts", "topic", "place")
# Kept with each stored reply inspection (``quality_result.model_version``): which model
# scored it. 2: concepts and the category classifier, weights fitted on the dev half.
VERSION = "relevance-2"
# Fitted on the development half (bench/quality_bench.py --fit prints them).
_WEIGHTS = {"words": 2.42, "chars": 1.45, "concepts": 4.52, "topic": 4.97, "place": 5.22}
_BIAS = -6.2
PLACE_DISTRICT_ONLY = 0.5
_CONCEPT = "§"          # prefix of a concept id among a text's words


@dataclass(frozen=True)
class Relevance:
    """The score and the signals it was made of (each shown to a supervisor who asks why)."""

    score: float
    words: float = 0.0
    chars: float = 0.0
    concepts: float = 0.0
    topic: float = 0.0
    place: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 3) for k in ("score", *SIGNALS)}


@dataclass(frozen=True)
class Analysis:
    """What the signals need of one text, computed once (a bench compares it many times)."""

    text: str
    words: frozenset[str]              # content words and concept ids
    chars: dict[str, float]            # character-gram TF-IDF vector
    concepts: frozenset[str]
    topic: np.ndarray                  # category probabilities
    named: tuple[str, ...]             # places named by suffix (玉林北路)
    places: frozenset[tuple[str, str | None]]


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


def concept_groups(synonyms: Iterable[Sequence[str]] = (), lexicon: bool = True
                   ) -> dict[str, tuple[str, ...]]:
    """The lexicon's concepts (unless ``lexicon`` is false: the bench's ablation) plus
    ``synonyms`` (each group one more concept)."""
    groups = dict(CONCEPTS) if lexicon else {}
    for i, group in enumerate(synonyms):
        words = tuple(w for w in group if w)
        if len(words) >= 2:
            groups[f"syn{i}"] = words
    return groups


def weighed(signals: dict[str, float]) -> dict[str, float]:
    """The signals as the score weighs them: the place counts only as far as the object and
    problem agree (the same place with another problem is no answer), up to concepts 0.5."""
    return {**signals, "place": signals["place"] * min(1.0, 2 * signals["concepts"])}


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


def _identity(words: list[str]) -> list[str]:
    return words


class RelevanceModel:
    """IDF weights and a category classifier learnt from a labelled corpus, the concept
    lexicon (with extra synonym groups) and a gazetteer."""

    def __init__(self, corpus: Iterable[tuple[str, str]], gazetteer: Gazetteer | None = None,
                 synonyms: Iterable[Sequence[str]] = (), lexicon: bool = True):
        self.groups = concept_groups(synonyms, lexicon)
        self._triggers = sorted(((w.lower(), c) for c, ws in self.groups.items() for w in ws),
                                key=lambda t: -len(t[0]))
        rows = [(normalize(text), label) for text, label in corpus]
        docs = [self._words(t) for t, _ in rows]
        self.word_idf_, self.word_idf_max_ = _idf([set(d) for d in docs])
        self.char_idf_, self.char_idf_max_ = _idf([set(char_grams(t)) for t, _ in rows])
        self.concept_idf_ = {c: self.word_idf_.get(_CONCEPT + c, self.word_idf_max_)
                             for c in self.groups}
        self._vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
        features = self._vectorizer.fit_transform(docs)
        # Naive Bayes: as good as a logistic regression on the dev half and fitted in
        # milliseconds where the regression took seconds at every start.
        self._classifier = MultinomialNB(alpha=0.05).fit(features, [label for _, label in rows])
        self.gazetteer = gazetteer

    @classmethod
    def load(cls, corpus: str | Path = CORPUS, gazetteer: str | Path | None = GAZETTEER,
             synonyms: Iterable[Sequence[str]] = (), lexicon: bool = True) -> RelevanceModel:
        """Build from a ``text,label`` CSV (the classifier's starter corpus by default)."""
        with Path(corpus).open(encoding="utf-8-sig", newline="") as handle:
            rows = [(r["text"], r["label"]) for r in csv.DictReader(handle)]
        return cls(rows, Gazetteer.load(gazetteer) if gazetteer else None, synonyms, lexicon)

    # -- one text -----------------------------------------------------------------------
    def concepts(self, text: str) -> frozenset[str]:
        """The concepts ``text`` (normalised) names."""
        lowered = text.lower()
        return frozenset(c for w, c in self._triggers if w in lowered)

    def _words(self, text: str) -> list[str]:
        words = [w for w in tokenize(text) if w not in REPLY_WORDS]
        return words + [_CONCEPT + c for c in sorted(self.concepts(text))]

    def places(self, text: str) -> set[tuple[str, str | None]]:
        """Places the gazetteer knows in ``text``, as (district, sub-district or None)."""
        if self.gazetteer is None:
            return set()
        return {(loc.district, loc.street) for loc in self.gazetteer.mentions(text)}

    def analyse(self, text: str | None) -> Analysis:
        """Everything :meth:`compare` needs of one text."""
        norm = normalize(text or "")
        words = self._words(norm)
        counts = Counter(char_grams(norm))
        chars = {g: (1 + math.log(c)) * self.char_idf_.get(g, self.char_idf_max_)
                 for g, c in counts.items()}
        topic = self._classifier.predict_proba(self._vectorizer.transform([words]))[0]
        named = tuple(w for w in set(words) if len(w) >= 3 and _PLACE_RE.fullmatch(w))
        return Analysis(norm, frozenset(words), chars,
                        frozenset(w[1:] for w in words if w.startswith(_CONCEPT)), topic,
                        named, frozenset(self.places(norm)))

    # -- two texts ----------------------------------------------------------------------
    def _coverage(self, request: frozenset[str], reply: frozenset[str]) -> float:
        idf, default = self.word_idf_, self.word_idf_max_
        total = sum(idf.get(t, default) for t in request)
        shared = sum(idf.get(t, default) for t in request & reply)
        return shared / total if total else 0.0

    def _concepts(self, asked: frozenset[str], answered: frozenset[str]) -> float:
        weight = self.concept_idf_
        total = sum(weight[c] for c in asked) + sum(weight[c] for c in answered)
        return 2 * sum(weight[c] for c in asked & answered) / total if total else 0.0

    @staticmethod
    def _place(request: Analysis, reply: Analysis) -> float:
        if any(w in reply.text for w in request.named):
            return 1.0
        if not request.places or not reply.places:
            return 0.0
        return max(place_agreement(a, b) for a in request.places for b in reply.places)

    def signals_of(self, request: Analysis, reply: Analysis) -> dict[str, float]:
        """The signals of :meth:`compare`, by name."""
        topic = float(np.dot(request.topic, reply.topic)
                      / (np.linalg.norm(request.topic) * np.linalg.norm(reply.topic) or 1.0))
        return {"words": self._coverage(request.words, reply.words),
                "chars": _cosine(request.chars, reply.chars),
                "concepts": self._concepts(request.concepts, reply.concepts),
                "topic": topic,
                "place": self._place(request, reply)}

    def compare(self, request: Analysis, reply: Analysis) -> Relevance:
        """How well the analysed ``reply`` answers the analysed ``request``."""
        if not request.text or not reply.text:
            return Relevance(0.0)
        signals = self.signals_of(request, reply)
        z = _BIAS + sum(_WEIGHTS[k] * v for k, v in weighed(signals).items())
        return Relevance(1 / (1 + math.exp(-z)), **signals)

    def signals(self, request: str | None, reply: str | None) -> dict[str, float]:
        """The signals of :meth:`score`, by name."""
        return self.signals_of(self.analyse(request), self.analyse(reply))

    def score(self, request: str | None, reply: str | None) -> Relevance:
        """How well ``reply`` answers ``request``: a :class:`Relevance` whose score is in 0..1."""
        if not (request or "").strip() or not (reply or "").strip():
            return Relevance(0.0)
        return self.compare(self.analyse(request), self.analyse(reply))
