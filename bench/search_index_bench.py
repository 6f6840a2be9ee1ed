"""The supervisor's text search at archive scale: p50/p95 of one page per kind of search, on
one or more bench databases in one run, the way ``queries.search`` finds it before and after
the widening id windows (docs/scale.md, "Text search").

    BENCH_REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/search_index_bench.py \\
        --db s18_1m --db s18_10m [--rounds 5]
    BENCH_DB_NAME=hotline_bench_me .venv/bin/python bench/search_index_bench.py --plans

- ``before``: the newest 10,000 cases read in order, then, when they hold no full page, the
  whole archive through the bigram index (every match fetched and sorted): what hotline did
  until the windows.
- ``after``: the same first window, then windows of older ids through the index ANDed with
  the id range, each wider than the last, the rest of the archive last
  (``text_search.newest_first``).

Both must return the same page (checked). Each search runs ``--rounds`` times after one
warm-up; p50/p95 are over every search of a kind and every round. The page is the app's own
(``queries.search`` as a supervisor, in-process, no HTTP): only reads.

``--plans`` prints instead, for the database named by BENCH_DB_NAME, the plan and time of the
search's plain SQL with and without the bigram condition (the trigram-or-bigram comparison of
migration 1f6b2d9c4e73).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg  # noqa: E402
import psycopg  # noqa: E402
from scale_bench import RARE_SEARCHES, SEARCHES  # noqa: E402

# Searches a supervisor types, by kind (words of the generated texts: each street names about
# 4 % of the cases, each problem 1 to 10 %).
KINDS = {
    # both words common, rare together (0.1-0.4 % of cases): the newest 10,000 hold no page
    "street + problem, rare together": ("书院南街 占道", "芳草街 施工", "玉林北路 漏水",
                                        "宽巷子 烧烤"),
    # one in twenty to one in a hundred cases: the newest cases hold the page
    "common words": ("电梯故障", "路灯不亮", "拒载", "玉林北路"),
    # a street or word no case names: the index answers "none"
    "words no case has": ("金沙遗址路 噪音", "天府五街 漏水", "龙泉驿区", "桂溪街道 占道"),
    # the words pg_trgm could not index, alone and beside a street
    "two-character words": ("漏水", "停水", "宽巷子 噪音", "草市街 停电"),
}

HAYSTACK = "(title || ' ' || content || ' ' || coalesce(address, ''))"
# two-character words alone and beside a street: what pg_trgm cannot index
TWO_CHAR = ("噪音", "漏水", "宽巷子 噪音", "玉林北路 漏水")


def _app(db_name: str):
    """The hotline app on one bench database (settings from the environment, as a server)."""
    os.environ.update({k: v for k, v in _pg.hotline_env("/tmp/hotline_search_bench").items()
                       if k.startswith("HOTLINE_")})
    os.environ["HOTLINE_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    from hotline.app import create_app

    return create_app()


def _pages(dbs: list[str], rounds: int) -> dict:
    """{db: {"cases": n, "kinds": {kind: {way: [ms, ...]}}}} of the first page of every search
    of every kind: each round runs every database and both ways in turn, so a load spike of
    the shared machine hits them alike."""
    from hotline.extensions import db
    from hotline.models import Role
    from hotline.services import queries, text_search
    from hotline.services.actors import Actor

    supervisor = Actor(label="bench", role=Role.SUPERVISOR)
    # before: after the first window, the rest of the archive at once through the index
    ways = {"before": lambda *_: 10**12, "after": text_search._next_step}
    apps = {name: _app(name) for name in dbs}
    out: dict = {name: {"kinds": {}} for name in dbs}
    for name, app in apps.items():
        with app.app_context():
            out[name]["cases"] = db.session.scalar(db.text('SELECT count(*) FROM "case"'))
    try:
        for kind, searches in KINDS.items():
            for name in dbs:
                out[name]["kinds"][kind] = {way: [] for way in ways}
            for words in searches:
                pages: dict = {}
                times = {(name, way): [] for name in dbs for way in ways}
                for i in range(rounds + 1):  # the first round warms up
                    for name, app in apps.items():
                        with app.app_context():
                            for way, next_step in ways.items():
                                text_search._next_step = next_step
                                t0 = time.perf_counter()
                                page = queries.search(supervisor,
                                                      queries.CaseFilter(text=words))
                                if i:
                                    times[name, way].append((time.perf_counter() - t0) * 1000)
                                pages[name, way] = [case.id for case in page.items]
                                db.session.rollback()
                for (name, way), ms in times.items():
                    out[name]["kinds"][kind][way].extend(ms)
                    assert pages[name, way] == pages[name, "before"], (name, words)
                print(f"   {words:<12} p50 ms " + "  ".join(
                    f"{name} {way} {statistics.median(ms):6.1f} ({len(pages[name, way])})"
                    for (name, way), ms in times.items()), flush=True)
    finally:
        text_search._next_step = ways["after"]
    return out


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def pages(dbs: list[str], rounds: int) -> None:
    results = _pages(dbs, rounds)
    heads = [f"{results[d]['cases'] / 1e6:g}M {way}" for d in dbs for way in ("before", "after")]
    print(f"\n{'search (p50 / p95 ms)':<34}" + "".join(f"{h:>20}" for h in heads)
          + ("   after p95 ratio" if len(dbs) > 1 else ""))
    for kind in KINDS:
        cells = []
        for d in dbs:
            for way in ("before", "after"):
                times = results[d]["kinds"][kind][way]
                cells.append(f"{statistics.median(times):9.1f} /{_p95(times):8.1f}")
        ratio = ""
        if len(dbs) > 1:
            first, last = (_p95(results[d]["kinds"][kind]["after"]) for d in (dbs[0], dbs[-1]))
            ratio = f"   {last / first:5.2f}x"
        print(f"{kind:<34}" + "".join(f"{c:>20}" for c in cells) + ratio)
    print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


def sql(words: list[str], bigram: bool) -> tuple[str, list]:
    conds, params = [], []
    for w in words:
        conds.append(f"{HAYSTACK} ILIKE %s")
        params.append("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    long = [w for w in words if len(w) >= 2]
    if bigram and long:
        # the index's expression (hotline/models/case_search.py): bigrams and id block
        conds.append(f"hotline_search_keys({HAYSTACK}, id) @> ("
                     + " || ".join("hotline_bigrams(%s)" for _ in long) + ")")
        params.extend(long)
    return (f'SELECT id FROM "case" WHERE {" AND ".join(conds)} ORDER BY id DESC LIMIT 51',
            params)


def plans(requests: int) -> None:
    with psycopg.connect(_pg.BENCH_DSN, autocommit=True) as conn:
        n = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        indexes = [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_case_search_%'")]
        print(f"{_pg.DB_NAME}: {n:,} cases; search indexes: {', '.join(indexes) or 'none'}")
        print(f"{'search':<18} {'way':<7} {'rows':>4} {'p50 ms':>9} {'p95 ms':>9}  plan")
        for query in SEARCHES + RARE_SEARCHES + TWO_CHAR:
            words = query.split()
            rows = {}
            for way in ("ilike", "bigram"):
                statement, params = sql(words, way == "bigram")
                plan = " / ".join(
                    r[0].strip() for r in conn.execute("EXPLAIN " + statement, params)
                    if "Scan" in r[0])
                times = []
                for _ in range(requests + 1):
                    t0 = time.perf_counter()
                    rows[way] = conn.execute(statement, params).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                times = sorted(times[1:])
                print(f"{query:<14} {way:<7} {len(rows[way]):>4} {statistics.median(times):9.1f} "
                      f"{_p95(times):9.1f}  {plan[:110]}", flush=True)
            assert rows["ilike"] == rows["bigram"], query


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append",
                        help="a bench database to search (repeatable; default BENCH_DB_NAME)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--plans", action="store_true",
                        help="time the plain SQL with and without the bigram condition")
    parser.add_argument("--requests", type=int, default=10, help="rounds of --plans")
    args = parser.parse_args()
    if args.plans:
        plans(args.requests)
    else:
        pages(args.db or [_pg.DB_NAME], args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
