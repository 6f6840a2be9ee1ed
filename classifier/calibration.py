"""Top-label calibration: make the score of the best category mean what it says.

The stacked model's probabilities are already Platt-scaled, but on real messages its top score is
too low in the middle (0.65 is right 79% of the time) and too high at the top (0.997 is right
98.7% of the time). Auto-dispatch compares exactly that top score with
``HOTLINE_CLASSIFIER_THRESHOLD``, so it is re-mapped by a one-feature logistic regression on its
log-odds, ``p' = expit(slope * logit(p) + intercept)``, learned from cross-validated predictions
of the combiner. The other categories share what is left in their old proportions, so the ranking
and the predicted label never change.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from classifier.estimators import StackedTextClassifier

IDENTITY = (1.0, 0.0)
# Keeps logit() finite: probabilities this close to 0 or 1 carry no more information.
_EPS = 1e-6
_TIE = 1e-9


def fit_top_calibration(confidence: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """Learn ``(slope, intercept)`` mapping a top score's log-odds to the chance it is right.

    ``confidence`` holds the top probability of held-out predictions, ``correct`` whether each
    was right. With only right (or only wrong) answers there is nothing to learn: the identity.
    """
    correct = np.asarray(correct, dtype=bool)
    if correct.all() or not correct.any():
        return IDENTITY
    features = logit(np.clip(np.asarray(confidence, dtype=float), _EPS, 1 - _EPS))[:, None]
    # Two parameters and hundreds of points: a weak penalty only guards against separation.
    model = LogisticRegression(C=100.0).fit(features, correct)
    slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    # A higher score must never mean a lower chance: such a fit is noise, not a calibration.
    return (slope, intercept) if slope > 0 else IDENTITY


def apply_top_calibration(
    probabilities: np.ndarray, calibration: tuple[float, float]
) -> np.ndarray:
    """Return ``probabilities`` with each row's top value re-mapped and the rest rescaled.

    Rows still sum to 1 and keep their order: the new top value is never let below the level at
    which the runner-up, scaled up to fill the rest, would overtake it.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape[1] < 2 or tuple(calibration) == IDENTITY:
        return probabilities
    slope, intercept = calibration
    rows = np.arange(len(probabilities))
    best = np.argmax(probabilities, axis=1)
    top = probabilities[rows, best]
    ordered = np.sort(probabilities, axis=1)
    second = ordered[:, -2]
    new_top = expit(slope * logit(np.clip(top, _EPS, 1 - _EPS)) + intercept)
    # p2 * (1 - t) / (1 - p1) <= t  <=>  t >= p2 / (1 - p1 + p2): the order-keeping floor.
    room = 1.0 - top + second
    floor = np.divide(second, room, out=np.zeros_like(room), where=room > 0)
    # A hair above the floor so that a tie cannot hand the top place to another category.
    new_top = np.minimum(np.maximum(new_top, floor + _TIE), 1.0)
    rest = 1.0 - top
    scale = np.divide(1.0 - new_top, rest, out=np.zeros_like(rest), where=rest > 0)
    calibrated = probabilities * scale[:, None]
    calibrated[rows, best] = new_top
    # A row whose top was exactly 1 has nothing to share out: spread the rest evenly.
    flat = rest <= 0
    if flat.any():
        others = probabilities.shape[1] - 1
        new_top[flat] = np.maximum(new_top[flat], 1.0 / probabilities.shape[1] + _TIE)
        calibrated[flat] = ((1.0 - new_top[flat]) / others)[:, None]
        calibrated[flat, best[flat]] = new_top[flat]
    return calibrated


class CalibratedStackedTextClassifier(StackedTextClassifier):
    """A StackedTextClassifier whose top probability is calibrated (see the module docstring).

    Same parameters as its parent. ``fit`` also cross-validates the combiner over the same
    out-of-fold view scores (a logistic regression on a few dozen columns: cheap) and learns
    ``top_calibration_`` from those predictions; ``predict_proba`` applies it.
    """

    def _fit_final(self, oof: np.ndarray, y: np.ndarray, folds) -> None:
        """Fit the combiner, then the top-label calibration on its out-of-fold predictions."""
        super()._fit_final(oof, y, folds)
        confidence = np.zeros(len(y))
        correct = np.zeros(len(y), dtype=bool)
        for train, test in folds:
            if len(np.unique(y[train])) < len(self.classes_):
                self.top_calibration_ = IDENTITY
                return
            combiner = self._combiner().fit(oof[train], y[train])
            probabilities = combiner.predict_proba(oof[test])
            confidence[test] = probabilities.max(axis=1)
            correct[test] = combiner.classes_[probabilities.argmax(axis=1)] == y[test]
        self.top_calibration_ = fit_top_calibration(confidence, correct)

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities whose top value is calibrated, in ``classes_`` order."""
        return apply_top_calibration(super().predict_proba(X), self.top_calibration_)
