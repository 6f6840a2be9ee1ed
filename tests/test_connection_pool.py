"""Pooled PostgreSQL connections: one the server dropped while it sat idle is replaced before
use; one in steady use is not pinged on every checkout."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import exc

from hotline import app as factory
from hotline.extensions import db
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="pooled server connections: PostgreSQL only "
                                "(set HOTLINE_TEST_DATABASE_URL)")


def backend_pid() -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def drop_on_the_server(pid: int) -> None:
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_dropped_while_idle_is_replaced_before_use(app, monkeypatch):
    monkeypatch.setattr(factory, "IDLE_CHECK_SECONDS", 0.0)
    pid = backend_pid()
    drop_on_the_server(pid)
    assert backend_pid() != pid  # a working connection, not an error


def test_a_connection_in_steady_use_is_not_checked(app, monkeypatch):
    monkeypatch.setattr(factory, "IDLE_CHECK_SECONDS", 3600.0)
    drop_on_the_server(backend_pid())
    with pytest.raises(exc.OperationalError):  # what the idle check saves a request from
        backend_pid()
    backend_pid()  # the pool renewed itself after the failure


def test_connections_run_without_jit(app):
    """The app's connections do not JIT-compile: the oversight counts' per-case subqueries
    estimate high and compiling them cost more than running them (bench/README.md)."""
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW jit").scalar_one() == "off"


def test_the_wide_case_insert_is_converted_once_not_per_registration(app):
    # psycopg caches a statement's conversion only up to a number of parameters; the case
    # row's INSERT has more than psycopg's own limit of 50 (issue 19: ~0.3-0.5 ms a create)
    from psycopg import _queries

    from hotline.models import Case

    assert len(Case.__table__.columns) > 50
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= len(Case.__table__.columns)
