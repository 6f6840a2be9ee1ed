"""The app a job runs in: given by the worker entry point (:mod:`workflows.worker`), once per
worker process, before any fork. This module never builds an app itself."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Make ``app`` the one jobs run in (the worker entry point calls this)."""
    global _app
    _app = app


def has_app() -> bool:
    """Whether the entry point has given this process its app."""
    return _app is not None


class NoApp(RuntimeError):
    """A job ran in a process whose entry point gave it no app."""


def get_app() -> Flask:
    """The app jobs run in, as the worker entry point gave it (:func:`use_app`)."""
    if _app is None:
        raise NoApp("no app for this job: run it in a worker started by 'hotline worker' or "
                    "'rq worker --worker-class workflows.worker.HotlineWorker'")
    return _app


def preload() -> None:
    """Load the heavy things once in the parent: the app, jieba's dictionary, the model."""
    app = get_app()
    try:
        from classifier import segment

        segment.preload()
    except ImportError:  # the classifier is optional for the worker
        log.info("classifier not installed: nothing to preload")
    with app.app_context():
        try:
            from hotline.services import suggestions

            suggestions.preload()
        except ImportError:
            pass


def _after_fork_in_child() -> None:
    # Connections from the parent's pool must not be shared with a forked work horse.
    if _app is not None:
        from hotline.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def job(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a job function inside the worker's app context (jobs take ids, not objects)."""
    @wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with get_app().app_context():
            return function(*args, **kwargs)
    return wrapped
