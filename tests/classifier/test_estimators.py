import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import build_pipeline, evaluate
from classifier.estimators import Head, StackedTextClassifier, TextNormalizer


def _stack():
    return StackedTextClassifier([("char", TfidfVectorizer(analyzer="char", min_df=2, max_df=0.5))])


def test_init_only_stores_parameters():
    est = _stack()
    assert set(est.get_params(deep=False)) == {
        "views",
        "C",
        "final_C",
        "cv",
        "class_weight",
        "random_state",
        "nb_svm",
        "nb_alpha",
    }
    assert not [k for k in vars(est) if k.endswith("_")]
    clone(est)
    clone(build_pipeline())


def test_binary_problem_on_a_tiny_corpus():
    texts = ["停水", "没水", "水停了", "停电", "没电", "电停了"]
    labels = ["w", "w", "w", "p", "p", "p"]
    est = _stack().fit(texts, labels)
    assert list(est.classes_) == ["p", "w"]
    proba = est.predict_proba(["停水了"])
    assert proba.shape == (1, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert est.predict(["没电了"])[0] == "p"
    assert all(getattr(v, "stop_words_", None) is None for _, v in est.views_)


def test_needs_two_examples_per_class():
    with pytest.raises(ValueError, match="two examples"):
        _stack().fit(["a", "b", "c"], ["x", "x", "y"])


def test_normalizer_truncates_and_masks():
    out = TextNormalizer(max_chars=8).fit_transform(["電話13812345678請回電"])
    assert out == ["电话 PHONE "[:8]]


def test_head_preprocessor():
    assert Head(3)("ABCDEF") == "abc"
    assert Head(3, lowercase=False)("ABCDEF") == "ABC"
    assert repr(Head(3)) == "Head(n_chars=3, lowercase=True)"


def test_evaluate_report_shape(model):
    report = evaluate(model, ["停电了", "小区停水"], ["power_supply", "noise"])
    assert report["n"] == 2
    assert 0 <= report["accuracy"] <= 1
    assert report["per_class"]["noise"]["support"] == 1
    with pytest.raises(ValueError):
        evaluate(model, ["a"], [])


def test_fast_scoring_matches_public_transform(model):
    from classifier.estimators import _view_scores

    clf = model.pipeline.named_steps["classify"]
    texts = model.pipeline.named_steps["normalize"].transform(
        ["物业费太贵了，电话13812345678", "", "ＩＦＳ門口擺攤", "zzz"]
    )
    views = zip(clf.views_, clf.coefs_, clf.intercepts_, strict=True)
    for (_, vectorizer), coef, intercept in views:
        expected = vectorizer.transform(texts) @ coef + intercept
        assert np.allclose(_view_scores(vectorizer, coef, intercept, texts), expected)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_match_the_combiner(n_classes):
    texts = ["停水", "没水", "水停了", "停电", "没电", "电停了", "好吵", "太吵了", "吵死了"]
    labels = ["w"] * 3 + ["p"] * 3 + ["n"] * 3
    texts, labels = texts[: 3 * n_classes], labels[: 3 * n_classes]
    est = _stack().fit(texts, labels)
    queries = ["停水了", "吵", "电"]
    expected = est.final_.predict_proba(est._stacked_scores(queries))
    assert np.allclose(est.predict_proba(queries), expected)
    assert np.allclose(
        est.decision_function(queries), est.final_.decision_function(est._stacked_scores(queries))
    )


def test_unfitted_estimator_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _stack().predict(["停水"])


_TEXTS = ["停水", "没水", "水停了", "停电", "没电", "电停了", "好吵", "太吵了", "吵死了"]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_nb_block_is_an_nbsvm_folded_into_the_view_weights(n_classes):
    from sklearn.svm import LinearSVC

    texts = _TEXTS[: 3 * n_classes]
    labels = np.array((["w"] * 3 + ["p"] * 3 + ["n"] * 3)[: 3 * n_classes])
    est = StackedTextClassifier(
        [("char", TfidfVectorizer(analyzer="char"))], nb_svm=True, nb_alpha=1.0
    ).fit(texts, labels)
    (_, vectorizer), coef_t = est.views_[0], est.coefs_[0]
    n_svm = 1 if n_classes == 2 else n_classes
    assert coef_t.shape == (len(vectorizer.vocabulary_), 2 * n_svm)
    matrix = vectorizer.transform(["停水了", "吵", "电"])
    present = (vectorizer.transform(texts) > 0).toarray()
    targets = est.classes_[1:] if n_classes == 2 else est.classes_
    for column, label in enumerate(targets):
        # the NBSVM the long way: scale each feature by its log-count ratio, fit, score
        p = 1.0 + present[labels == label].sum(axis=0)
        q = 1.0 + present[labels != label].sum(axis=0)
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC().fit(vectorizer.transform(texts).multiply(ratio).tocsr(), labels == label)
        expected = svm.decision_function(matrix.multiply(ratio).tocsr())
        got = np.asarray(matrix @ coef_t[:, n_svm + column]) + est.intercepts_[0][n_svm + column]
        assert np.allclose(got, expected, atol=1e-4)
    assert est.final_.coef_.shape[1] == 2 * n_svm  # the combiner reads both blocks
    assert est.predict(["停水了"])[0] == "w"


def test_the_routing_pipeline_stacks_svm_and_nb_blocks(model):
    clf = model.pipeline.named_steps["classify"]
    assert clf.nb_svm
    assert all(coef.shape[1] == 2 * len(clf.classes_) for coef in clf.coefs_)
