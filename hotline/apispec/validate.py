"""A small JSON Schema checker for the subset the API declares: one source of truth.

Each operation declares its body and query parameters once as JSON Schema dicts; the view
checks what it receives against them here and the OpenAPI document prints the same dicts.
Only what the declarations use is understood: ``type`` (one or a list, ``"null"`` included),
``properties``, ``required``, ``additionalProperties: false``, ``enum``, ``maxLength``,
``minimum``/``maximum`` and ``items``. The first problem is raised as :class:`InvalidInput`
naming the field with a message from the translation catalogue.
"""

from __future__ import annotations

from typing import Any

from hotline.errors import InvalidInput

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}



def check(schema: dict[str, Any], value: Any, field: str = "") -> Any:
    """Raise :class:`InvalidInput` for the first way ``value`` breaks ``schema``; else
    return ``value`` unchanged."""
    if "anyOf" in schema:
        return _any_of(schema["anyOf"], value, field)
    _check_type(schema, value, field)
    if value is None:
        return value
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field=field,
                           value=value, choices=", ".join(map(str, schema["enum"])))
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        raise InvalidInput("「{field}」过长：最多 {max} 字，收到 {n} 字", field=field,
                           max=schema["maxLength"], n=len(value))
    if _is_number(value):
        _check_range(schema, value, field)
    if isinstance(value, dict):
        _check_object(schema, value, field)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check(schema["items"], item, f"{field}[{index}]")
    return value


def _any_of(branches: list[dict[str, Any]], value: Any, field: str) -> Any:
    """The first branch that takes the value wins; else the first branch's complaint."""
    first: InvalidInput | None = None
    for branch in branches:
        try:
            return check(branch, value, field)
        except InvalidInput as problem:
            first = first or problem
    raise first if first else InvalidInput("「{field}」无效", field=field)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_type(schema: dict[str, Any], value: Any, field: str) -> None:
    declared = schema.get("type")
    if declared is None:
        return
    names = [declared] if isinstance(declared, str) else list(declared)
    for name in names:
        if isinstance(value, _TYPES[name]) and not (
                isinstance(value, bool) and name in ("integer", "number")):
            return
    _wrong_type(next((n for n in names if n != "null"), names[0]), field or "body")


def _wrong_type(kind: str, field: str) -> None:
    if kind == "object":
        raise InvalidInput("「{field}」必须是对象", field=field)
    if kind == "integer":
        raise InvalidInput("「{field}」必须是整数", field=field)
    if kind == "string":
        raise InvalidInput("「{field}」必须是文本", field=field)
    if kind == "number":
        raise InvalidInput("「{field}」必须是数字", field=field)
    if kind == "boolean":
        raise InvalidInput("「{field}」必须是 true 或 false", field=field)
    if kind == "array":
        raise InvalidInput("「{field}」必须是列表", field=field)
    raise InvalidInput("「{field}」无效", field=field)


def _check_range(schema: dict[str, Any], value: float, field: str) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=field,
                           min="" if low is None else low, max="" if high is None else high)


def _check_object(schema: dict[str, Any], value: dict[str, Any], field: str) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    prefix = f"{field}." if field else ""
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise InvalidInput("未知字段：{names}", field=prefix + unknown[0],
                               names=", ".join(prefix + u for u in unknown))
    for name in schema.get("required", ()):
        if value.get(name) in (None, ""):
            raise InvalidInput("「{field}」不能为空", field=name)
    for name, sub in properties.items():
        if name in value:
            check(sub, value[name], name)
