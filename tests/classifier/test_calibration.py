import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.calibration import (
    IDENTITY,
    CalibratedStackedTextClassifier,
    apply_top_calibration,
    fit_top_calibration,
)


def test_overconfident_scores_are_pulled_down():
    # 1,000 predictions all claiming 0.99 of which only 90% are right.
    confidence = np.full(1000, 0.99)
    correct = np.arange(1000) % 10 != 0
    slope, intercept = fit_top_calibration(confidence, correct)
    probabilities = np.array([[0.99, 0.006, 0.004]])
    calibrated = apply_top_calibration(probabilities, (slope, intercept))
    assert calibrated[0, 0] == pytest.approx(0.9, abs=0.01)
    assert calibrated[0, 1] / calibrated[0, 2] == pytest.approx(0.006 / 0.004)
    assert calibrated.sum() == pytest.approx(1.0)


def test_nothing_to_learn_gives_the_identity():
    assert fit_top_calibration(np.array([0.6, 0.9]), np.array([True, True])) == IDENTITY
    probabilities = np.array([[0.7, 0.3]])
    assert apply_top_calibration(probabilities, IDENTITY) is not None
    assert np.array_equal(apply_top_calibration(probabilities, IDENTITY), probabilities)


@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6).filter(lambda r: sum(r) > 0.01),
    st.floats(0.05, 3),
    st.floats(-5, 5),
)
def test_rows_stay_distributions_and_keep_their_order(row, slope, intercept):
    probabilities = np.array([row]) / sum(row)
    calibrated = apply_top_calibration(probabilities, (slope, intercept))
    assert calibrated.sum() == pytest.approx(1.0)
    assert (calibrated >= -1e-12).all()
    assert np.argmax(calibrated) == np.argmax(probabilities)
    others = np.delete(calibrated[0], np.argmax(probabilities))
    assert (calibrated.max() >= others - 1e-12).all()


def test_a_top_of_exactly_one_is_spread():
    calibrated = apply_top_calibration(np.array([[1.0, 0.0, 0.0]]), (0.5, 0.0))
    assert calibrated[0, 0] < 1.0
    assert calibrated[0, 1] == pytest.approx(calibrated[0, 2])
    assert calibrated.sum() == pytest.approx(1.0)


def _texts():
    texts = ["停水", "没水", "水停了", "停电", "没电", "电停了", "好吵", "太吵了", "吵死了"]
    return texts * 3, (["w"] * 3 + ["p"] * 3 + ["n"] * 3) * 3


def test_estimator_learns_a_calibration_and_keeps_predictions():
    est = CalibratedStackedTextClassifier([("char", TfidfVectorizer(analyzer="char"))])
    assert set(est.get_params(deep=False)) == set(clone(est).get_params(deep=False))
    texts, labels = _texts()
    est.fit(texts, labels)
    slope, intercept = est.top_calibration_
    assert np.isfinite([slope, intercept]).all()
    queries = ["停水了", "吵", "电"]
    raw = est.final_.predict_proba(est._stacked_scores(queries))
    expected = apply_top_calibration(raw, est.top_calibration_)
    assert np.allclose(est.predict_proba(queries), expected)
    assert list(est.predict(queries)) == list(est.classes_[raw.argmax(axis=1)])


def test_a_decreasing_fit_is_refused():
    confidence = np.linspace(0.3, 0.99, 200)
    assert fit_top_calibration(confidence, confidence < 0.6) == IDENTITY
