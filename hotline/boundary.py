"""The one input boundary for text: what no field may carry, on any database.

PostgreSQL refuses a NUL character and a lone UTF-16 surrogate cannot be encoded at all;
SQLite stores both. So both are refused here, the same way everywhere: forms and API JSON by
the request hook below (a 422 naming the field, before any view runs), services and the CLI
through :mod:`hotline.services.validation`, channel messages by the intake (kept raw, then
sent to review). Text made only of invisible characters (zero-width spaces, BOM, word
joiners) counts as blank. JSON is parsed only when it is not nested deeper than
:data:`MAX_JSON_DEPTH`.

A ground-floor module: the standard library and Flask, nothing of hotline above it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from flask import Flask, request

from hotline.errors import InvalidInput

MAX_JSON_DEPTH = 32
MAX_KEY_CHARS = 100
#: the largest integer any field takes (a PostgreSQL BIGINT)
MAX_INTEGER = 2**63 - 1
#: the largest row id (ids are PostgreSQL INTEGERs): an <int:> part of a path beyond it names
#: no row, and PostgreSQL would refuse to compare it with an id column
MAX_ROW_ID = 2**31 - 1

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
# Format characters (Cf: zero-width space/joiners, BOM, bidi marks) and other invisibles.
_INVISIBLE = "\u00ad\u034f\u115f\u1160\u180e\u3164\uffa0"


class Malformed(InvalidInput):
    """A request body that cannot be read at all (too deep, not JSON)."""

    status = 400
    code = "malformed"


def forbidden_character(text: str) -> str | None:
    """The name of the first character no field may carry, or None: ``NUL`` or
    ``surrogate``."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    return "NUL" if found.group() == "\x00" else "surrogate"


def check_text(text: str, field: str) -> str:
    """``text`` unchanged, or a 422 naming ``field`` when it carries NUL or a lone surrogate."""
    problem = forbidden_character(text)
    if problem == "NUL":
        raise InvalidInput("「{field}」含有不允许的空字符（NUL）", field=field)
    if problem:
        raise InvalidInput("「{field}」含有无效的字符编码", field=field)
    return text


def escape_forbidden(text: str) -> str:
    """``text`` with NUL and lone surrogates written as visible escapes (``\\x00``,
    ``\\ud800``): how the raw store keeps a channel's text that no database column can hold."""
    return _FORBIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}" if m.group() == "\x00"
                          else f"\\u{ord(m.group()):04x}", text)


def is_blank(text: str | None) -> bool:
    """Whether ``text`` shows nothing: empty, whitespace, or only invisible characters."""
    if not text:
        return True
    return all(ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) in ("Cf", "Cc")
               for ch in text)


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys included) with its dotted field name."""
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from strings(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]" if path else f"[{i}]")


def integers(value: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """Every integer in a parsed JSON value with its dotted field name."""
    if isinstance(value, int) and not isinstance(value, bool):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from integers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from integers(item, f"{path}[{i}]" if path else f"[{i}]")


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` JSON nests arrays and objects, counted without parsing it (so a
    100,000-deep body costs one pass, not a RecursionError)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def load_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body within the depth limit, refusing NaN/Infinity; its strings and
    integers are then checked like any field. ``ValueError`` when it is not JSON."""
    if json_depth(raw) > max_depth:
        raise Malformed("请求体嵌套过深：最多 {max} 层", max=max_depth)
    value = json.loads(raw, parse_constant=_no_constant)
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse a parsed value whose strings carry NUL/surrogates or whose integers overflow."""
    for field, text in strings(value):
        check_text(text, field[:MAX_KEY_CHARS])
    for field, number in integers(value):
        if abs(number) > MAX_INTEGER:
            raise InvalidInput("「{field}」超出范围", field=field)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


# ---------------------------------------------------------------- the web hook


def init_app(app: Flask) -> None:
    """Check every request's query string, form fields, file names, path and JSON body
    before the view runs. Channel webhooks (``/channels/``) are exempt: they keep the raw
    message first and send bad text to review."""
    app.before_request(_check_request)


def _check_request() -> None:
    if request.path.startswith("/channels/"):
        return
    check_text(request.path, "path")
    for name, value in (request.view_args or {}).items():  # <int:...> parts of the path
        if isinstance(value, int) and abs(value) > MAX_ROW_ID:
            raise InvalidInput("「{field}」超出范围", field=name)
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            check_text(key or "", "field")  # a multipart part's name may not parse (None)
            check_text(value or "", key or "field")
    for key, upload in request.files.items(multi=True):
        check_text(upload.filename or "", key)
    raw = request.get_data(cache=True) if request.is_json else b""
    if raw:
        try:
            load_json(raw)
        except ValueError:  # not JSON at all: the view says so in its own words
            return
