"""Fixtures: a fresh database per test, on SQLite by default or on the PostgreSQL named by
``HOTLINE_TEST_DATABASE_URL``; Redis is embedded unless ``HOTLINE_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from hotline import create_app
from hotline.extensions import db
from hotline.models import Base
from tests import factories

PG_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch) -> None:
    """scrypt costs ~0.15 s a hash by design; tests hash the same few passwords many times."""
    from functools import lru_cache

    from hotline.models import user

    monkeypatch.setattr(user, "generate_password_hash",
                        lru_cache(maxsize=64)(user.generate_password_hash))
    monkeypatch.setattr(user, "check_password_hash",
                        lru_cache(maxsize=256)(user.check_password_hash))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis for the whole run: the one named in the environment, or an embedded one."""
    if REDIS_URL:
        yield REDIS_URL
        return
    from hotline import broker

    server = broker.start_embedded(str(tmp_path_factory.mktemp("redis")))
    yield broker.embedded_url(server)
    server.shutdown()


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[None]:
    if not PG_URL:
        yield
        return
    app = create_app({"DATABASE_URL": PG_URL, "TESTING": True})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        Base.metadata.create_all(db.engine)
        db.engine.dispose()
    yield


def app_config(tmp_path, redis_url: str) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SCHEDULING": False,
        "LOG_LEVEL": "WARNING",
        # Forms here post without tokens; tests/security/ turns CSRF on and proves every
        # form and JSON endpoint is protected (so do the browser tests).
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture
def app(tmp_path, redis_url, _pg_schema) -> Iterator[Flask]:
    """An app with an empty schema, the default time limits and the official calendar."""
    app = create_app(app_config(tmp_path, redis_url))
    with app.app_context():
        if not PG_URL:
            Base.metadata.create_all(db.engine)
        factories.seed_reference_data()
        _flush_redis()
        yield app
        db.session.rollback()
        db.session.remove()
        if PG_URL:
            _truncate_all()
        db.engine.dispose()


def _flush_redis() -> None:
    from hotline.broker import get_redis

    get_redis().flushdb()


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


class AuthActions:
    """Sign a browser-like test client in and out (flaskr's pattern)."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def world(app: Flask) -> factories.World:
    """Departments, categories, one user of each role and their API tokens."""
    return factories.make_world()


@pytest.fixture
def api(client, world):
    """Call the API as one of the world's users: ``api("agent").post(...)``."""
    return factories.ApiCaller(client, world)
