"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

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
            context = MigrationContext.configure(
                connection, opts={"include_object": schema.include_object})
            diff = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert diff == []


def _fresh_pg_database() -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {MIGRATION_DB}")
        connection.exec_driver_sql(f"CREATE DATABASE {MIGRATION_DB}")
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + MIGRATION_DB


def test_the_plain_alembic_command_upgrades_the_configured_database(tmp_path):
    """``alembic upgrade head`` from the checkout, with only ``HOTLINE_*`` settings: the
    database they name reaches the head revision without the hotline command."""
    url = _fresh_pg_database() if PG_URL else f"sqlite:///{tmp_path / 'plain.db'}"
    root = Path(__file__).resolve().parent.parent
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("HOTLINE_")}
    env.update(HOTLINE_DATABASE_URL=url, HOTLINE_INSTANCE_PATH=str(tmp_path / "instance"),
               HOTLINE_SECRET_KEY="test-secret")
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"),
                           "upgrade", "head"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert version == ScriptDirectory.from_config(schema.alembic_config()).get_current_head()


def test_model_paths_the_app_wrote_become_relative(tmp_path, redis_url):
    config = app_config(tmp_path, redis_url)
    if PG_URL:
        config["DATABASE_URL"] = _fresh_pg_database()
    app = create_app(config)
    with app.app_context():
        schema.upgrade("7a3d9e1f4c20")
        with db.engine.begin() as connection:
            for version, path in (("v1", "/srv/hotline/instance/models/v1.joblib"),
                                  ("v2", "/elsewhere/other.joblib"), ("v3", None)):
                connection.execute(text(
                    "INSERT INTO classifier_model (version, path, source, status, metrics, "
                    "created_at) VALUES (:v, :p, 'csv', 'ready', '{}', CURRENT_TIMESTAMP)"),
                    {"v": version, "p": path})
        schema.upgrade("e17b4c0a9d12")
        with db.engine.connect() as connection:
            paths = dict(connection.exec_driver_sql(
                "SELECT version, path FROM classifier_model").all())
        db.engine.dispose()
    assert paths == {"v1": "v1.joblib", "v2": "/elsewhere/other.joblib", "v3": None}
