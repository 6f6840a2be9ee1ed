"""The map page with many points, and what locating costs registration.

    .venv/bin/python bench/map_bench.py                       # 50,000 cases, SQLite in /tmp
    .venv/bin/python bench/map_bench.py --cases 50000 --database postgresql+psycopg://...
    .venv/bin/python bench/map_bench.py --keep /tmp/mapdemo   # keep the instance (screenshots)

It builds an instance (schema, demo city), inserts ``--cases`` located cases spread over the
last 30 days (addresses drawn from the demo city's places, located by the same atlas
registration uses, written in bulk), then times, in this process through the Flask test
client as a signed-in supervisor: the city map, a district map, a cell's case list, and
``GET /api/v1/map/cases`` (1,000 features). It prints p50/p95 of each, then the cost of
locating one address (``places.fix_for``) against a whole registration. Nothing leaves this
machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEMPLATES = ["{place}附近路灯不亮", "{place}小区门口垃圾堆积无人清运", "{place}夜间施工噪音扰民",
             "{place}占道经营严重", "{place}下水道堵塞污水外溢", "{place}共享单车乱停放"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(app, count: int, seed: int = 7) -> None:
    """Insert ``count`` located cases of the last 30 days, in bulk (core INSERTs)."""
    from sqlalchemy import insert, select

    from hotline.extensions import db
    from hotline.models import Case, CaseStatus, Category, Department, utcnow
    from hotline.services import places

    rng = random.Random(seed)
    with app.app_context():
        atlas = places.atlas()
        names = [k for k in atlas._keywords if len(k) >= 2]  # noqa: SLF001 - a bench
        weights = [5 if atlas._names[k].accuracy == "exact" else 1 for k in names]  # noqa: SLF001
        hot = rng.sample(names, 6)
        categories = list(db.session.scalars(select(Category.id).where(
            Category.parent_id.is_not(None))))
        departments = list(db.session.scalars(select(Department.id)))
        statuses = [CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS, CaseStatus.REPLIED,
                    CaseStatus.CLOSED, CaseStatus.CLOSED]
        now = utcnow()
        fixes = {}
        rows = []
        for i in range(count):
            name = rng.choice(hot) if rng.random() < 0.15 else rng.choices(names, weights)[0]
            if name not in fixes:
                fixes[name] = places.fix_for(name, None)
            fix = fixes[name]
            jitter = 0.0003 if fix.accuracy == "exact" else 0.0012
            created = now - timedelta(minutes=rng.randrange(30 * 24 * 60))
            rows.append({
                "number": f"B{i:09d}", "query_code": "000000", "channel": "phone",
                "title": rng.choice(TEMPLATES).format(place=name)[:30],
                "content": rng.choice(TEMPLATES).format(place=name), "address": name,
                "district": fix.district, "street": fix.street,
                "lat": fix.lat + rng.gauss(0, jitter), "lon": fix.lon + rng.gauss(0, jitter),
                "geo_accuracy": fix.accuracy, "request_type": "complaint",
                "urgency": "normal", "status": rng.choice(statuses),
                "category_id": rng.choice(categories), "department_id": rng.choice(departments),
                "created_at": created, "updated_at": created, "version": 1,
            })
            if len(rows) == 5000:
                db.session.execute(insert(Case), rows)
                rows = []
        if rows:
            db.session.execute(insert(Case), rows)
        db.session.commit()


def timed(client, path: str, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return percentile(times, 0.5), percentile(times, 0.95)


def locate_cost(app, runs: int) -> None:
    """Microseconds of one locate (address and text) against one whole registration."""
    from hotline.extensions import db
    from hotline.services import places, registration
    from hotline.services.actors import Actor

    addresses = ["成都市武侯区玉林南路12号附2号", "锦江区书院街", "青羊区宽窄巷子附近",
                 "金牛区抚琴西路3号", "四川省成都市锦江区春熙路街道红星路二段85号", "某某路"]
    with app.test_request_context():
        places.fix_for("锦江区", None)
        start = time.perf_counter()
        for i in range(runs * 10):
            places.fix_for(addresses[i % len(addresses)], "小区门口垃圾很多，希望尽快处理")
        locate_us = (time.perf_counter() - start) / (runs * 10) * 1e6
        actor = Actor.system("bench")
        times = []
        for i in range(runs):
            start = time.perf_counter()
            registration.register_case(actor, registration.NewCase(
                content="小区门口垃圾很多，希望尽快处理", address=addresses[i % len(addresses)],
                citizen_phone="13800001111"))
            db.session.flush()
            times.append((time.perf_counter() - start) * 1e6)
        db.session.rollback()
    median = statistics.median(times)
    print(f"locate one address+text: {locate_us:.0f} us; one registration (median of {runs}):"
          f" {median:.0f} us; locating is {100 * locate_us / median:.1f}% of it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in the instance)")
    parser.add_argument("--keep", help="instance folder to build and keep")
    args = parser.parse_args()
    import logging
    logging.disable(logging.INFO)
    instance = args.keep or tempfile.mkdtemp(prefix="hotline-map-bench-")
    os.environ["HOTLINE_INSTANCE_PATH"] = instance
    if args.database:
        os.environ["HOTLINE_DATABASE_URL"] = args.database
    from hotline import broker
    from hotline.app import create_app

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False  # the bench signs in with a plain form post
    redis_server = None
    if not app.config.get("REDIS_URL"):  # our own embedded server, stopped at the end
        redis_server = broker.start_embedded(instance)
        app.config["REDIS_URL"] = broker.embedded_url(redis_server)
    try:
        run(app, args, instance)
    finally:
        broker.close(app)
        if redis_server is not None:
            redis_server.shutdown()


def run(app, args, instance: str) -> None:
    """Build the data and time the pages."""
    from hotline import schema
    from hotline.demo import seed
    from hotline.services import sla
    from hotline.unit_of_work import unit_of_work

    with app.app_context():
        schema.upgrade()
        with unit_of_work():
            sla.seed_default_policies()
            sla.seed_official_calendar()
        seed.load_demo()
    start = time.perf_counter()
    build(app, args.cases)
    print(f"{args.cases} located cases inserted in {time.perf_counter() - start:.1f} s "
          f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
    client = app.test_client()
    signed = client.post("/login", data={"username": "supervisor",
                                         "password": "demo-hotline-2025"})
    assert signed.status_code in (302, 303), signed.status_code
    for name, path in (("city map", "/oversight/map"),
                       ("district map", "/oversight/map?district=锦江区"),
                       ("a cell's cases", "/oversight/map?lat=30.6550&lon=104.0800&cell=0.01"),
                       ("street's cases", "/oversight/map?district=锦江区&street=春熙路街道")):
        p50, p95 = timed(client, path, args.runs)
        print(f"{name:16s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    locate_cost(app, args.runs)
    print(f"instance: {instance}" + ("" if args.keep else " (temporary)"))


if __name__ == "__main__":
    main()
