"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from hotline import schema
from hotline.app import create_app
from hotline.extensions import db
from hotline.models import Base
from tests.conftest import PG_URL, WORKER, app_config

#: a database of its own for each xdist worker
MIGRATION_DB = "hotline_migration_test" + (f"_{WORKER}" if WORKER else "")


def test_upgrade_from_empty_matches_the_models(tmp_path, redis_url):
    config = app_config(tmp_path, redis_url)
    if PG_URL:
        config["DATABASE_URL"] = _fresh_pg_database()
    app = create_app(config)
    with app.app_context():
        schema.upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        db.engine.dispose()
    assert diff == []


def _fresh_pg_database() -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {MIGRATION_DB}")
        connection.exec_driver_sql(f"CREATE DATABASE {MIGRATION_DB}")
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + MIGRATION_DB
