"""The factory: ``create_app()`` assembles the web app from settings, extensions and
blueprints. This is the top floor (with :mod:`hotline.cli` and :mod:`workflows.worker`):
nothing below imports it. Gunicorn: ``gunicorn 'hotline.app:create_app()'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_login import login_url
from werkzeug.exceptions import HTTPException

from hotline import boundary, broker, logs, observability, phones, security
from hotline.blueprints import (
    admin,
    agent,
    auth,
    casemap,
    cases,
    channels,
    followups,
    inbox,
    inspection,
    kb,
    leaders,
    mailbox,
    models_admin,
    notices_admin,
    open311,
    ops,
    oversight,
    places_admin,
    public,
    queues,
    workbench,
)
from hotline.blueprints.api import base as api
from hotline.blueprints.api import calls as _api_calls  # noqa: F401 - adds POST /calls to api.bp
from hotline.blueprints.api import inspection as _api_inspection  # noqa: F401 - /inspection
from hotline.blueprints.api import kb as _api_kb  # noqa: F401 - adds the /kb endpoints
from hotline.blueprints.api import leaders as _api_leaders  # noqa: F401 - /stats/mailboxes
from hotline.blueprints.api import me as _api_me  # noqa: F401 - adds POST /me/password
from hotline.blueprints.api import my_cases as _api_my_cases  # noqa: F401 - /track/lookup
from hotline.blueprints.api import opendata as _api_opendata  # noqa: F401 - adds /opendata
from hotline.blueprints.api import quality as _api_quality  # noqa: F401 - adds /quality/check
from hotline.blueprints.api import reference as api_reference  # reference data, openapi.json
from hotline.blueprints.api import stats as _api_stats  # noqa: F401 - adds GET /stats to api.bp
from hotline.blueprints.api import v1 as _api_v1  # noqa: F401 - adds the case endpoints
from hotline.blueprints.api import webhooks as _api_webhooks  # noqa: F401 - adds /webhooks
from hotline.config import ConfigError, load_settings, resolve_paths, settings_from_mapping
from hotline.errors import ServiceError
from hotline.extensions import db, login_manager
from hotline.gateways import build_gateways
from hotline.i18n import (
    actor_name,
    age_words,
    current_language,
    gettext,
    in_page_language,
    label,
)
from hotline.models import enums
from hotline.services import freshness
from hotline.services.links import tracking_url
from hotline.webutil import error_body, localtime, nl2br, translate_error, wants_json
from workflows import scheduling


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Assemble the app: settings from the environment (or only from ``config`` in tests),
    extensions, blueprints. Nothing else happens here: no migrations, no network, no prompts."""
    # Pages and assets live inside the package (hotline/templates, hotline/static), so a
    # wheel or a non-editable install carries them.
    app = Flask("hotline", instance_relative_config=True)
    settings = load_settings() if config is None else settings_from_mapping(config)
    resolve_paths(settings, Path(app.instance_path))
    app.config.update(settings)
    app.config.update(_flask_settings(app.config))
    _check_gateways(app)

    logs.init_app(app)
    db.init_app(app)
    _tune_sqlite(app)
    _check_idle_connections(app)
    login_manager.init_app(app)
    broker.init_app(app)
    _init_web(app)
    security.init_app(app)
    observability.init_app(app)
    boundary.init_app(app)
    scheduling.init_app(app)
    app.before_request(freshness.forget_reading)
    return app


def _flask_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": config["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(config["DATABASE_URL"]),
        "MAX_CONTENT_LENGTH": config["MAX_REQUEST_BYTES"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_AS_ASCII": False,
    }


def _check_gateways(app: Flask) -> None:
    """Build the outbound gateways now, so a half-configured one stops the start-up; the
    outbox (:func:`hotline.services.outbox.gateways`) then uses these."""
    try:
        app.extensions["hotline.gateways"] = build_gateways(app.config)
    except ValueError as exc:
        raise ConfigError(f"outbound gateways: {exc} (set the HOTLINE_ variable named)") from None


def _engine_options(url: str) -> dict[str, Any]:
    # SQL parameters (names, phone numbers, texts) never appear in an error or a traceback.
    if url.startswith("sqlite"):
        # The busy timeout makes a second writer wait instead of failing with "locked".
        return {"connect_args": {"timeout": 30, "check_same_thread": False},
                "hide_parameters": True}
    _cache_wide_statements()
    # No JIT: PostgreSQL compiles a query whose estimated cost passes jit_above_cost, and
    # the per-case subqueries of the oversight counts estimate high while reading a few
    # thousand rows: compiling cost 0.4-1 s a query and saved nothing (bench/README.md).
    return {"pool_size": 10, "max_overflow": 10, "hide_parameters": True,
            "connect_args": {"options": "-c jit=off"}}


# psycopg keeps the conversion of a statement's text (its ``%(name)s`` placeholders split out
# with a regular expression) in a cache, but only for statements of at most 50 parameters.
# The case row has 57 columns: its INSERT (2.6 KB) was converted anew on every registration,
# ~0.3-0.5 ms of CPU each (bench/README.md, issue 19). The limit is a module constant of the
# driver, raised here once; the cache itself stays bounded (128 statements, least recently
# used out).
WIDE_STATEMENT_PARAMS = 128


def _cache_wide_statements() -> None:
    try:  # a private module of the driver: a release without it only loses the saving
        from psycopg import _queries
    except ImportError:
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", WIDE_STATEMENT_PARAMS) \
            < WIDE_STATEMENT_PARAMS:
        _queries.MAX_CACHED_STATEMENT_PARAMS = WIDE_STATEMENT_PARAMS


IDLE_CHECK_SECONDS = 10.0


def _check_idle_connections(app: Flask) -> None:
    """Test a pooled server connection before use when it sat idle for a while: one that
    the database dropped meanwhile (a restart, a failover, a firewall's idle timeout) is
    replaced instead of failing the request. A connection in steady use is not tested: a
    ping on every checkout cost two extra round trips per case registered. A connection the
    server drops while in use fails its request once, and SQLAlchemy then renews the pool."""
    if app.config["DATABASE_URL"].startswith("sqlite"):
        return
    import time

    from sqlalchemy import event, exc

    from hotline.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means: use another one
            raise exc.DisconnectionError("idle connection is gone") from error


def _tune_sqlite(app: Flask) -> None:
    """WAL lets readers and one writer work at once; agents never see 'database is locked'."""
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from hotline.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


# The closed vocabularies templates compare against: ``message.status == InboundStatus.REVIEW``.
TEMPLATE_VOCABULARIES = {cls.__name__: cls for cls in (
    enums.CaseAction, enums.CaseStatus, enums.ChatAuthor, enums.ConversationStatus,
    enums.DayKind, enums.DaySource, enums.CalendarKind, enums.InboundStatus, enums.ModelStatus,
    enums.Urgency)}

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")


def _init_web(app: Flask) -> None:
    """Blueprints, error pages, template helpers, security headers and the login hooks."""
    for blueprint in (auth.bp, public.bp, agent.bp, cases.bp, workbench.bp, admin.bp, api.bp,
                      followups.bp, queues.bp, models_admin.bp, channels.bp, mailbox.bp, inbox.bp,
                      oversight.bp, ops.bp, kb.bp, api_reference.docs_bp, open311.bp,
                      notices_admin.bp, leaders.bp, inspection.bp, casemap.bp,
                      places_admin.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals.update(_=gettext, label=label, mask_phone=phones.mask,
                                 age_words=age_words, actor_name=actor_name,
                                 lang=current_language, localtime=localtime,
                                 tracking_url=tracking_url, **TEMPLATE_VOCABULARIES)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.filters["in_page_language"] = in_page_language
    app.jinja_env.filters["label"] = label
    app.after_request(_headers)
    login_manager.unauthorized_handler(_ask_to_sign_in)


def _ask_to_sign_in():
    """A staff page opened without signing in: back to it after the login, told why in the
    page's language (flask-login's own message would always be Chinese)."""
    flash(gettext("请先登录"))
    return redirect(login_url("auth.login", request.url))


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
    if request.endpoint != "static":  # staff pages and API answers carry personal data
        response.headers.setdefault("Cache-Control", "no-store")
    if request.args.get("lang") in ("zh_CN", "en"):
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax",
                            secure=current_app.config["SECURE_COOKIES"], httponly=True)
    return response
