"""The web edge: blueprints, error pages, template helpers and security headers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_login import login_url
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from hotline.extensions import login_manager
from hotline.i18n import current_language, gettext, label
from hotline.errors import ServiceError
from hotline.services.validation import mask_phone

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")


def init_app(app: Flask) -> None:
    from hotline.blueprints import (
        admin,
        agent,
        api,
        auth,
        cases,
        channels,
        followups,
        inbox,
        mailbox,
        models_admin,
        oversight,
        public,
        queues,
        workbench,
    )

    for blueprint in (auth.bp, public.bp, agent.bp, cases.bp, workbench.bp, admin.bp, api.bp,
                      followups.bp, queues.bp, models_admin.bp, channels.bp, mailbox.bp, inbox.bp,
                      oversight.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals.update(_=gettext, label=label, mask_phone=mask_phone,
                                 lang=current_language, localtime=localtime)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["nl2br"] = nl2br
    app.after_request(_headers)
    login_manager.unauthorized_handler(_ask_to_sign_in)


def _ask_to_sign_in():
    """A staff page opened without signing in: back to it after the login, told why in the
    page's language (flask-login's own message would always be Chinese)."""
    flash(gettext("请先登录"))
    return redirect(login_url("auth.login", request.url))


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in the hotline's local zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def nl2br(text: str | None) -> Markup:
    """Escape text and keep its line breaks."""
    if not text:
        return Markup("")
    return Markup("<br>").join(Markup.escape(text).split("\n"))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/channels/")


def error_body(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def translate_error(exc: ServiceError) -> str:
    params = dict(exc.params)
    params.pop("retry_after", None)
    if exc.field:
        params.setdefault("field", label(exc.field))
    return gettext(exc.message, **params)


def _service_error(exc: ServiceError):
    message = translate_error(exc)
    headers = {}
    if "retry_after" in exc.params:
        headers["Retry-After"] = str(exc.params["retry_after"])
    if wants_json():
        return error_body(exc.code, message, exc.field), exc.status, headers
    return render_template("error.html", message=message, status=exc.status), exc.status, headers


HTTP_MESSAGES = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "需要有效的访问令牌"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "请求内容过大，上限为 {limit} MB"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def _http_error(exc: HTTPException):
    code, message = HTTP_MESSAGES.get(exc.code or 500, ("error", "服务器错误"))
    text = gettext(message, limit=current_app.config["MAX_REQUEST_BYTES"] // (1024 * 1024))
    if getattr(exc, "description", None) and g.get("detail_error"):
        text = f"{text}：{exc.description}"
    if wants_json():
        return error_body(code, text), exc.code
    return render_template("error.html", message=text, status=exc.code), exc.code


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.args.get("lang") in ("zh_CN", "en"):
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax",
                            secure=current_app.config["SECURE_COOKIES"], httponly=True)
    return response
