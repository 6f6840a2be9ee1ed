"""The demo city's knowledge base: 40 articles on Chengdu's common questions (kb.json),
published through the same services the application uses; loading twice changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import ArticleStatus, KbArticle
from hotline.services.actors import Actor
from hotline.services.kb import articles
from hotline.unit_of_work import unit_of_work

ARTICLES = Path(__file__).parent / "kb.json"
EFFECTIVE = date(2025, 1, 1)


def demo_articles() -> list[dict]:
    """The demo articles as written in kb.json (``key`` names each for the benchmarks)."""
    return json.loads(ARTICLES.read_text(encoding="utf-8"))


def load_kb(today: date | None = None) -> int:
    """Publish the demo base when the base is empty; how many articles were loaded."""
    if db.session.scalar(select(func.count()).select_from(KbArticle)):
        return 0
    today = today or articles.today_local()
    actor = Actor.system("知识库示例")
    items = demo_articles()
    with unit_of_work():
        for item in items:
            data = {k: v for k, v in item.items() if k != "key"}
            data.update(effective_from=EFFECTIVE, review_on=today + timedelta(days=180))
            articles.create_article(actor, data, status=ArticleStatus.PUBLISHED)
    return len(items)
