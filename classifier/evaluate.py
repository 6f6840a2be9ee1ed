"""Measuring a model on labelled texts, in a JSON-friendly report."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


def evaluate(model, texts: Sequence[str], labels: Sequence[str]) -> dict:
    """Return accuracy, macro-F1 and per-class precision/recall/F1/support of ``model`` on the data.

    Labels the model never predicts still get a row (with zeros) so gaps are visible.
    """
    labels = [str(label).strip() for label in labels]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if not labels:
        raise ValueError("nothing to evaluate")
    predicted = model.predict(texts)
    classes = sorted(set(labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=classes, zero_division=0
    )
    per_class = {
        c: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
    }
    true_classes = sorted(set(labels))
    macro_f1 = f1_score(labels, predicted, labels=true_classes, average="macro", zero_division=0)
    return {
        "n": len(labels),
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "macro_f1": round(float(macro_f1), 4),
        "per_class": per_class,
    }


COVERAGES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
RELIABILITY_EDGES = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


def coverage_precision(
    confidence: Sequence[float], correct: Sequence[bool], coverages=COVERAGES
) -> dict[float, float]:
    """Return, for each coverage c, how often the top choice is right on the c surest texts.

    This is what auto-dispatch of the surest share of messages gets right; ties in confidence
    keep their input order.
    """
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    if len(confidence) != len(correct) or not len(correct):
        raise ValueError("confidence and correct must be non-empty and of the same length")
    order = np.argsort(-confidence, kind="stable")
    result = {}
    for coverage in coverages:
        n = max(1, int(round(len(order) * coverage)))
        result[coverage] = float(correct[order[:n]].mean())
    return result


def reliability_table(
    confidence: Sequence[float], correct: Sequence[bool], edges=RELIABILITY_EDGES
) -> list[dict]:
    """Return one row per confidence bin: its bounds, count, mean confidence and accuracy.

    Bins are ``[lo, hi)`` except the last, which includes 1. In a calibrated model the mean
    confidence and the accuracy of each row agree; empty bins are left out.
    """
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= lo) & ((confidence < hi) | (hi == edges[-1]) & (confidence <= hi))
        if inside.any():
            rows.append(
                {
                    "lo": lo,
                    "hi": hi,
                    "n": int(inside.sum()),
                    "confidence": float(confidence[inside].mean()),
                    "accuracy": float(correct[inside].mean()),
                }
            )
    return rows


def expected_calibration_error(rows: list[dict]) -> float:
    """Return the count-weighted mean gap between confidence and accuracy of reliability rows."""
    total = sum(r["n"] for r in rows)
    if not total:
        return 0.0
    return sum(r["n"] * abs(r["confidence"] - r["accuracy"]) for r in rows) / total
