"""Relevance of the reply inspection (智能质检) against a character TF-IDF cosine baseline,
and the inspection's latency.

The pair set (``bench/data/quality_relevance.jsonl``): 160 requests written as citizens say
them (colloquial, some Sichuan words), over 20 problems of 11 categories of the demo city
(4 kinds of noise, rubbish and public toilets, street lights, potholes and manholes, stalls,
lifts and leaking garages, water cuts and water quality, wages, fumes and dust, illegal
structures, buses, taxis), each problem at 8 of 16 places of the demo gazetteer; each
request has the reply a department would write, in the formal register (经核查…属实，已责令…),
paraphrasing rather than copying the request and naming the place the way departments do
(the road, the sub-district office, the district, or not at all). Plus 12 generic
boilerplate replies (``quality_boilerplate.jsonl``).

Negatives of a request are the replies written for other requests of the same half, by kind:

* ``same category``: the same category, another problem, another place;
* ``same place``: the same place, another problem;
* ``same problem``: the same problem at another place;
* ``boilerplate``: a generic reply that fits anything;
* ``other``: everything else (another category at another place).

AUC = how often the reply written for a request scores above a negative (ties count half).
The split was fixed when the set was written, before any tuning: each problem's 8 places
alternate dev / held-out (``split``), 80 requests and 6 boilerplate replies each. Weights and
lexicon were tuned on dev only; held-out is reported. The same person wrote both halves and
the lexicon, so held-out is honest about tuning but not about the writer's vocabulary.

The baseline is scikit-learn's ``TfidfVectorizer(analyzer="char", ngram_range=(1, 2))`` and
cosine similarity, fitted on a neutral corpus: the classifier's starter corpus (what ours
learns from); a second column fits it on the requests of both halves (no reply seen).
"ours, no lexicon" is the ablation without :mod:`hotline.quality.lexicon` (the knowledge
base's synonym groups only): how much the score owes to the hand-written concepts.

    .venv/bin/python bench/quality_bench.py [--fit]
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from hotline.quality.checks import OFF_TOPIC, inspect_reply  # noqa: E402
from hotline.quality.relevance import CORPUS, SIGNALS, RelevanceModel, weighed  # noqa: E402
from hotline.services.kb.search import DEFAULT_SYNONYMS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
KINDS = ("same category", "same place", "same problem", "boilerplate", "other")


def _read(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def kind_of(pair: dict, other: dict) -> str:
    """How the reply written for ``other`` relates to the request of ``pair``."""
    if other["problem"] == pair["problem"]:
        return "same problem"
    if other["place"] == pair["place"]:
        return "same place"
    if other["category"] == pair["category"]:
        return "same category"
    return "other"


def comparisons(pairs: list[dict], boilerplate: list[str], score) -> dict[str, list[float]]:
    """For each kind, the outcome (1, 0.5, 0) of every own-reply-versus-negative comparison."""
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    for pair in pairs:
        own = score(pair["request"], pair["reply"])
        negatives = [(kind_of(pair, o), o["reply"]) for o in pairs if o is not pair]
        negatives += [("boilerplate", text) for text in boilerplate]
        for kind, reply in negatives:
            theirs = score(pair["request"], reply)
            out[kind].append(1.0 if own > theirs else 0.5 if own == theirs else 0.0)
    return out


def _baseline(texts: list[str]):
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit(texts)
    cache: dict = {}

    def score(request: str, reply: str) -> float:
        for text in (request, reply):
            if text not in cache:
                cache[text] = vectorizer.transform([text])
        return float(cosine_similarity(cache[request], cache[reply])[0, 0])
    return score


def _ours(model: RelevanceModel):
    cache: dict = {}

    def analysis(text: str):
        if text not in cache:
            cache[text] = model.analyse(text)
        return cache[text]

    def score(request: str, reply: str) -> float:
        return model.compare(analysis(request), analysis(reply)).score
    return score, analysis


def fit(model: RelevanceModel, pairs: list[dict], boilerplate: list[str], analysis) -> None:
    """Print the weights of a logistic regression of own reply minus other reply (signal
    differences) on the development half: the ``_WEIGHTS`` of ``relevance.py``."""
    from sklearn.linear_model import LogisticRegression

    rows = []
    for pair in pairs:
        request = analysis(pair["request"])
        own = weighed(model.signals_of(request, analysis(pair["reply"])))
        others = [o["reply"] for o in pairs if o is not pair] + boilerplate
        for reply in others:
            theirs = weighed(model.signals_of(request, analysis(reply)))
            rows.append([own[k] - theirs[k] for k in SIGNALS])
    x = [r for r in rows] + [[-v for v in r] for r in rows]
    y = [1] * len(rows) + [0] * len(rows)
    weights = LogisticRegression(C=1.0, fit_intercept=False, max_iter=1000).fit(x, y).coef_[0]
    print("fitted on dev:", {k: round(float(w), 2) for k, w in zip(SIGNALS, weights,
                                                                   strict=True)})


def api_timings(pairs: list[dict]) -> list[float]:
    """Milliseconds of ``POST /api/v1/quality/check`` through the app (token check, JSON,
    translation included) on a throw-away SQLite database, one call per pair; the first
    call (the model build) is left out."""
    from hotline.app import create_app
    from hotline.extensions import db
    from hotline.models import Base, Role
    from hotline.services import directory

    folder = Path(tempfile.mkdtemp(prefix="quality-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "SCHEDULING": False, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        directory.add_user("bench-supervisor", role=Role.SUPERVISOR, password="bench-password-1")
        token = directory.create_token("bench-supervisor")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/quality/check", headers=headers,
                json={"request": pairs[0]["request"], "reply": pairs[0]["reply"]})
    timings = []
    for pair in pairs:
        started = time.perf_counter()
        response = client.post("/api/v1/quality/check", headers=headers, json={
            "request": pair["request"], "reply": pair["reply"], "type": "complaint"})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_json()
    return timings


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    pairs, boiler = _read("quality_relevance.jsonl"), _read("quality_boilerplate.jsonl")
    started = time.perf_counter()
    model = RelevanceModel.load(synonyms=DEFAULT_SYNONYMS)
    print(f"model built from the starter corpus in {time.perf_counter() - started:.1f} s")
    with CORPUS.open(encoding="utf-8-sig", newline="") as handle:
        corpus = [r["text"] for r in csv.DictReader(handle)]
    ours, analysis = _ours(model)
    if "--fit" in sys.argv:
        fit(model, [p for p in pairs if p["split"] == "dev"],
            [b["reply"] for b in boiler if b["split"] == "dev"], analysis)
    plain, _ = _ours(RelevanceModel.load(synonyms=DEFAULT_SYNONYMS, lexicon=False))
    scorers = {"ours": ours, "ours, no lexicon": plain,
               "char (corpus)": _baseline(corpus),
               "char (requests)": _baseline([p["request"] for p in pairs])}
    print(f"{'half':9} {'negatives':14} {'n':>6} " + " ".join(f"{s:>17}" for s in scorers))
    for half in ("dev", "heldout"):
        own = [p for p in pairs if p["split"] == half]
        generic = [b["reply"] for b in boiler if b["split"] == half]
        results = {name: comparisons(own, generic, s) for name, s in scorers.items()}
        for kind in ("all", *KINDS):
            cells = []
            for name in scorers:
                outcomes = (sum(results[name].values(), []) if kind == "all"
                            else results[name][kind])
                cells.append(sum(outcomes) / len(outcomes))
            n = len(outcomes)
            print(f"{half:9} {kind:14} {n:6d} " + " ".join(f"{c:17.3f}" for c in cells))

    print(f"flagged off-topic (relevance < {OFF_TOPIC}), held-out half:")
    held = [p for p in pairs if p["split"] == "heldout"]
    own_scores = [ours(p["request"], p["reply"]) for p in held]
    print(f"  own replies {sum(s < OFF_TOPIC for s in own_scores)}/{len(held)}")
    negatives: dict[str, list[float]] = {k: [] for k in KINDS}
    for pair in held:
        for other in held:
            if other is not pair:
                negatives[kind_of(pair, other)].append(ours(pair["request"], other["reply"]))
        for b in boiler:
            if b["split"] == "heldout":
                negatives["boilerplate"].append(ours(pair["request"], b["reply"]))
    for kind, values in negatives.items():
        share = sum(v < OFF_TOPIC for v in values) / len(values)
        print(f"  {kind:14} {share:6.1%} of {len(values)}")

    earlier = [p["reply"] for p in pairs[:40]]
    timings = []
    for pair in pairs:
        begin = time.perf_counter()
        inspect_reply(model, pair["request"], pair["reply"], request_type="complaint",
                      earlier=earlier)
        timings.append((time.perf_counter() - begin) * 1000)
    print(f"inspect_reply with 40 earlier replies: median {statistics.median(timings):.1f} ms,"
          f" p95 {_p95(timings):.1f} ms over {len(timings)} calls")
    http = api_timings(pairs)
    print(f"POST /api/v1/quality/check: median {statistics.median(http):.1f} ms, "
          f"p95 {_p95(http):.1f} ms over {len(http)} calls")


if __name__ == "__main__":
    main()
