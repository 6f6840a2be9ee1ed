"""Fixtures: one schema per test session, each test in a transaction that is rolled back.

The database is SQLite by default or the PostgreSQL named by ``HOTLINE_TEST_DATABASE_URL``;
Redis is embedded unless ``HOTLINE_TEST_REDIS_URL`` is set. The schema is built and the
reference data (time limits, the official calendar) seeded once per session. Each test then
runs on one connection inside an outer transaction; the app's ``db.session`` joins it in
``create_savepoint`` mode, so a ``commit()`` in app code releases a savepoint, and the outer
rollback at the end leaves the database as the session seeded it (SQLAlchemy's "Joining a
Session into an External Transaction").

Tests whose commits must be seen by other connections (threads, worker processes, a second
app, a live server) carry ``@pytest.mark.committing``: they commit for real, on SQLite into a
database file of their own, on PostgreSQL into the shared schema, emptied after the test.

No ``HOTLINE_*`` variable of the developer's shell reaches the tests: they are removed at
start-up, and every test app is built with none in the environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from hotline.app import create_app
from hotline.extensions import db
from hotline.models import Base
from tests import factories

#: pytest-xdist's name for this process (gw0, gw1...), or None in a run without workers
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _per_worker(url: str | None, kind: str) -> str | None:
    """Each xdist worker gets a database of its own on the same server (``test`` becomes
    ``test_gw0``...) and a Redis database of its own (15 becomes 15, 14...): the suites run
    side by side without seeing each other's rows, keys or flushes."""
    if not url or not WORKER:
        return url
    base, _, name = url.rpartition("/")
    index = int(WORKER.removeprefix("gw"))
    if kind == "redis":
        return f"{base}/{(int(name or 0) - index) % 16}"
    return f"{base}/{name}_{WORKER}"


PG_URL = _per_worker(os.environ.get("HOTLINE_TEST_DATABASE_URL"), "database")
REDIS_URL = _per_worker(os.environ.get("HOTLINE_TEST_REDIS_URL"), "redis")


def _app_settings_in_environment() -> list[str]:
    return [name for name in os.environ
            if name.startswith("HOTLINE_") and not name.startswith("HOTLINE_TEST_")]


def pytest_configure(config) -> None:
    """Drop the developer's ``HOTLINE_*`` settings before any app is built; give an xdist
    worker its own PostgreSQL database."""
    for name in _app_settings_in_environment():
        del os.environ[name]
    if PG_URL and WORKER:
        _create_database(os.environ["HOTLINE_TEST_DATABASE_URL"], PG_URL.rpartition("/")[2])


def _create_database(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": name}).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()


@contextmanager
def _bare_environment() -> Iterator[None]:
    """Hide any ``HOTLINE_*`` variable (one a test set, say) while an app is built."""
    hidden = {name: os.environ.pop(name) for name in _app_settings_in_environment()}
    try:
        yield
    finally:
        os.environ.update(hidden)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch) -> None:
    """scrypt costs ~0.13 s a hash by design; tests hash the same few passwords many times.
    The caches live as long as the worker process: made afresh for each test, every test's
    world paid one scrypt (4-5 CPU-minutes a suite)."""
    from hotline.models import user

    monkeypatch.setattr(user, "generate_password_hash", _CACHED_HASHING["generate"])
    monkeypatch.setattr(user, "check_password_hash", _CACHED_HASHING["check"])


def _cached_hashing() -> dict:
    from functools import lru_cache

    from werkzeug import security

    return {"generate": lru_cache(maxsize=64)(security.generate_password_hash),
            "check": lru_cache(maxsize=256)(security.check_password_hash)}


_CACHED_HASHING = _cached_hashing()


def _url_builders_on_first_use() -> None:
    """Every test builds its own app, and Werkzeug compiles two URL-building functions for
    each of its ~150 routes when the route is added (0.15 s an app, 5 CPU-minutes a suite),
    though a test builds URLs for a handful. Here a route's builder is compiled the first
    time it is used; the compiled function is Werkzeug's own. Routing and URLs are
    unchanged; if Werkzeug renames the method, this does nothing."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return

    def on_first_use(rule: Rule, append_unknown: bool = True):
        name = "_build_unknown" if append_unknown else "_build"

        def build(bound_rule: Rule, *args, **kwargs):
            real = compile_builder(bound_rule, append_unknown).__get__(bound_rule, None)
            setattr(bound_rule, name, real)
            return real(*args, **kwargs)
        return build

    Rule._compile_builder = on_first_use  # noqa: SLF001 - see the docstring


_url_builders_on_first_use()


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


@pytest.fixture(autouse=True)
def _redis_clients_closed(monkeypatch) -> Iterator[None]:
    """Every Redis client an app opened during the test is closed after it (the ``app``
    fixture's and those of apps a test or a CLI command built). Left to the garbage
    collector, a client in a reference cycle may have its socket finalised before the
    connection that would close it: a ResourceWarning, at a moment no test owns."""
    from hotline import broker

    opened: list = []
    connect = broker._connect  # noqa: SLF001 - the one place clients are made

    def recording(app: Flask):
        client = connect(app)
        opened.append(client)
        return client

    monkeypatch.setattr(broker, "_connect", recording)
    yield
    for client in opened:
        broker.close_client(client)


def app_config(tmp_path: Path, redis_url: str, database_url: str | None = None) -> dict:
    """The settings of a test app; its own SQLite file under ``tmp_path`` unless told."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url or PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SCHEDULING": False,
        "LOG_LEVEL": "WARNING",
        # automatic SMS wait out the quiet hours; a test that means them sets them itself,
        # so no test depends on the hour it runs at
        "SMS_QUIET_HOURS": "off",
        # Forms here post without tokens; tests/security/ turns CSRF on and proves every
        # form and JSON endpoint is protected (so do the browser tests).
        "WTF_CSRF_ENABLED": False,
    }


def build_app(config: dict) -> Flask:
    """``create_app`` with no ``HOTLINE_*`` variable in sight."""
    with _bare_environment():
        return create_app(config)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, redis_url) -> str:
    """The session's database: the schema built and the reference data seeded, once."""
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'session.db'}"
    app = build_app(app_config(tmp_path_factory.mktemp("schema"), redis_url, url))
    with app.app_context():
        if PG_URL:
            Base.metadata.drop_all(db.engine)
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        Base.metadata.create_all(db.engine)
        factories.seed_reference_data()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture
def app(request, tmp_path, redis_url, database_url) -> Iterator[Flask]:
    """An app on the seeded schema with the default time limits and the official calendar;
    whatever the test writes is rolled back (committed for ``committing`` tests)."""
    committing = request.node.get_closest_marker("committing") is not None
    url = f"sqlite:///{tmp_path / 'test.db'}" if committing and not PG_URL else database_url
    app = build_app(app_config(tmp_path, redis_url, url))
    with app.app_context():
        _flush_redis()
        try:
            if committing:
                yield from _committing(app)
            else:
                yield from _rolled_back(app)
        finally:
            from hotline import broker

            broker.close(app)


def _committing(app: Flask) -> Iterator[Flask]:
    """Real commits: a fresh SQLite file, or the shared PostgreSQL schema emptied after."""
    if not PG_URL:
        Base.metadata.create_all(db.engine)
        factories.seed_reference_data()
        db.session.commit()
    try:
        yield app
    finally:
        db.session.rollback()
        db.session.remove()
        if PG_URL:
            _truncate_all()
            factories.seed_reference_data()
            db.session.commit()
            db.session.remove()
        db.engine.dispose()


def _rolled_back(app: Flask) -> Iterator[Flask]:
    """Everything on one connection inside a transaction that is rolled back at the end."""
    engine = db.engine
    connection = _TestConnection(engine)
    if engine.dialect.name == "sqlite":
        _fix_pysqlite_transactions(connection)
    outer = connection.begin()
    engines = db._app_engines[app]  # the app's engine map (Flask-SQLAlchemy 3)
    engines[None] = connection
    factory_options = db.session.session_factory.kw
    previous_mode = factory_options.get("join_transaction_mode")
    factory_options["join_transaction_mode"] = "create_savepoint"
    try:
        yield app
    finally:
        factory_options.pop("join_transaction_mode")
        if previous_mode is not None:
            factory_options["join_transaction_mode"] = previous_mode
        engines[None] = engine
        try:
            db.session.remove()
            if outer.is_active:
                outer.rollback()
        finally:
            # Never leave the connection checked out: on SQLite it would hold the write lock
            # of the session's database, and every later test would wait for it.
            if outer.is_active:
                connection.invalidate()
            else:
                connection.close()
            engine.dispose()


class _TestConnection(Connection):
    """The test's one connection, standing in for the app's engine: sessions and
    ``db.engine`` users share its transaction. Code that asks for a connection of its own
    (a day's case-number sequence created on PostgreSQL) still gets a real one from the
    engine. Used
    from another thread it refuses: such a test must be marked ``committing``."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        self._owner = threading.get_ident()
        event.listen(self, "before_execute", self._same_thread)

    def _same_thread(self, *_args) -> None:
        if threading.get_ident() != self._owner:
            raise RuntimeError("the test's connection used from another thread: "
                               "mark the test @pytest.mark.committing")

    def connect(self) -> Connection:
        """A separate connection from the real engine, as ``Engine.connect`` gives."""
        return self.engine.connect()

    def raw_connection(self):
        """A pooled driver connection of the real engine, as ``Engine.raw_connection`` gives."""
        return self.engine.raw_connection()

    def dispose(self, close: bool = True) -> None:
        """The fixture disposes of the real engine after the test."""


def _fix_pysqlite_transactions(connection: Connection) -> None:
    """pysqlite begins a transaction only before a write and so breaks SAVEPOINT: let
    SQLAlchemy emit BEGIN itself (the SQLAlchemy docs' recipe), on this connection only."""
    connection.connection.driver_connection.isolation_level = None

    @event.listens_for(connection, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def _flush_redis() -> None:
    from hotline.broker import get_redis

    get_redis().flushdb()


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app: Flask):
    """A test client of the app."""
    return app.test_client()


class AuthActions:
    """Sign a browser-like test client in and out (flaskr's pattern)."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        """Sign in through the login form."""
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        """Sign out."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    """Sign in and out as one of the world's users."""
    return AuthActions(client)


@pytest.fixture
def world(app: Flask) -> factories.World:
    """Departments, categories, one user of each role and their API tokens."""
    return factories.make_world()


@pytest.fixture
def api(client, world):
    """Call the API as one of the world's users: ``api("agent").post(...)``."""
    return factories.ApiCaller(client, world)
