"""What the knowledge-base operations of API v1 accept and answer, declared once: the views
check their input against these schemas and the OpenAPI document prints them."""

from __future__ import annotations

from typing import Any

from hotline.apispec.components import INT, OPT_STR, STR, enum_of
from hotline.models import ArticleStatus
from hotline.services.kb import articles, search

TEXTS = {"type": ["array", "string", "null"], "items": STR,
         "description": "a list, or one line each in a text"}
DATE = {"type": ["string", "null"], "format": "date", "description": "YYYY-MM-DD"}
_CONTENT = {
    "title": {**OPT_STR, "description": f"required; at most {articles.TITLE_MAX} characters"},
    "questions": TEXTS, "tags": TEXTS,
    "answer": {**OPT_STR, "description": f"required; at most {articles.ANSWER_MAX} characters "
                                         "(refused as field kb_answer)"},
    "category": {**OPT_STR, "description": "category code"},
    "department": {**OPT_STR, "description": "department code (the owner)"},
    "source": OPT_STR, "effective_from": DATE, "expires_on": DATE, "review_on": DATE,
}
#: PATCH ``status`` takes the lifecycle step that leads there
STEP_TO = {"in_review": "submit", "published": "publish", "draft": "reject",
           "withdrawn": "withdraw", "expired": "expire"}

# title and answer are required: the service says so, naming the fields as the pages do
NEW_ARTICLE: dict[str, Any] = {"type": "object", "additionalProperties": False,
                               "properties": _CONTENT}
NEW_ARTICLE_EXAMPLE = {"title": "居住证怎么办理", "questions": ["居住证在哪里办"],
                       "answer": "携带身份证和居住证明到社区服务中心办理。",
                       "department": "HOUSING", "tags": ["居住证"]}
CHANGE = {"type": "object", "additionalProperties": False, "properties": {
    **_CONTENT, "status": {"type": "string", "enum": list(STEP_TO),
                           "description": "move the article on to this state"},
    "note": {**OPT_STR, "description": "why (kept in the history)"}}}
STEP_PATH = {"step": {"type": "string", "enum": sorted(articles.RULES)},
             "article_id": {"type": "integer"}}
NOTE = {"type": "object", "additionalProperties": False, "properties": {"note": OPT_STR}}
UPLOAD = {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary", "description": "CSV (UTF-8) or .xlsx"}}}

SEARCH_QUERY = {"type": "object", "properties": {
    "q": {"type": "string", "description": "the citizen's question or a few words"},
    "limit": {"type": "integer", "minimum": 1, "maximum": search.LIMIT_MAX}}}
LIST_QUERY = {"type": "object", "properties": {"status": enum_of(ArticleStatus)}}
EXPORT_QUERY = {"type": "object", "properties": {
    "format": {"type": "string", "enum": ["csv", "xlsx"], "description": "csv by default"}}}

ARTICLE = {"type": "object", "required": ["id", "title", "answer", "status"], "properties": {
    "id": INT, "title": STR, "questions": {"type": "array", "items": STR}, "answer": STR,
    "source": OPT_STR, "tags": {"type": "array", "items": STR}, "category": OPT_STR,
    "department": OPT_STR, "department_name": OPT_STR, "effective_from": OPT_STR,
    "expires_on": OPT_STR, "version": INT, "status": enum_of(ArticleStatus),
    "review_on": OPT_STR, "use_count": INT, "updated_at": OPT_STR, "published_at": OPT_STR}}
REVISION = {"type": "object", "properties": {
    "number": INT, "state": STR, "by": OPT_STR, "at": OPT_STR, "note": OPT_STR,
    "content": {"type": ["object", "null"]}}}
ARTICLE_WITH_HISTORY = {"allOf": [ARTICLE, {"type": "object", "properties": {
    "history": {"type": "array", "items": REVISION},
    "proposal": {"anyOf": [REVISION, {"type": "null"}]}}}]}
ARTICLES = {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": ARTICLE}}}
HITS = {"type": "object", "required": ["items"], "properties": {"items": {
    "type": "array", "items": {"type": "object", "required": ["id", "title"], "properties": {
        "id": INT, "title": STR, "score": {"type": "number"}, "question": OPT_STR,
        "snippet": OPT_STR}}}}}
COUNTS = {"type": "object", "required": ["created", "updated"],
          "properties": {"created": INT, "updated": INT}}
