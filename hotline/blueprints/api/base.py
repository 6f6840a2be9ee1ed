"""The API blueprint and what every endpoint module needs: bearer-token authentication
and the JSON body. Endpoint modules (:mod:`v1`, :mod:`calls`, :mod:`stats`) add their routes
to :data:`bp`; the factory imports them all before registering it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, request

from hotline.errors import Malformed, Unauthorized
from hotline.services import directory

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def token_required(view: Callable) -> Callable:
    """Bearer-token authentication; sets ``g.actor`` to the token's user."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("缺少访问令牌：请在 Authorization 头中使用 Bearer <token>")
        actor = directory.actor_for_token(token.strip())
        if actor is None:
            raise Unauthorized("访问令牌无效或已撤销")
        g.actor = actor
        return view(*args, **kwargs)
    return wrapped


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    if not request.is_json:
        raise Malformed("请求体必须是 JSON（Content-Type: application/json）")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Malformed("请求体不是有效的 JSON 对象")
    return data
