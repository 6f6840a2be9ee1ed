"""Shared fixtures: one model trained on the starter corpus for the whole session."""

from __future__ import annotations

import pytest

from classifier import read_training_csv, train_model
from classifier._paths import STARTER_CORPUS


@pytest.fixture(scope="session")
def corpus():
    """The starter corpus as (texts, labels)."""
    return read_training_csv(STARTER_CORPUS)


@pytest.fixture(scope="session")
def model(corpus):
    """A model trained (with its internal held-out measurement) on the starter corpus."""
    texts, labels = corpus
    return train_model(texts, labels)


@pytest.fixture(scope="session")
def saved_model(model, tmp_path_factory):
    """Path of the session model saved to disk."""
    return model.save(tmp_path_factory.mktemp("models") / "2026-11-24T0630.joblib")


@pytest.fixture()
def write_csv(tmp_path):
    """Write text (or bytes) to a CSV file in tmp_path and return its path."""

    def write(content, name="data.csv", encoding="utf-8"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding)
        return path

    return write
