"""Exceptions of the classifier package, with messages meant for the person at the keyboard."""


class ClassifierError(Exception):
    """Base class of every error the classifier package raises on purpose."""


class TrainingDataError(ClassifierError, ValueError):
    """The training data cannot be used; the message says what is wrong and how to fix it."""


class ModelLoadError(ClassifierError):
    """A saved model is missing, corrupt or was written by an incompatible version."""
