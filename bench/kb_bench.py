"""Knowledge-base search speed with 10,000 published articles.

Builds a throw-away SQLite database, writes 10,000 articles varied from the demo base
(districts, streets, extra sentences), then times ``GET /api/v1/kb/search`` through the app
(the stamp read, the BM25 query and the JSON answer included) with the callers' questions of
``bench/kb_relevance.py``. The first search builds the index and is reported apart.

    .venv/bin/python bench/kb_bench.py [--articles 10000] [--queries 400]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_relevance import QUESTIONS  # noqa: E402

from hotline.app import create_app  # noqa: E402
from hotline.demo.kb import demo_articles  # noqa: E402
from hotline.extensions import db  # noqa: E402
from hotline.models import ArticleStatus, Base, KbArticle  # noqa: E402
from hotline.services.kb import articles, search  # noqa: E402

DISTRICTS = ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "新都区", "温江区",
             "双流区", "郫都区", "新津区", "高新区", "天府新区", "简阳市", "都江堰市", "彭州市")
EXTRA = ("如有疑问可咨询所在社区服务中心。", "办理时请携带原件及复印件。",
         "节假日期间服务时间另行公告。", "线上办理可节省排队时间。", "具体以最新政策文件为准。",
         "老年人可由家属代办，需提供委托书。", "部分事项可在街道便民服务中心就近办理。")


def generate(n: int, seed: int = 12345) -> list[KbArticle]:
    """``n`` published articles varied from the demo base."""
    rng = random.Random(seed)
    base = demo_articles()
    out = []
    for i in range(n):
        a = base[i % len(base)]
        district = rng.choice(DISTRICTS)
        out.append(KbArticle(
            title=f"{district}{a['title']}（第{i}号）",
            questions=[f"{district}{q}" for q in a["questions"]],
            answer=a["answer"] + "".join(rng.sample(EXTRA, 3)) + f"本条适用于{district}。",
            tags=a.get("tags", []), source=a.get("source"), status=ArticleStatus.PUBLISHED,
            version=1, use_count=0))
    return out


def main() -> None:
    """Load the articles, time the searches, print p50/p95."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "SCHEDULING": False, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        db.session.add_all(generate(args.articles))
        articles.touch()
        db.session.commit()
        search.forget()
    client = app.test_client()
    started = time.perf_counter()
    client.get("/api/v1/kb/search", query_string={"q": "公积金"})
    build = time.perf_counter() - started
    timings = []
    for i in range(args.queries):
        question = QUESTIONS[i % len(QUESTIONS)][0]
        started = time.perf_counter()
        response = client.get("/api/v1/kb/search", query_string={"q": question})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.get_json()["items"]
    with app.app_context():  # one article edited: the next search rebuilds the index
        db.session.get(KbArticle, 1).answer += "（已更新）"
        articles.touch()
        db.session.commit()
    started = time.perf_counter()
    client.get("/api/v1/kb/search", query_string={"q": "公积金"})
    rebuild = time.perf_counter() - started
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{args.articles} articles; first search (index build) {build:.1f} s, "
          f"rebuild after one edit {rebuild:.1f} s")
    print(f"{args.queries} searches: p50 {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
