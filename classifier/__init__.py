"""Text classifier for the hotline: suggests a request's category, with rules and a gazetteer.

Importable without Flask or any ``hotline`` module, so RQ workers and the CLI can use it alone.
"""

from classifier._version import __version__
from classifier.errors import ClassifierError, ModelLoadError, TrainingDataError
from classifier.evaluate import evaluate
from classifier.gazetteer import Gazetteer, Location
from classifier.model import FORMAT_VERSION, Model, build_pipeline, load_model, metadata_path
from classifier.rules import Emergency, RuleResult, RuleSet
from classifier.segment import preload, tokenize
from classifier.train import read_training_csv, train_model, validate_training_data

__all__ = [
    "__version__",
    "FORMAT_VERSION",
    "ClassifierError",
    "Emergency",
    "Gazetteer",
    "Location",
    "Model",
    "ModelLoadError",
    "RuleResult",
    "RuleSet",
    "TrainingDataError",
    "build_pipeline",
    "evaluate",
    "load_model",
    "metadata_path",
    "preload",
    "read_training_csv",
    "tokenize",
    "train_model",
    "validate_training_data",
]
