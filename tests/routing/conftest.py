"""A starter model trained once per run and made the active version per test."""

from __future__ import annotations

import pytest

from hotline.extensions import db
from hotline.models import ClassifierModel
from hotline.services import suggestions


@pytest.fixture(scope="session")
def starter_model_path(tmp_path_factory) -> str:
    import classifier
    from classifier import read_training_csv, train_model

    corpus = f"{classifier.__path__[0]}/data/starter_corpus.csv"
    texts, labels = read_training_csv(corpus)
    path = str(tmp_path_factory.mktemp("models") / "starter.joblib")
    train_model(texts, labels).save(path)
    return path


@pytest.fixture
def active_model(app, world, starter_model_path) -> ClassifierModel:
    record = ClassifierModel(version="starter-test", path=starter_model_path, source="starter",
                             status="active", n_samples=0, metrics={})
    db.session.add(record)
    db.session.commit()
    suggestions.forget_loaded_model()
    yield record
    suggestions.forget_loaded_model()
