"""Reference data and the contract: ``GET /api/v1/categories``, ``/departments`` (a tree)
and ``/openapi.json``, the OpenAPI 3.1 document built from the declared operations."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from hotline.apispec import checked_query, operation
from hotline.apispec.components import ref
from hotline.apispec.document import build
from hotline.blueprints.api.base import bp, token_required
from hotline.presenters.reference import category_json, department_tree
from hotline.services import directory

ACTIVE_QUERY = {"type": "object", "properties": {
    "active": {"type": "string", "enum": ["0", "1"], "description": "1: only active ones"}}}


def _list_of(name: str) -> dict:
    return {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": ref(name)}}}


@bp.get("/categories")
@operation("分类 / categories", "reference", answer=_list_of("Category"), query=ACTIVE_QUERY)
@token_required
def categories():
    """Every category with its code, names in both languages and default department."""
    active = checked_query().get("active") == "1"
    return {"items": [category_json(c) for c in directory.list_categories(active_only=active)]}


@bp.get("/departments")
@operation("承办单位（树） / departments as a tree", "reference", answer=_list_of("Department"),
           query=ACTIVE_QUERY)
@token_required
def departments():
    """The departments as a tree of codes and names in both languages."""
    active = checked_query().get("active") == "1"
    return {"items": department_tree(directory.list_departments(active_only=active))}


@bp.get("/openapi.json")
@operation("本文档 / this document (OpenAPI 3.1)", "reference", auth=None,
           answer={"type": "object", "required": ["openapi", "paths"]})
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the views' declarations."""
    return build(current_app._get_current_object(), server=request.host_url.rstrip("/") or "/")


docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get("/api/docs")
def reference_page():
    """A readable reference of the API in the page's language: a small page whose script
    (``static/apidocs``) renders ``openapi.json``."""
    return render_template("api/docs.html")
