"""Operations declared on the views: what each accepts and answers, checked and documented.

A view carries its declaration with :func:`operation`; the view checks its input with
:func:`checked_body` and :func:`checked_query` against that same declaration, and
:mod:`hotline.apispec.document` prints it into the OpenAPI document. Nothing is written
twice, so the document cannot drift from what the API accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from hotline.apispec.validate import check
from hotline.errors import InvalidInput

ATTRIBUTE = "__apispec__"


@dataclass(frozen=True)
class Operation:
    """One route's contract: input schemas, its answer and every error status it gives."""

    summary: str
    tag: str
    answer: dict[str, Any] | None = None  # JSON Schema of the successful answer
    status: int = 200
    body: dict[str, Any] | None = None  # JSON Schema of the JSON body
    query: dict[str, Any] | None = None  # an object schema: one property per parameter
    path: dict[str, dict[str, Any]] = field(default_factory=dict)  # path parameter schemas
    errors: tuple[int, ...] = ()
    auth: str | None = "bearer"  # bearer | None
    media: str | tuple[str, ...] = "application/json"  # of the successful answer
    description: str | None = None
    example: Any = None  # an example of the body
    body_media: str = "application/json"  # or multipart/form-data (an upload)
    #: other answers that are not errors: status -> (meaning, JSON Schema), e.g. a 503
    #: readiness report in the same shape as the 200
    alternatives: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def error_statuses(self) -> tuple[int, ...]:
        """The declared errors plus those every such operation can give."""
        implied = set(self.errors)
        if self.auth:
            implied.add(401)
        if self.body is not None:
            implied.update((400, 413, 422))
        if self.query is not None or self.path:
            implied.add(422)
        return tuple(sorted(implied))


def operation(summary: str, tag: str, **options: Any) -> Callable[[Callable], Callable]:
    """Declare a view's contract (see :class:`Operation`); put it under the route decorator."""
    declared = Operation(summary, tag, **options)

    def attach(view: Callable) -> Callable:
        setattr(view, ATTRIBUTE, declared)
        return view
    return attach


def declared(view: Callable) -> Operation | None:
    """The declaration a view carries, or None."""
    return getattr(view, ATTRIBUTE, None)


def current_operation() -> Operation:
    """The declaration of the view answering this request."""
    view = current_app.view_functions[request.endpoint]
    found = declared(view)
    if found is None:
        raise LookupError(f"{request.endpoint} declares no operation")
    return found


def checked_body(data: Any) -> dict[str, Any]:
    """The JSON body, checked against the current operation's body schema."""
    schema = current_operation().body
    return check(schema, data) if schema is not None else data


def checked_query() -> dict[str, Any]:
    """The query parameters the current operation declares, converted to their types and
    checked; absent ones are left out, undeclared ones ignored."""
    schema = current_operation().query or {"properties": {}}
    values: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        values[name] = check(sub, _converted(sub, raw, name), name)
    for name in schema.get("required", ()):
        if name not in values:
            raise InvalidInput("「{field}」不能为空", field=name)
    return values


def _converted(schema: dict[str, Any], raw: str, name: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not raw.lstrip("-").isdigit():
            raise InvalidInput("「{field}」必须是整数", field=name)
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput("「{field}」必须是数字", field=name) from None
    if kind == "boolean":
        if raw not in ("0", "1", "true", "false"):
            raise InvalidInput("「{field}」必须是 true 或 false", field=name)
        return raw in ("1", "true")
    return raw
