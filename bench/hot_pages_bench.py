"""Two hot pages before and after keeping their work: the supervisor's case page (reply and
record inspection, the record check asks the classifier) and the risk page (volume spikes
and the 7-day forecast: grouped queries over the last 8 weeks).

"Before" is the page when nothing is kept: the inspection results are deleted before each
view (so the page inspects the reply and runs the classifier, as it did on every view), and
the risk snapshot is deleted from Redis (so the page runs the grouped queries). "After" is
the page reading the kept results and the snapshot the scheduled job made.

On SQLite in a temporary folder, with the demo city and ``--cases`` generated cases spread
over 8 weeks, through Flask's test client (no network):

    .venv/bin/python bench/hot_pages_bench.py [--cases 3000] [--views 30]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, select  # noqa: E402

from hotline import broker  # noqa: E402
from hotline.app import create_app  # noqa: E402
from hotline.demo import seed  # noqa: E402
from hotline.extensions import db  # noqa: E402
from hotline.models import Case, CaseStatus, QualityResult, User, utcnow  # noqa: E402
from hotline.schema import upgrade  # noqa: E402
from hotline.services import registration, risk_snapshot, sla  # noqa: E402
from hotline.services.actors import Actor  # noqa: E402
from hotline.unit_of_work import unit_of_work  # noqa: E402
from workflows import risk  # noqa: E402

TEXTS = ["书院街路口每天早上占道卖菜，车都过不去", "玉林北路烧烤店油烟噪音扰民到凌晨",
         "抚琴小区电梯经常故障关人", "茶店子客运站附近小区停水三天没有通知",
         "建设路工地夜间施工噪音扰民", "春熙路路灯不亮晚上很黑", "公司拖欠三个月工资不发"]


def _fill(count: int) -> None:
    agent = Actor.from_user(db.session.scalars(select(User).where(User.username == "agent")
                                               ).one())
    rnd = random.Random(7)
    now = utcnow()
    for i in range(count):
        when = now - timedelta(minutes=rnd.randrange(56 * 24 * 60))
        with unit_of_work():
            registration.register_case(agent, registration.NewCase(
                content=f"{rnd.choice(TEXTS)}（{i}）", request_type="complaint",
                citizen_phone="13800001111"), now=when)


def _median_ms(fn, views: int) -> float:
    times = []
    for _ in range(views):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hotline-hot-pages-"))
    server = broker.start_embedded(str(folder / "redis"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "REDIS_URL": broker.embedded_url(server),
                      "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench" * 8,
                      "SCHEDULING": False, "LOG_LEVEL": "ERROR", "WTF_CSRF_ENABLED": False})
    try:
        with app.app_context():
            upgrade()
            with unit_of_work():
                sla.seed_default_policies()
                sla.seed_official_calendar()
            seed.load_demo()
            started = time.perf_counter()
            _fill(args.cases)
            print(f"{args.cases} cases generated in {time.perf_counter() - started:.0f} s")
            replied = db.session.scalars(select(Case).where(
                Case.status == CaseStatus.REPLIED)).first()
            number = replied.number
        client = app.test_client()
        client.post("/login", data={"username": "supervisor",
                                    "password": "demo-hotline-2025"})

        def case_page():
            assert client.get(f"/cases/{number}").status_code == 200

        def case_page_cold():
            with app.app_context():
                db.session.execute(delete(QualityResult))
                db.session.commit()
            case_page()

        def risk_page():
            assert client.get("/oversight/hotspots").status_code == 200

        def risk_page_cold():
            with app.app_context():
                broker.get_redis().delete(risk.RISK_KEY)
                broker.get_redis().set("rq:job:risk-refresh", "")  # the page queues, never runs
            risk_page()

        case_page()
        before_case = _median_ms(case_page_cold, args.views)
        after_case = _median_ms(case_page, args.views)
        before_risk = _median_ms(risk_page_cold, args.views)
        with app.app_context():
            snapshot = risk_snapshot.make()
            broker.get_redis().set(risk.RISK_KEY, json.dumps(snapshot, ensure_ascii=False))
        after_risk = _median_ms(risk_page, args.views)
        print(f"{'page':28} {'before ms':>10} {'after ms':>9} {'ratio':>6}   (medians of "
              f"{args.views} views)")
        for name, before, after in (("supervisor case page", before_case, after_case),
                                    ("risk page (/oversight/hotspots)", before_risk,
                                     after_risk)):
            print(f"{name:28} {before:10.1f} {after:9.1f} {before / after:6.1f}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
