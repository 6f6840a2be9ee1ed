"""The trained classifier: a scikit-learn Pipeline plus metadata, saved with joblib and JSON.

The JSON file beside the joblib file says when and on what the model was trained, how well it
did and with which library versions; ``load_model`` reads it first so that an incompatible model
is refused before any pickle is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import uuid
import warnings
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from classifier._version import __version__
from classifier.errors import ModelLoadError
from classifier.estimators import Head, StackedTextClassifier, TextNormalizer
from classifier.segment import preload, tokenize

FORMAT_VERSION = 1
# Longer letters are cut: the head carries the topic and the caps bound latency (see bench).
MAX_CHARS = 1000
# jieba is the slowest step (about 3 ms per 1,000 characters), so words come from a shorter head.
MAX_WORD_CHARS = 500


def build_pipeline(random_state: int = 0) -> Pipeline:
    """Return the untrained text→label Pipeline (normalise, three TF-IDF views, stacked SVMs).

    The views and settings were chosen on the teddy2020c benchmark (bench/classifier_bench.py).
    ``max_features`` caps keep the file under ~50 MB even with 30+ categories: its size is
    about classes × features × 4 bytes plus the vocabularies.
    """
    views = [
        (
            "char12",
            TfidfVectorizer(
                analyzer="char", ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=120_000
            ),
        ),
        (
            "word12",
            TfidfVectorizer(
                tokenizer=tokenize,
                token_pattern=None,
                lowercase=False,
                preprocessor=Head(MAX_WORD_CHARS, lowercase=False),
                ngram_range=(1, 2),
                min_df=2,
                max_df=0.5,
                sublinear_tf=True,
                max_features=120_000,
            ),
        ),
        (
            "head",
            TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), preprocessor=Head(25), max_features=60_000
            ),
        ),
    ]
    return Pipeline(
        [
            ("normalize", TextNormalizer(max_chars=MAX_CHARS)),
            ("classify", StackedTextClassifier(views, random_state=random_state, nb_svm=True)),
        ]
    )


def library_versions() -> dict[str, str]:
    """Return the versions that decide whether a saved model can be loaded and reproduced."""
    import jieba

    return {
        "classifier": __version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "jieba": getattr(jieba, "__version__", "unknown"),
        "python": platform.python_version(),
    }


def metadata_path(model_path: str | os.PathLike) -> Path:
    """Return where the metadata JSON of a model file lives: same name, ``.json`` suffix."""
    path = Path(model_path)
    if path.suffix == ".json":
        raise ValueError(f"a model file cannot end in .json: {path}")
    return path.with_suffix(".json")


class Model:
    """A trained request classifier: predicts category codes and suggests the top k."""

    def __init__(self, pipeline: Pipeline, metadata: dict):
        self.pipeline = pipeline
        self.metadata = metadata

    @property
    def labels(self) -> list[str]:
        """The category codes this model can predict, sorted."""
        return self._labels

    @property
    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn Pipeline (raw text in, category codes out)."""
        return self._pipeline

    @pipeline.setter
    def pipeline(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._labels = [str(c) for c in pipeline.classes_]

    def predict(self, texts) -> list[str]:
        """Return the most likely category code for each text."""
        probabilities = self.predict_proba(texts)
        return [self.labels[i] for i in np.argmax(probabilities, axis=1)]

    def predict_proba(self, texts) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns in ``labels`` order."""
        # Pipeline.predict_proba step by step: its own per-call checks cost about as much as a
        # short request's features.
        data = _as_texts(texts)
        for _, step in self.pipeline.steps[:-1]:
            data = step.transform(data)
        return self.pipeline.steps[-1][1].predict_proba(data)

    def suggest(self, text: str | None, k: int = 3) -> list[tuple[str, float]]:
        """Return the ``k`` most probable category codes for one text, best first.

        The probabilities are calibrated, so an agent can trust 0.9 more than 0.4; the k values
        sum to at most 1.
        """
        if k < 1:
            return []
        probs = self.predict_proba([text])[0]
        order = np.argsort(-probs, kind="stable")[:k]
        return [(self.labels[i], float(probs[i])) for i in order]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to ``path`` (joblib) and its metadata beside it, each atomically.

        Files are written to a temporary name and renamed, so a crash never leaves a half-written
        model where a worker would load it. Returns the model path.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The pipeline goes in as a protocol-5 pickle: joblib's own unpickler is pure Python and
        # takes ten times longer on the large vocabulary dicts than the C one (0.9 s vs 0.1 s).
        payload = {
            "format_version": FORMAT_VERSION,
            "pipeline_pickle": pickle.dumps(self.pipeline, protocol=5),
        }
        _atomic_write(path, lambda tmp: joblib.dump(payload, tmp, compress=3))
        self.metadata["file_sha256"] = _sha256(path)
        self.metadata["format_version"] = FORMAT_VERSION
        text = json.dumps(self.metadata, ensure_ascii=False, indent=2, sort_keys=True)
        _atomic_write(metadata_path(path), lambda tmp: Path(tmp).write_text(text, "utf-8"))
        return path

    def __repr__(self) -> str:
        return (
            f"Model(labels={len(self.labels)}, n_samples={self.metadata.get('n_samples')}, "
            f"trained_at={self.metadata.get('trained_at')!r})"
        )


def load_model(path: str | os.PathLike) -> Model:
    """Load a model saved by ``Model.save``, refusing missing, corrupt or incompatible files.

    Raises ModelLoadError. Only load models you trained: joblib files can run code when opened.
    """
    path = Path(path)
    metadata = _read_metadata(path)
    _check_compatible(metadata, path)
    if metadata.get("file_sha256") and metadata["file_sha256"] != _sha256(path):
        raise ModelLoadError(
            f"模型文件与其元数据不符（校验和不同），文件可能已损坏或被替换：{path} / "
            f"the model file does not match its metadata (checksum differs); "
            "it may be corrupt or replaced: retrain or restore it"
        )
    pipeline = _unpickle(path)
    preload()
    return Model(pipeline, metadata)


def _read_metadata(path: Path) -> dict:
    if not path.is_file():
        raise ModelLoadError(f"找不到模型文件：{path} / model file not found: {path}")
    meta_path = metadata_path(path)
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(
            f"找不到模型的元数据文件：{meta_path} / model metadata file not found: {meta_path} "
            "(it is written beside the model by Model.save; retrain if it was lost)"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(
            f"模型元数据文件已损坏：{meta_path} / model metadata file is corrupt: {exc}"
        ) from None
    if not isinstance(metadata, dict):
        raise ModelLoadError(f"模型元数据格式不对：{meta_path} / model metadata is not an object")
    return metadata


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def _check_compatible(metadata: dict, path: Path) -> None:
    fmt = metadata.get("format_version")
    if fmt != FORMAT_VERSION:
        raise ModelLoadError(
            f"模型格式版本 {fmt} 与当前程序支持的 {FORMAT_VERSION} 不兼容，请重新训练：{path} / "
            f"model format version {fmt} is not supported (expected {FORMAT_VERSION}); "
            "retrain the model with this version"
        )
    saved = metadata.get("versions", {}).get("sklearn", "unknown")
    if _major_minor(saved) != _major_minor(sklearn.__version__):
        raise ModelLoadError(
            f"模型由 scikit-learn {saved} 训练，当前为 {sklearn.__version__}，版本不兼容，"
            f"请用当前环境重新训练：{path} / model was trained with scikit-learn {saved} but "
            f"{sklearn.__version__} is installed; major.minor must match: retrain the model"
        )


def _unpickle(path: Path) -> Pipeline:
    try:
        with warnings.catch_warnings():
            # major.minor was checked above; a patch-level difference is harmless.
            warnings.simplefilter("ignore", InconsistentVersionWarning)
            payload = joblib.load(path)
            pipeline = pickle.loads(payload["pipeline_pickle"])
    except Exception as exc:  # joblib/pickle raise many types for a damaged file
        raise ModelLoadError(
            f"模型文件无法读取（已损坏或不是模型文件）：{path} / "
            f"cannot read the model file (corrupt or not a model): {type(exc).__name__}: {exc}"
        ) from exc
    if payload.get("format_version") != FORMAT_VERSION or not isinstance(pipeline, Pipeline):
        raise ModelLoadError(
            f"文件不是本程序此版本保存的模型：{path} / "
            "not a model saved by this version of the hotline classifier: retrain the model"
        )
    return pipeline


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a list of texts, not a single string (use suggest() for one text)")
    return ["" if t is None else str(t) for t in texts]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, write) -> None:
    # A unique name in the same directory (so os.replace is atomic), created by a plain open so
    # the file gets the usual umask permissions and other users' workers can read it.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
