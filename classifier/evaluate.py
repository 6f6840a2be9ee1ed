"""Measuring a model on labelled texts, in a JSON-friendly report."""

from __future__ import annotations

from collections.abc import Sequence

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
