"""The OpenAPI 3.1 document of the integration API, built from the declared operations.

:func:`build` walks the app's routes, prints each view's :class:`Operation` and the shared
components; webhook payloads come from whoever registers them with :func:`add_webhooks`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from hotline.apispec.components import SCHEMAS, ref
from hotline.apispec.registry import Operation, declared

#: each error status: its code and meaning, "中文 / English" (the reference page shows the
#: half of its language; answers carry the message in the language asked for)
ERROR_REASONS = {
    400: ("malformed", "请求体不是有效的 JSON 对象 / the body is not a JSON object"),
    401: ("unauthorized", "缺少访问令牌或令牌无效 / no token, or not a valid one"),
    403: ("forbidden", "没有权限 / not allowed"),
    404: ("not_found", "不存在或无权查看 / not found, or not yours to see"),
    409: ("refused_transition", "当前状态不允许该操作，或工单已被他人修改 / the state does not "
                                "allow it, or someone changed the case meanwhile"),
    413: ("too_large", "请求内容过大 / the request is too large"),
    422: ("invalid", "某个字段的值无法使用（field 指明哪个） / a field's value cannot be used "
                     "(field names it)"),
    429: ("too_many_attempts", "请求过于频繁，请稍后再试 / too many requests: try again later"),
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_WEBHOOKS = "hotline.apispec.webhooks"


def add_webhooks(app: Flask, webhooks: dict[str, Any]) -> None:
    """Register webhook (event push) descriptions to print in the document."""
    app.extensions.setdefault(_WEBHOOKS, {}).update(webhooks)


def build(app: Flask, *, server: str = "/") -> dict[str, Any]:
    """The whole document for the operations declared on ``app``'s routes."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        found = declared(app.view_functions[rule.endpoint])
        if found is None:
            continue
        path = _PARAM.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                found, rule.endpoint, _PARAM.findall(rule.rule))
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 热线 集成接口 / hotline integration API", "version": "1",
                 "description": "工单交换、参考数据、开放数据与事件推送。 / "
                                "Case exchange, reference data, open data and event push."},
        "servers": [{"url": server}],
        "paths": paths,
        "webhooks": app.extensions.get(_WEBHOOKS, {}),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "hotline token-create"}},
        },
    }


def _operation(op: Operation, endpoint: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    body: dict[str, Any] = {"operationId": endpoint.replace(".", "_"), "summary": op.summary,
                            "tags": [op.tag], "responses": _responses(op)}
    if op.description:
        body["description"] = op.description
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": op.path.get(name, {"type": "string"})} for _, name in params]
    query = op.query or {}
    for name, schema in query.get("properties", {}).items():
        parameters.append({"name": name, "in": "query", "schema": schema,
                           "required": name in query.get("required", ())})
    if parameters:
        body["parameters"] = parameters
    if op.body is not None:
        media: dict[str, Any] = {"schema": op.body}
        if op.example is not None:
            media["example"] = op.example
        body["requestBody"] = {"required": True, "content": {op.body_media: media}}
    body["security"] = [{"bearer": []}] if op.auth else []
    return body


def _responses(op: Operation) -> dict[str, Any]:
    content = {}
    for media in (op.media,) if isinstance(op.media, str) else op.media:
        fallback = {"type": "object"} if media == "application/json" else {"type": "string"}
        content[media] = {"schema": op.answer or fallback}
    ok: dict[str, Any] = {"description": "OK"}
    if op.status != 204:
        ok["content"] = content
    responses: dict[str, Any] = {str(op.status): ok}
    for status, (meaning, schema) in op.alternatives.items():
        responses[str(status)] = {"description": meaning,
                                  "content": {"application/json": {"schema": schema}}}
    for status in op.error_statuses():
        code, meaning = ERROR_REASONS[status]
        responses[str(status)] = {
            "description": meaning,
            "content": {"application/json": {
                "schema": ref("Error"),
                "example": {"error": {"code": code, "message": meaning.split(" / ")[0]}}}}}
    return responses
