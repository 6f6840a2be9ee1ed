"""The article lifecycle: draft → in_review → published → expired or withdrawn.

Department staff draft articles for their own department and propose changes to them;
supervisors and admins review, publish, withdraw and expire. One table (:data:`RULES`) says
who may take each step from which states, as ``services.cases`` does for cases. Every edit
is kept as a :class:`~hotline.models.KbRevision`; a department's edit of a published article
waits as a proposal, so the reviewed answer stays in use until a supervisor approves it.

Any change to what search may offer redraws the stamp in ``kb_state`` in the same
transaction (:func:`touch`), and each process rebuilds its index when it sees a new stamp.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from hotline.errors import Conflict, Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import ArticleStatus, Department, KbArticle, KbRevision, KbState, Role, utcnow
from hotline.services import directory
from hotline.services.actors import Actor
from hotline.services.validation import optional_text, required_text

A = ArticleStatus
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})
AUTHORS = OVERSIGHT | {Role.DEPARTMENT}
TITLE_MAX, SOURCE_MAX, ANSWER_MAX, QUESTION_MAX, TAG_MAX = 200, 500, 5000, 200, 30
CONTENT_FIELDS = ("title", "questions", "answer", "category", "department", "source", "tags",
                  "effective_from", "expires_on", "review_on")


@dataclass(frozen=True)
class Step:
    """Who may take a lifecycle step, from which states, and where it leads."""

    roles: frozenset[Role]
    sources: frozenset[ArticleStatus]
    target: ArticleStatus | None


RULES: dict[str, Step] = {
    "submit": Step(AUTHORS, frozenset({A.DRAFT, A.EXPIRED, A.WITHDRAWN}), A.IN_REVIEW),
    "publish": Step(OVERSIGHT, frozenset({A.DRAFT, A.IN_REVIEW, A.EXPIRED, A.WITHDRAWN}),
                    A.PUBLISHED),
    "reject": Step(OVERSIGHT, frozenset({A.IN_REVIEW}), A.DRAFT),
    "approve_change": Step(OVERSIGHT, frozenset({A.PUBLISHED}), None),
    "reject_change": Step(OVERSIGHT, frozenset({A.PUBLISHED}), None),
    "withdraw": Step(OVERSIGHT, frozenset({A.PUBLISHED, A.IN_REVIEW}), A.WITHDRAWN),
    "expire": Step(OVERSIGHT, frozenset({A.PUBLISHED}), A.EXPIRED),
}


def today_local() -> date:
    """Today in the hotline's time zone: expiry and review dates are local dates."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


# ---------------------------------------------------------------- the search stamp

def touch() -> str:
    """Redraw the stamp of the searchable base; every process rebuilds its index on it."""
    stamp = uuid.uuid4().hex
    state = db.session.get(KbState, 1)
    if state is None:
        db.session.add(KbState(id=1, stamp=stamp))
    else:
        state.stamp = stamp
    return stamp


def current_stamp() -> str:
    """The stamp the base was last changed under (``"empty"`` before any change)."""
    return db.session.scalar(select(KbState.stamp).where(KbState.id == 1)) or "empty"


# ---------------------------------------------------------------- reading

def get_article(actor: Actor | None, article_id: Any) -> KbArticle:
    """The article, or NotFound when unknown or not the actor's to see: citizens and agents
    see published articles, departments also their own, supervisors and admins all."""
    try:
        article = db.session.get(KbArticle, int(article_id))
    except (TypeError, ValueError):
        article = None
    if article is None or not may_see(actor, article):
        raise NotFound("知识库文章 {id} 不存在", id=article_id)
    return article


def may_see(actor: Actor | None, article: KbArticle) -> bool:
    """Whether the actor may read the article, whatever its state."""
    if article.status == A.PUBLISHED:
        return True
    if actor is None or actor.kind == "citizen":
        return False
    if actor.kind == "system" or actor.role in OVERSIGHT:
        return True
    return actor.role == Role.DEPARTMENT and article.department_id == actor.department_id


def list_articles(actor: Actor, *, status: str | None = None, limit: int = 200) -> list[KbArticle]:
    """The articles the actor manages (a department its own), newest change first."""
    query = select(KbArticle).order_by(KbArticle.updated_at.desc(), KbArticle.id.desc())
    if actor.role == Role.DEPARTMENT:
        query = query.where(KbArticle.department_id == (actor.department_id or -1))
    elif actor.role not in OVERSIGHT:
        query = query.where(KbArticle.status == A.PUBLISHED)
    if status:
        query = query.where(KbArticle.status == ArticleStatus(status))
    return list(db.session.scalars(query.limit(limit)))


def due_for_upkeep(actor: Actor, today: date) -> list[KbArticle]:
    """Published articles of the actor's department past their review or expiry date, and
    articles with a change or review waiting: what its workbench lists."""
    stale = or_(KbArticle.review_on <= today, KbArticle.expires_on < today)
    query = select(KbArticle).where(
        or_(KbArticle.status == A.PUBLISHED, KbArticle.status == A.EXPIRED), stale)
    if actor.role == Role.DEPARTMENT:
        query = query.where(KbArticle.department_id == (actor.department_id or -1))
    return list(db.session.scalars(query.order_by(KbArticle.review_on, KbArticle.id)))


def revisions(article: KbArticle) -> list[KbRevision]:
    """Every edit of the article, oldest first."""
    return list(db.session.scalars(select(KbRevision).where(
        KbRevision.article_id == article.id).order_by(KbRevision.number, KbRevision.id)))


def pending_proposal(article: KbArticle) -> KbRevision | None:
    """The department's change to a published article that waits for review, if any."""
    return db.session.scalars(select(KbRevision).where(
        KbRevision.article_id == article.id, KbRevision.state == "proposed")
        .order_by(KbRevision.id.desc())).first()


# ---------------------------------------------------------------- writing

def create_article(actor: Actor, data: dict[str, Any], *, now: datetime | None = None,
                   status: ArticleStatus = A.DRAFT) -> KbArticle:
    """Draft a new article; department staff write for their own department only.

    ``status`` lets a supervisor's import load a base that is already reviewed."""
    _require(actor, AUTHORS, "只有承办单位、督办员或管理员可以编写知识库文章")
    if status != A.DRAFT and not _is_oversight(actor):
        raise Forbidden("只有督办员或管理员可以发布知识库文章")
    now = now or utcnow()
    fields = checked_content(data, partial=False)
    _own_department(actor, fields)
    article = KbArticle(status=status, version=1, use_count=0, created_by_id=actor.user_id,
                        created_at=now, updated_at=now,
                        published_at=now if status == A.PUBLISHED else None)
    _apply(article, fields)
    db.session.add(article)
    db.session.flush()
    _revision(article, actor, fields, "applied", note=None, now=now)
    if status == A.PUBLISHED:
        touch()
    return article


def update_article(actor: Actor, article_id: Any, data: dict[str, Any], *,
                   note: str | None = None, now: datetime | None = None) -> KbArticle:
    """Change an article's text. A department's change to a published article is kept as a
    proposal for review; every other permitted change applies at once. Both are versioned."""
    now = now or utcnow()
    article = get_article(actor, article_id)
    _check_may_edit(actor, article)
    fields = checked_content(data, partial=True)
    if not fields:
        raise InvalidInput("没有要修改的内容", field="title")
    _own_department(actor, fields)
    note = optional_text(note, "note", max_chars=1000)
    if article.status == A.PUBLISHED and not _is_oversight(actor):
        _revision(article, actor, {**_content_of(article), **fields}, "proposed", note, now)
        return article
    _apply(article, fields)
    article.version += 1
    article.updated_at = now
    _revision(article, actor, fields, "applied", note, now)
    if article.status == A.PUBLISHED:
        touch()
    return article


def perform(actor: Actor, article_id: Any, step: str, *, note: str | None = None,
            now: datetime | None = None, today: date | None = None) -> KbArticle:
    """Take one lifecycle step on an article, or refuse it and change nothing."""
    rule = RULES.get(step)
    if rule is None:
        raise NotFound("未知的操作：{action}", action=step)
    now = now or utcnow()
    article = get_article(actor, article_id)
    if actor.kind != "system" and actor.role not in rule.roles:
        raise Forbidden("您的角色不能执行「{action}」", action=step)
    if actor.role == Role.DEPARTMENT and article.department_id != actor.department_id:
        raise Forbidden("只能处理本单位的知识库文章")
    if article.status not in rule.sources:
        raise Conflict("文章当前状态为「{status}」，不能执行「{action}」",
                       status=article.status.value, action=step)
    note = optional_text(note, "note", max_chars=1000)
    if step == "reject" and not note:
        raise InvalidInput("「{field}」不能为空", field="note")
    if step == "publish":
        _check_publishable(article, today or today_local())
    if step in ("approve_change", "reject_change"):
        _decide_proposal(article, actor, step == "approve_change", note, now)
    else:
        _log_step(article, actor, step, note, now)
    if rule.target is not None:
        was_offered = article.status == A.PUBLISHED
        article.status = rule.target
        if rule.target == A.PUBLISHED:
            article.published_at = now
        if was_offered or rule.target == A.PUBLISHED:
            touch()
    article.updated_at = now
    return article


def expire_due(today: date, *, now: datetime | None = None) -> int:
    """Mark published articles past their expiry date as expired; how many were."""
    due = db.session.scalars(select(KbArticle).where(
        KbArticle.status == A.PUBLISHED, KbArticle.expires_on < today)).all()
    for article in due:
        perform(Actor.system(), article.id, "expire", now=now)
    return len(due)


def _check_publishable(article: KbArticle, today: date) -> None:
    if article.expires_on is not None and article.expires_on < today:
        raise Conflict("文章已过有效期，请先修改失效日期")
    if article.review_on is not None and article.review_on <= today:
        raise Conflict("文章已到复核日期，请先更新复核日期")


def _decide_proposal(article: KbArticle, actor: Actor, approve: bool, note: str | None,
                     now: datetime) -> None:
    proposal = pending_proposal(article)
    if proposal is None:
        raise Conflict("没有待审核的修改")
    if not approve:
        proposal.state = "rejected"
        proposal.note = note or proposal.note
        return
    proposal.state = "superseded"
    fields = _fields_from_content(proposal.content)
    _apply(article, fields)
    article.version += 1
    _revision(article, actor, fields, "applied", note or proposal.note, now)
    touch()


def _log_step(article: KbArticle, actor: Actor, step: str, note: str | None,
              now: datetime) -> None:
    db.session.add(KbRevision(article_id=article.id, number=article.version, state=step,
                              content={}, note=note, actor_id=actor.user_id,
                              actor_label=actor.label, at=now))


def _revision(article: KbArticle, actor: Actor, fields: dict[str, Any], state: str,
              note: str | None, now: datetime) -> KbRevision:
    content = _content_of(article) if state == "applied" else _serialisable(fields)
    revision = KbRevision(article_id=article.id, number=article.version, state=state,
                          content=content, note=note, actor_id=actor.user_id,
                          actor_label=actor.label, at=now)
    db.session.add(revision)
    return revision


# ---------------------------------------------------------------- checks and copying

def _is_oversight(actor: Actor) -> bool:
    return actor.kind == "system" or actor.role in OVERSIGHT


def _require(actor: Actor, roles: frozenset[Role], message: str) -> None:
    if actor.kind != "system" and actor.role not in roles:
        raise Forbidden(message)


def _check_may_edit(actor: Actor, article: KbArticle) -> None:
    _require(actor, AUTHORS, "只有承办单位、督办员或管理员可以编写知识库文章")
    if actor.role == Role.DEPARTMENT and article.department_id != actor.department_id:
        raise Forbidden("只能处理本单位的知识库文章")


def _own_department(actor: Actor, fields: dict[str, Any]) -> None:
    if actor.role != Role.DEPARTMENT:
        return
    chosen = fields.get("department")
    if chosen is not None and chosen.id != actor.department_id:
        raise Forbidden("只能处理本单位的知识库文章")
    if "department" in fields or chosen is None:
        fields["department"] = db.session.get(Department, actor.department_id)


def checked_content(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check the article fields given (all required ones unless ``partial``)."""
    fields: dict[str, Any] = {}
    if not partial or "title" in data:
        fields["title"] = required_text(data.get("title"), "title", max_chars=TITLE_MAX)
    if not partial or "answer" in data:
        fields["answer"] = required_text(data.get("answer"), "kb_answer", max_chars=ANSWER_MAX)
    if "questions" in data or not partial:
        fields["questions"] = _text_list(data.get("questions"), "questions", QUESTION_MAX)
    if "tags" in data or not partial:
        fields["tags"] = _text_list(data.get("tags"), "tags", TAG_MAX)
    if "source" in data:
        fields["source"] = optional_text(data.get("source"), "source", max_chars=SOURCE_MAX)
    if "category" in data:
        fields["category"] = _category(data.get("category"))
    if "department" in data:
        fields["department"] = _department(data.get("department"))
    for name in ("effective_from", "expires_on", "review_on"):
        if name in data:
            fields[name] = parse_date(data.get(name), name)
    start, end = fields.get("effective_from"), fields.get("expires_on")
    if start and end and end < start:
        raise InvalidInput("失效日期不能早于生效日期", field="expires_on")
    return fields


def parse_date(value: Any, field: str) -> date | None:
    """A date from ``YYYY-MM-DD`` text (or a date), None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InvalidInput("「{field}」不是有效的日期（YYYY-MM-DD）", field=field) from None


def _text_list(value: Any, field: str, max_chars: int) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in value.replace("；", "\n").replace("|", "\n").splitlines()]
    if not isinstance(value, list | tuple):
        raise InvalidInput("「{field}」必须是文本列表", field=field)
    items = [optional_text(v, field, max_chars=max_chars) for v in value]
    return list(dict.fromkeys(v for v in items if v))[:50]


def _category(code: Any):
    if code in (None, ""):
        return None
    category = directory.active_category(code)
    if category is None:
        raise InvalidInput("未知的诉求分类代码：{code}", field="category", code=str(code))
    return category


def _department(code: Any):
    if code in (None, ""):
        return None
    department = directory.active_department(code)
    if department is None:
        raise InvalidInput("未知的承办单位代码：{code}", field="department", code=str(code))
    return department


def _apply(article: KbArticle, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(article, name, value)


def _content_of(article: KbArticle) -> dict[str, Any]:
    return _serialisable({name: getattr(article, name) for name in CONTENT_FIELDS})


def _serialisable(fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in fields.items():
        if name in ("category", "department"):
            value = value.code if value is not None else None
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = list(value) if isinstance(value, list) else value
    return out


def _fields_from_content(content: dict[str, Any]) -> dict[str, Any]:
    return checked_content({k: v for k, v in content.items() if k in CONTENT_FIELDS},
                           partial=True)
