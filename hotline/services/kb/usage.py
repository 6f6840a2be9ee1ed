"""Direct answers from the base and what they show: uses, the direct-answer rate, the gaps.

A case resolved from an article records the article and the version it was answered from
(a :class:`~hotline.models.KbUse` row and the resolve event's data) and counts the use on the
article. The gap report reads those rows against the consultations of a period.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from hotline.errors import Conflict
from hotline.extensions import db
from hotline.models import (
    ArticleStatus,
    Case,
    CaseEvent,
    Category,
    KbArticle,
    KbUse,
    RequestType,
)
from hotline.services import validation
from hotline.services.actors import Actor
from hotline.services.kb import articles

GAP_MIN_CASES = 2


def article_for_answer(article_id: Any, today: date) -> KbArticle:
    """The article a direct answer may be given from: published and current today."""
    article = db.session.get(KbArticle, validation.row_id(article_id, "kb_article"))
    if article is None or article.status != ArticleStatus.PUBLISHED:
        raise Conflict("知识库文章 {id} 未发布，不能用于直接答复", id=article_id)
    if not is_current(article, today):
        raise Conflict("知识库文章 {id} 已过期或待复核，不能用于直接答复", id=article_id)
    return article


def is_current(article: KbArticle, today: date) -> bool:
    """Whether a published article is in force today (effective, unexpired, reviewed)."""
    return ((article.effective_from is None or article.effective_from <= today)
            and (article.expires_on is None or article.expires_on >= today)
            and (article.review_on is None or article.review_on > today))


def record_use(article: KbArticle, case: Case, actor: Actor, now: datetime) -> dict[str, int]:
    """Count one direct answer from the article; the event data that names it."""
    db.session.add(KbUse(article_id=article.id, article_version=article.version,
                         case_id=case.id, actor_id=actor.user_id, at=now))
    # an UPDATE ... SET use_count = use_count + 1: two agents at once both count
    article.use_count = KbArticle.use_count + 1
    return {"kb_article": article.id, "kb_version": article.version}


def report(start: datetime, end: datetime, *, top: int = 10) -> dict[str, Any]:
    """The upkeep figures of a period: direct-answer rate, most used articles, consultations
    resolved without an article and frequent consultation categories with no article."""
    consultations = _consultations(start, end)
    total = db.session.scalar(select(func.count()).select_from(consultations.subquery())) or 0
    answered = db.session.scalar(
        select(func.count(func.distinct(KbUse.case_id))).join(Case, Case.id == KbUse.case_id)
        .where(Case.id.in_(consultations.with_only_columns(Case.id)))) or 0
    return {
        "consultations": total,
        "direct_answers": answered,
        "direct_answer_rate": round(answered / total, 4) if total else None,
        "top_articles": _top_articles(start, end, top),
        "without_article": _resolved_without_article(start, end, top),
        "gaps": _category_gaps(start, end, top),
        "due_for_review": len(articles.due_for_upkeep(Actor.system(), end.date())),
    }


def _consultations(start: datetime, end: datetime):
    return select(Case.id).where(Case.request_type == RequestType.CONSULTATION,
                                 Case.created_at >= start, Case.created_at < end)


def _top_articles(start: datetime, end: datetime, top: int) -> list[dict[str, Any]]:
    uses = func.count(KbUse.id).label("uses")
    rows = db.session.execute(
        select(KbArticle.id, KbArticle.title, KbArticle.use_count, uses)
        .join(KbUse, KbUse.article_id == KbArticle.id)
        .where(KbUse.at >= start, KbUse.at < end)
        .group_by(KbArticle.id, KbArticle.title, KbArticle.use_count)
        .order_by(uses.desc(), KbArticle.id).limit(top)).all()
    return [{"id": r.id, "title": r.title, "uses": r.uses, "all_time": r.use_count}
            for r in rows]


def _resolved_without_article(start: datetime, end: datetime,
                              top: int) -> dict[str, Any]:
    base = (select(Case.number, Case.title, CaseEvent.at)
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .outerjoin(KbUse, KbUse.case_id == Case.id)
            .where(CaseEvent.action == "resolve", CaseEvent.at >= start, CaseEvent.at < end,
                   Case.request_type == RequestType.CONSULTATION, KbUse.id.is_(None)))
    count = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(base.order_by(CaseEvent.at.desc()).limit(top)).all()
    return {"count": count,
            "cases": [{"number": r.number, "title": r.title, "at": r.at} for r in rows]}


def _category_gaps(start: datetime, end: datetime, top: int) -> list[dict[str, Any]]:
    covered = select(KbArticle.category_id).where(
        KbArticle.status == ArticleStatus.PUBLISHED, KbArticle.category_id.is_not(None))
    n = func.count(Case.id).label("n")
    rows = db.session.execute(
        select(Category.code, Category.name, n).join(Case, Case.category_id == Category.id)
        .where(Case.request_type == RequestType.CONSULTATION, Case.created_at >= start,
               Case.created_at < end, Category.id.not_in(covered))
        .group_by(Category.code, Category.name).having(n >= GAP_MIN_CASES)
        .order_by(n.desc(), Category.code).limit(top)).all()
    return [{"code": r.code, "name": r.name, "cases": r.n} for r in rows]
