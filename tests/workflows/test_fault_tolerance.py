"""Nothing depends on Redis keeping its data: kill a worker, flush Redis, start two.

Real worker processes, the test's real Redis and database. Every deadline point fires
exactly once and every follow-up message is sent exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import Case, CaseEvent, User, utcnow
from hotline.services import cases, sla
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work
from tests.factories import worker_environment

pytestmark = [pytest.mark.slow, pytest.mark.committing]  # worker processes read the cases
DISPATCHED, REPLIED = 8, 6


def start_worker(app, tmp_path: Path, name: str, *, sweep_every: int = 2) -> subprocess.Popen:
    env = worker_environment(app, SWEEP_INTERVAL_SECONDS=str(sweep_every))
    with open(tmp_path / f"{name}.log", "w") as log:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a worker and its work horse; a warm shutdown that hangs is cut short."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def make_cases(app) -> None:
    """Urgent cases whose points fall due during the test; replied ones awaiting follow-up."""
    with unit_of_work():
        sla.set_policy("紧急", urgency="urgent", request_type=None, accept="1m", handle="2m",
                       calendar="natural")
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    urban = Actor.from_user(db.session.query(User).filter_by(username="urban").one())
    app.config["SCHEDULING"] = True  # jobs go onto Redis, to be killed and flushed
    past = utcnow() - timedelta(seconds=110)  # sign points passed; handle deadline in ~10 s
    for i in range(DISPATCHED):
        with unit_of_work():
            register_case(agent, NewCase(content=f"紧急 {i}", urgency="urgent",
                                                     department="URBAN"), now=past)
    for i in range(REPLIED):
        with unit_of_work():
            case = register_case(agent, NewCase(
                content=f"回访 {i}", department="URBAN", citizen_phone=f"1390000{i:04d}"))
            cases.perform(urban, case.number, "accept")
            cases.perform(urban, case.number, "reply", {"content": "已办理"})
    app.config["SCHEDULING"] = False


def all_fired() -> bool:
    db.session.expire_all()
    overdue = db.session.query(CaseEvent).filter_by(action="deadline_overdue").count()
    sent = db.session.query(CaseEvent).filter_by(action="followup_sent").count()
    return overdue >= 2 * DISPATCHED and sent >= REPLIED


def test_kill_flush_and_two_workers_fire_everything_exactly_once(app, world, tmp_path):
    make_cases(app)
    waiting = get_redis().llen("rq:queue:hotline-high") + get_redis().zcard(
        "rq:scheduled:hotline-high")
    assert waiting > 0  # the actions put their next points on Redis

    first = start_worker(app, tmp_path, "first")
    time.sleep(4)
    stop(first, signal.SIGKILL)  # mid-work, no clean-up
    get_redis().flushdb()  # every queued and scheduled job is gone

    workers = [start_worker(app, tmp_path, f"worker{i}") for i in (1, 2)]
    try:
        deadline = time.monotonic() + 90
        while not all_fired() and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(4)  # let any duplicate have its chance to show
    finally:
        for worker in workers:
            stop(worker)

    db.session.expire_all()
    fired = Counter((e.case_id, e.action, (e.data or {}).get("stage"))
                    for e in db.session.query(CaseEvent).filter(CaseEvent.action.in_(
                        ["deadline_warning", "deadline_overdue", "followup_sent"])))
    logs = "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert fired and max(fired.values()) == 1, fired
    urgent_ids = [c.id for c in db.session.query(Case).filter_by(urgency="urgent")]
    for case_id in urgent_ids:
        for stage in ("sign", "handle"):
            assert fired[(case_id, "deadline_warning", stage)] == 1, logs[-3000:]
            assert fired[(case_id, "deadline_overdue", stage)] == 1, logs[-3000:]
    assert sum(1 for k in fired if k[1] == "followup_sent") == REPLIED

    outbox_dir = Path(app.config["INSTANCE_PATH"]) / "outbox"
    sent = [json.loads(line)["idempotency_key"] for f in outbox_dir.glob("*.jsonl")
            for line in f.read_text(encoding="utf-8").splitlines()]
    # every message exactly once (the citizen notices of each step among them), and one
    # survey for each replied case
    assert len(sent) == len(set(sent))
    assert sum(1 for key in sent if key.startswith("followup:")) == REPLIED
