"""Knowledge-base articles as the API and the pages show them."""

from __future__ import annotations

from typing import Any

from hotline.models import KbArticle, KbRevision


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def article_dict(article: KbArticle, *, staff: bool = True) -> dict[str, Any]:
    """The article as JSON; citizens get the public part only (no counters, no review)."""
    body = {
        "id": article.id, "title": article.title, "questions": list(article.questions or ()),
        "answer": article.answer, "source": article.source, "tags": list(article.tags or ()),
        "category": article.category.code if article.category else None,
        "department": article.department.code if article.department else None,
        "department_name": article.department.name if article.department else None,
        "effective_from": _iso(article.effective_from), "expires_on": _iso(article.expires_on),
        "version": article.version, "status": article.status.value,
    }
    if staff:
        body.update(review_on=_iso(article.review_on), use_count=article.use_count,
                    updated_at=_iso(article.updated_at),
                    published_at=_iso(article.published_at))
    return body


def revision_dict(revision: KbRevision) -> dict[str, Any]:
    """One entry of an article's history."""
    return {"number": revision.number, "state": revision.state, "by": revision.actor_label,
            "at": _iso(revision.at), "note": revision.note, "content": revision.content}
