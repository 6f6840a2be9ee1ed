"""Search over the published base, as agents, the web chat and citizens use it.

Each process keeps one :class:`~hotline.services.kb.index.KbIndex` per database, built from
the published articles and tagged with the stamp it was built under; a search first reads
the stamp (one primary-key lookup) and rebuilds when another process or request changed the
base. Whether an article is current (effective, not expired, not past its review date) is
decided at query time against today's date, so an article that lapses overnight is never
offered even before anyone marks it expired.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import ArticleStatus, KbArticle, KbSynonym, Role
from hotline.services.actors import Actor
from hotline.services.kb import articles
from hotline.services.kb.index import Doc, KbIndex, snippet

QUERY_MAX = 200
LIMIT_MAX = 20
#: Words callers use for the same thing; admins add more groups (``kb_synonym``).
DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("煤气", "燃气", "天然气"), ("的士", "出租车", "出租汽车", "网约车"),
    ("医保卡", "社保卡", "医保"), ("上户口", "落户", "户口登记", "报户口"),
    ("娃娃", "小孩", "孩子", "新生儿", "宝宝"), ("罚单", "罚款", "违章", "交通违法"),
    ("公积金", "住房公积金"), ("居住证", "暂住证"), ("停水", "没水", "供水"),
    ("停电", "没电", "供电"), ("退休金", "养老金"), ("取", "提取", "提"),
    ("咋个", "怎么", "如何"), ("娃儿", "孩子", "子女"), ("驾照", "驾驶证"),
    ("身份证", "居民身份证"), ("开车", "驾驶"), ("读书", "上学", "入学"),
)
_ORD_MIN, _ORD_MAX = date.min.toordinal(), date.max.toordinal()


@dataclass
class Built:
    """An index and the date bounds of its articles, as of one stamp."""

    stamp: str
    index: KbIndex
    synonyms: list[list[str]]
    starts: np.ndarray
    ends: np.ndarray
    reviews: np.ndarray

    def current(self, today: date) -> np.ndarray:
        """Which articles are in force today."""
        day = today.toordinal()
        return (self.starts <= day) & (self.ends >= day) & (self.reviews > day)


_lock = threading.Lock()
_built: dict[str, Built] = {}


def synonym_groups() -> list[list[str]]:
    """The built-in groups followed by those admins added."""
    added = db.session.scalars(select(KbSynonym).order_by(KbSynonym.id)).all()
    return [list(g) for g in DEFAULT_SYNONYMS] + [list(s.words) for s in added]


def added_synonyms() -> list[KbSynonym]:
    """The groups admins added, oldest first (the built-in ones cannot be removed)."""
    return list(db.session.scalars(select(KbSynonym).order_by(KbSynonym.id)))


def add_synonyms(actor: Actor, words: Any) -> KbSynonym:
    """Add a group of words that mean the same to callers (admins and supervisors)."""
    if actor.kind != "system" and actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("只有督办员或管理员可以维护同义词")
    if isinstance(words, str):
        words = words.replace("，", ",").replace("↔", ",").replace(" ", ",").split(",")
    cleaned = list(dict.fromkeys(w.strip() for w in words or () if w and w.strip()))
    if len(cleaned) < 2 or any(len(w) > 20 for w in cleaned):
        raise InvalidInput("同义词组至少需要两个词，每个不超过 20 字", field="words")
    group = KbSynonym(words=cleaned)
    db.session.add(group)
    articles.touch()
    return group


def remove_synonyms(actor: Actor, group_id: int) -> None:
    """Drop a group admins added (the built-in ones stay)."""
    if actor.kind != "system" and actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("只有督办员或管理员可以维护同义词")
    group = db.session.get(KbSynonym, group_id)
    if group is None:
        raise NotFound("同义词组不存在")
    db.session.delete(group)
    articles.touch()


def index_now() -> Built:
    """The index of the published base as it stands, rebuilt if the stamp moved."""
    stamp = articles.current_stamp()
    key = current_app.config["DATABASE_URL"]
    built = _built.get(key)
    if built is not None and built.stamp == stamp:
        return built
    if built is not None and not _lock.acquire(blocking=False):
        return built  # another request is rebuilding: answer from the previous index
    if built is None:
        _lock.acquire()
    try:
        built = _built.get(key)
        if built is None or built.stamp != stamp:
            built = _build(stamp)
            _built[key] = built
    finally:
        _lock.release()
    return built


def _build(stamp: str) -> Built:
    rows = db.session.scalars(select(KbArticle).options(
        joinedload(KbArticle.category), joinedload(KbArticle.department))
        .where(KbArticle.status == ArticleStatus.PUBLISHED).order_by(KbArticle.id)).all()
    docs = [Doc(id=a.id, title=a.title, questions=tuple(a.questions or ()), answer=a.answer,
                tags=tuple(a.tags or ()), extra=_extra(a)) for a in rows]
    return Built(
        stamp=stamp, index=KbIndex(docs), synonyms=synonym_groups(),
        starts=np.array([_ord(a.effective_from, _ORD_MIN) for a in rows], dtype=np.int64),
        ends=np.array([_ord(a.expires_on, _ORD_MAX) for a in rows], dtype=np.int64),
        reviews=np.array([_ord(a.review_on, _ORD_MAX) for a in rows], dtype=np.int64))


def _ord(value: date | None, default: int) -> int:
    return value.toordinal() if value is not None else default


def _extra(article: KbArticle) -> dict[str, Any]:
    return {"answer": article.answer, "version": article.version, "source": article.source,
            "category": article.category.code if article.category else None,
            "category_name": article.category.name if article.category else None,
            "department": article.department.code if article.department else None,
            "department_name": article.department.name if article.department else None}


def search(text: Any, *, limit: Any = 8, today: date | None = None,
           use_synonyms: bool = True) -> list[dict[str, Any]]:
    """Published, current articles that answer ``text``, best first, as plain dicts."""
    query = " ".join(str(text or "").split())[:QUERY_MAX]
    try:
        limit = max(1, min(int(limit), LIMIT_MAX))
    except (TypeError, ValueError):
        raise InvalidInput("「{field}」必须是整数", field="limit") from None
    if not query:
        return []
    built = index_now()
    allowed = built.current(today or articles.today_local())
    hits = built.index.search(query, synonyms=built.synonyms if use_synonyms else (),
                              limit=limit, allowed=allowed)
    words = [w for w in built.index.query_terms(query, built.synonyms) if len(w) > 1]
    return [{"id": h.doc.id, "title": h.doc.title, "score": h.score,
             "question": h.question, "snippet": snippet(h.doc.answer, words), **h.doc.extra}
            for h in hits]


def forget() -> None:
    """Drop this process's indexes (tests and the benchmark start cold with it)."""
    _built.clear()
