"""In-process look at single requests: SQL statements per request and time per request,
through Flask's test client against the bench database (no HTTP, no gunicorn).

It explains the numbers the HTTP benchmark prints: an N+1 shows up as a query count that
grows with the page, a slow query as time spent in the database.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections import Counter
from contextlib import contextmanager


@contextmanager
def _environ(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def profile_requests(env: dict[str, str], *, token: str, case_numbers: list[str],
                     api_numbers: list[str], repeat: int = 20, show_sql: bool = False) -> list[
                         tuple[str, float, float, float, list[str]]]:
    """For each page: (name, median ms, median SQL ms, queries per request, statements)."""
    from sqlalchemy import event

    from hotline.app import create_app
    from hotline.extensions import db

    with _environ(env):
        app = create_app()
    with app.app_context():
        engine = db.engine
    state = {"n": 0, "sql": 0.0, "stmts": []}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, executemany):  # noqa: ARG001
        conn.info.setdefault("t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, executemany):  # noqa: ARG001
        state["sql"] += time.perf_counter() - conn.info["t0"].pop()
        state["n"] += 1
        state["stmts"].append(" ".join(statement.split())[:160])

    staff = app.test_client()
    form = staff.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    response = staff.post("/login", data={"username": "urban", "password": "demo-hotline-2025",
                                          "csrf_token": csrf[1] if csrf else ""})
    assert response.status_code == 302, response.status_code
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    pages = (
        ("GET /workbench", lambda i: staff.get("/workbench")),
        ("GET /cases/<number>",
         lambda i: staff.get(f"/cases/{case_numbers[i % len(case_numbers)]}")),
        ("GET /api/v1/cases/<number>",
         lambda i: api.get(f"/api/v1/cases/{api_numbers[i % len(api_numbers)]}", headers=auth)),
        ("GET /api/v1/cases?department=URBAN&limit=50",
         lambda i: api.get("/api/v1/cases?department=URBAN&limit=50", headers=auth)),
        ("POST /api/v1/cases", lambda i: api.post("/api/v1/cases", headers=auth, json={
            "channel": "phone", "content": "书院街路口每天早上占道卖菜，车都过不去",
            "address": "锦江区书院街街道书院南街", "category": "street_vending",
            "department": "URBAN", "type": "complaint", "external_ref": f"bench:profile:{i}",
            "citizen": {"name": "陈先生", "phone": "13800001111"}})),
    )
    results = []
    for name, call in pages:
        times, sql_times, counts = [], [], []
        statements: list[str] = []
        for i in range(repeat + 2):
            state.update(n=0, sql=0.0, stmts=[])
            t0 = time.perf_counter()
            response = call(i)
            elapsed = time.perf_counter() - t0
            assert response.status_code in (200, 201), (name, response.status_code)
            if i >= 2:  # the first two warm caches
                times.append(elapsed * 1000)
                sql_times.append(state["sql"] * 1000)
                counts.append(state["n"])
                statements = list(state["stmts"])
        results.append((name, statistics.median(times), statistics.median(sql_times),
                        statistics.median(counts), statements))
    event.remove(engine, "before_cursor_execute", _before)
    event.remove(engine, "after_cursor_execute", _after)
    with app.app_context():
        db.engine.dispose()
    if show_sql:
        for name, _ms, _sql, _n, statements in results:
            print(f"\n  SQL of one {name}:")
            for stmt, times in Counter(statements).items():
                print(f"    {times}x {stmt}")
    return results


def main() -> None:
    """Run from the bench in a child process, so ``import hotline`` finds the --source tree:
    reads {"token", "case_numbers", "api_numbers", "show_sql"} as JSON on stdin."""
    import json
    import sys

    spec = json.load(sys.stdin)
    for name, ms, sql_ms, queries, _ in profile_requests(
            dict(os.environ), token=spec["token"], case_numbers=spec["case_numbers"],
            api_numbers=spec["api_numbers"], show_sql=spec.get("show_sql", False)):
        print(f"    {name:<44} {ms:6.1f} ms   SQL {sql_ms:5.1f} ms   {queries:g} queries",
              flush=True)


if __name__ == "__main__":
    main()
