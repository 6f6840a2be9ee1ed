"""Knowledge-base endpoints of the API v1: search (open to anyone, no token), articles and
their lifecycle, import and export of the whole base."""

from __future__ import annotations

from flask import Response, g, request

from hotline.apispec import checked_body, checked_query, operation
from hotline.blueprints.api import kb_schemas as k
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.errors import Forbidden, InvalidInput
from hotline.models import Role
from hotline.presenters.kb import article_dict, revision_dict
from hotline.services import directory
from hotline.services.actors import Actor
from hotline.services.kb import articles, search, transfer
from hotline.unit_of_work import unit_of_work

STEP_TO = k.STEP_TO


def _optional_actor() -> Actor | None:
    """The token's user when a bearer token is sent, else nobody (a citizen)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = directory.user_for_token(token.strip())
    return Actor.from_user(user) if user is not None else None


def _body(article) -> dict:
    body = article_dict(article)
    body["history"] = [revision_dict(r) for r in articles.revisions(article)]
    proposal = articles.pending_proposal(article)
    body["proposal"] = revision_dict(proposal) if proposal else None
    return body


@bp.get("/kb/search")
@operation("知识库检索 / search the knowledge base", "kb", answer=k.HITS, auth=None,
           query=k.SEARCH_QUERY)
def kb_search():
    """Published, current articles that answer ``q``; no token needed."""
    query = checked_query()
    return {"items": search.search(query.get("q", ""), limit=query.get("limit", 8))}


@bp.get("/kb/articles")
@operation("知识库文章 / articles one manages", "kb", answer=k.ARTICLES, query=k.LIST_QUERY,
           errors=(403,))
@token_required
def kb_list():
    """The articles the token's user manages (a department its own)."""
    items = articles.list_articles(g.actor, status=checked_query().get("status"))
    return {"items": [article_dict(a) for a in items]}


@bp.post("/kb/articles")
@operation("起草文章 / draft an article", "kb", status=201, answer=k.ARTICLE_WITH_HISTORY,
           body=k.NEW_ARTICLE, example=k.NEW_ARTICLE_EXAMPLE, errors=(403,))
@token_required
def kb_create():
    """Draft an article; 201 with the article as stored."""
    data = checked_body(json_body())
    with unit_of_work(keep_loaded=True):
        article = articles.create_article(g.actor, data)
        body = _body(article)
    return body, 201


@bp.get("/kb/articles/<int:article_id>")
@operation("一篇文章 / one article", "kb", answer=k.ARTICLE_WITH_HISTORY, auth=None,
           path={"article_id": {"type": "integer"}}, errors=(404,),
           description="published articles for anyone; with a staff token, any the token's "
                       "user may see, with its history")
def kb_get(article_id: int):
    """One article: published ones for anyone, others for the staff who may see them."""
    actor = _optional_actor()
    article = articles.get_article(actor, article_id)
    return _body(article) if actor is not None else article_dict(article, staff=False)


@bp.patch("/kb/articles/<int:article_id>")
@operation("修改文章 / change an article", "kb", answer=k.ARTICLE_WITH_HISTORY, body=k.CHANGE,
           path={"article_id": {"type": "integer"}}, errors=(403, 404, 409))
@token_required
def kb_update(article_id: int):
    """Change the text (a department's change to a published article becomes a proposal),
    and/or move it on with ``status`` (``note`` says why)."""
    data = dict(checked_body(json_body()))
    status, note = data.pop("status", None), data.pop("note", None)
    with unit_of_work(keep_loaded=True):
        article = articles.get_article(g.actor, article_id)
        if data:
            article = articles.update_article(g.actor, article_id, data, note=note)
        if status is not None and status != article.status.value:
            article = articles.perform(g.actor, article_id, STEP_TO[status], note=note)
        body = _body(article)
    return body


@bp.post("/kb/articles/<int:article_id>/<step>")
@operation("文章流转 / a lifecycle step", "kb", answer=k.ARTICLE_WITH_HISTORY, body=k.NOTE,
           path=k.STEP_PATH, errors=(403, 404, 409),
           description="the body is optional: {\"note\": \"why\"}")
@token_required
def kb_step(article_id: int, step: str):
    """Take one lifecycle step: submit, publish, reject, approve_change, reject_change,
    withdraw, expire."""
    data = checked_body(json_body()) if request.get_data() else {}
    with unit_of_work(keep_loaded=True):
        article = articles.perform(g.actor, article_id, step.replace("-", "_"),
                                   note=data.get("note"))
        body = _body(article)
    return body


def _oversight_only() -> None:
    if g.actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有督办员或管理员可以导入或导出知识库")


@bp.get("/kb/export")
@operation("导出知识库 / export the base", "kb", query=k.EXPORT_QUERY, errors=(403,),
           media=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           answer={"type": "string", "format": "binary"})
@token_required
def kb_export():
    """The whole base as CSV (default) or Excel (``?format=xlsx``)."""
    _oversight_only()
    if checked_query().get("format") == "xlsx":
        return Response(transfer.export_xlsx(), headers={
            "Content-Disposition": "attachment; filename=kb.xlsx"},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(transfer.export_csv(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=kb.csv"})


@bp.post("/kb/import")
@operation("导入知识库 / import the base", "kb", answer=k.COUNTS, body=k.UPLOAD,
           body_media="multipart/form-data", errors=(403,),
           description="all rows or none; a bad row is 422 naming its row")
@token_required
def kb_import():
    """Load a CSV or Excel file (multipart ``file``), all rows or none."""
    _oversight_only()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请选择要导入的文件", field="file")
    rows = transfer.read_rows(upload.read(), upload.filename)
    with unit_of_work():
        counts = transfer.import_rows(g.actor, rows)
    return counts
