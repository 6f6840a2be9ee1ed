"""Web security set-up: CSRF tokens and an Origin check, cookie flags, the trusted reverse
proxies, revocable sign-ins, the forced password change and safe redirects.

The factory calls :func:`init_app` once. What it guards against, and the settings, are in
SECURITY.md ("Sessions, CSRF and sign-in").
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.extensions import db, login_manager
from hotline.i18n import gettext
from hotline.models import User

csrf = CSRFProtect()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reachable while a reset password still has to be changed.
OPEN_DURING_CHANGE = frozenset({"auth.change_password", "auth.logout", "static",
                                "api.change_my_password"})


def init_app(app: Flask) -> None:
    """Wire every defence into the app; call after the settings are loaded."""
    _cookie_flags(app)
    trust_proxies(app, int(app.config.get("TRUSTED_PROXIES") or 0))
    app.config.setdefault("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked by _protect, with our exemptions
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    app.before_request(_protect)
    app.before_request(_require_password_change)
    app.register_error_handler(CSRFError, _csrf_refused)
    login_manager.user_loader(load_user)


def trust_proxies(app: Flask, count: int) -> None:
    """Believe the X-Forwarded-For/-Proto/-Host set by ``count`` reverse proxies in front,
    so ``request.remote_addr`` (every throttle's key) is the real client."""
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore
                                x_host=count)


def _cookie_flags(app: Flask) -> None:
    secure = app.config.get("SECURE_COOKIES")
    if secure is None:
        secure = str(app.config.get("PUBLIC_URL") or "").lower().startswith("https://")
    app.config.update(
        SECURE_COOKIES=bool(secure),
        SESSION_COOKIE_SECURE=bool(secure),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=bool(secure),
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_DURATION=timedelta(days=int(app.config.get("REMEMBER_DAYS") or 14)),
    )


def load_user(user_id: str) -> User | None:
    """flask-login's loader: the cookie must name the account's current session version,
    so a logout, password change, reset or deactivation ends every copy of it."""
    parts = str(user_id).split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user = db.session.get(User, int(parts[0]))
    if user is None or not user.active or user.session_version != int(parts[1]):
        return None
    user.login_nonce = parts[2]
    return user


def sign_in(user: User, remember: bool = False) -> None:
    """Start a session with a fresh nonce: the remember-me cookie differs at every login."""
    user.login_nonce = secrets.token_urlsafe(12)
    login_user(user, remember=remember)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no scheme or host, no ``//`` or
    ``/\\`` start, and no control characters or backslashes, raw or percent-encoded."""
    if not target:
        return None
    for form in (target, unquote(target)):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in form) or "\\" in form:
            return None
        if not form.startswith("/") or form.startswith("//"):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    return target


def _exempt() -> bool:
    """Requests that carry no ambient credential need no CSRF token: bearer-token API calls,
    signed channel webhooks, and API (or Open311) calls without a signed-in session."""
    if request.path.startswith("/channels/"):
        return True
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return True
    return request.path.startswith(("/api/", "/open311/")) and not current_user.is_authenticated


def _protect() -> None:
    if request.method not in UNSAFE_METHODS or not current_app.config["WTF_CSRF_ENABLED"]:
        return
    if _exempt():
        return
    if not _same_origin():
        raise CSRFError("cross-origin request")
    csrf.protect()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin() -> bool:
    """The Origin (or, without it, the Referer) names this site when the browser sent one."""
    allowed = {_origin(request.host_url), _origin(str(current_app.config.get("PUBLIC_URL")))}
    origin = request.headers.get("Origin")
    if origin:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    return _origin(referer) in allowed if referer else True


def _csrf_refused(exc: CSRFError):
    message = gettext("安全校验失败：页面已过期或请求并非来自本站页面，请刷新页面后重试")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": {"code": "csrf_failed", "message": message}}), 400
    return render_template("error.html", message=message, status=400), 400


def _require_password_change():
    if request.endpoint in OPEN_DURING_CHANGE or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.path.startswith("/api/"):
        message = gettext("请先修改密码再继续")
        return jsonify({"error": {"code": "password_change_required", "message": message}}), 403
    return redirect(url_for("auth.change_password"))
