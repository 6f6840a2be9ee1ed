"""Relevance of the reply inspection (智能质检) against a character TF-IDF cosine baseline,
and the inspection's latency.

Two hand-written sets of request/reply pairs (``bench/data``):

* ``quality_pairs.jsonl``: 40 requests of many kinds, each with the reply written for it;
  a reply of another request is the negative (mostly another topic and place);
* ``quality_hard.jsonl``: 6 groups of 4 requests of the same kind (noise, street lights,
  wages, food, water, schools) whose replies paraphrase rather than repeat the request; the
  negatives are only the other replies of the same group;
* ``quality_same_category.jsonl``: 16 groups of 4 requests of one category (construction,
  parking, garbage, property, roads, trees, pets, buses, drainage, stalls, noise, wages,
  consultations, shared bikes, medical...) at different places, about different objects or
  problems; the negatives are the other replies of the same group, the hardest case for a
  relevance check (same words of the trade, another place or object). ``split`` marks the
  8 groups used for tuning and the 8 held out;
* ``quality_same_problem.jsonl``: 8 groups of 4 requests about the same problem (barbecue
  smoke and noise, street lights, lifts, water, wages, rubbish, parking, road surface) at
  different places of the demo city; each reply names its place as a department does (the
  district and sub-district office, or another landmark of the same street), not in the
  request's words. The negatives are the other replies of the group: the same problem at
  another place. 4 groups tune, 4 are held out.

AUC = how often the reply written for a request scores above a reply written for another
one (ties count half), over all such comparisons. The weights were tuned on the first half
of each set (first 20 pairs; groups noise, lights, wage; the ``tune`` groups); the other
half is held out and never looked at while tuning.
The baseline is scikit-learn's ``TfidfVectorizer(analyzer="char", ngram_range=(1, 2))``,
fitted on the texts of both sets (it sees the test texts; ours learns only from the
classifier's starter corpus), and cosine similarity.

    .venv/bin/python bench/quality_bench.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from hotline.quality.checks import inspect_reply  # noqa: E402
from hotline.quality.relevance import RelevanceModel  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
DEV_GROUPS = ("noise", "lights", "wage")


def _read(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def auc(pairs: list[dict], score, *, same_group: bool) -> float:
    """Share of (own reply, other reply) comparisons the own reply wins; ties count half."""
    wins = total = 0.0
    for i, pair in enumerate(pairs):
        own = score(pair["request"], pair["reply"])
        for j, other in enumerate(pairs):
            if i == j or (same_group and other.get("group") != pair.get("group")):
                continue
            theirs = score(pair["request"], other["reply"])
            total += 1
            wins += 1.0 if own > theirs else 0.5 if own == theirs else 0.0
    return wins / total


def main() -> None:
    easy, hard = _read("quality_pairs.jsonl"), _read("quality_hard.jsonl")
    same = _read("quality_same_category.jsonl")
    place = _read("quality_same_problem.jsonl")
    started = time.perf_counter()
    model = RelevanceModel.load()
    print(f"model built from the starter corpus in {time.perf_counter() - started:.1f} s")
    texts = [p[k] for p in easy + hard + same + place for k in ("request", "reply")]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit(texts)

    def baseline(request: str, reply: str) -> float:
        vectors = vectorizer.transform([request, reply])
        return float(cosine_similarity(vectors[0], vectors[1])[0, 0])

    def ours(request: str, reply: str) -> float:
        return model.score(request, reply).score

    splits = {
        "varied, tuning half (20)": (easy[:20], False),
        "varied, held out (20)": (easy[20:], False),
        "same kind, tuning half (12)": ([p for p in hard if p["group"] in DEV_GROUPS], True),
        "same kind, held out (12)": ([p for p in hard if p["group"] not in DEV_GROUPS], True),
        "same category, tuning (32)": ([p for p in same if p["split"] == "tune"], True),
        "same category, held out (32)": ([p for p in same if p["split"] != "tune"], True),
        "same problem, other place, tuning (16)": (
            [p for p in place if p["split"] == "tune"], True),
        "same problem, other place, held out (16)": (
            [p for p in place if p["split"] != "tune"], True),
        "all held out (80)": (easy[20:] + [p for p in hard if p["group"] not in DEV_GROUPS]
                              + [p for p in same + place if p["split"] != "tune"], True),
    }
    print(f"{'set':42} {'ours':>6} {'baseline':>9}")
    for name, (pairs, same_group) in splits.items():
        print(f"{name:42} {auc(pairs, ours, same_group=same_group):6.3f} "
              f"{auc(pairs, baseline, same_group=same_group):9.3f}")

    earlier = [p["reply"] for p in easy]
    timings = []
    for pair in easy + hard:
        for _ in range(3):
            begin = time.perf_counter()
            inspect_reply(model, pair["request"], pair["reply"], request_type="complaint",
                          earlier=earlier)
            timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"inspect_reply with 40 earlier replies: median {statistics.median(timings):.1f} ms,"
          f" p95 {p95:.1f} ms over {len(timings)} calls")


if __name__ == "__main__":
    main()
