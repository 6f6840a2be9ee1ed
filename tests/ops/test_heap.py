"""The serving processes freeze their start-up heap once loaded (hotline/heap.py), so a full
garbage collection no longer walks the app's modules and routes inside a request."""

from __future__ import annotations

import gc
import runpy
import weakref
from pathlib import Path

from click.testing import CliRunner

from hotline import heap
from hotline.cli import main

ROOT = Path(__file__).resolve().parents[2]


class _Node:
    pass


def test_settle_collects_then_freezes_what_is_alive():
    dropped = _Node()
    dropped.me = dropped  # garbage in a reference cycle: settle collects it, not freezes it
    gone = weakref.ref(dropped)
    del dropped
    kept = _Node()
    try:
        frozen = heap.settle()
        assert gone() is None
        assert frozen == gc.get_freeze_count() > 10_000  # the loaded modules at least
        assert not any(obj is kept for obj in gc.get_objects())  # out of sight
    finally:
        gc.unfreeze()
    assert any(obj is kept for obj in gc.get_objects())


def test_the_worker_command_settles_after_the_preload_before_forking(app, monkeypatch):
    from workflows import context, worker

    calls = []
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    monkeypatch.setattr(context, "use_app", lambda a: calls.append(("use_app", a)))
    monkeypatch.setattr(context, "preload", lambda: calls.append("preload"))
    monkeypatch.setattr(heap, "settle", lambda: calls.append("settle"))
    monkeypatch.setattr(worker, "run_worker", lambda a, burst: calls.append(("run", burst)))
    result = CliRunner().invoke(main, ["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert calls == [("use_app", app), "preload", "settle", ("run", True)]


def test_gunicorn_settles_each_worker_after_it_loaded_the_app(monkeypatch):
    settled = []
    monkeypatch.setattr(heap, "settle", lambda: settled.append(True))
    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    hooks["post_worker_init"](worker=None)
    assert settled == [True]
