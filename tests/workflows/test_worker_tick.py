"""The periodic schedule: each due slot is claimed once, whichever workers tick, and the
next tick after Redis forgot everything runs the work again instead of losing it."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from rq import Queue

from hotline.broker import get_redis
from workflows import context, schedule, worker
from workflows.queues import HIGH, LOW

TZ = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def queued(name: str) -> list[str]:
    return [job.func_name for job in Queue(name, connection=get_redis()).jobs]


def test_the_tick_runs_tonights_statistics_once(app):
    context.use_app(app)
    after = local("2026-10-30 01:31")
    assert "stats-nightly" in schedule.tick(get_redis(), app.config, after)
    assert queued(LOW).count("workflows.stats.refresh_stats") == 1
    assert "stats-nightly" not in schedule.tick(get_redis(), app.config, after)
    assert queued(LOW).count("workflows.stats.refresh_stats") == 1


def test_a_redis_restart_loses_the_claim_and_the_next_tick_runs_it_again(app):
    after = local("2026-10-30 02:00")
    schedule.tick(get_redis(), app.config, after)
    get_redis().flushdb()  # what a restart of a Redis without persistence leaves
    assert queued(LOW) == []
    assert "stats-nightly" in schedule.tick(get_redis(), app.config, after)
    assert queued(LOW).count("workflows.stats.refresh_stats") == 1


def test_two_workers_ticking_the_same_interval_sweep_once(app):
    now = datetime(2026, 10, 30, 3, 0, 30, tzinfo=UTC)
    first = schedule.tick(get_redis(), app.config, now)
    second = schedule.tick(get_redis(), app.config, now)
    assert "sweep" in first and "sweep" not in second
    assert queued(HIGH) == ["workflows.jobs.sweep"]


def test_a_starting_worker_sweeps_at_once(app):
    now = datetime(2026, 10, 30, 3, 0, 30, tzinfo=UTC)
    schedule.tick(get_redis(), app.config, now)
    assert "sweep" in schedule.tick(get_redis(), app.config, now, starting=True)


@pytest.mark.parametrize(("now", "due"), [
    ("2026-10-30 01:29", False),
    ("2026-10-30 01:30", True),
    ("2026-10-30 23:59", True),  # caught up later the same day
])
def test_the_nightly_rebuild_is_due_from_its_time_until_the_day_ends(app, now, due):
    entry = schedule.entry("stats-nightly")
    assert (schedule.due_slot(entry, app.config, local(now)) is not None) is due


@pytest.mark.parametrize(("hour", "now", "due"), [
    (2, "2026-10-30 02:10", True),
    (2, "2026-10-30 03:10", False),  # retraining is not caught up later in the day
    (-1, "2026-10-30 02:10", False),  # -1: never
])
def test_retraining_runs_only_in_its_hour(app, hour, now, due):
    app.config["RETRAIN_HOUR"] = hour
    entry = schedule.entry("retrain")
    assert (schedule.due_slot(entry, app.config, local(now)) is not None) is due


def test_imap_polling_is_scheduled_only_with_a_mailbox(app):
    entry = schedule.entry("imap-poll")
    now = datetime(2026, 10, 30, 3, 0, tzinfo=UTC)
    assert schedule.due_slot(entry, app.config, now) is None
    app.config["IMAP_HOST"] = "imap.example.gov.cn"
    assert schedule.due_slot(entry, app.config, now) is not None
    assert schedule.tick_seconds(app.config) == min(60, app.config["IMAP_POLL_SECONDS"])


def test_next_run_follows_the_setting(app):
    app.config["STATS_REFRESH_AT"] = time(2, 15)
    entry = schedule.entry("stats-nightly")
    assert schedule.next_run(entry, app.config, local("2026-10-30 01:00")) == local(
        "2026-10-30 02:15")
    assert schedule.next_run(entry, app.config, local("2026-10-30 03:00")) == local(
        "2026-10-31 02:15")


def test_a_job_without_an_app_says_how_to_run_it(monkeypatch):
    monkeypatch.setattr(context, "_app", None)
    with pytest.raises(context.NoApp, match="hotline worker"):
        context.get_app()


def test_the_worker_builds_the_app_when_plain_rq_starts_it(app, monkeypatch):
    monkeypatch.setattr(context, "_app", None)
    monkeypatch.setattr(worker, "create_app", lambda: app)
    monkeypatch.setattr(context, "preload", lambda: None)
    worker.HotlineWorker([Queue(HIGH, connection=get_redis())], connection=get_redis())
    assert context.get_app() is app


class _Stopping:
    """A worker asked to stop (SIGTERM) that leaves its loop the way RQ does: returning
    while idle, or with a connection error when Redis went away meanwhile."""

    stop_asked = True
    connection = None

    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def work(self, **kwargs):
        if self.error is not None:
            raise self.error
        return False


@pytest.mark.parametrize("error", [None, __import__("redis").ConnectionError("gone")])
def test_a_worker_asked_to_stop_stops_instead_of_starting_again(app, monkeypatch, error):
    """Before, an idle worker given SIGTERM was started again a second later as if Redis
    had been lost, and systemd had to kill it."""
    started = []
    monkeypatch.setattr(worker, "_new_worker", lambda app, attempt: started.append(attempt)
                        or _Stopping(error))
    monkeypatch.setattr(worker, "_close_connections", lambda w: None)
    worker._work_until_stopped(app, burst=False)  # noqa: SLF001
    assert started == [1]
