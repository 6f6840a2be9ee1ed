"""A forking worker loads jieba and the model once, in the parent, before any job."""

from __future__ import annotations

from rq import Queue

from hotline.broker import get_redis


def what_the_work_horse_inherited() -> dict:
    """Runs inside the forked work horse: report what was already loaded when it started."""
    from classifier import segment
    from hotline.services import suggestions

    return {"tokenizer": segment._tokenizer is not None,  # noqa: SLF001 - the probe's point
            "model": suggestions._loaded["model"] is not None}  # noqa: SLF001


def test_forked_jobs_find_jieba_and_the_model_already_loaded(app, active_model, monkeypatch):
    from classifier import segment
    from hotline.services import suggestions
    from workflows import context
    from workflows.worker import HotlineWorker

    segment._tokenizer = None  # noqa: SLF001 - start cold, as a fresh worker process would
    suggestions.forget_loaded_model()
    monkeypatch.setattr(context, "_app", app)  # the worker's app; restored after the test
    queue = Queue("hotline", connection=get_redis())
    job = queue.enqueue(what_the_work_horse_inherited)
    worker = HotlineWorker([queue], connection=get_redis())  # the parent preloads here
    assert segment._tokenizer is not None  # noqa: SLF001
    worker.work(burst=True)
    assert job.latest_result().return_value == {"tokenizer": True, "model": True}
