"""hotline: open case management for a city's 12345 citizen-request hotline."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Assemble the app: settings from the environment (or ``config`` in tests), extensions,
    blueprints. Nothing else happens here: no migrations, no network, no prompts."""
    from hotline import broker, logs, security, web
    from hotline.config import load_settings, resolve_paths
    from hotline.extensions import db, login_manager
    from workflows import scheduling

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_relative_config=True,
    )
    settings = load_settings()
    if config:
        settings.update(config)
    resolve_paths(settings, Path(app.instance_path))
    app.config.update(settings)
    app.config.update(_flask_settings(app.config))

    logs.init_app(app)
    db.init_app(app)
    _tune_sqlite(app)
    _check_idle_connections(app)
    login_manager.init_app(app)
    broker.init_app(app)
    web.init_app(app)
    security.init_app(app)
    scheduling.init_app(app)
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


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # The busy timeout makes a second writer wait instead of failing with "locked".
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_size": 10, "max_overflow": 10}


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
