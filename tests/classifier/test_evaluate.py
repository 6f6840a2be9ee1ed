import pytest

from classifier.evaluate import coverage_precision, expected_calibration_error, reliability_table


def test_coverage_precision_keeps_the_surest():
    confidence = [0.99, 0.2, 0.95, 0.9, 0.5, 0.8, 0.7, 0.6, 0.4, 0.3]
    correct = [True, False, True, False, True, True, True, False, True, False]
    curve = coverage_precision(confidence, correct, coverages=(0.2, 0.3, 0.5, 1.0))
    assert curve[0.2] == 1.0  # 0.99 and 0.95
    assert curve[0.3] == pytest.approx(2 / 3)  # + 0.9, wrong
    assert curve[0.5] == pytest.approx(4 / 5)  # + 0.8 and 0.7
    assert curve[1.0] == pytest.approx(6 / 10)


def test_coverage_precision_rejects_mismatched_input():
    with pytest.raises(ValueError):
        coverage_precision([0.5], [True, False])
    with pytest.raises(ValueError):
        coverage_precision([], [])


def test_reliability_table_bins_and_ece():
    confidence = [0.95, 0.97, 1.0, 0.55, 0.52]
    correct = [True, True, False, True, False]
    rows = reliability_table(confidence, correct, edges=(0.0, 0.5, 0.9, 1.0))
    assert [(r["lo"], r["hi"], r["n"]) for r in rows] == [(0.5, 0.9, 2), (0.9, 1.0, 3)]
    assert rows[1]["accuracy"] == pytest.approx(2 / 3)
    assert rows[1]["confidence"] == pytest.approx((0.95 + 0.97 + 1.0) / 3)
    expected = (2 * abs(0.535 - 0.5) + 3 * abs(rows[1]["confidence"] - 2 / 3)) / 5
    assert expected_calibration_error(rows) == pytest.approx(expected)
    assert expected_calibration_error([]) == 0.0
