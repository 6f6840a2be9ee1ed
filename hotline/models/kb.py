"""The knowledge base (知识库): articles agents answer from, their versions and their uses.

An article carries the answer as published; every edit is kept as a :class:`KbRevision`
(who, when, the full text). A department's change to a published article waits as a
proposed revision until a supervisor approves it, so callers keep hearing the reviewed
answer meanwhile. :class:`KbState` holds the stamp that search indexes are built from: any
change to what search may offer draws a new one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.org import Category, Department


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class KbArticle(Base):
    """A question with a known answer, owned by the department that keeps it current."""

    __tablename__ = "kb_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # how people ask
    answer: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(500))  # the law or policy it rests on
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    effective_from: Mapped[date | None]
    expires_on: Mapped[date | None]
    review_on: Mapped[date | None]
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus),
                                                  default=ArticleStatus.DRAFT)
    version: Mapped[int] = mapped_column(default=1)  # the revision the text comes from
    use_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    category: Mapped[Category | None] = relationship()
    department: Mapped[Department | None] = relationship()

    __table_args__ = (Index("ix_kb_article_status_review", "status", "review_on"),)


class KbRevision(Base):
    """One edit of an article, kept for ever: the full text, who made it and when.

    ``state`` is ``applied`` (the article's text came from it), ``proposed`` (a department's
    change to a published article, waiting for review) or ``rejected``."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="applied")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_kb_revision_article_number", "article_id", "number"),)


class KbUse(Base):
    """An article used to answer a case directly: which version, for which case, by whom."""

    __tablename__ = "kb_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"),
                                            index=True)
    article_version: Mapped[int]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class KbSynonym(Base):
    """A group of words callers use for the same thing (煤气, 燃气); admins extend the list."""

    __tablename__ = "kb_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    words: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KbState(Base):
    """One row: the stamp of the searchable base, redrawn by every change to it."""

    __tablename__ = "kb_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))
