"""scikit-learn estimators used by the hotline text classifier.

They follow scikit-learn's conventions (``__init__`` only stores parameters, ``fit`` returns
``self``, learned attributes end in ``_``) so that they clone, pickle and grid-search like any
built-in estimator.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from classifier.normalize import normalize

# Below this many documents a min_df of 2 can empty a vocabulary and max_df can undercut min_df.
_SMALL_CORPUS = 60


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Map raw request texts to their normalised form (see ``classifier.normalize``).

    ``max_chars`` keeps only the head of very long letters: the subject and the first paragraph
    carry the topic, and the cap bounds prediction latency.
    """

    def __init__(self, max_chars: int | None = None, pii: bool = True):
        self.max_chars = max_chars
        self.pii = pii

    def fit(self, X, y=None):
        """Nothing to learn; present for the Pipeline protocol."""
        return self

    def transform(self, X: Iterable[str | None]) -> list[str]:
        """Normalise each text, then truncate it to ``max_chars`` characters if set."""
        if not self.max_chars:
            return [normalize(x, pii=self.pii) for x in X]
        # Cut generously before normalising (which barely changes length) so that a 5,000
        # character letter does not pay for normalising text that is then thrown away.
        margin = 2 * self.max_chars + 100
        return [normalize(x and x[:margin], pii=self.pii)[: self.max_chars] for x in X]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


class Head:
    """Vectorizer preprocessor that keeps the first ``n_chars`` characters (lower-cased if asked).

    Messages start with their subject line, so a view of the head lets the model weight the
    subject without knowing where it ends; capping what jieba segments also bounds latency.
    A class rather than a lambda so that it pickles.
    """

    def __init__(self, n_chars: int = 25, lowercase: bool = True):
        self.n_chars = n_chars
        self.lowercase = lowercase

    def __call__(self, text: str) -> str:
        head = text[: self.n_chars]
        return head.lower() if self.lowercase else head

    def __repr__(self) -> str:
        return f"Head(n_chars={self.n_chars}, lowercase={self.lowercase})"


def _adapt_to_size(vectorizer, n_samples: int):
    """Relax document-frequency cut-offs on tiny corpora, where they would empty the vocabulary."""
    if n_samples >= _SMALL_CORPUS:
        return vectorizer
    params = vectorizer.get_params()
    relaxed = {k: v for k, v in (("min_df", 1), ("max_df", 1.0)) if k in params}
    return vectorizer.set_params(**relaxed)


class StackedTextClassifier(ClassifierMixin, BaseEstimator):
    """Stack linear models per text view under a multinomial logistic regression.

    Each view (a vectorizer: character n-grams, jieba words, the subject line...) gets its own
    LinearSVC and, with ``nb_svm``, a second one over the same features scaled per class by
    their naive-Bayes log-count ratio (NBSVM, Wang & Manning 2012: words that mark a class
    weigh more before the SVM sees them). Out-of-fold scores of every block train the logistic
    regression, which both combines them and turns scores into calibrated probabilities
    (multi-class Platt scaling).

    Both blocks of a view are linear in its TF-IDF vector (the NB scaling folds into the
    weights), so a view's weights are one matrix whatever the blocks: prediction costs one
    vectorisation and one product a view.

    Parameters
    ----------
    views : list of (name, vectorizer) pairs taking strings to sparse matrices.
    C : SVM regularisation for every view.
    final_C : regularisation of the combining logistic regression.
    cv : folds used to produce out-of-fold scores (reduced when a class is smaller).
    class_weight : passed to each LinearSVC.
    random_state : seed of the fold shuffling.
    nb_svm : add the naive-Bayes-scaled SVM block to every view.
    nb_alpha : additive smoothing of the naive-Bayes feature counts.
    """

    def __init__(
        self,
        views,
        C=1.0,
        final_C=0.3,
        cv=5,
        class_weight=None,
        random_state=0,
        nb_svm=False,
        nb_alpha=1.0,
    ):
        self.views = views
        self.C = C
        self.final_C = final_C
        self.cv = cv
        self.class_weight = class_weight
        self.random_state = random_state
        self.nb_svm = nb_svm
        self.nb_alpha = nb_alpha

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight=self.class_weight)

    def fit(self, X, y):
        """Fit every view and its SVM, then the combiner on out-of-fold SVM scores."""
        X = list(X)
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        if len(self.classes_) < 2:
            raise ValueError("StackedTextClassifier needs at least two classes")
        n_splits = int(min(self.cv, counts.min()))
        if n_splits < 2:
            raise ValueError("every class needs at least two examples for out-of-fold scores")
        folds = list(
            StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state).split(X, y)
        )
        self.views_, self.coefs_, self.intercepts_, oof_blocks = [], [], [], []
        for name, view in self.views:
            # Each vectorizer is fitted once on all the data rather than inside every fold: five
            # times cheaper, and the leak (vocabulary and idf) barely moves out-of-fold scores.
            vectorizer = _adapt_to_size(clone(view), len(X))
            matrix = vectorizer.fit_transform(X)
            _drop_stop_words(vectorizer)
            oof_blocks.append(self._out_of_fold(matrix, y, folds))
            coef_t, intercept = self._fit_view(matrix, y)
            self.views_.append((name, vectorizer))
            # Stored transposed, contiguous and in float32: the weights are most of the model
            # file (classes × features), and float32 halves it with no change in predictions
            # beyond the sixth decimal.
            self.coefs_.append(np.ascontiguousarray(coef_t, dtype=np.float32))
            self.intercepts_.append(intercept.astype(np.float64))
        self._fit_final(np.hstack(oof_blocks), y, folds)
        return self

    def _fit_view(self, matrix, y) -> tuple[np.ndarray, np.ndarray]:
        """Weights (features × scores) and intercepts of one view's blocks, side by side."""
        svm = self._svm().fit(matrix, y)
        coef_t, intercept = svm.coef_.T, svm.intercept_
        if self.nb_svm:
            nb_coef_t, nb_intercept = self._fit_nb(matrix, y)
            coef_t = np.hstack([coef_t, nb_coef_t])
            intercept = np.concatenate([intercept, nb_intercept])
        return coef_t, intercept

    def _fit_nb(self, matrix, y) -> tuple[np.ndarray, np.ndarray]:
        """One binary SVM a score column over the features scaled by that class's NB ratio;
        the scaling folded into the weights (``(x * r) @ w == x @ (r * w)``)."""
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        # Documents of each target class that hold each feature (NBSVM's binarised counts),
        # all classes in one product; the rest of the data's are the total minus them.
        inside_all = np.equal.outer(targets, y)
        present = (matrix > 0).astype(np.float64)
        per_class = np.asarray((present.T @ inside_all.T.astype(np.float64)).T)
        total = np.asarray(present.sum(axis=0)).ravel()
        coef_t = np.zeros((matrix.shape[1], len(targets)))
        intercept = np.zeros(len(targets))
        class_weight = self.class_weight if self.class_weight == "balanced" else None
        for column, inside in enumerate(inside_all):
            p = self.nb_alpha + per_class[column]
            q = self.nb_alpha + total - per_class[column]
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.C, class_weight=class_weight)
            svm.fit(matrix.multiply(ratio).tocsr(), inside)
            coef_t[:, column] = ratio * svm.coef_[0]
            intercept[column] = svm.intercept_[0]
        return coef_t, intercept

    def _combiner(self) -> LogisticRegression:
        # Newton-CG reaches the same optimum as lbfgs in a tenth of the iterations here (10
        # against 171 with the NB blocks' 180 scores of 30 classes: 0.4 s against several).
        return LogisticRegression(C=self.final_C, max_iter=2000, solver="newton-cg")

    def _fit_final(self, oof: np.ndarray, y: np.ndarray, folds) -> None:
        """Fit the combiner on the out-of-fold view scores (subclasses may learn more here)."""
        self.final_ = self._combiner().fit(oof, y)

    def _out_of_fold(self, matrix, y, folds) -> np.ndarray:
        # Every block refitted on the fold's training part (the NB ratios too: they read the
        # labels, so ratios of all the data would leak the held-out fold's labels).
        scores = np.zeros((len(y), self._n_scores()))
        for train, test in folds:
            coef_t, intercept = self._fit_view(matrix[train], y[train])
            scores[test] = np.asarray(matrix[test] @ coef_t) + intercept
        return scores

    def _n_scores(self) -> int:
        # A binary LinearSVC returns one score column, a multi-class one a column per class;
        # the NB block as many again.
        per_block = 1 if len(self.classes_) == 2 else len(self.classes_)
        return per_block * (2 if self.nb_svm else 1)

    def _stacked_scores(self, X) -> np.ndarray:
        # A plain attribute test: check_is_fitted costs a tenth of a millisecond per request.
        if not hasattr(self, "final_"):
            raise NotFittedError("StackedTextClassifier is not fitted yet; call fit first")
        X = list(X)
        blocks = [
            _view_scores(vectorizer, coef, intercept, X)
            for (_, vectorizer), coef, intercept in zip(
                self.views_, self.coefs_, self.intercepts_, strict=True
            )
        ]
        return np.hstack(blocks)

    def predict_proba(self, X) -> np.ndarray:
        """Return calibrated class probabilities, columns in ``classes_`` order."""
        return _logistic_proba(self.decision_function(X))

    def decision_function(self, X) -> np.ndarray:
        """Return the combiner's per-class scores (log-odds up to a constant)."""
        # LogisticRegression.decision_function's arithmetic, without its input validation.
        scores = self._stacked_scores(X) @ self.final_.coef_.T + self.final_.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """Return the most probable label for each text."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def _view_scores(vectorizer, coef_t: np.ndarray, intercept: np.ndarray, texts) -> np.ndarray:
    """Return the linear scores ``tfidf(texts) @ coef_t + intercept`` of one view.

    For one short request scikit-learn's input validation and scipy's sparse-matrix
    construction cost more than the arithmetic, so for plain TfidfVectorizers this computes the
    same TF-IDF weights (raw counts, optional sublinear tf, idf, l2 norm) directly. Anything
    else goes through the public ``transform``.
    """
    if not _fast_path_applies(vectorizer):
        return np.asarray(vectorizer.transform(texts) @ coef_t) + intercept
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    scores = np.tile(intercept, (len(texts), 1))
    for row, text in enumerate(texts):
        counts: dict[int, int] = {}
        for term in analyze(text):
            j = vocabulary.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if counts:
            columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            scores[row] += _tfidf(vectorizer, columns, tf) @ coef_t[columns]
    return scores


def _tfidf(vectorizer, columns: np.ndarray, tf: np.ndarray) -> np.ndarray:
    if vectorizer.sublinear_tf:
        tf = np.log(tf) + 1.0
    if vectorizer.use_idf:
        tf = tf * vectorizer.idf_[columns]
    if vectorizer.norm == "l2":
        tf = tf / np.sqrt(tf @ tf)
    return tf


def _fast_path_applies(vectorizer) -> bool:
    return (
        type(vectorizer) is TfidfVectorizer
        and not vectorizer.binary
        and vectorizer.norm in ("l2", None)
        and vectorizer.dtype in (np.float64, float)
    )


def _drop_stop_words(vectorizer) -> None:
    # TfidfVectorizer keeps every term it cut (min_df/max_df) for introspection only; it can be
    # bigger than the vocabulary and slows pickling and loading for nothing.
    if hasattr(vectorizer, "stop_words_"):
        vectorizer.stop_words_ = None


def _logistic_proba(scores: np.ndarray) -> np.ndarray:
    """Probabilities of a fitted LogisticRegression from its decision scores (as predict_proba)."""
    if scores.ndim == 1:
        positive = expit(scores)  # no overflow warning for extreme scores
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
