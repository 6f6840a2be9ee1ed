"""``POST /api/v1/me/password``: the caller changes their own password.

Works with a bearer token or with a signed-in session (then the CSRF token is required, as
for every session-authenticated write). Every session of the account ends; the calling
session is signed in again under the new session version.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user

from hotline.apispec import checked_body, operation
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, json_body
from hotline.errors import Unauthorized
from hotline.models import User
from hotline.security import sign_in
from hotline.services import accounts, directory
from hotline.unit_of_work import unit_of_work


def _caller() -> tuple[User, bool]:
    """The user making the call, and whether it came through a session."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user = directory.user_for_token(token.strip())
        if user is None:
            raise Unauthorized("访问令牌无效或已撤销")
        return user, False
    if current_user.is_authenticated:
        return current_user._get_current_object(), True
    raise Unauthorized("缺少访问令牌：请在 Authorization 头中使用 Bearer <token>")


@bp.post("/me/password")
@operation("修改本人密码 / change my password", "account", body=schemas.PASSWORD,
           answer={"type": "object", "properties": {"changed": {"type": "boolean"}}})
def change_my_password():
    """Change the caller's password: ``{"current_password": ..., "new_password": ...}``."""
    user, by_session = _caller()
    data = checked_body(json_body())
    with unit_of_work():
        accounts.change_password(user, str(data.get("current_password") or ""),
                                 str(data.get("new_password") or ""))
    if by_session:
        sign_in(user)
    return {"changed": True}
